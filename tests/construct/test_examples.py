"""The examples, synthesized once by the real `cdktf synth`: shape, snapshots, Terraform."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ecs_shape import register_task_definition_errors
from tfjson import containers, one, resources

pytestmark = pytest.mark.synth

STACKS = {
    "storefront-sandbox", "storefront-production",
    "order-fulfilment-worker-sandbox", "order-fulfilment-worker-production",
    "price-api-sandbox", "price-api-production",
    "invoice-consumer-sandbox", "invoice-consumer-production",
}
TEAM_STACKS = {
    "team-checkout-sandbox-111122223333-eu-west-1", "team-checkout-production-444455556666-eu-west-1",
    "team-billing-sandbox-111122223333-eu-west-1", "team-billing-production-444455556666-eu-west-1",
    # pricing's sandbox route needs nothing: its notify topic exists and sandbox never pages.
    "team-pricing-production-444455556666-eu-west-1",
}
ECS_STACKS = sorted(s for s in STACKS if not s.startswith(("price-api", "invoice-consumer")))


def test_cdktf_synth_writes_one_stack_per_service_and_environment(example_stacks):
    assert set(example_stacks) == STACKS | TEAM_STACKS


def test_team_route_stacks(example_stacks):
    checkout = example_stacks["team-checkout-production-444455556666-eu-west-1"]
    topics = {t["name"] for t in resources(checkout, "aws_sns_topic")}
    assert topics == {"golden-path-checkout-production-notify",
                      "golden-path-checkout-production-page"}
    subs = {s["protocol"]: s for s in resources(checkout, "aws_sns_topic_subscription")}
    assert subs["email"]["endpoint"] == "checkout-oncall@example.com"
    assert subs["https"]["endpoint_auto_confirms"] is True
    assert subs["https"]["endpoint"].startswith("${data.aws_secretsmanager_secret_version.")
    sandbox = example_stacks["team-checkout-sandbox-111122223333-eu-west-1"]
    assert {t["name"] for t in resources(sandbox, "aws_sns_topic")} == {
        "golden-path-checkout-sandbox-notify"}
    pricing = example_stacks["team-pricing-production-444455556666-eu-west-1"]
    assert {t["name"] for t in resources(pricing, "aws_sns_topic")} == {
        "golden-path-pricing-production-page"}


def test_example_alarms_route_to_the_team(example_stacks):
    alarms = {a["alarm_name"]: a for a in resources(example_stacks["storefront-production"],
                                                    "aws_cloudwatch_metric_alarm")}
    rate = alarms["production-checkout-storefront-payment-failure-rate"]
    assert rate["alarm_actions"] == rate["ok_actions"] == [
        "arn:aws:sns:eu-west-1:444455556666:golden-path-checkout-production-page",
        "arn:aws:sns:eu-west-1:444455556666:golden-path-checkout-production-notify"]
    assert "Runbook: https://runbooks.example.com/checkout/storefront" in rate["alarm_description"]
    assert alarms["production-checkout-storefront-latency-p99"]["threshold"] == 1.5
    worker = {a["alarm_name"] for a in resources(
        example_stacks["order-fulfilment-worker-production"], "aws_cloudwatch_metric_alarm")}
    assert "production-checkout-order-fulfilment-worker-cpu-high" not in worker
    sandbox = resources(example_stacks["invoice-consumer-sandbox"], "aws_cloudwatch_metric_alarm")
    assert sandbox and all(a["alarm_actions"] == [] for a in sandbox)


@pytest.mark.parametrize("name", ECS_STACKS)
def test_container_definitions_are_valid_ecs_input(example_stacks, name):
    stack = example_stacks[name]
    td = one(stack, "aws_ecs_task_definition")
    defs = list(containers(stack).values())
    assert register_task_definition_errors(
        defs, family=td["family"], cpu=td["cpu"], memory=td["memory"],
        volumes=[v["name"] for v in td["volume"]]) == ""


def test_environment_differences(example_stacks):
    sandbox, production = example_stacks["storefront-sandbox"], example_stacks["storefront-production"]
    assert one(sandbox, "aws_ecs_service")["enable_execute_command"] is True
    assert one(production, "aws_ecs_service")["enable_execute_command"] is False
    assert {g["retention_in_days"] for g in resources(sandbox, "aws_cloudwatch_log_group")} == {7}
    assert {g["retention_in_days"] for g in resources(production, "aws_cloudwatch_log_group")} == {90}
    assert one(production, "aws_appautoscaling_target")["min_capacity"] == 3


def test_worker_examples_are_arm64_without_load_balancer(example_stacks):
    for env in ("sandbox", "production"):
        stack = example_stacks[f"order-fulfilment-worker-{env}"]
        td = one(stack, "aws_ecs_task_definition")
        assert td["runtime_platform"]["cpu_architecture"] == "ARM64"
        assert resources(stack, "aws_lb_target_group") == []


def test_lambda_examples(example_stacks):
    api = one(example_stacks["price-api-production"], "aws_lambda_function")
    assert api["runtime"] == "nodejs22.x" and api["reserved_concurrent_executions"] == 200
    consumer = example_stacks["invoice-consumer-production"]
    assert one(consumer, "aws_lambda_function")["vpc_config"]["subnet_ids"]
    assert one(consumer, "aws_lambda_event_source_mapping")["maximum_batching_window_in_seconds"] == 5
    sandbox = one(example_stacks["invoice-consumer-sandbox"], "aws_lambda_function")
    assert sandbox["logging_config"]["system_log_level"] == "INFO"


def _normalized(stack: dict) -> dict:
    """Drop what depends on the machine (absolute state path) and cdktf's metadata."""
    stack = json.loads(json.dumps(stack))
    stack.pop("//", None)
    stack["terraform"].pop("backend", None)
    for items in stack.get("resource", {}).values():
        for res in items.values():
            res.pop("//", None)
    return stack


@pytest.mark.parametrize("name", sorted(STACKS | TEAM_STACKS))
def test_example_snapshot(example_stacks, name, snapshot):
    assert _normalized(example_stacks[name]) == snapshot


# ---- offline Terraform --------------------------------------------------------------

from conftest import MIRROR_CANDIDATES  # noqa: E402


@pytest.fixture(scope="session")
def terraform_dir(tmp_path_factory, terraform_bin, example_stacks) -> Path:
    """A working directory initialised offline from the local provider mirror."""
    from conftest import _require_tool

    mirror = next((Path(m) for m in MIRROR_CANDIDATES
                   if m and (Path(m) / "registry.terraform.io/hashicorp/aws").is_dir()), None)
    if mirror is None:
        _require_tool("a local mirror of hashicorp/aws",
                      "set GOLDEN_PATH_TF_MIRROR to a filesystem mirror directory")
    work = tmp_path_factory.mktemp("terraform")
    (work / "cli.tfrc").write_text(f"""
provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }}
}}
""")
    _write_for_terraform(work, next(iter(example_stacks.values())))
    result = _terraform(terraform_bin, work, "init", "-backend=false", "-input=false")
    assert result.returncode == 0, result.stdout + result.stderr
    return work


def _write_for_terraform(work: Path, stack: dict) -> None:
    stack = json.loads(json.dumps(stack))
    # Relaxed only here: cdktf pins the provider build it was generated from;
    # the mirror holds the version this machine has.
    stack["terraform"]["required_providers"]["aws"] = {"source": "hashicorp/aws",
                                                       "version": ">= 5.0"}
    stack["terraform"].pop("backend", None)
    (work / "main.tf.json").write_text(json.dumps(stack))


def _terraform(binary: str, work: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(work / "cli.tfrc"), "CHECKPOINT_DISABLE": "1",
           "TF_IN_AUTOMATION": "1"}
    return subprocess.run([binary, *args, "-no-color"], cwd=work, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.terraform
@pytest.mark.parametrize("name", sorted(STACKS | TEAM_STACKS))
def test_terraform_validate(terraform_bin, terraform_dir, example_stacks, name):
    _write_for_terraform(terraform_dir, example_stacks[name])
    result = _terraform(terraform_bin, terraform_dir, "validate", "-json")
    report = json.loads(result.stdout)
    assert report["valid"] is True, json.dumps(report["diagnostics"], indent=2)
    assert report["error_count"] == 0


@pytest.mark.terraform
def test_terraform_validate_catches_errors(terraform_bin, terraform_dir, example_stacks):
    """The validation is real: a broken attribute fails it."""
    stack = json.loads(json.dumps(example_stacks["storefront-sandbox"]))
    next(iter(stack["resource"]["aws_ecs_service"].values()))["launch_typo"] = "FARGATE"
    _write_for_terraform(terraform_dir, stack)
    report = json.loads(_terraform(terraform_bin, terraform_dir, "validate", "-json").stdout)
    assert report["valid"] is False
