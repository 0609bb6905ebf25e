"""Findings on service level objectives, from the SLO composite alarms of a synth diff
(each carries its objective in the ``slo-objective`` tag; alerts/resolve.py)."""

from __future__ import annotations

from .findings import Finding, _pages, _routing, before_after
from .synth_diff import StackDiff

COMPOSITE = "aws_cloudwatch_composite_alarm"
def _objective(attrs: dict) -> tuple[str | None, float | None]:
    """(availability|latency, objective percent) of an SLO composite, else (None, None)."""
    tags = attrs.get("tags") or {}
    name = str(attrs.get("alarm_name", ""))
    if "slo-objective" not in tags:
        return None, None
    kind = next((k for k in ("availability", "latency") if f"-slo-{k}-" in name), None)
    try:
        return kind, float(tags["slo-objective"])
    except ValueError:
        return kind, None


def slo_findings(d: StackDiff) -> list[Finding]:
    found: list[Finding] = []
    base = {a: x for a, x in d.base.items() if a.startswith(COMPOSITE + ".")}
    head = {a: x for a, x in d.head.items() if a.startswith(COMPOSITE + ".")}
    kept = {_objective(x)[0] for x in head.values()}
    gone = set()
    for address, before in base.items():
        kind, objective = _objective(before)
        if kind is None:
            continue
        name = before.get("alarm_name")
        after = head.get(address)
        if after is None:
            if _pages(before):
                found.append(Finding("slo-alert-off-paging", d.name, address,
                                     f"{name} removed ({_routing(before, past=True)})"))
            if kind not in kept and kind not in gone:
                gone.add(kind)
                found.append(Finding("slo-removed", d.name, address,
                                     f"the {kind} objective ({objective:g} %) is removed"))
            continue
        if _pages(before) and not _pages(after):
            found.append(Finding("slo-alert-off-paging", d.name, address,
                                 f"{name} no longer pages ({_routing(after)})"))
        _, new = _objective(after)
        if objective is not None and new is not None and new < objective:
            found.append(Finding("slo-lowered", d.name, address,
                                 before_after(f"{kind} objective ", f"{objective:g} %",
                                              f"{new:g} %")))
    return found
