"""The telemetry volume and cost model: per service and environment, per signal, per day.

For one unit of work (a request, a queue message, an invocation), ``units`` per day:

- **logs**: ``units x log_lines_per_request`` lines of ``log_line_bytes``; kept: the share
  of lines the log floor and noise filters keep, measured on a sample corpus per class
  of line (health checks, success lines, other) and weighted by the service's mix; the
  kept lines are shipped in fewer records (a stack trace or a line split at 16 KiB is one
  record: ``corpus.replay``), counted the same way; bytes follow the lines;
- **traces**: ``units x spans_per_request`` spans of ``span_bytes``; kept:
  ``error_span_share + (1 - error_span_share) x sampling_percent / 100`` (every error
  span is kept; the rest is sampled by trace id);
- **metrics**: ``units x metric_points_per_request`` points of ``metric_point_bytes``;
  the policy keeps them all;
- **Lambda platform logs**: ``invocations x 3`` lines (START, END, REPORT) of
  ``platform_line_bytes``; kept only at a system log level of INFO or DEBUG.

Costs: log bytes x ``logs_per_gb``, spans x ``spans_per_million``, metric points x
``metric_points_per_million`` (or bytes x ``metrics_per_gb``). A GB is 10^9 bytes, a
month 30 days. Pure Python: no cdktf.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ...errors import MISSING, Problem, SpecError
from ...load.provenance import Origin
from ...load.service_file import platform_of, source_of
from ...spec.environments import rollout_rank
from ...spec.traffic import RATE_FIELDS, UNITS, Prices
from .corpus import (
    Calibration,
    Corpus,
    LogRules,
    calibrate,
    default_corpus,
    lambda_rules,
    load_corpus,
    router_rules,
)

DAY_SECONDS = 86_400
MONTH_DAYS = 30
GB = 1e9
#: START, END and REPORT: Lambda's platform lines per invocation.
PLATFORM_LINES = 3
SIGNALS = {"logs": ("logs", "lines"), "traces": ("traces", "spans"), "metrics": ("metrics", "points"),
           "platform_logs": ("Lambda platform logs", "lines")}
#: Assumptions every service needs, besides its rate (and Lambda's platform_line_bytes).
SHAPE = ("log_lines_per_request", "spans_per_request", "metric_points_per_request",
         "log_line_bytes", "span_bytes", "metric_point_bytes", "error_span_share")
_UNTIL = re.compile(r"\(until (\d{4}-\d{2}-\d{2})\)")


@dataclass(frozen=True)
class Assumption:
    value: float
    #: ``file:line`` (and the layer: override, platform defaults), or how it was decided.
    origin: str


@dataclass(frozen=True)
class Policy:
    """What the model needs of a service's policy, as rendered."""

    sampling_percent: float
    log_level: str
    rules: LogRules
    #: Lambda's system log level (START/END/REPORT kept at INFO and DEBUG); None on ECS.
    system_log_level: str | None = None
    noise_patterns: int = 0
    incident: str | None = None

    @property
    def incident_until(self) -> date | None:
        found = _UNTIL.search(self.incident or "")
        return date.fromisoformat(found[1]) if found else None

    @property
    def traces_kept_note(self) -> str:
        return f"{self.sampling_percent:g} % + every error span"


@dataclass(frozen=True)
class Inputs:
    """Everything but the policy: the stack, its assumptions, its corpus, its prices."""

    stack: str
    service: str
    team: str
    environment: str
    kind: str
    file: str | None
    health_check_path: str | None
    assumptions: dict[str, Assumption]
    #: health_check_share / success_share when given; a share not given is measured.
    shares: dict[str, Assumption]
    corpus: Corpus
    prices: Prices | None
    prices_origin: str | None
    #: The environment's place in the rollout (order, name): reports list environments so.
    rank: tuple[int, str] = (0, "")

    @property
    def units_per_day(self) -> float:
        rate = self.assumptions[RATE_FIELDS[self.kind]].value
        return rate * DAY_SECONDS if self.kind == "web" else rate


@dataclass(frozen=True)
class SignalCost:
    signal: str
    all_count: float
    all_bytes: float
    kept_count: float
    kept_bytes: float
    cost_all: float | None
    cost_kept: float | None
    how: str

    @property
    def kept_share(self) -> float:
        return self.kept_count / self.all_count if self.all_count else 1.0


@dataclass(frozen=True)
class StackCost:
    inputs: Inputs
    policy: Policy
    calibration: Calibration
    #: The mix of log lines used: health_check, success, other -> share (with origin).
    mix: dict[str, Assumption]
    signals: tuple[SignalCost, ...]

    @property
    def priced(self) -> bool:
        return self.inputs.prices is not None

    def total(self, kept: bool) -> float | None:
        if not self.priced:
            return None
        return sum((s.cost_kept if kept else s.cost_all) or 0.0 for s in self.signals)

    def total_bytes(self, kept: bool) -> float:
        return sum(s.kept_bytes if kept else s.all_bytes for s in self.signals)


def _kind(service) -> str:
    return "lambda" if service.kind == "lambda" else service.spec.kind


def policy_of(service) -> Policy:
    """The policy of a resolved service, its log rules read from its rendered router config."""
    from ..render import render_router_config

    t = service.telemetry
    if service.kind == "lambda":
        return Policy(t.sampling_percent, t.log_level, lambda_rules(service.application_log_level),
                      service.system_log_level, len(t.noise_patterns), t.incident)
    return Policy(t.sampling_percent, t.log_level, router_rules(render_router_config(service)),
                  None, len(t.noise_patterns), t.incident)


def _origin_text(origin: Origin | None, fallback: str) -> str:
    return str(origin) if origin is not None else fallback


def inputs_of(service) -> Inputs:
    """The assumptions (service file over platform.yaml), corpus and prices of a service;
    SpecError names what is missing or wrong, at its file and line."""
    spec = service.spec
    kind = _kind(service)
    origins = source_of(spec) or {}
    context = platform_of(spec)
    own, plat = spec.traffic, (context.environment.traffic if context else None)
    needed = [RATE_FIELDS[kind], *SHAPE] + (["platform_line_bytes"] if kind == "lambda" else [])
    values: dict[str, Assumption] = {}
    missing = []
    for name in [*needed, "health_check_share", "success_share"]:
        if own is not None and getattr(own, name) is not None:
            values[name] = Assumption(getattr(own, name),
                                      _origin_text(origins.get(("traffic", name)), "service spec"))
        elif plat is not None and getattr(plat, name) is not None and \
                not (name == "health_check_share" and kind != "web"):
            values[name] = Assumption(getattr(plat, name), str(context.origin("traffic", name)))
        elif name in needed:
            missing.append(name)
    where = origins.get(("traffic",)) or origins.get(("name",))
    if missing:
        raise SpecError(Problem(
            ("traffic",), MISSING,
            f"{service.stack_name}: golden-path cost needs {', '.join(missing)}: set them in the "
            "service file's traffic: or in platform.yaml's defaults.traffic",
            where.file if where else None, where.line if where else None))
    shares = {name.removesuffix("_share"): values.pop(name)
              for name in ("health_check_share", "success_share") if name in values}
    if kind == "lambda":
        shares = {}  # a function's stdout sees only Lambda's application log level
    prices = context.environment.prices if context else None
    return Inputs(
        stack=service.stack_name, service=spec.name, team=spec.team, environment=spec.environment,
        kind=kind, file=where.file if where else None,
        health_check_path=getattr(spec, "health_check_path", None) if kind == "web" else None,
        assumptions=values, shares=shares, corpus=corpus_of(spec, origins),
        prices=prices, prices_origin=str(context.origin("prices")) if prices else None,
        rank=rollout_rank(spec))


def corpus_of(spec, origins) -> Corpus:
    """The service's own corpus (``telemetry.sample_logs``, relative to the file that names
    it), or golden_path's default."""
    given = spec.telemetry.sample_logs
    if not given:
        return default_corpus()
    origin = origins.get(("telemetry", "sample_logs"))
    path = Path(given)
    if not path.is_absolute() and origin is not None:
        path = Path(origin.file).parent / path
    try:
        return load_corpus(str(path))
    except SpecError as err:
        raise err.placed(origins) from None


def evaluate(inputs: Inputs, policy: Policy) -> StackCost:
    """Volumes and costs per day of one stack under one policy."""
    cal = calibrate(policy.rules, inputs.corpus, inputs.kind, inputs.health_check_path)
    mix = _mix(inputs, cal)
    a = {k: v.value for k, v in inputs.assumptions.items()}
    units = inputs.units_per_day
    unit = UNITS[inputs.kind]
    rate = inputs.assumptions[RATE_FIELDS[inputs.kind]].value
    units_text = (f"{number(rate)} {unit}s/s x 86,400 s" if inputs.kind == "web"
                  else f"{number(rate)} {unit}s/day")
    p = inputs.prices
    signals = []

    kept = sum(mix[c].value * _kept(cal, c) for c in mix)
    records = sum(mix[c].value * _records(cal, c) for c in mix)
    lines = units * a["log_lines_per_request"]
    parts = " + ".join(f"{pct(mix[c].value)} {c.replace('_', ' ')} x {pct(_kept(cal, c))} kept"
                       for c in mix if mix[c].value)
    joined = (f"; shipped as {pct(records)} as many records (stack traces and split lines "
              "joined)" if abs(records - kept) > 1e-12 else "")
    signals.append(_signal(
        "logs", lines, a["log_line_bytes"], lines * records, _per_gb(p and p.logs_per_gb),
        f"{units_text} x {number(a['log_lines_per_request'])} lines = {number(lines)} lines of "
        f"{number(a['log_line_bytes'])} B; kept {pct(kept)} = {parts or 'nothing'}{joined}",
        kept_bytes=lines * kept * a["log_line_bytes"]))

    spans = units * a["spans_per_request"]
    e = a["error_span_share"]
    share = e + (1 - e) * policy.sampling_percent / 100
    signals.append(_signal(
        "traces", spans, a["span_bytes"], spans * share,
        _per_million(p and p.spans_per_million),
        f"{units_text} x {number(a['spans_per_request'])} spans = {number(spans)} spans of "
        f"{number(a['span_bytes'])} B; kept {pct(e)} errors + {pct(1 - e)} x "
        f"{policy.sampling_percent:g} % sampled = {pct(share)}"))

    points = units * a["metric_points_per_request"]
    metric_price = (_per_million(p.metric_points_per_million) if p and p.metric_points_per_million
                    is not None else _per_gb(p and p.metrics_per_gb))
    signals.append(_signal(
        "metrics", points, a["metric_point_bytes"], points, metric_price,
        f"{units_text} x {number(a['metric_points_per_request'])} points = {number(points)} points of "
        f"{number(a['metric_point_bytes'])} B; all kept (the policy samples no metrics)"))

    if inputs.kind == "lambda":
        platform = units * PLATFORM_LINES
        level = policy.system_log_level or "INFO"
        keeps = level.upper() in ("TRACE", "DEBUG", "INFO")
        signals.append(_signal(
            "platform_logs", platform, a["platform_line_bytes"], platform if keeps else 0.0,
            _per_gb(p and p.logs_per_gb),
            f"{units_text} x 3 lines (START, END, REPORT) = {number(platform)} lines of "
            f"{number(a['platform_line_bytes'])} B; system log level {level}: "
            + ("all kept" if keeps else "all dropped")))
    return StackCost(inputs, policy, cal, mix, tuple(signals))


def _kept(cal: Calibration, cls: str) -> float:
    c = cal.classes[cls]
    return c.kept / c.lines if c.lines else 1.0


def _records(cal: Calibration, cls: str) -> float:
    """Records shipped per line of the class (a class the corpus lacks: one per line)."""
    c = cal.classes[cls]
    return c.records / c.lines if c.lines else 1.0


def _mix(inputs: Inputs, cal: Calibration) -> dict[str, Assumption]:
    """Shares of health checks, success lines and other lines: as given, else measured."""
    measured = "measured in the corpus"
    mix: dict[str, Assumption] = {}
    for cls in ("health_check", "success"):
        given = inputs.shares.get(cls)
        if given is not None:
            if given.value and not cal.classes[cls].lines:
                raise SpecError(Problem(
                    ("traffic", f"{cls}_share"), given.value,
                    f"{inputs.stack}: the corpus {cal.corpus.name} has no {cls.replace('_', ' ')} "
                    f"lines of a {inputs.kind} service to measure what the filters drop: add some "
                    f"(## kind: {inputs.kind}), or leave the share unset", *_at(given.origin)))
            mix[cls] = given
        else:
            mix[cls] = Assumption(cal.measured_share(cls), measured)
    other = 1 - mix["health_check"].value - mix["success"].value
    if other < -1e-9:
        given = next(v for v in (inputs.shares.get("health_check"), inputs.shares.get("success")) if v)
        raise SpecError(Problem(
            ("traffic", "success_share"), round(1 - other - mix["health_check"].value, 6),
            f"{inputs.stack}: health checks ({pct(mix['health_check'].value)}) and success "
            f"lines ({pct(mix['success'].value)}) are more than all the lines: set both shares",
            *_at(given.origin)))
    if other > 1e-9 and not cal.classes["other"].lines:
        raise SpecError(Problem(("telemetry", "sample_logs"), cal.corpus.name,
                                f"{inputs.stack}: the corpus has no lines other than health checks "
                                "and success lines to measure the log floor on"))
    mix["other"] = Assumption(max(other, 0.0), "the rest" if inputs.shares else measured)
    return mix


def _at(origin: str) -> tuple[str | None, int | None]:
    found = re.match(r"^(.+?):(\d+)(?: \(|$)", origin)
    return (found[1], int(found[2])) if found else (None, None)


def _per_gb(price: float | None):
    return None if price is None else ("bytes", price / GB)


def _per_million(price: float | None):
    return None if price is None else ("count", price / 1e6)


def _signal(name: str, count: float, size: float, kept: float, price, how: str,
            kept_bytes: float | None = None) -> SignalCost:
    """``kept_bytes``: when kept records are not ``size`` each (joined log lines)."""
    kept_bytes = kept * size if kept_bytes is None else kept_bytes

    def cost(n: float, n_bytes: float) -> float | None:
        if price is None:
            return None
        return (n_bytes if price[0] == "bytes" else n) * price[1]

    return SignalCost(name, count, count * size, kept, kept_bytes, cost(count, count * size),
                      cost(kept, kept_bytes), how)


def pct(share: float) -> str:
    """A share as a percentage with three significant digits: 32 %, 0.6 %, 100 %."""
    return f"{share * 100:.3g} %"


def number(value: float) -> str:
    """A number as written in the model's text: 86,400; 0.5; 20.7 M."""
    if value >= 1e6:
        return f"{value / 1e6:,.3g} M" if value < 1e9 else f"{value / 1e9:,.3g} G"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.4g}"


def stack_costs(services) -> list[StackCost]:
    """Every stack's costs; all problems of all stacks at once."""
    out, problems = [], []
    services = sorted(services, key=lambda s: (s.spec.name, rollout_rank(s.spec)))
    for service in services:
        try:
            out.append(evaluate(inputs_of(service), policy_of(service)))
        except SpecError as err:
            problems += err.problems
    if problems:
        raise SpecError(problems)
    currencies = {s.inputs.prices.currency: s.inputs.prices_origin for s in out if s.priced}
    if len(currencies) > 1:
        raise SpecError([Problem(("prices", "currency"), c, "one fleet, one currency: the totals "
                                 f"add up prices in {', '.join(sorted(currencies))}", *_at(o))
                         for c, o in currencies.items()])
    return out
