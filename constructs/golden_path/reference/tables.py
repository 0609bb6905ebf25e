"""The pages generated from the code's own tables: `--fail-on` rules, default alarms per
kind (computed for a symbolic service), checkov skips."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from .markdown import page, table


def fail_on_rules_page() -> str:
    from ..review.findings import ALL_RULES

    intro = """
`golden-path review --fail-on RULE,RULE,...` turns findings into a failed check: when a
listed rule fires, the command exits 1 and the comment starts with the rules that fired; an
unknown rule exits 2. `golden-path review --help` lists the same rules. Every rule also
shows under "What you must not miss" in the comment whether or not it is in `--fail-on`.

How the review reads a change: [review](../review.md).
"""
    rows = [[f"`{rule}`", meaning] for rule, meaning in ALL_RULES.items()]
    return page("`--fail-on` rules", intro, table(["rule", "meaning"], rows),
                "`python -m golden_path.reference` from `golden_path.review.findings.ALL_RULES`")



class Sym:
    """A number the defaults compute from a service's own value: shows as the expression."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text if self.text.startswith("`") or " " in self.text else f"`{self.text}`"

    def _op(self, op: str, other: Any) -> Sym:
        if isinstance(other, float) and other < 1:
            return Sym(f"{other * 100:g} % of {self}")
        return Sym(f"{self} {op} {other}")

    def __mul__(self, other: Any) -> Sym:
        if other == 1000:  # seconds -> milliseconds
            return Sym(f"{self} (ms)")
        return self._op("×", other)

    __rmul__ = __mul__

    def __round__(self, ndigits: int | None = None) -> Sym:
        return self

    def __format__(self, spec: str) -> str:
        return str(self)

    def __bool__(self) -> bool:
        return True


class _Service(SimpleNamespace):
    """A symbolic service: what a default reads and this module does not set is None (an
    option left off), so a new optional attribute does not break the page."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None


#: Each kind the defaults know, the options that add alarms, and how each option is set on
#: the symbolic service: (title, kind, {option: (attribute path, value when on)}).
_KINDS: list[tuple[str, str, dict[str, tuple[str, Any]]]] = [
    ("Fargate web (`kind: web`)", "web", {}),
    ("Fargate worker (`kind: worker`)", "worker", {
        "scaling.queue": ("scaling.queue_name", "<queue>"),
        "scaling.queue.create": ("queue", _Service(name="<queue>", dead_letter_name="<dlq>"))}),
    ("Lambda function (`runtime: lambda`)", "lambda", {
        "reserved_concurrency": ("spec.reserved_concurrency", Sym("reserved_concurrency")),
        "triggers.sqs": ("names.queue", "<queue>")}),
]


def _symbolic(kind: str, options: dict[str, tuple[str, Any]], on: set[str]) -> _Service:
    spec = _Service(
        name="<service>", environment="<environment>", timeout=Sym("timeout"),
        load_balancer=_Service(listener_arn="arn:aws:elasticloadbalancing:r:1:listener/"
                                            "app/lb/0123456789abcdef/0123456789abcdef"))
    names = _Service(service="<service>", sidecar_exit_rule="<service>-<env>-sidecar-exits",
                     function="<function>", dead_letter_queue="<dlq>")
    scaling = _Service(min=Sym("scaling.min"), max=Sym("scaling.max"),
                       messages_per_task=Sym("scaling.queue.messages_per_task"))
    svc = _Service(spec=spec, names=names, scaling=scaling, cluster_name="<cluster>",
                   is_web=kind == "web", kind="lambda" if kind == "lambda" else "ecs")
    for option in on:
        path, value = options[option]
        *holders, attr = path.split(".")
        target = svc
        for holder in holders:
            target = getattr(target, holder)
        setattr(target, attr, value)
    return svc


def signals_by_kind() -> dict[str, set[str]]:
    """kind (web, worker, lambda) -> every default signal the page lists for it."""
    from ..alerts import defaults

    out = {}
    for _, kind, options in _KINDS:
        compute = defaults.lambda_defaults if kind == "lambda" else defaults.fargate_defaults
        out[kind] = {d.signal for d in compute(_symbolic(kind, options, set(options)))}
    return out


def _metric(m) -> str:
    return f"`{m.namespace}` `{m.name}` {m.statistic}"


def _alarm_row(d, when: str) -> list[str]:
    from ..alerts.defaults import is_band

    if d.expression:
        metrics = ", ".join(f"{key} = {_metric(m)}" for key, m in d.metrics.items())
        what = f"`{d.expression}` over {metrics}"
        period = next(iter(d.metrics.values())).period
    else:
        what, period = _metric(d.metric), d.metric.period
    comparison = {"GreaterThanThreshold": ">", "LessThanThreshold": "<",
                  "GreaterThanOrEqualToThreshold": "≥", "LessThanOrEqualToThreshold": "≤"}
    if is_band(d):
        threshold = "above the band"
    else:
        value = d.threshold if isinstance(d.threshold, Sym) else f"{d.threshold:g}"
        threshold = f"{comparison.get(d.comparison, d.comparison)} {value}"
    missing = f"`{d.missing_data}`" + (f": {d.missing_reason}" if d.missing_reason else "")
    return [f"`{d.signal}`", d.severity, what, threshold,
            f"{period} s, {d.datapoints} of {d.periods}", missing, when, d.description]


def default_alarms_page() -> str:
    from ..alerts import defaults

    sections = []
    for title, kind, options in _KINDS:
        compute = defaults.lambda_defaults if kind == "lambda" else defaults.fargate_defaults
        full = compute(_symbolic(kind, options, set(options)))
        base = {d.signal for d in compute(_symbolic(kind, options, set()))}
        rows = []
        for d in full:
            needs = [o for o in options if d.signal not in base
                     and d.signal not in {x.signal for x in compute(
                         _symbolic(kind, options, set(options) - {o}))}]
            rows.append(_alarm_row(d, ", ".join(f"with `{o}`" for o in needs)))
        sections.append(f"## {title}\n\n" + table(
            ["signal", "severity", "metric", "threshold", "period, datapoints", "missing data",
             "when", "description"], rows))
    intro = f"""
The alarms every service gets, per kind, from `constructs/golden_path/alerts/defaults.py`.
A value in `code` in a threshold or description is the service's own (its `scaling.min`,
its `timeout`, ...). Alarm names are `<environment>-<team>-<service>-<signal>`.

- `alerts.overrides.<signal>` changes `threshold` (for an anomaly band: its width, default
  {defaults.ANOMALY_BAND_WIDTH} standard deviations) or `severity`, or sets `disabled: true`,
  always with a `reason`.
- The severity decides who is told, and the environment's profile which severities page:
  [alerts](../alerts.md).
- **when**: an alarm that only exists with that field set.
"""
    return page("Default alarms per kind", intro, "\n\n".join(sections),
                "`python -m golden_path.reference` from `golden_path.alerts.defaults`")



def checkov_skips_page() -> str:
    from ..resolve.checkov_skips import SKIPS

    intro = """
The checkov checks golden_path does not pass on purpose, each with its one reason, from
`SKIPS` in `constructs/golden_path/resolve/checkov_skips.py`. A skip is written on the
resource it excuses in the synthesized JSON, and only where it applies; every other check
passes. How the skips are applied and kept honest: [security](../security.md).
"""
    rows = [[f"`{check}`", reason] for check, reason in SKIPS.items()]
    return page("checkov skips", intro, table(["check", "why golden_path does not pass it"], rows),
                "`python -m golden_path.reference` from "
                "`golden_path.resolve.checkov_skips.SKIPS`")
