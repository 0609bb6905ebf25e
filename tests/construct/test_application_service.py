"""ApplicationService synthesized in-process: resources and their properties."""

from __future__ import annotations

import json

import pytest

from ecs_shape import register_task_definition_errors
from golden_path import ServiceSpec, SpecError
from tfjson import containers, one, resources, role_policy, statements_by_sid

pytestmark = pytest.mark.synth

TAGS = {"team": "payments", "service": "billing-api", "environment": "staging",
        "managed-by": "golden-path"}


@pytest.fixture(scope="module")
def web_stack(synth_stack):
    from conftest import VALID_WEB

    return synth_stack(VALID_WEB)


@pytest.fixture(scope="module")
def worker_stack(synth_stack):
    from conftest import VALID_WORKER

    return synth_stack({**VALID_WORKER, "environment": "production",
                        "alerts": {"runbook": "https://runbooks.example.com/billing-worker"}})


def test_web_creates_the_expected_resources(web_stack):
    counts = {t: len(r) for t, r in web_stack["resource"].items()}
    assert counts == {
        "aws_appautoscaling_policy": 1,
        "aws_appautoscaling_target": 1,
        "aws_cloudwatch_dashboard": 1,
        # 9 + requests-anomaly + collector-refusing-data + sidecar-restarts, and the SLO's
        # 8 burn-rate windows for each of its 2 objectives (docs/slo.md)
        "aws_cloudwatch_metric_alarm": 12 + 16,
        "aws_cloudwatch_composite_alarm": 4,  # page and ticket per objective
        "aws_cloudwatch_event_rule": 1,  # sidecar exits
        "aws_cloudwatch_log_group": 3,
        "aws_cloudwatch_log_data_protection_policy": 3,
        "aws_ecs_service": 1,
        "aws_ecs_task_definition": 1,
        "aws_iam_role": 2,
        "aws_iam_role_policy": 2,
        "aws_lb_listener_rule": 1,
        "aws_lb_target_group": 1,
        "aws_security_group": 1,
        "aws_ssm_parameter": 3,
        "aws_vpc_security_group_egress_rule": 1,
        "aws_vpc_security_group_ingress_rule": 1,
    }


def test_every_taggable_resource_is_tagged(web_stack, worker_stack):
    for stack, env in ((web_stack, "staging"), (worker_stack, "production")):
        for rtype, items in stack["resource"].items():
            if rtype in ("aws_iam_role_policy", "aws_appautoscaling_policy",
                         "aws_cloudwatch_dashboard", "aws_cloudwatch_log_data_protection_policy"):
                continue  # these resources have no tags in the AWS API
            for res in items.values():
                assert res["tags"]["team"] == "payments", rtype
                assert res["tags"]["environment"] == env, rtype
                assert res["tags"]["managed-by"] == "golden-path", rtype


def test_ecs_service_deploys_safely(web_stack):
    svc = one(web_stack, "aws_ecs_service")
    assert svc["name"] == "billing-api-staging"
    assert svc["launch_type"] == "FARGATE"
    assert svc["deployment_circuit_breaker"] == {"enable": True, "rollback": True}
    assert svc["propagate_tags"] == "SERVICE"
    assert svc["enable_execute_command"] is True  # staging default
    assert svc["network_configuration"]["assign_public_ip"] is False
    assert svc["lifecycle"] == {"ignore_changes": ["desired_count"]}
    assert svc["load_balancer"][0]["container_name"] == "app"
    assert svc["load_balancer"][0]["container_port"] == 8000


def test_task_definition(web_stack):
    td = one(web_stack, "aws_ecs_task_definition")
    assert (td["cpu"], td["memory"], td["network_mode"]) == ("512", "1024", "awsvpc")
    assert td["requires_compatibilities"] == ["FARGATE"]
    assert td["volume"] == [{"name": "telemetry"}, {"name": "tmp"}]
    defs = list(containers(web_stack).values())
    assert [c["name"] for c in defs] == ["telemetry-init", "otel-collector", "log_router", "app"]
    assert register_task_definition_errors(defs, cpu=512, memory=1024,
                                           volumes=["telemetry", "tmp"]) == ""


def test_load_balancer_target_and_rule(web_stack):
    tg = one(web_stack, "aws_lb_target_group")
    assert (tg["name"], tg["port"], tg["target_type"]) == ("billing-api-staging", 8000, "ip")
    assert tg["health_check"]["path"] == "/healthz"
    rule = one(web_stack, "aws_lb_listener_rule")
    assert rule["priority"] == 10
    assert rule["condition"] == [{"host_header": {"values": ["billing.example.com"]}}]
    assert rule["action"][0]["type"] == "forward"


def test_ingress_only_from_the_alb(web_stack):
    (ingress,) = resources(web_stack, "aws_vpc_security_group_ingress_rule")
    assert ingress["referenced_security_group_id"] == "sg-0123456789abcdef0"
    assert (ingress["from_port"], ingress["to_port"], ingress["ip_protocol"]) == (8000, 8000, "tcp")
    assert "cidr_ipv4" not in ingress


def test_log_groups_have_retention(web_stack):
    groups = {g["name"]: g for g in resources(web_stack, "aws_cloudwatch_log_group")}
    assert set(groups) == {f"/golden-path/staging/payments/billing-api/{n}"
                           for n in ("log-router", "otel-collector", "telemetry-metrics")}
    assert {g["retention_in_days"] for g in groups.values()} == {30}
    assert {g["skip_destroy"] for g in groups.values()} == {False}


def test_configs_are_readable_text_in_the_json(web_stack):
    params = {p["name"].rsplit("/", 1)[1]: p for p in resources(web_stack, "aws_ssm_parameter")}
    collector, router = params["otel-collector-config"], params["fluent-bit-config"]
    assert "awsemf/self:" in params["otel-collector-self-config"]["value"]
    assert collector["type"] == "String" and collector["tier"] == "Advanced"
    assert router["tier"] == "Standard"
    # Line by line in a diff, not base64 or one escaped blob.
    assert "    sampling_percentage: 10\n" in collector["value"]
    assert "    Grace                     30\n" in router["value"]
    # Terraform would read ${env:...} as its own interpolation: escaped in the JSON.
    assert "api-key: $${env:OTLP_API_KEY}" in collector["value"]
    assert "$${1}****" in collector["value"]


def test_roles(web_stack):
    roles = {r["name"]: r for r in resources(web_stack, "aws_iam_role")}
    assert set(roles) == {"billing-api-staging-task", "billing-api-staging-execution"}
    trust = json.loads(roles["billing-api-staging-task"]["assume_role_policy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    task = statements_by_sid(role_policy(web_stack, "task"))
    assert set(task) == {"TelemetrySelfMetrics", "EcsExec", "ReadInvoices"}
    execution = statements_by_sid(role_policy(web_stack, "execution"))
    assert set(execution) == {"PullAppImage", "EcrLogin", "SidecarLogs", "InjectSecrets",
                              "InjectParameters"}


def test_outputs(web_stack):
    names = {o["description"].split(": ")[1] for o in web_stack["output"].values()}
    assert names == {"service_name", "task_definition_arn", "task_role_arn",
                     "execution_role_arn", "security_group_id", "router_log_group",
                     "collector_log_group", "collector_config_parameter",
                     "router_config_parameter", "target_group_arn"}


def test_provider_is_pinned_to_the_cluster_account(web_stack):
    (provider,) = web_stack["provider"]["aws"]
    assert provider == {"region": "eu-west-1", "allowed_account_ids": ["123456789012"]}


def test_worker_has_no_load_balancer_and_no_ingress(worker_stack):
    for rtype in ("aws_lb_target_group", "aws_lb_listener_rule",
                  "aws_vpc_security_group_ingress_rule"):
        assert resources(worker_stack, rtype) == []
    assert "load_balancer" not in one(worker_stack, "aws_ecs_service")


def test_worker_scales_on_queue_backlog_per_task(worker_stack):
    policies = {p["name"]: p for p in resources(worker_stack, "aws_appautoscaling_policy")}
    assert set(policies) == {"billing-worker-production-cpu",
                             "billing-worker-production-queue-backlog"}
    config = policies["billing-worker-production-queue-backlog"][
        "target_tracking_scaling_policy_configuration"]
    assert config["target_value"] == 20
    metrics = {m["id"]: m for m in config["customized_metric_specification"]["metrics"]}
    assert metrics["visible"]["metric_stat"]["metric"]["dimensions"] == [
        {"name": "QueueName", "value": "invoices"}]
    assert metrics["backlog_per_task"]["expression"] == "IF(tasks > 0, visible / tasks, visible)"
    assert metrics["backlog_per_task"]["return_data"] is True
    target = one(worker_stack, "aws_appautoscaling_target")
    assert (target["min_capacity"], target["max_capacity"]) == (2, 10)


def test_production_keeps_logs_and_disables_exec(worker_stack):
    assert {g["skip_destroy"] for g in resources(worker_stack, "aws_cloudwatch_log_group")} == {True}
    assert {g["retention_in_days"] for g in resources(worker_stack, "aws_cloudwatch_log_group")} == {90}
    assert one(worker_stack, "aws_ecs_service")["enable_execute_command"] is False


def test_terraform_syntax_in_values_is_escaped(synth_stack, web):
    web["variables"]["GREETING"] = "hello ${name} %{if x}"
    stack = synth_stack(web)
    raw = one(stack, "aws_ecs_task_definition")["container_definitions"]
    assert "hello $${name} %%{if x}" in raw


def test_bad_python_arguments_raise_spec_error(synth_stack, web):
    web["memory"] = 3
    with pytest.raises(SpecError) as caught:
        synth_stack(web)
    assert caught.value.field == "memory"


def test_application_service_in_a_team_stack(web):
    """The L3 inside a team's own stack, from a ServiceSpec, exposing its parts."""
    from golden_path import ApplicationService
    from golden_path.cdk import AwsProvider, TerraformStack, Testing

    stack = TerraformStack(Testing.app(), "team-stack")
    AwsProvider(stack, "aws", region="eu-west-1")
    svc = ApplicationService(stack, "billing", ServiceSpec.parse(web))
    assert svc.resolved.names.service == "billing-api-staging"
    assert svc.load_balancer_target is not None and svc.autoscaling.queue_policy is None
    synthesized = json.loads(Testing.synth(stack))
    assert one(synthesized, "aws_ecs_service")["name"] == "billing-api-staging"


def test_alarms_in_the_stack(web_stack):
    alarms = {a["alarm_name"]: a for a in resources(web_stack, "aws_cloudwatch_metric_alarm")}
    rate = alarms["staging-payments-billing-api-http-5xx-rate"]
    queries = {q["id"]: q for q in rate["metric_query"]}
    # The target group dimension is the Terraform value of the group this stack creates.
    assert queries["errors"]["metric"]["dimensions"]["TargetGroup"].startswith(
        "${aws_lb_target_group.")
    assert queries["result"]["return_data"] is True
    assert rate["alarm_actions"] == [
        "arn:aws:sns:eu-west-1:123456789012:golden-path-payments-staging-notify"]
    assert rate["tags"]["severity"] == "critical"
    latency = alarms["staging-payments-billing-api-latency-p99"]
    assert (latency["extended_statistic"], latency["threshold"]) == ("p99", 2)
    dashboard = one(web_stack, "aws_cloudwatch_dashboard")
    assert dashboard["dashboard_name"] == "billing-api-staging"
    body = json.loads(dashboard["dashboard_body"])
    # Every alarm in the status widget: 12 golden signals, 16 SLO windows, 4 composites.
    assert len(body["widgets"][1]["properties"]["alarms"]) == 12 + 16 + 4


def _band(alarm: dict) -> tuple[str, dict]:
    """(the band expression, the metric it watches) of an anomaly-band alarm."""
    assert alarm["threshold_metric_id"] == "band" and "threshold" not in alarm
    assert alarm["comparison_operator"] == "GreaterThanUpperThreshold"
    queries = {q["id"]: q for q in alarm["metric_query"]}
    (watched,) = [q for q in queries.values() if q.get("return_data")]
    return queries["band"]["expression"], watched["metric"]


def test_every_ecs_kind_has_a_request_rate_anomaly_alarm(web_stack, worker_stack):
    web = {a["alarm_name"]: a for a in resources(web_stack, "aws_cloudwatch_metric_alarm")}
    expression, metric = _band(web["staging-payments-billing-api-requests-anomaly"])
    assert expression == "ANOMALY_DETECTION_BAND(requests, 3)"
    assert (metric["metric_name"], metric["namespace"], metric["stat"], metric["period"]) == (
        "RequestCount", "AWS/ApplicationELB", "Sum", 300)
    assert metric["dimensions"]["TargetGroup"].startswith("${aws_lb_target_group.")
    worker = {a["alarm_name"]: a for a in resources(worker_stack, "aws_cloudwatch_metric_alarm")}
    (intake,) = [a for n, a in worker.items() if n.endswith("-intake-anomaly")]
    expression, metric = _band(intake)
    assert expression == "ANOMALY_DETECTION_BAND(messages, 3)"
    assert (metric["metric_name"], metric["namespace"]) == ("NumberOfMessagesSent", "AWS/SQS")
    assert intake["tags"]["severity"] == "warning"


@pytest.mark.parametrize("stack", ["web_stack", "worker_stack"])
def test_sidecars_restart_in_place_and_never_block_the_app(request, stack):
    synthesized = request.getfixturevalue(stack)
    c = containers(synthesized)
    assert {n: d["essential"] for n, d in c.items()} == {
        "telemetry-init": False, "otel-collector": False, "log_router": True, "app": True}
    for sidecar in ("otel-collector", "log_router"):
        assert c[sidecar]["restartPolicy"] == {"enabled": True, "restartAttemptPeriod": 60}
    assert c["app"]["logConfiguration"]["options"] == {"log-driver-buffer-limit": "16384"}
    assert "/api/v1/uptime" in c["log_router"]["healthCheck"]["command"][1]
    assert c["log_router"]["memoryReservation"] * 2 == c["log_router"]["memory"]
    # The rule that sees a sidecar exit, and the alarm on it, routed like the other
    # telemetry-pipeline alarms of the service.
    rule = one(synthesized, "aws_cloudwatch_event_rule")
    pattern = json.loads(rule["event_pattern"])
    assert pattern["detail-type"] == ["ECS Task State Change"]
    assert pattern["detail"]["group"] == [f"service:{rule['name'].removesuffix('-sidecar-exits')}"]
    alarms = {a["alarm_name"].rsplit("-", 2)[-2:][0] + "-" + a["alarm_name"].rsplit("-", 1)[-1]: a
              for a in resources(synthesized, "aws_cloudwatch_metric_alarm")}
    restarts, router = alarms["sidecar-restarts"], alarms["output-errors"]
    assert restarts["dimensions"] == {"RuleName": rule["name"]}
    assert (restarts["namespace"], restarts["metric_name"]) == ("AWS/Events", "MatchedEvents")
    assert restarts["alarm_actions"] == router["alarm_actions"]
