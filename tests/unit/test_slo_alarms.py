"""A service's objectives as alarms: the SLI per kind, one metric-math alarm per window,
the composites that page or notify, the guard, and the errors (alerts/slo.py)."""

from __future__ import annotations

import pytest
import yaml

from golden_path import SpecError
from golden_path.alerts.dashboard import dashboard_body
from golden_path.alerts.resolve import resolve_alarms
from golden_path.load.service_file import parse_service
from golden_path.resolve import resolve
from golden_path.resolve.lambda_ import resolve_function

RUNBOOK = "https://runbooks.example.com/x"


def slo_alarms(spec: dict, teams=None, environment="production") -> dict:
    spec.update(environment=environment, alerts={"runbook": RUNBOOK, **spec.get("alerts", {})})
    parsed = parse_service(spec)
    service = resolve_function(parsed) if spec.get("runtime") == "lambda" else resolve(parsed)
    return {a.signal: a for a in resolve_alarms(service, teams)}


def test_a_web_service_gets_both_objectives_by_default(web, teams):
    a = slo_alarms(web, teams)
    windows = sorted(s for s in a if s.startswith("slo-") and not a[s].is_composite)
    assert len(windows) == 16  # 2 objectives x 4 pairs x (long, short)
    assert "slo-availability-page-1h" in windows and "slo-latency-ticket-3d" in windows
    one = a["slo-availability-page-1h"].definition
    assert one.expression == "IF(requests >= 60, FILL(errors, 0) / requests, 0)"
    assert (one.threshold, one.comparison, one.periods, one.datapoints, one.missing_data) == (
        0.0144, "GreaterThanThreshold", 1, 1, "notBreaching")
    assert {m.period for m in one.metrics.values()} == {3600}
    assert one.metrics["errors"].name == "HTTPCode_Target_5XX_Count"
    short = a["slo-availability-page-5m"].definition
    assert short.expression == "IF(requests >= 5, FILL(errors, 0) / requests, 0)"
    assert {m.period for m in short.metrics.values()} == {300}
    latency = a["slo-latency-ticket-3d"].definition
    assert latency.metrics["fast"].statistic == "PR(:0.3)"
    assert latency.metrics["fast"].period == 3 * 86400 and latency.threshold == 0.01
    # The windows carry no actions: the composites do.
    assert all(not a[s].actions for s in windows)


def test_the_composites_and_their_routing(web, teams):
    a = slo_alarms(web, teams)
    page, ticket = a["slo-availability-page"], a["slo-availability-ticket"]
    base = "production-payments-billing-api-slo-availability-"
    assert page.rule == (f'(ALARM("{base}page-1h") AND ALARM("{base}page-5m")) OR '
                         f'(ALARM("{base}page-6h") AND ALARM("{base}page-30m"))')
    assert page.pages and page.suppressor is None
    assert not ticket.pages and ticket.actions and ticket.suppressor == page.name
    assert page.tags["slo-objective"] == "99.9"


def test_staging_notifies_and_sandbox_gets_no_slo_alarms(web, teams):
    staging = slo_alarms(dict(web), teams, "staging")
    assert staging["slo-availability-page"].actions and not staging["slo-availability-page"].pages
    assert not [s for s in slo_alarms(dict(web), teams, "sandbox") if s.startswith("slo-")]


def test_a_team_without_a_pager_gets_its_fast_burns_as_notifications(web, teams):
    web["team"] = "quiet"
    web["alerts"] = {"overrides": {s: {"severity": "warning", "reason": "no pager yet"}
                                   for s in ("http-5xx-rate", "running-tasks")}}
    a = slo_alarms(web, teams)
    assert a["slo-availability-page"].actions and not any(x.pages for x in a.values())


def test_custom_objectives_and_window(fn, teams):
    fn["slo"] = {"availability": {"objective": 99.5}, "latency": {"threshold_ms": 800,
                                                                  "objective": 95},
                 "window_days": 28, "min_requests_per_hour": 120}
    a = slo_alarms(fn, teams)
    avail = a["slo-availability-page-1h"].definition
    assert avail.threshold == round(13.44 * 0.005, 10)
    assert "invocations + FILL(throttles, 0) >= 120" in avail.expression
    assert a["slo-latency-page-1h"].definition.metrics["fast"].statistic == "PR(:800)"
    assert a["slo-latency-page-1h"].definition.threshold == round(13.44 * 0.05, 10)


def test_golden_signals_notify_turns_the_covered_defaults_down(fn, teams):
    fn["slo"] = {"golden_signals": "notify"}
    a = slo_alarms(fn, teams)
    assert a["error-rate"].definition.severity == "warning" and not a["error-rate"].pages
    assert a["duration-p99"].definition.severity == "warning"
    assert a["slo-availability-page"].pages


@pytest.mark.parametrize("off", [None, False])
def test_no_slo_no_slo_alarms(web, teams, off):
    web["slo"] = off
    assert not [s for s in slo_alarms(web, teams) if s.startswith("slo-")]
    web2 = parse_service({**web, "slo": {"latency": off}})
    assert web2.slo.latency is None and web2.slo.availability.objective == 99.9


def test_false_switches_the_slo_off_in_one_environment(tmp_path, capsys):
    """``null`` in an override clears back to the default; ``false`` survives the merge."""
    import shutil

    from conftest import EXAMPLES
    from golden_path.cli import main

    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLES, fleet, ignore=shutil.ignore_patterns("python-app", "ci"))
    path = fleet / "services" / "price-api.yaml"
    data = yaml.safe_load(path.read_text())
    data["environments"]["staging"] = {**(data["environments"]["staging"] or {}), "slo": False}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert main(["slo", str(path), "--format", "json"]) == 0
    import json

    stacks = {r["stack"] for r in json.loads(capsys.readouterr().out)["objectives"]}
    assert "price-api-production" in stacks and "price-api-staging" not in stacks


def test_a_worker_measures_its_queue_and_has_no_latency_objective(worker, teams):
    a = slo_alarms(worker, teams)
    assert "slo-availability-page" in a and "slo-latency-page" not in a
    d = a["slo-availability-page-1h"].definition
    assert set(d.metrics) == {"received", "deleted"}
    worker["slo"] = {"latency": {"threshold_ms": 1000}}
    with pytest.raises(SpecError) as caught:
        slo_alarms(worker, teams)
    assert caught.value.field == "slo.latency"
    assert "a worker has no per-message latency metric" in caught.value.hint


def test_a_worker_without_a_queue_cannot_have_an_availability_objective(worker, teams):
    worker.pop("scaling")
    assert not [s for s in slo_alarms(dict(worker), teams) if s.startswith("slo-")]
    worker["slo"] = {"availability": {"objective": 99}}
    with pytest.raises(SpecError) as caught:
        slo_alarms(worker, teams)
    assert caught.value.field == "slo.availability"
    assert "give scaling.queue" in caught.value.hint


@pytest.mark.parametrize(("slo", "field", "hint"), [
    ({"availability": {"objective": 99.999}}, "slo.availability.objective", "less than or equal to 99.99"),
    ({"availability": {"objective": 80}}, "slo.availability.objective", "greater than or equal to 90"),
    ({"latency": {"threshold_ms": 0}}, "slo.latency.threshold_ms", "greater than or equal to 1"),
    ({"window_days": 365}, "slo.window_days", "less than or equal to 90"),
    ({"golden_signals": "mute"}, "slo.golden_signals", "'page' or 'notify'"),
])
def test_objectives_outside_sensible_bounds_are_refused(web, slo, field, hint):
    web["slo"] = slo
    with pytest.raises(SpecError) as caught:
        parse_service(web)
    assert caught.value.field == field and hint in caught.value.hint


def test_the_dashboard_shows_budget_left_and_burn_rate_per_objective(web, teams):
    alarms = list(slo_alarms(web, teams).values())
    body = dashboard_body("billing-api-production", "eu-west-1", "123456789012", alarms)
    slo = [w for w in body["widgets"] if "SLO" in w["properties"].get("title", "")
           or "error budget" in w["properties"].get("title", "")]
    assert len(slo) == 4  # two per objective
    left = next(w for w in slo if w["properties"]["title"] == "availability: error budget left")
    assert left["properties"]["view"] == "singleValue" and left["properties"]["start"] == "-P30D"
    expression = left["properties"]["metrics"][-1][0]["expression"]
    assert expression.startswith("100 * (1 - (IF(requests >= 43200,") and expression.endswith(
        "/ 0.001)")
    rate = next(w for w in slo if w["properties"]["title"].startswith("availability SLO 99.9 %"))
    assert [a["value"] for a in rate["properties"]["annotations"]["horizontal"]] == [14.4, 6.0]
    # The SLO's composites are in the alarm status widget, its windows are not graphed.
    status = body["widgets"][1]["properties"]["alarms"]
    assert any(s.endswith("-slo-availability-page") for s in status)
