"""``golden-path cost`` output: Markdown tables for people, JSON (``CostReport``) for tools."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, PrivateAttr

from .model import GB, MONTH_DAYS, SIGNALS, StackCost, pct


class Assumed(BaseModel):
    value: float
    origin: str


class SignalModel(BaseModel):
    signal: str
    unit: str
    all_per_day: float
    all_bytes_per_day: float
    kept_per_day: float
    kept_bytes_per_day: float
    #: None without prices (volumes only).
    cost_all_per_day: float | None
    cost_kept_per_day: float | None
    how: str = ""


class LineClass(BaseModel):
    lines: int
    dropped_by_floor: int
    dropped_by_noise: int
    kept: int
    #: The records the kept lines are shipped in (stack traces and split lines joined).
    kept_records: int
    #: The share of the service's log lines of this class, and where it came from.
    share: Assumed


class CorpusModel(BaseModel):
    name: str
    default: bool
    lines: int
    classes: dict[str, LineClass]


class PolicyModel(BaseModel):
    sampling_percent: float
    log_level: str
    noise_patterns: int
    system_log_level: str | None
    incident: str | None


class StackModel(BaseModel):
    stack: str
    service: str
    team: str
    environment: str
    kind: str
    file: str | None
    policy: PolicyModel
    corpus: CorpusModel
    assumptions: dict[str, Assumed]
    signals: list[SignalModel]
    cost_all_per_day: float | None
    cost_kept_per_day: float | None


class ServiceTotal(BaseModel):
    service: str
    team: str
    environments: list[str]
    gb_all_per_month: float
    gb_kept_per_month: float
    cost_all_per_month: float | None
    cost_kept_per_month: float | None


class CostReport(BaseModel):
    """The JSON form's schema (``golden-path cost --format json``)."""

    currency: str | None
    #: Where each environment's prices come from (platform.yaml file:line).
    prices: dict[str, str]
    month_days: int
    gb_bytes: int
    stacks: list[StackModel]
    #: Per signal, then ``total``, for the whole fleet (the stacks shown).
    fleet: list[SignalModel]
    #: The 10 services that cost most after the policy (by GB without prices).
    top: list[ServiceTotal]
    #: The environments in rollout order (platform.yaml), for the Markdown's summary.
    _environments: list[str] = PrivateAttr(default_factory=list)


def build(costs: list[StackCost]) -> CostReport:
    priced = [c for c in costs if c.priced]
    currency = priced[0].inputs.prices.currency if priced else None
    stacks = [_stack(c) for c in costs]
    fleet = []
    for signal, (_, unit) in SIGNALS.items():
        rows = [s for c in stacks for s in c.signals if s.signal == signal]
        if rows:
            fleet.append(_sum(signal, unit, rows, bool(priced)))
    fleet.append(_sum("total", "", fleet, bool(priced)))
    by_service: dict[str, list[StackModel]] = defaultdict(list)
    for s in stacks:
        by_service[s.service].append(s)
    top = [ServiceTotal(
        service=name, team=group[0].team, environments=[s.environment for s in group],
        gb_all_per_month=sum(x.all_bytes_per_day for s in group for x in s.signals) * MONTH_DAYS / GB,
        gb_kept_per_month=sum(x.kept_bytes_per_day for s in group for x in s.signals) * MONTH_DAYS / GB,
        cost_all_per_month=_month(group, "cost_all_per_day"),
        cost_kept_per_month=_month(group, "cost_kept_per_day"))
        for name, group in by_service.items()]
    top.sort(key=lambda t: (-(t.cost_kept_per_month or 0), -t.gb_kept_per_month, t.service))
    report = CostReport(currency=currency,
                        prices={c.inputs.environment: c.inputs.prices_origin for c in priced},
                        month_days=MONTH_DAYS, gb_bytes=int(GB), stacks=stacks, fleet=fleet,
                        top=top[:10])
    ranked = sorted({c.inputs.rank for c in costs})
    report._environments = list(dict.fromkeys(name for _, name in ranked))
    return report


def _month(group: list[StackModel], key: str) -> float | None:
    values = [getattr(s, key) for s in group]
    return None if all(v is None for v in values) else sum(v or 0 for v in values) * MONTH_DAYS


def _sum(signal: str, unit: str, rows: list[SignalModel], priced: bool) -> SignalModel:
    def total(key: str) -> float | None:
        return sum(getattr(r, key) or 0.0 for r in rows) if priced else None

    return SignalModel(signal=signal, unit=unit,
                       all_per_day=sum(r.all_per_day for r in rows) if unit else 0.0,
                       all_bytes_per_day=sum(r.all_bytes_per_day for r in rows),
                       kept_per_day=sum(r.kept_per_day for r in rows) if unit else 0.0,
                       kept_bytes_per_day=sum(r.kept_bytes_per_day for r in rows),
                       cost_all_per_day=total("cost_all_per_day"),
                       cost_kept_per_day=total("cost_kept_per_day"))


def _stack(c: StackCost) -> StackModel:
    i, p, cal = c.inputs, c.policy, c.calibration
    return StackModel(
        stack=i.stack, service=i.service, team=i.team, environment=i.environment, kind=i.kind,
        file=i.file,
        policy=PolicyModel(sampling_percent=p.sampling_percent, log_level=p.log_level,
                           noise_patterns=p.noise_patterns, system_log_level=p.system_log_level,
                           incident=p.incident),
        corpus=CorpusModel(name=cal.corpus.name, default=cal.corpus.default, lines=cal.lines,
                           classes={k: LineClass(lines=v.lines, dropped_by_floor=v.floor,
                                                 dropped_by_noise=v.noise, kept=v.kept,
                                                 kept_records=v.records,
                                                 share=Assumed(**vars(c.mix[k])))
                                    for k, v in cal.classes.items()}),
        assumptions={k: Assumed(**vars(v)) for k, v in i.assumptions.items()},
        signals=[SignalModel(signal=s.signal, unit=SIGNALS[s.signal][1], all_per_day=s.all_count,
                             all_bytes_per_day=s.all_bytes, kept_per_day=s.kept_count,
                             kept_bytes_per_day=s.kept_bytes, cost_all_per_day=s.cost_all,
                             cost_kept_per_day=s.cost_kept, how=s.how) for s in c.signals],
        cost_all_per_day=c.total(kept=False), cost_kept_per_day=c.total(kept=True))


def to_json(report: CostReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


# ---- Markdown -------------------------------------------------------------------------------

def count(n: float) -> str:
    """20.7 M, 5.18 k, 12."""
    for limit, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if n >= limit:
            return f"{n / limit:.3g}{suffix}"
    return f"{n:.3g}" if n else "0"


def size(n: float) -> str:
    """Bytes in decimal units: 7.26 GB, 512 MB."""
    for limit, suffix in ((1e12, " TB"), (1e9, " GB"), (1e6, " MB"), (1e3, " kB")):
        if n >= limit:
            return f"{n / limit:.3g}{suffix}"
    return f"{n:.0f} B"


def money(n: float | None, currency: str | None) -> str:
    if n is None or currency is None:
        return "-"
    if 0 < n < 0.01:
        return f"<0.01 {currency}"
    return f"{n:,.2f} {currency}"


def saved(before: float, after: float) -> str:
    return pct(1 - after / before) if before else "-"


def to_markdown(report: CostReport) -> str:
    cur = report.currency
    envs = report._environments or list(dict.fromkeys(s.environment for s in report.stacks))
    out = ["## Telemetry volume and cost", ""]
    prices = (f"prices in {cur} from {', '.join(sorted(set(report.prices.values())))}" if cur
              else "no prices in platform.yaml: volumes only")
    unpriced = [e for e in envs if cur and e not in report.prices]
    if unpriced:
        prices += f" (none for {', '.join(unpriced)}: their stacks count 0 in the totals)"
    out.append(f"{len(report.stacks)} stacks ({', '.join(envs)}); {prices}; per day unless "
               f"said; a month is {report.month_days} days, a GB 10^9 bytes. Everything kept: "
               "what the services produce; after the policy: what is still shipped and billed; "
               "saved: by cost where priced, else by volume.")
    out += ["", "### Fleet, per day", "",
            "| signal | everything kept | after the policy | saved |", "| --- | ---: | ---: | ---: |"]
    for row in report.fleet:
        label = SIGNALS[row.signal][0] if row.signal in SIGNALS else "**total**"

        def cell(n: float, b: float, c: float | None, unit: str = row.unit) -> str:
            parts = ([f"{count(n)} {unit}"] if unit else []) + [size(b)]
            return ", ".join(parts + ([money(c, cur)] if cur else []))

        out.append(f"| {label} | {cell(row.all_per_day, row.all_bytes_per_day, row.cost_all_per_day)} "
                   f"| {cell(row.kept_per_day, row.kept_bytes_per_day, row.cost_kept_per_day)} "
                   f"| {_saved(row, cur)} |")
    total = report.fleet[-1]
    month = [size(total.all_bytes_per_day * MONTH_DAYS), size(total.kept_bytes_per_day * MONTH_DAYS)]
    if cur:
        month = [f"{month[0]}, {money(_m(total.cost_all_per_day), cur)}",
                 f"{month[1]}, {money(_m(total.cost_kept_per_day), cur)}"]
    out.append(f"| **total per month** | {month[0]} | {month[1]} | {_saved(total, cur)} |")
    key = "cost" if cur else "volume"
    out += ["", f"### Top {len(report.top)} services by {key} after the policy, per month", "",
            "| service | team | environments | everything kept | after the policy | saved |",
            "| --- | --- | --- | ---: | ---: | ---: |"]
    for t in report.top:
        if cur:
            a, k = money(t.cost_all_per_month, cur), money(t.cost_kept_per_month, cur)
            cut = saved(t.cost_all_per_month or 0, t.cost_kept_per_month or 0)
        else:
            a, k = size(t.gb_all_per_month * GB), size(t.gb_kept_per_month * GB)
            cut = saved(t.gb_all_per_month, t.gb_kept_per_month)
        out.append(f"| `{t.service}` | {t.team} | {', '.join(t.environments)} | {a} | {k} | {cut} |")
    out += ["", "### Per stack, per day: everything kept -> after the policy", "",
            "| stack | policy | logs (lines) | traces (spans) | metrics (points) | "
            "Lambda platform logs | volume | cost |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for s in report.stacks:
        by = {x.signal: x for x in s.signals}
        volume = (f"{size(sum(x.all_bytes_per_day for x in s.signals))} -> "
                  f"{size(sum(x.kept_bytes_per_day for x in s.signals))}")
        cost = (f"{money(s.cost_all_per_day, cur)} -> {money(s.cost_kept_per_day, cur)}" if cur
                else "-")
        cells = " | ".join(_arrow(by.get(k)) for k in SIGNALS)
        out.append(f"| `{s.stack}` | {_policy(s)} | {cells} | {volume} | {cost} |")
    out += ["", "### How each number was computed", ""]
    for s in report.stacks:
        out += _how(s, cur)
    return "\n".join(out) + "\n"


def _saved(row: SignalModel, currency: str | None) -> str:
    """By cost where priced, else by volume."""
    if currency and row.cost_all_per_day is not None:
        return saved(row.cost_all_per_day, row.cost_kept_per_day or 0)
    return saved(row.all_bytes_per_day, row.kept_bytes_per_day)


def _arrow(x: SignalModel | None) -> str:
    if x is None:
        return ""
    if x.kept_per_day == x.all_per_day:
        return count(x.all_per_day)
    return f"{count(x.all_per_day)} -> {count(x.kept_per_day)}"


def _exact(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:g}"


def _m(n: float | None) -> float | None:
    return None if n is None else n * MONTH_DAYS


def _policy(s: StackModel) -> str:
    p = s.policy
    text = f"traces {p.sampling_percent:g} %, logs >= {p.log_level}"
    if p.system_log_level:
        text += f", system {p.system_log_level}"
    return text + (" **INCIDENT**" if p.incident else "")


def _in_records(v: LineClass) -> str:
    return f" in {v.kept_records} records" if v.kept_records != v.kept else ""


def _how(s: StackModel, cur: str | None) -> list[str]:
    p, c = s.policy, s.corpus
    out = [f"**`{s.stack}`** ({s.kind}, {s.file or 'no file'})", ""]
    policy = (f"traces {p.sampling_percent:g} % sampled by trace id + every error span; log floor "
              f"{p.log_level}; {p.noise_patterns} noise patterns")
    if p.system_log_level:
        policy += (f"; Lambda application log level {p.log_level.upper()}, system log level "
                   f"{p.system_log_level}; a function's stdout passes only the application level")
    if p.incident:
        policy += f"; INCIDENT OVERRIDE {p.incident}"
    out.append(f"- policy: {policy}")
    classes = "; ".join(
        f"{name.replace('_', ' ')} {v.lines} (floor drops {v.dropped_by_floor}, noise "
        f"{v.dropped_by_noise}, kept {v.kept}{_in_records(v)}; {pct(v.share.value)} of the lines: "
        f"{v.share.origin})"
        for name, v in c.classes.items() if v.lines or v.share.value)
    out.append(f"- corpus: {c.name}, {c.lines} lines of a {s.kind} service: {classes}")
    for x in s.signals:
        cost = (f"; {money(x.cost_all_per_day, cur)} -> {money(x.cost_kept_per_day, cur)}"
                if cur and x.cost_all_per_day is not None else "")
        out.append(f"- {SIGNALS[x.signal][0]}: {x.how}; {size(x.all_bytes_per_day)} -> "
                   f"{size(x.kept_bytes_per_day)}{cost}")
    out.append("- assumptions: " + "; ".join(f"{k} {_exact(v.value)} ({v.origin})"
                                             for k, v in s.assumptions.items()))
    return out + [""]
