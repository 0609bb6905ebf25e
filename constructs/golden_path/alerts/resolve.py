"""Decide every alarm of a service: defaults + overrides + team alarms, names, routing.

Pure Python. Routing (docs/alerts.md, "Routing matrix"): the environment decides which
severities page and which notify; OK actions go to the same topics so an
incident resolves itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import Problem, SpecError, collect
from ..spec.environments import described
from .burn import SEVERITIES
from .defaults import AlarmDef, Metric, band_expression, fargate_defaults, is_band, lambda_defaults
from .registry import TeamRegistry, notify_topic_name, page_topic_name
from .slo import (
    COVERED,
    ROUTE_SEVERITY,
    CompositeDef,
    alarm_rule,
    composites,
    objectives,
    window_alarms,
)

#: profile -> severity -> routes: the environment's profile (platform.yaml's ``profile:``,
#: else its name) decides. Sandbox notifies only when the service asks.
ROUTING: dict[str, dict[str, tuple[str, ...]]] = {
    "production": {"critical": ("page", "notify"), "warning": ("notify",), "info": ()},
    "staging": {"critical": ("notify",), "warning": ("notify",), "info": ()},
    "sandbox": {"critical": (), "warning": (), "info": ()},
}
SANDBOX_OPT_IN = {"critical": ("notify",), "warning": ("notify",), "info": ()}


def routes(profile: str, severity: str, notify_in_sandbox: bool = False) -> tuple[str, ...]:
    """Where an alarm of ``severity`` goes in an environment of ``profile``."""
    if profile == "sandbox" and notify_in_sandbox:
        return SANDBOX_OPT_IN[severity]
    return ROUTING[profile][severity]


@dataclass(frozen=True)
class ResolvedAlarm:
    name: str
    signal: str
    source: str  # "default", "team" or "slo"
    definition: AlarmDef | CompositeDef  # a metric alarm, or an SLO's composite alarm
    actions: tuple[str, ...]  # topic ARNs, for alarm and OK
    runbook: str | None
    tags: dict[str, str]
    #: A composite alarm's rule, and the composite whose ALARM suppresses its actions.
    rule: str | None = None
    suppressor: str | None = None

    @property
    def is_composite(self) -> bool:
        return self.rule is not None

    @property
    def pages(self) -> bool:
        return any(a.endswith("-page") for a in self.actions)


def resolve_alarms(service, registry: TeamRegistry | None) -> list[ResolvedAlarm]:
    """``service`` is a ResolvedService or ResolvedFunction; SpecError on bad alerts."""
    spec = service.spec
    alerts = spec.alerts
    problems: list[Problem] = []
    team = registry.teams.get(spec.team) if registry else None
    if registry is not None and team is None:
        raise SpecError(Problem(("team",), spec.team,
                                f"unknown team; teams.yaml knows {', '.join(sorted(registry.teams))}"))
    defaults = lambda_defaults(service) if service.kind == "lambda" else fargate_defaults(service)
    by_signal = {d.signal: d for d in defaults}
    for signal in alerts.overrides:
        if signal not in by_signal:
            problems.append(Problem(("alerts", "overrides", signal), signal,
                                    f"no default alarm '{signal}' for this service; defaults: "
                                    f"{', '.join(by_signal)}"))
    definitions: list[tuple[AlarmDef, str, str | None]] = []
    objs, slo_problems = objectives(service)
    problems += slo_problems
    turned_down = _covered(service, objs)
    for d in defaults:
        o = alerts.overrides.get(d.signal)
        if o and o.disabled:
            continue
        if d.signal in turned_down:
            d = replace(d, severity="warning")
        if o and o.threshold is not None and is_band(d):
            d = replace(d, expression=band_expression(d, o.threshold))  # the band's width
        elif o and o.threshold is not None:
            d = replace(d, threshold=o.threshold)
        if o and o.severity:
            d = replace(d, severity=o.severity)
        definitions.append((d, "default", alerts.runbook))
    for i, a in enumerate(alerts.alarms):
        if a.name in by_signal:
            problems.append(Problem(("alerts", "alarms", i, "name"), a.name,
                                    "a default alarm has this name; use alerts.overrides to "
                                    "change it, or pick another name"))
        definitions.append((AlarmDef(
            signal=a.name, severity=a.severity, description=a.description,
            comparison=a.comparison, threshold=a.threshold, periods=a.periods,
            datapoints=a.datapoints or a.periods, missing_data=a.missing_data,
            metric=_metric(a.metric) if a.metric else None, expression=a.expression,
            metrics={k: _metric(m) for k, m in a.metrics.items()}), "team",
            a.runbook or alerts.runbook))

    env, region, account = spec.environment, service.region, service.account
    topics = {"notify": notify_topic_name(spec.team, env, registry),
              "page": page_topic_name(spec.team, env)}
    alerting = any(routes(service.profile.name, ROUTE_SEVERITY[s], alerts.notify_in_sandbox)
                   for s in SEVERITIES)
    slo_composites = []
    if alerting:  # where no SLO alert would reach anyone, none is made (sandbox)
        for o in objs:
            definitions += [(d, "slo", alerts.runbook) for d in window_alarms(o)]
            slo_composites += composites(o)
    resolved, pagers = [], []
    for d, source, runbook in definitions:
        route = () if source == "slo" else routes(service.profile.name, d.severity,
                                                  alerts.notify_in_sandbox)
        if "page" in route:
            if not runbook:
                where = (("alerts", "runbook") if source == "default" else
                         ("alerts", "alarms", _index(alerts, d.signal), "runbook"))
                problems.append(Problem(where, None,
                                        f"alarm '{d.signal}' pages in "
                                        f"{described(env, service.profile)} and needs a "
                                        "runbook URL (alerts.runbook or the alarm's runbook)"))
            pagers.append(d.signal)
        resolved.append(ResolvedAlarm(
            name=f"{env}-{spec.team}-{spec.name}-{d.signal}"[:255],
            signal=d.signal, source=source, definition=d,
            actions=tuple(f"arn:aws:sns:{region}:{account}:{topics[r]}" for r in route),
            runbook=runbook,
            tags={"team": spec.team, "service": spec.name, "environment": env,
                  "severity": d.severity, "managed-by": "golden-path"},
        ))
    base = f"{env}-{spec.team}-{spec.name}-"
    page_names = {}
    for c in slo_composites:
        route = routes(service.profile.name, ROUTE_SEVERITY[c.severity], alerts.notify_in_sandbox)
        if "page" in route and registry is not None and team.pagerduty is None:
            route = ("notify",)  # a team without a pager: its fast burns notify (docs/slo.md)
        if "page" in route:
            if not alerts.runbook:
                problems.append(Problem(("alerts", "runbook"), None,
                                        f"the {c.objective.name} SLO's fast-burn alert pages in "
                                        f"{described(env, service.profile)} and needs a runbook "
                                        "URL (alerts.runbook)"))
            pagers.append(c.signal)
        name = (base + c.signal)[:255]
        if c.severity == "page":
            page_names[c.objective.name] = name
        resolved.append(ResolvedAlarm(
            name=name, signal=c.signal, source="slo", definition=c,
            actions=tuple(f"arn:aws:sns:{region}:{account}:{topics[r]}" for r in route),
            runbook=alerts.runbook,
            tags={"team": spec.team, "service": spec.name, "environment": env,
                  "severity": ROUTE_SEVERITY[c.severity], "managed-by": "golden-path",
                  "slo-objective": f"{c.objective.objective:g}"},
            rule=alarm_rule(c.pairs, lambda signal: (base + signal)[:255]),
            suppressor=page_names.get(c.objective.name) if c.severity != "page" else None))
    if pagers and registry is not None and team.pagerduty is None:
        problems.append(Problem(("team",), spec.team,
                                f"alarms {', '.join(pagers)} page in "
                                f"{described(env, service.profile)}, but team "
                                f"{spec.team} has no pagerduty route in teams.yaml"))
    collect(problems)
    return resolved


def _covered(service, objs) -> set[str]:
    """The default alarms ``slo.golden_signals: notify`` turns down to notify."""
    slo = service.spec.slo
    if slo is None or slo.golden_signals != "notify":
        return set()
    return {COVERED[(service.kind, o.name)] for o in objs if (service.kind, o.name) in COVERED}


def _metric(m) -> Metric:
    return Metric(m.namespace, m.name, dict(m.dimensions), m.statistic, m.period)


def _index(alerts, name: str) -> int:
    return next(i for i, a in enumerate(alerts.alarms) if a.name == name)
