"""A service's objectives → their SLI, one metric-math alarm per burn-rate window, and the
composite alarms that page or notify (docs/slo.md). Pure Python.

The SLI of each kind, from metrics CloudWatch already has:

- **web**, availability: the targets' 5xx (``HTTPCode_Target_5XX_Count``) over the
  requests (``RequestCount``) of the service's target group. The load balancer's own 5xx
  (``HTTPCode_ELB_5XX_Count``) has no target-group dimension, so on a shared load balancer
  it cannot be told apart per service and is left out (the ``unhealthy-targets`` and
  ``running-tasks`` alarms cover a service with no healthy target).
- **web**, latency: the share of requests whose ``TargetResponseTime`` is within the
  threshold: CloudWatch's percentile rank statistic ``PR(:seconds)``.
- **Lambda**, availability: errors and throttles over invocations and throttles.
- **Lambda**, latency: the share of invocations whose ``Duration`` is within the
  threshold (``PR(:milliseconds)``); by default only for a function behind HTTP (an API
  route or a function URL): a queue consumer or a schedule has one when its file sets it.
- **worker**, availability: the queue's receives that do not end in a delete (the
  message failed and comes back, or goes to the dead-letter queue) over all receives:
  SQS does not count what its redrive moves to a dead-letter queue as sent, so the DLQ
  itself cannot be counted exactly. A worker has no latency SLI.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Problem
from .burn import SEVERITIES, WINDOWS, BurnWindow, budget_ratio, min_requests
from .defaults import TARGET_GROUP, AlarmDef, Metric, _lb_dimension

#: The routing severity of a burn-rate alert: a page pages where critical alarms do.
ROUTE_SEVERITY = {"page": "critical", "ticket": "warning"}
#: The default alarms an objective covers (``slo.golden_signals: notify`` turns them to notify).
COVERED = {("web", "availability"): "http-5xx-rate", ("web", "latency"): "latency-p99",
           ("lambda", "availability"): "error-rate", ("lambda", "latency"): "duration-p99"}


@dataclass(frozen=True)
class Objective:
    """One objective of one service, with its SLI as metric math."""

    name: str  # availability | latency
    objective: float  # percent
    window_days: int
    sli: str  # what is counted, in words
    metrics: dict[str, Metric]  # period set per window
    #: The bad ratio (0..1) in metric math, with {guard} for the window's minimum requests.
    bad_ratio: str
    min_requests_per_hour: float

    @property
    def budget(self) -> float:
        return budget_ratio(self.objective)

    def budget_minutes(self) -> float:
        """Minutes of total failure the budget allows over the window."""
        return self.window_days * 1440 * self.budget

    def at(self, seconds: int) -> tuple[dict[str, Metric], str]:
        """The metrics and expression of this SLI over a window of ``seconds``."""
        metrics = {k: Metric(m.namespace, m.name, m.dimensions, m.statistic, seconds)
                   for k, m in self.metrics.items()}
        guard = min_requests(seconds, self.min_requests_per_hour)
        return metrics, self.bad_ratio.format(guard=guard)


def objectives(service) -> tuple[list[Objective], list[Problem]]:
    """The objectives of a resolved service, and problems for one its kind cannot measure."""
    slo = service.spec.slo
    if slo is None:
        return [], []
    kind, explicit = service.kind, slo.model_fields_set
    found, problems = [], []
    for name in ("availability", "latency"):
        target = getattr(slo, name)
        if target is None:
            continue
        sli = _sli(service, name, getattr(target, "threshold_ms", None))
        if name == "latency" and kind == "lambda" and service.spec.triggers.http is None \
                and name not in explicit:
            continue  # a queue consumer or a schedule: no one waits on a request
        if sli is None:
            if name in explicit:
                problems.append(Problem(("slo", name), target.objective, _no_sli(kind, name)))
            continue
        text, metrics, expression = sli
        found.append(Objective(name, target.objective, slo.window_days, text, metrics,
                               expression, slo.min_requests_per_hour))
    return found, problems


def _no_sli(kind: str, name: str) -> str:
    if kind == "worker" and name == "latency":
        return ("a worker has no per-message latency metric to measure an objective on; "
                "remove slo.latency (queue-oldest-message-age alarms on waiting messages)")
    return ("a worker's availability counts the receives of the queue it consumes: give "
            "scaling.queue (arn or create: true), or set slo.availability: null")


def _sli(service, name: str, threshold_ms: int | None):
    """(words, metrics, bad-ratio expression) of an SLI, or None when the kind has none."""
    kind = service.kind
    if kind == "web":
        lb = {"TargetGroup": TARGET_GROUP,
              "LoadBalancer": _lb_dimension(service.spec.load_balancer.listener_arn)}
        requests = Metric("AWS/ApplicationELB", "RequestCount", lb, "Sum")
        if name == "availability":
            return ("target 5xx / requests",
                    {"errors": Metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb,
                                      "Sum"), "requests": requests},
                    "IF(requests >= {guard}, FILL(errors, 0) / requests, 0)")
        seconds = f"{threshold_ms / 1000:g}"
        return (f"requests slower than {threshold_ms} ms / requests",
                {"fast": Metric("AWS/ApplicationELB", "TargetResponseTime", lb,
                                f"PR(:{seconds})"), "requests": requests},
                "IF(requests >= {guard}, (100 - fast) / 100, 0)")
    if kind == "lambda":
        f = {"FunctionName": service.names.function}
        invocations = Metric("AWS/Lambda", "Invocations", f, "Sum")
        if name == "availability":
            return ("(errors + throttles) / (invocations + throttles)",
                    {"errors": Metric("AWS/Lambda", "Errors", f, "Sum"),
                     "throttles": Metric("AWS/Lambda", "Throttles", f, "Sum"),
                     "invocations": invocations},
                    "IF(invocations + FILL(throttles, 0) >= {guard}, (FILL(errors, 0) + "
                    "FILL(throttles, 0)) / (invocations + FILL(throttles, 0)), 0)")
        return (f"invocations longer than {threshold_ms} ms / invocations",
                {"fast": Metric("AWS/Lambda", "Duration", f, f"PR(:{threshold_ms})"),
                 "invocations": invocations},
                "IF(invocations >= {guard}, (100 - fast) / 100, 0)")
    queue = service.scaling.queue_name
    if name == "latency" or queue is None:
        return None
    q = {"QueueName": queue}
    return ("receives not deleted / receives",
            {"received": Metric("AWS/SQS", "NumberOfMessagesReceived", q, "Sum"),
             "deleted": Metric("AWS/SQS", "NumberOfMessagesDeleted", q, "Sum")},
            "IF(received >= {guard}, IF(received > FILL(deleted, 0), (received - "
            "FILL(deleted, 0)) / received, 0), 0)")


def window_signal(o: Objective, w: BurnWindow, long: bool) -> str:
    seconds = w.long if long else w.short
    return f"slo-{o.name}-{w.severity}-{_span(seconds)}"


def _span(seconds: int) -> str:
    from .burn import _span as span

    return span(seconds)


def window_alarms(o: Objective) -> list[AlarmDef]:
    """One metric-math alarm per window of each pair: the window's bad ratio above the
    pair's threshold (burn × budget). They carry no actions: the composites do."""
    alarms = []
    for w in WINDOWS:
        threshold = round(w.threshold(o.objective, o.window_days), 10)
        for long in (True, False):
            seconds = w.long if long else w.short
            metrics, expression = o.at(seconds)
            alarms.append(AlarmDef(
                window_signal(o, w, long), ROUTE_SEVERITY[w.severity],
                f"{o.name} SLO {o.objective:g} %: the error ratio over {_span(seconds)} is "
                f"above {w.burn(o.window_days):g}x the budget ({threshold:g}); one half of the "
                f"{w.severity} alert on {w.label}",
                "GreaterThanThreshold", threshold, 1, 1, "notBreaching",
                expression=expression, metrics=metrics,
                missing_reason="no requests in the window is no evidence of failure"))
    return alarms


@dataclass(frozen=True)
class CompositeDef:
    """The alert of one severity of one objective: (long AND short) OR (long AND short)."""

    signal: str  # slo-<objective>-<page|ticket>
    severity: str  # page | ticket
    objective: Objective
    #: [(long signal, short signal)] of the pairs, ANDed, then ORed.
    pairs: tuple[tuple[str, str], ...]
    description: str


def composites(o: Objective) -> list[CompositeDef]:
    out = []
    for severity in SEVERITIES:
        pairs = tuple((window_signal(o, w, True), window_signal(o, w, False))
                      for w in WINDOWS if w.severity == severity)
        burns = ", ".join(f"{w.burn(o.window_days):g}x over {w.label}"
                          for w in WINDOWS if w.severity == severity)
        out.append(CompositeDef(
            f"slo-{o.name}-{severity}", severity, o, pairs,
            f"{o.name} SLO {o.objective:g} % over {o.window_days} days: the error budget "
            f"burns {burns} ({o.sli})"))
    return out


def alarm_rule(pairs: tuple[tuple[str, str], ...], name_of) -> str:
    """The composite's rule; ``name_of(signal)`` is the window alarm's full name."""
    return " OR ".join(f'(ALARM("{name_of(a)}") AND ALARM("{name_of(b)}"))' for a, b in pairs)
