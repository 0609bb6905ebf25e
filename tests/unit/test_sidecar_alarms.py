"""The sidecar-restarts alarm and the EventBridge pattern it counts (resolve/containers.py)."""

from __future__ import annotations

from test_alerts import alarms_of

from golden_path.load.service_file import parse_service
from golden_path.resolve import resolve


def test_sidecar_restarts_counts_the_services_own_exit_rule(web):
    from golden_path.resolve.containers import sidecar_exit_event_pattern

    svc = resolve(parse_service(web))
    restarts = alarms_of(web)["sidecar-restarts"].definition
    assert (restarts.metric.namespace, restarts.metric.name, restarts.metric.statistic) == (
        "AWS/Events", "MatchedEvents", "Sum")
    assert restarts.metric.dimensions == {"RuleName": "billing-api-staging-sidecar-exits"}
    assert svc.names.sidecar_exit_rule == "billing-api-staging-sidecar-exits"
    assert (restarts.threshold, restarts.severity, restarts.missing_data) == (
        0, "warning", "notBreaching")
    pattern = sidecar_exit_event_pattern(svc)
    assert pattern["detail"] == {
        "clusterArn": [web["network"]["cluster_arn"]],
        "group": ["service:billing-api-staging"],
        "lastStatus": ["RUNNING"], "desiredStatus": ["RUNNING"],
        "containers": {"exitCode": [{"anything-but": [0]}]},
    }


def _matches(pattern, event) -> bool:
    """EventBridge's matching for the shapes the pattern uses (lists of values,
    anything-but, nested objects, arrays of objects matched element by element)."""
    for key, want in pattern.items():
        got = event.get(key)
        if isinstance(want, dict):
            items = got if isinstance(got, list) else [got]
            if not any(isinstance(i, dict) and _matches(want, i) for i in items):
                return False
            continue
        if got is None:
            return False
        ok = False
        for rule in want:
            if isinstance(rule, dict):
                ok |= got not in rule["anything-but"]
            else:
                ok |= got == rule
        if not ok:
            return False
    return True


def test_sidecar_exit_pattern_matches_a_restart_but_not_a_start_or_a_stop(web):
    from golden_path.resolve.containers import sidecar_exit_event_pattern

    svc = resolve(parse_service(web))
    pattern = sidecar_exit_event_pattern(svc)

    def event(last, desired, exits):
        return {"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": {
            "clusterArn": web["network"]["cluster_arn"], "group": "service:billing-api-staging",
            "lastStatus": last, "desiredStatus": desired,
            "containers": [{"name": n, **({"exitCode": exits[n]} if n in exits else {})}
                           for n in ("telemetry-init", "otel-collector", "log_router", "app")]}}

    # The collector was OOM-killed (137) and restarted; the task kept running.
    assert _matches(pattern, event("RUNNING", "RUNNING", {"telemetry-init": 0,
                                                          "otel-collector": 137}))
    # A task that just started (the init container exited 0): no match.
    assert not _matches(pattern, event("RUNNING", "RUNNING", {"telemetry-init": 0}))
    # A task stopping because the app exited: the task is replaced, other alarms see it.
    assert not _matches(pattern, event("RUNNING", "STOPPED", {"telemetry-init": 0, "app": 1}))
    # Another service's task: no match.
    other = event("RUNNING", "RUNNING", {"otel-collector": 137})
    other["detail"]["group"] = "service:someone-else-staging"
    assert not _matches(pattern, other)


def test_sidecar_restarts_is_routed_like_the_other_sidecar_alarms():
    """In every environment of every example ECS service, a sidecar restart goes where the
    collector's export failures go (both warnings: the team's notify route, never a page)."""
    from conftest import EXAMPLES
    from golden_path.alerts.resolve import resolve_alarms
    from golden_path.fleet import load_all
    from golden_path.load.discover import find_teams

    teams = find_teams([EXAMPLES / "services"])
    checked = 0
    for service in load_all([EXAMPLES / "services"], teams):
        if service.kind == "lambda":
            continue
        alarms = {a.signal: a for a in resolve_alarms(service, teams)}
        restarts, exports = alarms["sidecar-restarts"], alarms["collector-export-failures"]
        assert restarts.actions == exports.actions, service.stack_name
        assert not restarts.pages, service.stack_name
        if service.spec.environment == "production":  # routed wherever a warning is routed
            assert restarts.actions, service.stack_name
        checked += 1
    assert checked >= 6  # the example web service and worker, in three environments
