"""The examples (fleet form: platform.yaml, teams.yaml, services/*.yaml), synthesized once
by the real `cdktf synth`: shape, fleet-form wiring, snapshots, Terraform."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from ecs_shape import register_task_definition_errors
from tfjson import containers, normalized, one, resources, role_policy, statements_by_sid

pytestmark = pytest.mark.synth

ENVIRONMENTS = ("sandbox", "staging", "production")
ACCOUNTS = {"sandbox": "111122223333", "staging": "222233334444", "production": "444455556666"}
REGION = "eu-west-1"
SERVICES = ("storefront", "order-fulfilment-worker", "price-api", "invoice-consumer")
LAMBDAS = ("price-api", "invoice-consumer")
#: Every service file deploys to all three environments.
STACKS = {f"{name}-{env}" for name in SERVICES for env in ENVIRONMENTS}
TEAM_STACKS = {
    # checkout (storefront, order-fulfilment-worker) and billing (invoice-consumer) notify
    # through topics golden_path creates; only production's route also holds the page
    # topic. In sandbox only storefront asks to be notified (notify_in_sandbox): billing's
    # sandbox route would be a topic nothing publishes to, so it has no stack.
    *(f"team-{team}-{env}-{ACCOUNTS[env]}-{REGION}"
      for team in ("checkout", "billing") for env in ENVIRONMENTS
      if (team, env) != ("billing", "sandbox")),
    # pricing's sandbox and staging routes need nothing: its notify topic exists
    # (existing_topic: pricing-alerts) and neither environment pages.
    f"team-pricing-production-{ACCOUNTS['production']}-{REGION}",
}
ECS_STACKS = sorted(s for s in STACKS if not s.startswith(LAMBDAS))
LAMBDA_STACKS = sorted(s for s in STACKS if s.startswith(LAMBDAS))


def _env(stack_name: str) -> str:
    return next(e for e in ENVIRONMENTS if stack_name.endswith(f"-{e}") or f"-{e}-" in stack_name)


@pytest.fixture(scope="module")
def platform() -> dict:
    from conftest import EXAMPLES

    return yaml.safe_load((EXAMPLES / "platform.yaml").read_text())


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
    for env in ("sandbox", "staging"):  # notify only: neither environment pages
        stack = example_stacks[f"team-checkout-{env}-{ACCOUNTS[env]}-eu-west-1"]
        assert {t["name"] for t in resources(stack, "aws_sns_topic")} == {
            f"golden-path-checkout-{env}-notify"}
        assert {s["protocol"] for s in resources(stack, "aws_sns_topic_subscription")} == {"email"}
    billing = example_stacks["team-billing-staging-222233334444-eu-west-1"]
    assert sorted(s["endpoint"] for s in resources(billing, "aws_sns_topic_subscription")) == [
        "billing-oncall@example.com", "billing-team@example.com"]
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
    # The production override clears the shared notify_in_sandbox; it only matters in sandbox.
    # An SLO's window alarms carry no actions: its composites (page, ticket) route instead.
    def routed(stack: str) -> list[dict]:
        alarms = resources(example_stacks[stack], "aws_cloudwatch_metric_alarm")
        windows = [a for a in alarms if "-slo-" in a["alarm_name"]]
        assert windows and not any(a.get("alarm_actions") for a in windows)
        return [a for a in alarms if a not in windows] + resources(
            example_stacks[stack], "aws_cloudwatch_composite_alarm")

    sandbox = routed("storefront-sandbox")
    assert sandbox and all(a["alarm_actions"] == [
        "arn:aws:sns:eu-west-1:111122223333:golden-path-checkout-sandbox-notify"] for a in sandbox)
    # Staging notifies, never pages.
    staging = routed("storefront-staging")
    assert staging and all(a["alarm_actions"] == [
        "arn:aws:sns:eu-west-1:222233334444:golden-path-checkout-staging-notify"] for a in staging)
    pricing = routed("price-api-staging")
    assert pricing and all(a["alarm_actions"] == ["arn:aws:sns:eu-west-1:222233334444:pricing-alerts"]
                           for a in pricing)
    worker = {a["alarm_name"] for a in resources(
        example_stacks["order-fulfilment-worker-production"], "aws_cloudwatch_metric_alarm")}
    assert "production-checkout-order-fulfilment-worker-cpu-high" not in worker
    assert "staging-checkout-order-fulfilment-worker-cpu-high" in {
        a["alarm_name"] for a in resources(example_stacks["order-fulfilment-worker-staging"],
                                           "aws_cloudwatch_metric_alarm")}
    invoices = resources(example_stacks["invoice-consumer-sandbox"], "aws_cloudwatch_metric_alarm")
    assert invoices and all(a["alarm_actions"] == [] for a in invoices)
    booked = {a["alarm_name"] for a in resources(example_stacks["invoice-consumer-production"],
                                                 "aws_cloudwatch_metric_alarm")}
    assert "production-billing-invoice-consumer-invoices-not-booked" in booked
    assert not any(a["alarm_name"].endswith("invoices-not-booked") for a in resources(
        example_stacks["invoice-consumer-staging"], "aws_cloudwatch_metric_alarm"))


@pytest.mark.parametrize("name", ECS_STACKS)
def test_container_definitions_are_valid_ecs_input(example_stacks, name):
    stack = example_stacks[name]
    td = one(stack, "aws_ecs_task_definition")
    defs = list(containers(stack).values())
    assert register_task_definition_errors(
        defs, family=td["family"], cpu=td["cpu"], memory=td["memory"],
        volumes=[v["name"] for v in td["volume"]]) == ""


def test_environment_differences(example_stacks):
    sandbox, staging, production = (example_stacks[f"storefront-{env}"] for env in ENVIRONMENTS)
    assert one(sandbox, "aws_ecs_service")["enable_execute_command"] is True
    assert one(staging, "aws_ecs_service")["enable_execute_command"] is True
    assert one(production, "aws_ecs_service")["enable_execute_command"] is False
    assert {g["retention_in_days"] for g in resources(sandbox, "aws_cloudwatch_log_group")} == {7}
    assert {g["retention_in_days"] for g in resources(staging, "aws_cloudwatch_log_group")} == {30}
    assert {g["retention_in_days"] for g in resources(production, "aws_cloudwatch_log_group")} == {90}
    scaling = {env: one(example_stacks[f"storefront-{env}"], "aws_appautoscaling_target")
               for env in ENVIRONMENTS}
    assert {env: (t["min_capacity"], t["max_capacity"]) for env, t in scaling.items()} == {
        "sandbox": (1, 2), "staging": (1, 4), "production": (3, 12)}
    # Shared size in sandbox and staging; production's override.
    sizes = {env: (one(example_stacks[f"storefront-{env}"], "aws_ecs_task_definition")["cpu"],
                   one(example_stacks[f"storefront-{env}"], "aws_ecs_task_definition")["memory"])
             for env in ENVIRONMENTS}
    assert sizes["sandbox"] == sizes["staging"] == ("512", "1024")
    assert sizes["production"] == ("1024", "2048")
    # One image, built once and promoted.
    assert {containers(example_stacks[f"storefront-{env}"])["app"]["image"] for env in ENVIRONMENTS} == {
        "999988887777.dkr.ecr.eu-west-1.amazonaws.com/storefront:2024.11.3"}


def test_worker_examples_are_arm64_without_load_balancer(example_stacks):
    for env in ENVIRONMENTS:
        stack = example_stacks[f"order-fulfilment-worker-{env}"]
        td = one(stack, "aws_ecs_task_definition")
        assert td["runtime_platform"]["cpu_architecture"] == "ARM64"
        assert resources(stack, "aws_lb_target_group") == []
        assert resources(stack, "aws_lb_listener_rule") == []


def test_lambda_examples(example_stacks):
    api = one(example_stacks["price-api-production"], "aws_lambda_function")
    assert api["runtime"] == "nodejs22.x" and api["reserved_concurrent_executions"] == 200
    assert api["memory_size"] == 1024
    staging_api = one(example_stacks["price-api-staging"], "aws_lambda_function")
    assert staging_api["memory_size"] == 512 and "reserved_concurrent_executions" not in staging_api
    assert staging_api["environment"]["variables"]["PRICE_TABLE"] == "prices-staging"
    consumer = example_stacks["invoice-consumer-production"]
    # The production override names only its security group; the subnets are the platform's.
    assert one(consumer, "aws_lambda_function")["vpc_config"] == {
        "security_group_ids": ["sg-0f1e2d3c4b5a60db1"],
        "subnet_ids": ["subnet-0f1e2d3c4b5a60001", "subnet-0f1e2d3c4b5a60002",
                       "subnet-0f1e2d3c4b5a60003"]}
    assert one(consumer, "aws_lambda_event_source_mapping")["maximum_batching_window_in_seconds"] == 5
    for env in ("sandbox", "staging"):
        stack = example_stacks[f"invoice-consumer-{env}"]
        assert "vpc_config" not in one(stack, "aws_lambda_function")
        assert one(stack, "aws_lambda_event_source_mapping")["batch_size"] == 10
    sandbox = one(example_stacks["invoice-consumer-sandbox"], "aws_lambda_function")
    assert sandbox["logging_config"]["system_log_level"] == "INFO"


# ---- the fleet form: platform.yaml's values in every stack ---------------------------------

@pytest.mark.parametrize("name", sorted(STACKS))
def test_every_role_carries_the_environment_boundary(example_stacks, name):
    roles = resources(example_stacks[name], "aws_iam_role")
    assert roles
    boundary = f"arn:aws:iam::{ACCOUNTS[_env(name)]}:policy/golden-path-boundary"
    assert {r["name"]: r.get("permissions_boundary") for r in roles} == {
        r["name"]: boundary for r in roles}


@pytest.mark.parametrize("name", sorted(STACKS | TEAM_STACKS))
def test_provider_has_the_platform_default_tags(example_stacks, platform, name):
    (provider,) = example_stacks[name]["provider"]["aws"]
    assert provider["default_tags"] == [{"tags": platform["defaults"]["default_tags"]}]
    assert provider["default_tags"] == [{"tags": {"cost-center": "product-engineering",
                                                  "owner": "platform-team"}}]
    assert provider["allowed_account_ids"] == [ACCOUNTS[_env(name)]]
    assert provider["region"] == REGION


@pytest.mark.parametrize("name", LAMBDA_STACKS)
def test_every_function_has_a_terminate_recursion_guard(example_stacks, name):
    stack = example_stacks[name]
    functions = stack["resource"]["aws_lambda_function"]
    guards = resources(stack, "aws_lambda_function_recursion_config")
    assert len(guards) == len(functions) == 1
    (key,) = functions
    assert guards[0]["function_name"] == f"${{aws_lambda_function.{key}.function_name}}"
    assert guards[0]["recursive_loop"] == "Terminate"


@pytest.mark.parametrize("name", sorted(STACKS | TEAM_STACKS))
def test_placeholders_are_substituted(example_stacks, name):
    text = json.dumps(example_stacks[name])
    assert [p for p in ("{account}", "{region}", "{environment}") if p in text] == []


def test_placeholder_values_per_environment(example_stacks):
    from conftest import EXAMPLES
    from golden_path import load_service

    web = containers(example_stacks["storefront-staging"])["app"]
    assert {e["name"]: e["value"] for e in web["environment"]}["DJANGO_SETTINGS_MODULE"] == (
        "storefront.settings.staging")
    assert {s["name"]: s["valueFrom"] for s in web["secrets"]}["DJANGO_SECRET_KEY"] == (
        "arn:aws:ssm:eu-west-1:222233334444:parameter/storefront/django-secret-key")
    assert statements_by_sid(role_policy(example_stacks["storefront-staging"], "task"))[
        "QueueFulfilment"]["Resource"] == ["arn:aws:sqs:eu-west-1:222233334444:fulfilment"]
    worker = example_stacks["order-fulfilment-worker-staging"]
    sids = statements_by_sid(role_policy(worker, "task"))
    assert sids["ConsumeQueue"]["Resource"] == ["arn:aws:sqs:eu-west-1:222233334444:fulfilment"]
    assert sids["RequestInvoices"]["Resource"] == [
        "arn:aws:sqs:eu-west-1:222233334444:invoice-consumer-staging"]
    # The queue scaling names the environment's queue; the stack holds its name.
    spec = load_service(EXAMPLES / "services" / "order-fulfilment-worker.yaml", environment="staging")
    assert spec.scaling.queue.arn == "arn:aws:sqs:eu-west-1:222233334444:fulfilment"
    backlog = next(p for p in resources(worker, "aws_appautoscaling_policy")
                   if p["name"].endswith("-queue-backlog"))
    visible = backlog["target_tracking_scaling_policy_configuration"][
        "customized_metric_specification"]["metrics"][0]["metric_stat"]["metric"]
    assert visible["dimensions"] == [{"name": "QueueName", "value": "fulfilment"}]
    assert backlog["target_tracking_scaling_policy_configuration"]["target_value"] == 50
    production = one(example_stacks["price-api-production"], "aws_lambda_function")
    assert production["environment"]["variables"]["PRICE_TABLE"] == "prices-production"
    assert statements_by_sid(role_policy(example_stacks["price-api-production"], "function"))[
        "ReadPrices"]["Resource"] == ["arn:aws:dynamodb:eu-west-1:444455556666:table/prices-production"]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_web_listener_rule_uses_the_platform_listener(example_stacks, platform, env):
    listener = platform["environments"][env]["listeners"]["public"]
    stack = example_stacks[f"storefront-{env}"]
    rule = one(stack, "aws_lb_listener_rule")
    assert rule["listener_arn"] == listener["arn"]
    assert f":{ACCOUNTS[env]}:listener/app/{env}-edge/" in rule["listener_arn"]
    assert rule["priority"] == 120
    # The platform's listener security group lets the load balancer reach the tasks.
    ingress = resources(stack, "aws_vpc_security_group_ingress_rule")
    assert {r.get("referenced_security_group_id") for r in ingress} == {listener["security_group_id"]}


# ---- state: S3 backend with locking, unique keys, no absolute paths --------------------

TEAMS = {"storefront": "checkout", "order-fulfilment-worker": "checkout", "price-api": "pricing",
         "invoice-consumer": "billing"}


@pytest.mark.parametrize("name", sorted(STACKS | TEAM_STACKS))
def test_every_stack_keeps_state_in_its_environment_bucket(example_stacks, name):
    env = _env(name)
    backend = example_stacks[name]["terraform"]["backend"]
    assert set(backend) == {"s3"}
    s3 = backend["s3"]
    assert s3["bucket"] == f"golden-path-state-{ACCOUNTS[env]}"
    assert (s3["encrypt"], s3["use_lockfile"], s3["region"]) == (True, True, REGION)
    assert "dynamodb_table" not in s3
    if name in STACKS:
        service = name.removesuffix(f"-{env}")
        assert s3["key"] == f"golden-path/{env}/{TEAMS[service]}/{service}.tfstate"
    else:
        team = name.split("-")[1]
        assert s3["key"] == f"golden-path/{env}/{team}/_routes/{ACCOUNTS[env]}-{REGION}.tfstate"
    # Only production's platform names a KMS key for the state.
    assert s3.get("kms_key_id") == ("arn:aws:kms:eu-west-1:444455556666:alias/golden-path-state"
                                    if env == "production" else None)


def test_state_keys_are_unique(example_stacks):
    keys = [(s["terraform"]["backend"]["s3"]["bucket"], s["terraform"]["backend"]["s3"]["key"])
            for s in example_stacks.values()]
    assert len(keys) == len(set(keys)) == len(STACKS | TEAM_STACKS)


def test_no_absolute_path_of_the_synth_machine(examples_out):
    """Nothing in any synthesized file points into the machine that ran synth."""
    from conftest import ROOT

    machine = [str(ROOT), str(examples_out.parent), str(Path.home())]
    files = [f for f in examples_out.rglob("*") if f.is_file()]
    assert len(files) > len(STACKS)
    for f in files:
        text = f.read_text(errors="replace")
        for prefix in machine:
            assert prefix not in text, f"{f.relative_to(examples_out)} contains {prefix}"


@pytest.mark.parametrize("name", sorted(STACKS | TEAM_STACKS))
def test_example_snapshot(example_stacks, name, snapshot):
    assert normalized(example_stacks[name]) == snapshot


# ---- offline Terraform --------------------------------------------------------------

from conftest import MIRROR_CANDIDATES  # noqa: E402


@pytest.fixture(scope="session")
def terraform_dir(tmp_path_factory, terraform_bin, example_stacks) -> Path:
    """A working directory initialised offline from the local provider mirror."""
    from conftest import _require_tool

    mirror = next((Path(m) for m in MIRROR_CANDIDATES
                   if m and (Path(m) / "registry.terraform.io/hashicorp/aws").is_dir()), None)
    if mirror is None:
        import emulator as em

        _require_tool("a local mirror of hashicorp/aws", em.mirror_hint(list(MIRROR_CANDIDATES)))
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
