"""Every kind of golden_path stack, applied to a local AWS emulator and destroyed again.

One moto server (``tests/emulator.py``), one platform built in it (production, account
444455556666, eu-west-1: production is where critical alarms page, so the team route
stack holds its PagerDuty subscription), one fleet of small fleet-form services
synthesized in-process. Per stack, in the harness's own copy (provider version relaxed,
emulator endpoints in an override file): a real ``terraform init`` with the stack's S3
backend as synthesized (only the emulator's endpoint and skip flags are passed with
``-backend-config``), ``apply``, the state lock observed while held, ``plan
-detailed-exitcode`` (0: no perpetual diff), ``destroy``, and then nothing the stack
created may be left in the emulator (production log groups with skip_destroy excepted,
as documented). After apply, the alarm gate (``golden-path gate``) reads one stack's
alarms from the emulator's CloudWatch: it passes, then stops once one of them is set to
ALARM. The stacks run a few at a time against the one emulator
(GOLDEN_PATH_LIFECYCLE_PARALLEL, default 3). ``make apply-local`` runs one of them by hand.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import apply_local as al
import pytest

import emulator as em
from conftest import MIRROR_CANDIDATES, _require_tool

pytestmark = [pytest.mark.synth, pytest.mark.terraform]

_LAMBDA = {"aws_lambda_function", "aws_lambda_function_recursion_config", "aws_iam_role",
           "aws_iam_role_policy", "aws_s3_object", "aws_cloudwatch_log_group",
           "aws_cloudwatch_log_data_protection_policy",
           "aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm",
           "aws_cloudwatch_dashboard"}
_FARGATE = {"aws_ecs_service", "aws_ecs_task_definition", "aws_security_group",
            "aws_vpc_security_group_egress_rule", "aws_iam_role", "aws_iam_role_policy",
            "aws_appautoscaling_target", "aws_appautoscaling_policy", "aws_ssm_parameter",
            "aws_cloudwatch_log_group", "aws_cloudwatch_log_data_protection_policy",
            "aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm",
            "aws_cloudwatch_dashboard", "aws_cloudwatch_event_rule"}  # the sidecar-exits rule
#: What each kind must have created (and had checked gone after destroy): proof the
#: fixture exercised the kind, not just an empty stack.
CREATED = {
    "fargate-web": _FARGATE | {"aws_lb_target_group", "aws_lb_listener_rule",
                               "aws_vpc_security_group_ingress_rule"},
    "fargate-worker": _FARGATE | {"aws_sqs_queue"},  # its own queue and DLQ (create: true)
    "lambda-sqs": _LAMBDA | {"aws_sqs_queue", "aws_lambda_event_source_mapping"},
    "lambda-http-api": _LAMBDA | {"aws_apigatewayv2_integration", "aws_apigatewayv2_route",
                                  "aws_lambda_permission"},
    "lambda-function-url": _LAMBDA | {"aws_lambda_function_url"},
    "lambda-schedule": _LAMBDA | {"aws_cloudwatch_event_rule", "aws_cloudwatch_event_target",
                                  "aws_lambda_permission"},
    "team-route": {"aws_sns_topic", "aws_sns_topic_subscription", "aws_kms_key", "aws_kms_alias"},
}


@pytest.fixture(scope="session")
def lifecycle_session(tmp_path_factory):
    for what, hint in em.missing_tools(MIRROR_CANDIDATES):
        _require_tool(what, hint)
    root = tmp_path_factory.mktemp("lifecycle")
    session = al.start_session(root, em.provider_mirror(MIRROR_CANDIDATES), em.terraform_binary())
    yield session
    session.emu.stop()


@pytest.fixture(scope="session")
def outcomes(lifecycle_session, request) -> dict[str, al.Outcome]:
    parallel = int(os.environ.get("GOLDEN_PATH_LIFECYCLE_PARALLEL", "3"))
    results = al.run_all(lifecycle_session, list(al.KINDS), parallel=parallel)
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nlifecycle against the emulator ({parallel} at a time), seconds per step:\n"
              + al.report(list(results.values())))
    return results


def _explain(o: al.Outcome) -> str:
    return (f"{o.stack} (timings {o.run.timings()}; logs in {o.run.work}; emulator log "
            f"{o.run.emu.log}):\n" + "\n".join(o.failures))


@pytest.mark.parametrize("kind", list(al.KINDS))
def test_init_apply_plan_destroy(outcomes, lifecycle_session, kind):
    o = outcomes[kind]
    assert not o.failures, _explain(o)
    p = lifecycle_session.platform
    # The state object is in the emulator's state bucket under the stack's key, encrypted
    # with the platform's state key.
    key = o.run.backend["key"]
    assert o.run.backend["bucket"] == p.state_bucket
    if kind == "team-route":
        assert key.startswith(f"golden-path/{p.environment}/{em.TEAM}/")
    else:
        assert key == f"golden-path/{p.environment}/{em.TEAM}/{al.KINDS[kind]}.tfstate"
    assert o.state_object == {"key": key, "encryption": "aws:kms", "kms_key": p.state_kms_alias}
    # The lock file was there while Terraform held the lock, kept a second run out, and
    # is gone once released.
    assert o.lock["lock_key"] == f"{key}.tflock"
    assert o.lock.get("held", {}).get("Path") == f"{p.state_bucket}/{key}", o.lock
    code, output = o.lock["second_operation"]
    assert code != 0 and "Error acquiring the state lock" in output, output
    assert o.lock["after"] is False, "the lock file outlived the operation"
    # Destroyed: the state is empty and nothing the stack created is left.
    assert o.state_after_destroy == []
    left = [x for x in o.left if not x.gone and not x.kept_on_purpose]
    assert left == [], _explain(o)
    kept = [x for x in o.left if not x.gone]
    assert all(x.rtype == "aws_cloudwatch_log_group" for x in kept), kept
    assert not kept or p.environment == "production"  # skip_destroy is production's only
    assert CREATED[kind] <= {x.rtype for x in o.left}, sorted({x.rtype for x in o.left})


def test_team_route_pages_the_pagerduty_url_from_secrets_manager(outcomes, lifecycle_session):
    o = outcomes["team-route"]
    assert not o.failures, _explain(o)
    subs = {r["values"]["protocol"]: r["values"] for r in o.applied
            if r["type"] == "aws_sns_topic_subscription"}
    assert subs["https"]["endpoint"] == lifecycle_session.platform.pagerduty_url
    assert subs["https"]["topic_arn"].endswith(f":golden-path-{em.TEAM}-production-page")
    assert subs["email"]["endpoint"] == f"{em.TEAM}-oncall@example.com"
    # Both topics are encrypted with the route's own key, which CloudWatch may use.
    (key,) = [r["values"] for r in o.applied if r["type"] == "aws_kms_key"]
    assert {r["values"]["kms_master_key_id"] for r in o.applied
            if r["type"] == "aws_sns_topic"} == {key["arn"]}
    publish = json.loads(key["policy"])["Statement"][1]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}


def test_the_pseudonym_key_is_never_in_a_synthesized_file_or_a_state(outcomes, lifecycle_session):
    key = lifecycle_session.platform.pseudonym_key
    arn = lifecycle_session.platform.pseudonym_key_secret_arn
    synthesized = {p: p.read_text() for d in lifecycle_session.stacks.values()
                   for p in Path(d).rglob("*.json")}
    assert synthesized and not [p for p, text in synthesized.items() if key in text]
    # The services do name the secret: the sidecar's environment, the layer's config.
    assert any(arn in text for text in synthesized.values())
    for o in outcomes.values():
        assert not o.failures, _explain(o)
        assert key not in json.dumps(o.applied)


def test_log_groups_are_encrypted_with_the_platform_logs_key(outcomes, lifecycle_session):
    for kind, o in outcomes.items():
        assert not o.failures, _explain(o)
        groups = [r["values"] for r in o.applied if r["type"] == "aws_cloudwatch_log_group"]
        assert kind == "team-route" or groups
        assert all(g["kms_key_id"] == lifecycle_session.platform.logs_kms_key_arn for g in groups)


def test_functions_use_the_published_opentelemetry_layers(outcomes, lifecycle_session):
    for kind in al.KINDS:
        if not kind.startswith("lambda-"):
            continue
        o = outcomes[kind]
        assert not o.failures, _explain(o)
        (fn,) = [r["values"] for r in o.applied if r["type"] == "aws_lambda_function"]
        assert fn["layers"] and all(f":{em.LAYER_PUBLISHER}:layer:opentelemetry-" in arn
                                    for arn in fn["layers"])
        assert {arn.rsplit(":", 1)[0] for arn in fn["layers"]} <= set(lifecycle_session.layers)


def test_the_platform_is_left_as_it_was(outcomes, lifecycle_session):
    """After every destroy the account holds the platform and nothing of the services
    (skip_destroy log groups excepted); the state backend assumed its role."""
    assert all(not o.failures for o in outcomes.values()), [k for k, o in outcomes.items()
                                                            if o.failures]
    emu, p = lifecycle_session.emu, lifecycle_session.platform
    c = lambda service: emu.client(service, p.account)  # noqa: E731
    rules = c("elbv2").describe_rules(ListenerArn=p.listener_arn)["Rules"]
    assert [r["IsDefault"] for r in rules] == [True]
    assert c("ecs").describe_clusters(clusters=["main"])["clusters"][0]["status"] == "ACTIVE"
    services = c("ecs").describe_services(
        cluster="main", services=[al.KINDS[k] + "-production" for k in ("fargate-web", "fargate-worker")])
    assert {s["status"] for s in services["services"]} <= {"INACTIVE"}
    assert c("apigatewayv2").get_routes(ApiId=p.api_id)["Items"] == []
    assert c("apigatewayv2").get_integrations(ApiId=p.api_id)["Items"] == []
    assert c("apigatewayv2").get_authorizer(ApiId=p.api_id, AuthorizerId=p.authorizer_id)
    assert c("sqs").get_queue_url(QueueName="fulfilment")["QueueUrl"]
    assert c("sqs").list_queues().get("QueueUrls", []) == [
        c("sqs").get_queue_url(QueueName="fulfilment")["QueueUrl"]]
    assert c("s3").list_objects_v2(Bucket=p.config_bucket)["KeyCount"] == 0
    state_keys = {o["Key"] for o in c("s3").list_objects_v2(Bucket=p.state_bucket)["Contents"]}
    assert state_keys == {o.run.backend["key"] for o in outcomes.values()}  # no .tflock left
    assert c("lambda").list_functions()["Functions"] == []
    assert c("sns").list_topics()["Topics"] == []
    assert c("events").list_rules()["Rules"] == []
    assert c("cloudwatch").describe_alarms()["MetricAlarms"] == []
    assert c("cloudwatch").describe_alarms(AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []
    assert c("cloudwatch").list_dashboards()["DashboardEntries"] == []
    assert c("ssm").describe_parameters()["Parameters"] == []
    assert c("elbv2").describe_target_groups()["TargetGroups"] == []
    roles = {r["RoleName"] for r in c("iam").list_roles()["Roles"]}
    assert roles == {"golden-path-state"}
    assert c("iam").get_role(RoleName="golden-path-state")["Role"]["RoleLastUsed"].get("LastUsedDate")
    groups = {g["GroupId"] for g in c("ec2").describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [p.vpc_id]}])["SecurityGroups"] if g["GroupName"] != "default"}
    assert groups == {p.alb_security_group_id, p.database_security_group_id}
    kept = {x.what.removeprefix("log group ") for o in outcomes.values() for x in o.left
            if x.kept_on_purpose}
    logs = {g["logGroupName"] for g in c("logs").describe_log_groups()["logGroups"]}
    assert logs == kept


def test_every_emulator_patch_is_a_listed_gap():
    """The docs' table (emulator.GAPS) and the patched server stay in step."""
    import emulator_server

    patched = {p.__name__ for p in emulator_server.PATCHES} - {"_log_errors"}
    assert patched == {g.patch for g in em.GAPS if g.patch}
    readme = (Path(__file__).parents[2] / "docs" / "reference" / "emulator-gaps.md").read_text()
    assert em.gaps_markdown() in readme


def test_the_provider_refuses_credentials_of_another_account(outcomes, lifecycle_session):
    """allowed_account_ids holds against the emulator: the sandbox account's key is refused."""
    done = outcomes["team-route"].run
    assert not outcomes["team-route"].failures, _explain(outcomes["team-route"])
    other = al.StackRun(done.emu, done.terraform, done.cli_config, done.source, done.work,
                        account="111122223333")
    step = other.run("plan in another account", "plan", "-lock=false", "-input=false")
    assert step.returncode == 1
    assert "111122223333" in step.output and "not allowed" in step.output, step.output



def test_drift_reports_exactly_what_changed_behind_terraforms_back(outcomes, lifecycle_session,
                                                                   capsys):
    """Every stack's ``terraform plan -json`` after apply, as the drift workflow collects
    them; the lambda-sqs stack had its throttles alarm's threshold and its queue's
    visibility timeout changed with boto3 (apply_local.DRIFT). ``golden-path drift``
    must name exactly those two, with both values, and nothing on the other stacks."""
    from golden_path.cli import main

    assert all(not o.failures for o in outcomes.values()), [k for k, o in outcomes.items()
                                                            if o.failures]
    plans = [str(o.drift_plan) for o in outcomes.values()]
    capsys.readouterr()
    assert main(["drift", *plans, "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    drifted = {s["stack"]: s["resources"] for s in report["stacks"] if s["resources"]}
    target = al.stack_name("lambda-sqs")
    assert set(drifted) == {target} and report["drifted_stacks"] == 1
    found = {(r["type"], r["attribute"]): (r["aws"], r["main"]) for r in drifted[target]}
    assert set(found) == {("aws_cloudwatch_metric_alarm", "threshold"),
                          ("aws_sqs_queue", "visibility_timeout_seconds")}
    aws, main_value = found[("aws_cloudwatch_metric_alarm", "threshold")]
    assert aws == main_value + 5
    aws, main_value = found[("aws_sqs_queue", "visibility_timeout_seconds")]
    assert aws == main_value + 60
    # The untouched stacks, alone: no drift, exit 0.
    others = [str(o.drift_plan) for k, o in outcomes.items() if k != "lambda-sqs"]
    assert main(["drift", *others, "--format", "json"]) == 0


def test_the_alarm_gate_passes_then_stops_on_an_alarm_of_the_applied_stack(outcomes):
    """``golden-path gate`` after apply, as apply-stack.yml runs it after a wave: a fresh
    process with the account's credentials, the alarm names read from the synthesized
    stack, their state from the emulator's CloudWatch (apply_local._gate)."""
    o = outcomes[al.GATE]
    assert not o.failures, _explain(o)
    stack = json.loads((o.run.source / "cdk.tf.json").read_text())
    alarms = sorted(a["alarm_name"] for rtype in ("aws_cloudwatch_metric_alarm",
                                                  "aws_cloudwatch_composite_alarm")
                    for a in stack["resource"].get(rtype, {}).values())
    assert len(alarms) >= 3 and o.gate_alarm in alarms
    (passed, first), (stopped, second) = o.gate
    assert passed == 0, first
    assert first.startswith(f"gate: {len(alarms)} alarm(s) of 1 stack(s): ") and "not found" not in first
    assert "gate: wave 1 passed; the rollout goes on" in first
    assert stopped == 1, second
    assert "gate: STOP: the rollout stops after wave 1\n1 alarm(s) in ALARM:\n" in second
    assert f"  {o.gate_alarm} (stack {o.stack}) since " in second
    assert second.split(f"  {o.gate_alarm} (stack {o.stack}) since ")[1].split("\n")[0].endswith(
        f": {al.GATE_REASON}")
    assert "re-run the apply workflow from wave 1" in second
