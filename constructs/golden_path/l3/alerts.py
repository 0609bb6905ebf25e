"""Alarms and dashboard of an ApplicationService (both runtimes)."""

from __future__ import annotations

import json
from dataclasses import replace

from ..alerts.dashboard import dashboard_body
from ..alerts.defaults import TARGET_GROUP
from ..alerts.registry import TeamRegistry
from ..alerts.resolve import resolve_alarms
from ..cdk import Construct
from ..l2.alarms import Alarm, Dashboard


def _with_target_group(definition, arn_suffix: str):
    """Put the target group's arn_suffix (a Terraform value) where defaults left a marker."""
    def fix(metric):
        if metric is None or TARGET_GROUP not in metric.dimensions.values():
            return metric
        return replace(metric, dimensions={k: arn_suffix if v == TARGET_GROUP else v
                                           for k, v in metric.dimensions.items()})
    return replace(definition, metric=fix(definition.metric),
                   metrics={k: fix(m) for k, m in definition.metrics.items()})


def build_alerts(self: Construct, resolved, teams: TeamRegistry | None) -> None:
    self.resolved_alarms = resolve_alarms(resolved, teams)
    target = getattr(self, "load_balancer_target", None)
    suffix = target.target_group.arn_suffix if target else None
    self.alarms = []
    for a in self.resolved_alarms:
        definition = _with_target_group(a.definition, suffix) if suffix else a.definition
        description = a.definition.description + (f". Runbook: {a.runbook}" if a.runbook else "")
        self.alarms.append(Alarm(self, f"alarm_{a.signal}", name=a.name, definition=definition,
                                 actions=list(a.actions), description=description, tags=a.tags))
    body = dashboard_body(resolved.stack_name, resolved.region, resolved.account,
                          self.resolved_alarms)
    if suffix:
        body = json.loads(json.dumps(body).replace(TARGET_GROUP, suffix))
    self.dashboard = Dashboard(self, "dashboard", name=resolved.stack_name, body=body)
