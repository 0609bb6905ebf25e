"""discover's judgement calls, without AWS: names, secrets, what is skipped and why."""

from __future__ import annotations

import pytest

from golden_path.discover.inventory import (
    Container,
    EcsService,
    EventSourceMapping,
    Function,
    Inventory,
    Queue,
    Rule,
)
from golden_path.discover.names import (
    looks_like_secret_value,
    service_name,
    split_variables,
    strip_environment,
)
from golden_path.discover.translate import Target, translate, translate_function
from golden_path.spec.common import TODO

ACCOUNT, REGION = "444455556666", "eu-west-1"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:billing/db-AbCdEf"
TARGET = Target("production", "production", ACCOUNT, REGION, "main", ("subnet-0123456789abcdef0",),
                {}, ("nodejs22.x", "python3.13"))


def fn(name: str = "billing-sync-prod", **kw) -> Function:
    base = dict(name=name, arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
                runtime="python3.13", handler="app.handler", code_sha256="a" * 43 + "=",
                role=f"arn:aws:iam::{ACCOUNT}:role/service-role/{name}-role",
                tags={"team": "billing"}, log_group=f"/aws/lambda/{name}", log_group_exists=True)
    return Function(**{**base, **kw})


@pytest.mark.parametrize("physical, expected", [
    ("billing-sync-prod", "billing-sync"), ("billing-sync-production", "billing-sync"),
    ("prod-billing-sync", "billing-sync"), ("Billing_Sync_PRD", "billing-sync"),
    ("billing-sync", "billing-sync")])
def test_the_environment_suffix_is_stripped(physical, expected):
    name, _ = service_name(physical, {}, "service", "production", "production")
    assert name == expected


def test_names_are_sanitized_and_cut_to_the_spec_rule():
    name, _ = service_name("9_Very.Long_Function__Name_" + "x" * 60, {}, "service", "production",
                           "production")
    assert name is not None and len(name) <= 40 and name[0].isalpha() and not name.endswith("-")
    assert service_name("x", {"service": "Price API"}, "service", "production", "production")[0] \
        == "price-api"
    assert strip_environment("orders-eu-prod", "prod-eu", "production") == "orders-eu"


def test_secrets_are_never_copied():
    v = split_variables({"LOG_LEVEL": "info", "DB_PASSWORD": "hunter22", "TOKEN_TTL": "3600",
                         "DATABASE_SECRET_ARN": SECRET, "CREDS": SECRET,
                         "OTEL_SERVICE_NAME": "x", "STRIPE": "sk_live_" + "a1B2" * 6,
                         "SIGNED": "Zx81QwTy62RbPl09OkWz15KcHs42LmQe73Vn"}, "lambda")
    assert v.variables == {"LOG_LEVEL": "info", "TOKEN_TTL": "3600"}
    assert v.secrets == {"DB_PASSWORD": TODO, "DATABASE": SECRET, "CREDS": SECRET,
                         "STRIPE": TODO, "SIGNED": TODO}
    assert any("CREDS_SECRET_ARN" in n for n in v.notes)
    assert any("OTEL_SERVICE_NAME dropped" in n for n in v.notes)


@pytest.mark.parametrize("value", ["https://api.example.com/v1", "arn:aws:s3:::bucket/key",
                                   "eu-west-1", "postgres-primary.internal", "a" * 40])
def test_ordinary_values_are_not_secrets(value):
    assert not looks_like_secret_value(value)


def test_a_function_keeps_what_it_runs_and_adopts_its_parts():
    queue = Queue(f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/jobs",
                  f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs", 120,
                  f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs-dlq", 4)
    found = translate_function(fn(
        layers=[f"arn:aws:lambda:{REGION}:184161586896:layer:opentelemetry-python-0_11_0:1",
                f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:3"],
        mappings=[EventSourceMapping("9a65fd9d-3822-4e60-a66c-0d10a2ef3d0e", queue.arn, 5, 2,
                                     queue=queue)],
        rules=[Rule("nightly", "lambda", "cron(0 3 * * ? *)", description="nightly"),
               Rule("on-order", "t1", None, event_pattern="{}")]), TARGET)
    d = found.data
    assert d["code"] == {"deployed": "a" * 43 + "="} and d["architecture"] == "x86_64"
    assert d["layers"] == [f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps:3"]
    assert d["triggers"]["sqs"] == {"batch_size": 5, "max_batching_window_seconds": 2,
                                    "visibility_timeout_seconds": 120, "max_receive_count": 4}
    assert d["adopt"]["schedules"] == [{"rule": "nightly", "target_id": "lambda"}]
    assert d["adopt"]["queue"] == queue.arn and d["adopt"]["role"].endswith("/service-role/"
                                                                           "billing-sync-prod-role")
    assert any("opentelemetry" in n for n in found.notes)
    assert any("on-order" in n and "left alone" in n for n in found.notes)


def test_a_function_without_a_team_tag_gets_todo():
    found = translate_function(fn(tags={}), TARGET)
    assert found.team_missing and found.data["team"] == TODO


def test_what_golden_path_does_not_manage_is_skipped_with_why():
    q = Queue("u", f"arn:aws:sqs:{REGION}:{ACCOUNT}:a")
    inv = Inventory(ACCOUNT, REGION, functions=[
        fn("old-prod", runtime="python3.8"),
        fn("ruby-prod", runtime="ruby3.3"),
        fn("stream-prod", mappings=[EventSourceMapping(
            "u1", f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/s")]),
        fn("two-prod", mappings=[EventSourceMapping("u2", q.arn, queue=q),
                                 EventSourceMapping("u3", q.arn, queue=q)]),
        fn("ok-prod"),
    ], services=[EcsService("ec2-prod", "arn", "main", launch_type="EC2",
                            containers=[Container("app", "img:1")])])
    result = translate(inv, TARGET)
    why = {s.resource: s.reason for s in result.skipped}
    assert [f.name for f in result.found] == ["ok"]
    assert "python3.8" in why["old-prod"] and "ruby3.3" in why["ruby-prod"]
    assert "kinesis" in why["stream-prod"] and "2 SQS" in why["two-prod"]
    assert "Fargate" in why["main/ec2-prod"]


def test_a_role_two_functions_share_is_not_adopted():
    shared = f"arn:aws:iam::{ACCOUNT}:role/lambda-basic"
    result = translate(Inventory(ACCOUNT, REGION, functions=[
        fn("a-prod", role=shared), fn("b-prod", role=shared)]), TARGET)
    assert all("role" not in f.data["adopt"] for f in result.found)
    assert all(any("shared" in n for n in f.notes) for f in result.found)
