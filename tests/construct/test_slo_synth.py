"""SLO alerts, synthesized: per kind, the window alarms as metric math with the window as
their period, the composites with their rule, routing and suppressor, and the dashboard's
budget widgets."""

from __future__ import annotations

import copy
import json

import pytest

from tfjson import resources

pytestmark = pytest.mark.synth


def _synth(spec: dict) -> dict:
    from golden_path.cdk import Testing
    from golden_path.l3.stack import ServiceStack

    return json.loads(Testing.synth(ServiceStack(Testing.app(), spec)))


def _production(spec: dict) -> dict:
    spec = copy.deepcopy(spec)
    spec.update(environment="production",
                alerts={"runbook": "https://runbooks.example.com/x"})
    return spec


@pytest.fixture(scope="module")
def web() -> dict:
    from conftest import VALID_WEB

    return _synth(_production(VALID_WEB))


@pytest.fixture(scope="module")
def queue_function() -> dict:
    from conftest import VALID_LAMBDA

    return _synth(_production(VALID_LAMBDA))


def _slo(stack: dict) -> tuple[dict, dict]:
    alarms = {a["alarm_name"]: a for a in resources(stack, "aws_cloudwatch_metric_alarm")
              if "-slo-" in a["alarm_name"]}
    composites = {a["alarm_name"]: a for a in resources(stack, "aws_cloudwatch_composite_alarm")}
    return alarms, composites


def test_a_web_service_gets_both_objectives(web):
    alarms, composites = _slo(web)
    assert len(alarms) == 16 and len(composites) == 4
    base = "production-payments-billing-api-slo-"
    one = alarms[base + "availability-page-1h"]
    assert one["threshold"] == 0.0144 and one["evaluation_periods"] == 1
    assert one["comparison_operator"] == "GreaterThanThreshold"
    assert one["treat_missing_data"] == "notBreaching"
    assert "alarm_actions" not in one or one["alarm_actions"] == []
    queries = {q["id"]: q for q in one["metric_query"]}
    assert queries["result"]["expression"] == \
        "IF(requests >= 60, FILL(errors, 0) / requests, 0)"
    assert queries["errors"]["metric"]["period"] == 3600
    # The target group's dimension is the real one, not the resolve-time marker.
    dims = queries["errors"]["metric"]["dimensions"]
    assert dims["TargetGroup"].startswith("${aws_lb_target_group.") and \
        dims["LoadBalancer"] == "app/edge/50dc6c495c0c9188"
    latency = {q["id"]: q for q in alarms[base + "latency-ticket-3d"]["metric_query"]}
    assert latency["fast"]["metric"]["stat"] == "PR(:0.3)"
    assert latency["fast"]["metric"]["period"] == 259200


def test_the_composites_route_and_suppress(web):
    _, composites = _slo(web)
    base = "production-payments-billing-api-slo-availability-"
    page, ticket = composites[base + "page"], composites[base + "ticket"]
    assert page["alarm_rule"].startswith(f'(ALARM("{base}page-1h") AND ALARM("{base}page-5m"))')
    assert any(a.endswith("-page") for a in page["alarm_actions"])
    assert page["ok_actions"] == page["alarm_actions"]
    assert not any(a.endswith("-page") for a in ticket["alarm_actions"])
    assert ticket["actions_suppressor"] == {"alarm": base + "page", "wait_period": 60,
                                            "extension_period": 3600}
    assert ticket["tags"]["slo-objective"] == "99.9"
    # A composite is created after the alarms its rule names.
    assert len(page["depends_on"]) == 4 and len(ticket["depends_on"]) == 5


def test_a_queue_function_gets_availability_only(queue_function):
    alarms, composites = _slo(queue_function)
    assert len(alarms) == 8 and len(composites) == 2
    assert all("-slo-availability-" in n for n in composites)


def test_the_dashboard_has_the_error_budget(web):
    (dashboard,) = resources(web, "aws_cloudwatch_dashboard")
    body = json.loads(dashboard["dashboard_body"])
    titles = [w["properties"].get("title", "") for w in body["widgets"]]
    assert "availability: error budget left" in titles and "latency: error budget left" in titles
    # The SLO widgets' target group is the real one, as in the alarms.
    assert "<target-group-arn-suffix>" not in dashboard["dashboard_body"]
