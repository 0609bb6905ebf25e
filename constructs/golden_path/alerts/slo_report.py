"""``golden-path slo``: every service's objectives, their error budget in minutes and in
requests, and which of its alarms page (docs/slo.md)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass

from ..spec.traffic import RATE_FIELDS, UNITS
from .burn import DAY
from .slo import objectives

#: Seconds per unit of each kind's rate field (requests per second; messages, invocations
#: per day).
_PER = {"web": 1, "worker": DAY, "lambda": DAY}


@dataclass(frozen=True)
class Row:
    stack: str
    service: str
    team: str
    environment: str
    objective: str  # availability 99.9 %, latency 99 % within 300 ms
    sli: str
    window_days: int
    budget_minutes: float
    #: Failed requests the budget allows over the window (None: no traffic assumption).
    budget_requests: int | None
    unit: str
    #: The stack's alarms that page, by signal.
    paging: list[str]


def rate_of(service) -> float | None:
    """The kind's traffic rate from the service file, else platform.yaml (as ``cost``)."""
    field = RATE_FIELDS[service.kind]
    own = service.spec.traffic
    if own is not None and getattr(own, field) is not None:
        return getattr(own, field)
    context = service.spec._platform
    plat = context.environment.traffic if context is not None else None
    return getattr(plat, field) if plat is not None else None


def rows(services, alarms_of) -> list[Row]:
    """``alarms_of(service)``: its resolved alarms (alerts/resolve.py)."""
    out = []
    for s in services:
        objs, _ = objectives(s)
        paging = sorted(a.signal for a in alarms_of(s) if a.pages)
        rate = rate_of(s)
        for o in objs:
            what = (f"{o.name} {o.objective:g} %" if o.name == "availability" else
                    f"{o.name} {o.objective:g} % within "
                    f"{s.spec.slo.latency.threshold_ms} ms")
            total = rate * o.window_days * DAY / _PER[s.kind] if rate is not None else None
            out.append(Row(s.stack_name, s.spec.name, s.spec.team, s.spec.environment, what,
                           o.sli, o.window_days, round(o.budget_minutes(), 1),
                           None if total is None else int(total * o.budget),
                           UNITS[s.kind], paging))
    return out


def to_json(found: list[Row]) -> str:
    return json.dumps({"objectives": [asdict(r) for r in found]}, indent=2) + "\n"


def to_markdown(found: list[Row]) -> str:
    lines = ["| stack | objective | SLI | budget over the window | failed requests allowed "
             "| alarms that page |", "| --- | --- | --- | --- | --- | --- |"]
    for r in found:
        requests = (f"{r.budget_requests:,} {r.unit}s" if r.budget_requests is not None
                    else "no traffic assumption")
        lines.append(f"| `{r.stack}` | {r.objective} | {r.sli} | {r.budget_minutes:g} min in "
                     f"{r.window_days} days | {requests} | {', '.join(r.paging) or 'none'} |")
    if not found:
        lines.append("| (no objectives) | | | | | |")
    return "\n".join(lines) + "\n"


def register(sub) -> None:
    s = sub.add_parser("slo", help="every service's objectives, error budget (minutes and "
                                   "requests) and the alarms that page")
    s.add_argument("paths", nargs="+")
    s.add_argument("--environment", "-e", help="only this environment")
    s.add_argument("--format", choices=["markdown", "json"], default="markdown")
    s.add_argument("--teams", help="team registry (default: teams.yaml in or above the paths)")
    s.add_argument("--platform", metavar="FILE",
                   help="platform.yaml (default: the one in or above the paths)")
    s.set_defaults(func=_cmd_slo)


def _cmd_slo(args: argparse.Namespace) -> int:
    from ..cli import _platform, _teams
    from ..errors import Problem, SpecError
    from ..fleet.loader import load_fleet
    from .resolve import resolve_alarms

    teams = _teams(args)
    services = load_fleet(args.paths, teams, _platform(args), around=False).services
    if args.environment:
        services = [s for s in services if s.spec.environment == args.environment]
        if not services:
            raise SpecError(Problem(("--environment",), args.environment,
                                    "no service of these files runs in this environment"))
    found = rows(services, lambda s: resolve_alarms(s, teams))
    print(to_json(found) if args.format == "json" else to_markdown(found), end="")
    return 0
