"""An adopted function and an adopted web service, synthesized: one Terraform import block
per adopted resource, on the right resource, with the live names kept."""

from __future__ import annotations

import copy
import json

import pytest

from conftest import ACCOUNT
from tfjson import one

pytestmark = pytest.mark.synth

SHA = "q9V0h1oNtb5lVZRzLs1fOJ3Qwq9QhsAe2tE3mCqO8sk="
TG = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/billing/0123456789abcdef"
RULE = (f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:listener-rule/app/edge/"
        "50dc6c495c0c9188/f2f7dc8efc522ab2/1234567890abcdef")


def _synth(spec: dict) -> dict:
    from golden_path.cdk import Testing
    from golden_path.l3.stack import ServiceStack

    return json.loads(Testing.synth(ServiceStack(Testing.app(), spec)))


@pytest.fixture(scope="module")
def function() -> dict:
    from conftest import VALID_LAMBDA

    spec = copy.deepcopy(VALID_LAMBDA)
    spec["code"] = {"deployed": SHA}
    spec["triggers"] = {"sqs": {"batch_size": 10},
                        "schedules": [{"expression": "rate(1 hour)"}],
                        "http": {"function_url": {"auth": "AWS_IAM"}}}
    spec["adopt"] = {
        "function": "price-api-prd", "log_group": "/aws/lambda/price-api-prd",
        "role": f"arn:aws:iam::{ACCOUNT}:role/service-role/price-api-prd-role",
        "queue": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:prices",
        "dead_letter_queue": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:prices-dlq",
        "event_source_mapping": "0a1b2c3d-1111-2222-3333-444455556666",
        "schedules": [{"rule": "prices-hourly", "target_id": "hourly"}],
        "function_url": True}
    return _synth(spec)


@pytest.fixture(scope="module")
def web() -> dict:
    from conftest import VALID_WEB

    spec = copy.deepcopy(VALID_WEB)
    spec["adopt"] = {"service": "billing", "cluster": "legacy", "task_role": "billing-task",
                     "target_group": TG, "listener_rule": RULE, "scalable_target": True}
    return _synth(spec)


def _imports(stack: dict) -> dict[str, list[str]]:
    """{resource type: its import ids}, each address resolving to a resource of the stack."""
    found: dict[str, list[str]] = {}
    for block in stack["import"]:
        rtype, name = block["to"].split(".")
        assert name in stack["resource"][rtype], block
        found.setdefault(rtype, []).append(block["id"])
    return {k: sorted(v) for k, v in found.items()}


def test_every_adopted_part_of_a_function_is_imported(function):
    assert _imports(function) == {
        "aws_lambda_function": ["price-api-prd"],
        "aws_cloudwatch_log_group": ["/aws/lambda/price-api-prd"],
        "aws_iam_role": ["price-api-prd-role"],
        "aws_sqs_queue": [f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/prices",
                          f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/prices-dlq"],
        "aws_lambda_event_source_mapping": ["0a1b2c3d-1111-2222-3333-444455556666"],
        "aws_cloudwatch_event_rule": ["prices-hourly"],
        "aws_cloudwatch_event_target": ["prices-hourly/hourly"],
        "aws_lambda_function_url": ["price-api-prd"],
    }


def test_the_function_keeps_its_names_path_and_deployed_package(function):
    fn = one(function, "aws_lambda_function")
    assert fn["function_name"] == "price-api-prd"
    assert fn["logging_config"]["log_group"] == "/aws/lambda/price-api-prd"
    # The package it runs stays: a placeholder no one reads, and code changes ignored.
    assert fn["filename"] == "golden-path-keeps-the-deployed-package.zip"
    assert "s3_bucket" not in fn and "image_uri" not in fn
    assert set(fn["lifecycle"]["ignore_changes"]) >= {"filename", "s3_bucket", "s3_key"}
    assert fn["layers"]  # golden_path's OpenTelemetry layers are added
    role = one(function, "aws_iam_role")
    assert (role["name"], role["path"]) == ("price-api-prd-role", "/service-role/")
    assert one(function, "aws_cloudwatch_event_target")["target_id"] == "hourly"
    assert one(function, "aws_cloudwatch_event_rule")["name"] == "prices-hourly"
    assert {q["name"] for q in function["resource"]["aws_sqs_queue"].values()} == {
        "prices", "prices-dlq"}


def test_an_adopted_web_service_imports_service_role_target_group_and_rule(web):
    assert _imports(web) == {"aws_ecs_service": ["legacy/billing"],
                             "aws_iam_role": ["billing-task"],
                             "aws_lb_target_group": [TG], "aws_lb_listener_rule": [RULE],
                             "aws_appautoscaling_target": [
                                 "ecs/service/legacy/billing/ecs:service:DesiredCount"]}
    assert one(web, "aws_appautoscaling_target")["resource_id"].startswith("service/legacy/")
    service = one(web, "aws_ecs_service")
    assert service["name"] == "billing"
    assert service["cluster"] == f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/legacy"
    assert one(web, "aws_lb_target_group")["name"] == "billing"
    roles = {r["name"] for r in web["resource"]["aws_iam_role"].values()}
    # The execution role is not adopted: golden_path's own name, created.
    assert roles == {"billing-task", "billing-api-staging-execution"}
    # A new task definition revision in golden_path's family: revisions are immutable.
    assert one(web, "aws_ecs_task_definition")["family"] == "billing-api-staging"


def test_an_unadopted_stack_has_no_import_blocks():
    from conftest import VALID_LAMBDA

    assert "import" not in _synth(copy.deepcopy(VALID_LAMBDA))
