"""Alerts: defaults per kind, routing matrix, overrides, team alarms, every error case."""

from __future__ import annotations

import pytest
import yaml

from golden_path import SpecError
from golden_path.alerts.dashboard import dashboard_body
from golden_path.alerts.registry import TeamRegistry
from golden_path.alerts.resolve import resolve_alarms, routes
from golden_path.load.service_file import parse_service
from golden_path.resolve import resolve
from golden_path.resolve.lambda_ import resolve_function

ACCT = "123456789012"
NOTIFY = "arn:aws:sns:eu-west-1:123456789012:golden-path-{team}-{env}-notify"
PAGE = "arn:aws:sns:eu-west-1:123456789012:golden-path-{team}-{env}-page"


def alarms_of(spec: dict, teams=None):
    parsed = parse_service(spec)
    service = resolve_function(parsed) if spec.get("runtime") == "lambda" else resolve(parsed)
    return {a.signal: a for a in resolve_alarms(service, teams) if a.source != "slo"}


def prod(spec: dict) -> dict:
    spec["environment"] = "production"
    if spec.get("runtime") != "lambda":
        spec["scaling"] = {**spec.get("scaling", {}), "min": 2}
    spec["alerts"] = {"runbook": "https://runbooks.example.com/x"}
    return spec


# ---- routing matrix --------------------------------------------------------------------

@pytest.mark.parametrize(("env", "severity", "expected"), [
    ("production", "critical", ("page", "notify")),
    ("production", "warning", ("notify",)),
    ("production", "info", ()),
    ("staging", "critical", ("notify",)),
    ("staging", "warning", ("notify",)),
    ("staging", "info", ()),
    ("sandbox", "critical", ()),
    ("sandbox", "warning", ()),
    ("sandbox", "info", ()),
])
def test_routing_matrix(env, severity, expected):
    assert routes(env, severity) == expected


def test_sandbox_notifies_only_when_asked():
    assert routes("sandbox", "critical", notify_in_sandbox=True) == ("notify",)
    assert routes("sandbox", "info", notify_in_sandbox=True) == ()


def test_actions_are_topic_arns_and_ok_actions_match(web, teams):
    a = alarms_of(prod(web), teams)
    assert a["http-5xx-rate"].actions == (PAGE.format(team="payments", env="production"),
                                          NOTIFY.format(team="payments", env="production"))
    assert a["cpu-high"].actions == (NOTIFY.format(team="payments", env="production"),)
    assert a["http-5xx-rate"].pages and not a["cpu-high"].pages


def test_staging_never_pages(web, teams):
    assert not any(a.pages for a in alarms_of(web, teams).values())


def test_existing_notify_topic_is_used(fn, teams):
    fn["team"] = "pricing"
    a = alarms_of(fn, teams)
    assert a["throttles"].actions == ("arn:aws:sns:eu-west-1:123456789012:pricing-alerts",)


# ---- defaults per kind ------------------------------------------------------------------

PIPELINE = ("collector-export-failures", "collector-queue-near-capacity", "collector-refusing-data",
            "router-output-errors")


def test_telemetry_pipeline_defaults(web):
    a = alarms_of(web)
    failures = a["collector-export-failures"].definition
    assert failures.expression == "FILL(spans, 0) + FILL(points, 0) + FILL(logs, 0)"
    assert failures.metrics["spans"].namespace == "GoldenPath/Telemetry"
    assert failures.metrics["spans"].dimensions == {
        "service.name": "billing-api", "deployment.environment.name": "staging"}
    queue = a["collector-queue-near-capacity"].definition
    assert (queue.expression, queue.threshold) == ("IF(capacity > 0, 100 * size / capacity, 0)", 80)
    assert a["router-output-errors"].definition.metric.name == "RouterOutputErrors"


def test_self_metric_names_match_the_collector_config(web):
    """The alarms watch exactly the names the collector's metricstransform produces."""
    from golden_path.telemetry.render import render_self_metrics_config

    svc = resolve(parse_service(web))
    config = yaml.safe_load(render_self_metrics_config(svc))
    produced = {t["new_name"] for t in config["processors"]["metrics_transform/self"]["transforms"]}
    watched = set()
    for a in resolve_alarms(svc, None):
        if a.is_composite:
            continue
        d = a.definition
        for m in ([d.metric] if d.metric else list(d.metrics.values())):
            if m.namespace == "GoldenPath/Telemetry":
                watched.add(m.name)
    assert watched == produced
    assert config["exporters"]["awsemf/self"]["namespace"] == "GoldenPath/Telemetry"

def test_web_defaults(web):
    a = alarms_of(web)
    assert set(a) == {"http-5xx-rate", "latency-p99", "unhealthy-targets", "running-tasks",
                      "cpu-high", "memory-high", "requests-anomaly", "sidecar-restarts",
                      *PIPELINE}
    flood = a["requests-anomaly"].definition
    assert (flood.expression, flood.comparison, flood.severity, flood.threshold) == (
        "ANOMALY_DETECTION_BAND(requests, 3)", "GreaterThanUpperThreshold", "warning", 0)
    assert (flood.metrics["requests"].name, flood.metrics["requests"].statistic,
            flood.metrics["requests"].period) == ("RequestCount", "Sum", 300)
    assert flood.metrics["requests"].dimensions == a["http-5xx-rate"].definition.metrics[
        "requests"].dimensions
    assert (flood.periods, flood.datapoints, flood.missing_data) == (3, 3, "notBreaching")
    rate = a["http-5xx-rate"].definition
    assert (rate.expression, rate.threshold, rate.severity) == (
        "IF(requests > 0, 100 * errors / requests, 0)", 5, "critical")
    assert rate.metrics["errors"].name == "HTTPCode_Target_5XX_Count"
    assert rate.metrics["errors"].dimensions["LoadBalancer"] == "app/edge/50dc6c495c0c9188"
    latency = a["latency-p99"].definition
    assert (latency.metric.name, latency.metric.statistic, latency.threshold,
            latency.metric.period) == ("TargetResponseTime", "p99", 2, 60)
    tasks = a["running-tasks"].definition
    assert (tasks.comparison, tasks.threshold, tasks.missing_data) == (
        "LessThanThreshold", 1, "breaching")
    assert tasks.metric.dimensions == {"ClusterName": "main", "ServiceName": "billing-api-staging"}
    cpu = a["cpu-high"].definition
    assert (cpu.metric.namespace, cpu.metric.statistic, cpu.threshold, cpu.metric.period) == (
        "AWS/ECS", "Average", 90, 300)


def test_worker_defaults(worker):
    a = alarms_of(worker)
    assert set(a) == {"queue-backlog", "queue-oldest-message-age", "running-tasks", "cpu-high",
                      "memory-high", "intake-anomaly", "sidecar-restarts", *PIPELINE}
    intake = a["intake-anomaly"].definition
    assert (intake.expression, intake.comparison, intake.severity) == (
        "ANOMALY_DETECTION_BAND(messages, 3)", "GreaterThanUpperThreshold", "warning")
    assert (intake.metrics["messages"].namespace, intake.metrics["messages"].name,
            intake.metrics["messages"].dimensions) == ("AWS/SQS", "NumberOfMessagesSent",
                                                       {"QueueName": "invoices"})
    backlog = a["queue-backlog"].definition
    assert backlog.threshold == 20 * 4  # messages_per_task x max tasks (staging: 4)
    assert backlog.metric.dimensions == {"QueueName": "invoices"}
    assert a["queue-oldest-message-age"].definition.threshold == 900


def test_lambda_defaults(fn):
    fn["reserved_concurrency"] = 100
    a = alarms_of(fn)
    assert set(a) == {"error-rate", "throttles", "duration-p99", "invocations-anomaly",
                      "concurrency-near-limit", "queue-oldest-message-age",
                      "dead-letter-messages"}
    assert a["error-rate"].definition.expression == (
        "IF(invocations > 0, 100 * errors / invocations, 0)")
    assert a["duration-p99"].definition.threshold == 8000  # 80 % of 10 s, in ms
    assert a["concurrency-near-limit"].definition.threshold == 80
    anomaly = a["invocations-anomaly"].definition
    assert (anomaly.expression, anomaly.comparison) == (
        "ANOMALY_DETECTION_BAND(invocations, 3)", "GreaterThanUpperThreshold")
    assert a["dead-letter-messages"].definition.metric.dimensions == {
        "QueueName": "price-api-staging-dlq"}


def test_names_and_tags(web):
    a = alarms_of(web)["cpu-high"]
    assert a.name == "staging-payments-billing-api-cpu-high"
    assert a.tags == {"team": "payments", "service": "billing-api", "environment": "staging",
                      "severity": "warning", "managed-by": "golden-path"}


# ---- overrides and team alarms ------------------------------------------------------------

def test_override_threshold_severity_and_disable(web):
    web["alerts"] = {"overrides": {
        "latency-p99": {"threshold": 1.5, "severity": "critical", "reason": "SLO says 1.5 s"},
        "cpu-high": {"disabled": True, "reason": "CPU-bound by design"}}}
    a = alarms_of(web)
    assert (a["latency-p99"].definition.threshold, a["latency-p99"].definition.severity) == (
        1.5, "critical")
    assert "cpu-high" not in a


def test_team_alarm_with_metric_math(web, teams):
    prod(web)["alerts"]["alarms"] = [{
        "name": "payment-failures", "description": "payments fail", "severity": "critical",
        "expression": "100 * failures / MAX([attempts, 1])",
        "metrics": {"failures": {"namespace": "Pay", "name": "Failures", "statistic": "Sum"},
                    "attempts": {"namespace": "Pay", "name": "Attempts", "statistic": "Sum"}},
        "comparison": "GreaterThanThreshold", "threshold": 2, "periods": 5, "datapoints": 3}]
    a = alarms_of(web, teams)["payment-failures"]
    assert a.source == "team" and a.pages
    assert a.runbook == "https://runbooks.example.com/x"
    assert set(a.definition.metrics) == {"failures", "attempts"}
    assert (a.definition.periods, a.definition.datapoints) == (5, 3)


def test_dashboard_shows_every_alarm(web):
    alarms = list(alarms_of(web).values())
    body = dashboard_body("billing-api-staging", "eu-west-1", ACCT, alarms)
    status = body["widgets"][1]["properties"]["alarms"]
    assert status == [f"arn:aws:cloudwatch:eu-west-1:{ACCT}:alarm:{a.name}" for a in alarms]
    titles = [w["properties"]["title"] for w in body["widgets"][2:]]
    assert titles[0] == "http-5xx-rate (critical)"
    assert len(titles) == len(alarms)


# ---- every error case ------------------------------------------------------------------------

TEAM_ALARM = {"name": "x-rate", "description": "demo alarm", "severity": "warning",
              "comparison": "GreaterThanThreshold", "threshold": 1,
              "metric": {"namespace": "N", "name": "M"}}


@pytest.mark.parametrize(("alarm", "field", "hint"), [
    ({"comparison": "BiggerThan"}, "alerts.alarms[0].comparison",
     "Input should be 'GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', "
     "'LessThanThreshold', 'LessThanOrEqualToThreshold', 'GreaterThanUpperThreshold', "
     "'LessThanLowerThreshold' or 'LessThanLowerOrGreaterThanUpperThreshold'"),
    ({"metric": None, "expression": "m1 / m3", "metrics": {"m1": TEAM_ALARM["metric"]}},
     "alerts.alarms[0].expression",
     "uses 'm3', which metrics does not define (defined: m1)"),
    ({"metric": None, "expression": "m1 * 2",
      "metrics": {"m1": TEAM_ALARM["metric"], "m2": TEAM_ALARM["metric"]}},
     "alerts.alarms[0].metrics.m2", "defined but not used in the expression; remove it"),
    ({"metric": None, "expression": "M1 * 2", "metrics": {"M1": TEAM_ALARM["metric"]}},
     "alerts.alarms[0].metrics.M1", "does not match the pattern ^[a-z][A-Za-z0-9_]{0,254}$"),
    ({"expression": "m1", "metrics": {"m1": TEAM_ALARM["metric"]}}, "alerts.alarms[0]",
     "give exactly one of metric, or expression with metrics"),
    ({"periods": 2, "datapoints": 3}, "alerts.alarms[0].datapoints",
     "must not exceed periods (2)"),
    ({"comparison": "GreaterThanUpperThreshold"}, "alerts.alarms[0].comparison",
     "band comparisons need an expression with ANOMALY_DETECTION_BAND(...)"),
    ({"severity": "sev1"}, "alerts.alarms[0].severity",
     "Input should be 'critical', 'warning' or 'info'"),
    ({"runbook": "http://wiki/x"}, "alerts.alarms[0].runbook",
     "expected an https URL, e.g. 'https://runbooks.example.com/billing'"),
])
def test_bad_team_alarm(web, alarm, field, hint):
    web["alerts"] = {"alarms": [{**TEAM_ALARM, **alarm}]}
    with pytest.raises(SpecError) as caught:
        parse_service(web)
    assert [(p.field, p.hint) for p in caught.value.problems] == [(field, hint)]


def test_unknown_team(web, teams):
    web["team"] = "growth"
    with pytest.raises(SpecError) as caught:
        alarms_of(web, teams)
    assert (caught.value.field, caught.value.hint) == (
        "team", "unknown team; teams.yaml knows payments, pricing, quiet")


def test_paging_without_runbook(web, teams):
    prod(web)["alerts"] = {}
    with pytest.raises(SpecError) as caught:
        alarms_of(web, teams)
    assert caught.value.field == "alerts.runbook"
    assert caught.value.hint == ("alarm 'http-5xx-rate' pages in production and needs a runbook "
                                 "URL (alerts.runbook or the alarm's runbook)")


def test_paging_team_alarm_without_runbook_names_the_alarm(web, teams):
    prod(web)["alerts"] = {"overrides": {s: {"disabled": True, "reason": "tested elsewhere"}
                                         for s in ("http-5xx-rate", "running-tasks")},
                           "alarms": [{**TEAM_ALARM, "severity": "critical"}]}
    with pytest.raises(SpecError) as caught:
        alarms_of(web, teams)
    assert caught.value.field == "alerts.alarms[0].runbook"


def test_paging_team_without_pagerduty(web, teams):
    prod(web)["team"] = "quiet"
    with pytest.raises(SpecError) as caught:
        alarms_of(web, teams)
    assert caught.value.hint == ("alarms http-5xx-rate, running-tasks page in production, but "
                                 "team quiet has no pagerduty route in teams.yaml")


def test_unknown_override(web):
    web["alerts"] = {"overrides": {"cpu-hgh": {"disabled": True, "reason": "a typo test"}}}
    with pytest.raises(SpecError) as caught:
        alarms_of(web)
    assert caught.value.field == "alerts.overrides.cpu-hgh"
    assert caught.value.hint.startswith("no default alarm 'cpu-hgh' for this service; defaults: "
                                        "http-5xx-rate, latency-p99,")


def test_override_needs_a_reason(web):
    web["alerts"] = {"overrides": {"cpu-high": {"disabled": True}}}
    with pytest.raises(SpecError) as caught:
        parse_service(web)
    assert caught.value.field == "alerts.overrides.cpu-high.reason"


def test_team_alarm_named_like_a_default(web):
    web["alerts"] = {"alarms": [{**TEAM_ALARM, "name": "cpu-high"}]}
    with pytest.raises(SpecError) as caught:
        alarms_of(web)
    assert caught.value.hint.startswith("a default alarm has this name")


def test_registry_errors(tmp_path):
    path = tmp_path / "teams.yaml"
    path.write_text("teams:\n  a-team:\n    notify:\n      emails: [x@example.com]\n"
                    "      existing_topic: t\n")
    with pytest.raises(SpecError) as caught:
        TeamRegistry.load(path)
    assert caught.value.hint == ("give emails (a topic golden_path creates) or existing_topic, "
                                 "not both")
    assert caught.value.problems[0].line == 3
    path.write_text("teams:\n  a-team:\n    pager: {}\n")
    with pytest.raises(SpecError) as caught:
        TeamRegistry.load(path)
    assert caught.value.field == "teams.a-team.pager"
    assert caught.value.problems[0].line == 3


def test_route_plan_per_team_and_environment(teams):
    from golden_path.alerts.registry import route_plan

    plan = route_plan("payments", "production", teams)
    assert (plan.notify_topic, plan.page_topic, plan.pagerduty_secret) == (
        "golden-path-payments-production-notify", "golden-path-payments-production-page",
        "pd/payments")
    assert route_plan("payments", "staging", teams).page_topic is None  # staging never pages
    assert route_plan("pricing", "sandbox", teams).empty  # existing topic, no paging
    assert route_plan("quiet", "production", teams).page_topic is None  # no pagerduty route


def test_an_anomaly_override_widens_the_band(web):
    web["alerts"] = {"overrides": {"requests-anomaly": {
        "threshold": 4, "severity": "critical", "reason": "marketing campaigns spike traffic"}}}
    flood = alarms_of(web)["requests-anomaly"].definition
    assert (flood.expression, flood.threshold, flood.severity) == (
        "ANOMALY_DETECTION_BAND(requests, 4)", 0, "critical")
    web["alerts"] = {"overrides": {"requests-anomaly": {"disabled": True,
                                                        "reason": "internal batch endpoint"}}}
    assert "requests-anomaly" not in alarms_of(web)
