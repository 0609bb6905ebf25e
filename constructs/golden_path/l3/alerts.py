"""Alarms and dashboard of an ApplicationService (both runtimes)."""

from __future__ import annotations

import json
from dataclasses import replace

from ..alerts.dashboard import dashboard_body
from ..alerts.defaults import TARGET_GROUP
from ..alerts.registry import TeamRegistry
from ..alerts.resolve import resolve_alarms
from ..cdk import Construct
from ..l2.alarms import Alarm, CompositeAlarm, Dashboard


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
    self.alarms, self.composite_alarms = [], []
    made: dict[str, object] = {}  # alarm name -> its resource, for composites' dependencies
    for a in self.resolved_alarms:
        description = a.definition.description + (f". Runbook: {a.runbook}" if a.runbook else "")
        if a.is_composite:  # after the alarms its rule names (they come first)
            inputs = [made[n] for n in made if f'"{n}"' in a.rule]
            suppressor = made.get(a.suppressor) if a.suppressor else None
            composite = CompositeAlarm(
                self, f"alarm_{a.signal}", name=a.name, rule=a.rule, actions=list(a.actions),
                description=description, suppressor=a.suppressor, tags=a.tags,
                depends_on=inputs + ([suppressor] if suppressor else []))
            made[a.name] = composite.alarm
            self.composite_alarms.append(composite)
            continue
        definition = _with_target_group(a.definition, suffix) if suffix else a.definition
        alarm = Alarm(self, f"alarm_{a.signal}", name=a.name, definition=definition,
                      actions=list(a.actions), description=description, tags=a.tags)
        made[a.name] = alarm.alarm
        self.alarms.append(alarm)
    body = dashboard_body(resolved.stack_name, resolved.region, resolved.account,
                          self.resolved_alarms)
    if suffix:
        body = json.loads(json.dumps(body).replace(TARGET_GROUP, suffix))
    self.dashboard = Dashboard(self, "dashboard", name=resolved.stack_name, body=body)
