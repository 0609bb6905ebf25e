"""What a pull request's telemetry change costs per day, for ``golden-path review``.

The policy of each side is read from the synth output (the rendered collector and
Fluent Bit configs, a function's logging config), so the numbers follow what would
be deployed; the traffic assumptions, corpus and prices are the head's service files
and platform.yaml (``--services``). Without them, the line gives the kept shares only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ...errors import SpecError
from ...review.synth_diff import StackDiff, unescape
from .corpus import calibrate, default_corpus, lambda_rules, router_rules
from .model import MONTH_DAYS, SIGNALS, Inputs, Policy, StackCost, evaluate, inputs_of, pct
from .report import count, money, size

#: The findings whose change this line prices.
TELEMETRY_RULES = ("sampling-changed", "log-filters-changed")
_SAMPLING = re.compile(r"^\s*sampling_percentage:\s*([0-9.eE+-]+)\s*$", re.M)
_FLOOR = re.compile(r"^# Log floor: (\w+)\.", re.M)
_INCIDENT = re.compile(r"INCIDENT OVERRIDE: (.*)\.\s*$", re.M)


@dataclass(frozen=True)
class CostChange:
    stack: str
    detail: str
    #: Change of the cost per day after the policy (None without prices or assumptions).
    per_day: float | None = None
    currency: str | None = None
    #: An incident override in head: its days left (today to its expiry, both counted).
    days: int | None = None
    total: float | None = None


def policy_from_stack(resources: dict[str, dict]) -> tuple[str, Policy] | None:
    """(kind, policy) of a stack's synthesized resources; None when it has no telemetry."""
    def text(prefix: str, key: str, suffix: str = "") -> str | None:
        for address, attrs in resources.items():
            if address.startswith(prefix) and str(attrs.get("name", attrs.get("key", ""))).endswith(suffix):
                return unescape(str(attrs.get(key) or ""))
        return None

    function = next((a for k, a in resources.items() if k.startswith("aws_lambda_function.")), None)
    if function is not None:
        collector = text("aws_s3_object.", "content")
        logging = function.get("logging_config") or {}
        logging = logging[0] if isinstance(logging, list) and logging else logging
        if not collector or not isinstance(logging, dict) or "application_log_level" not in logging:
            return None
        kind, router = "lambda", None
        rules = lambda_rules(logging["application_log_level"])
    else:
        collector = text("aws_ssm_parameter.", "value", "/otel-collector-config")
        router = text("aws_ssm_parameter.", "value", "/fluent-bit-config")
        if not collector or not router:
            return None
        kind = "web" if any(k.startswith("aws_lb_target_group.") for k in resources) else "worker"
        rules = router_rules(router)
    sampling = _SAMPLING.search(collector)
    floor = _FLOOR.search(router or collector)
    incident = _INCIDENT.search(router or collector)
    noise = len(re.findall(r"^\s+Exclude\s+message ", router or "", re.M)) if router else 0
    return kind, Policy(float(sampling[1]) if sampling else 100.0, floor[1] if floor else "debug",
                        rules, logging.get("system_log_level") if function is not None else None,
                        noise, incident[1] if incident else None)


def cost_changes(diffs: list[StackDiff], found, services: dict | None = None,
                 today: date | None = None) -> list[CostChange]:
    """One line per stack whose sampling, log floor, noise filters or incident override
    changes: the volume and cost per day before and after (an override: per day while
    it lasts, and in total until it expires)."""
    today = today or date.today()
    stacks = {f.stack for f in found if f.rule in TELEMETRY_RULES}
    out = []
    for d in diffs:
        if d.name not in stacks:
            continue
        base, head = policy_from_stack(d.base), policy_from_stack(d.head)
        if base is None or head is None:
            continue
        service = (services or {}).get(d.name)
        if service is None:
            out.append(CostChange(d.name, _shares(head[0], base[1], head[1])
                                  + " (pass --services with the service files for volumes and "
                                    "cost per day)"))
            continue
        try:
            inputs = inputs_of(service)
            before, after = evaluate(inputs, base[1]), evaluate(inputs, head[1])
        except SpecError as err:
            out.append(CostChange(d.name, _shares(head[0], base[1], head[1]) + " (no volumes: "
                                  + "; ".join(p.hint for p in err.problems) + ")"))
            continue
        out.append(_priced(inputs, before, after, today))
    return out


def _shares(kind: str, base: Policy, head: Policy) -> str:
    corpus = default_corpus()
    kept = []
    for policy in (base, head):
        cal = calibrate(policy.rules, corpus, kind)
        kept.append(sum(c.kept for c in cal.classes.values()) / cal.lines if cal.lines else 1.0)
    parts = []
    if kept[0] != kept[1]:
        parts.append(f"log lines kept {pct(kept[0])} -> {pct(kept[1])} (measured on {corpus.name})")
    if base.sampling_percent != head.sampling_percent:
        parts.append(f"traces sampled {base.sampling_percent:g} % -> {head.sampling_percent:g} % "
                     "(+ every error span)")
    if base.system_log_level != head.system_log_level:
        parts.append(f"Lambda system log level {base.system_log_level} -> {head.system_log_level}")
    return "; ".join(parts) or "no change in what is kept"


def _priced(inputs: Inputs, base: StackCost, head: StackCost, today: date) -> CostChange:
    parts = []
    for b, h in zip(base.signals, head.signals, strict=True):
        if b.kept_count != h.kept_count:
            label, unit = SIGNALS[b.signal]
            parts.append(f"{label} {count(b.kept_count)} -> {count(h.kept_count)} {unit}/day")
    delta_bytes = head.total_bytes(kept=True) - base.total_bytes(kept=True)
    sign = "+" if delta_bytes >= 0 else "-"
    text = "; ".join(parts) or "no change in what is kept"
    text += f"; {sign}{size(abs(delta_bytes))}/day"
    cur = inputs.prices.currency if inputs.prices else None
    before, after = base.total(kept=True), head.total(kept=True)
    per_day = None if before is None or after is None else after - before
    if per_day is not None:
        text += f", {_signed(per_day, cur)}/day"
    until, days, total = head.policy.incident_until, None, None
    if head.policy.incident and head.policy.incident != base.policy.incident and until:
        days = max((until - today).days + 1, 0)
        total = None if per_day is None else per_day * days
        reason = head.policy.incident.rsplit(" (until ", 1)[0]
        text += (f" while the incident override lasts ({reason}, until {until.isoformat()}: "
                 f"{days} day{'s' if days != 1 else ''} from {today.isoformat()}"
                 + (f", {_signed(total, cur)} in total)" if total is not None else ")"))
    elif base.policy.incident and not head.policy.incident:
        text += " (the incident override ends)"
    elif per_day is not None:
        text += f", {_signed(per_day * MONTH_DAYS, cur)}/month"
    return CostChange(inputs.stack, text, per_day, cur, days, total)


def _signed(n: float, currency: str | None) -> str:
    return ("+" if n >= 0 else "-") + money(abs(n), currency)
