"""``golden-path validate``: check service files (or folders of them) within their fleet.

A file named alone is checked against the fleet around it (``fleet/loader.py``): its
``calls:`` find their services, its listener rule priority is compared with the others'.
Only the named files' problems are reported; one note says which folder to validate when
the files around them have problems of their own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence


def validate(paths: Sequence[str], teams=None, platform=None,
             progress: Callable[[int, int, str], None] | None = None,
             live: Callable[[list], None] | None = None) -> int:
    """Print one line per stack of the named files and the fleet's summary; 0 when fine
    (bad input raises SpecError, exit 2). ``live``: ``--check-live``, run on the named
    files' stacks (fleet/live.py)."""
    from .alerts.resolve import resolve_alarms
    from .fleet.graph import build_graph
    from .fleet.loader import load_fleet
    from .fleet.state import local_state_warnings

    fleet = load_fleet(paths, teams, platform, progress=progress)
    if live is not None:
        live(fleet.services)
    for service in fleet.services:
        alarms = resolve_alarms(service, teams)
        pages = sum(a.pages for a in alarms)
        print(f"ok  {service.stack_name}: {describe(service)}, {len(alarms)} alarms "
              f"({pages} paging)")
    for message in local_state_warnings(fleet.services):
        print(f"golden-path: {message}", file=sys.stderr)
    graph, _ = build_graph([*fleet.around, *fleet.services])
    where = "this folder" if str(fleet.root) == "." else fleet.root
    around = (f" (checked with the {len(fleet.around)} stacks around them in {where})"
              if fleet.root is not None else "")
    print(f"fleet: {len(fleet.services)} stacks{around}, {len(graph.edges)} calls between "
          f"services, {len(graph.cycles)} acknowledged loops; listener rules and queues checked")
    if fleet.note:
        print(f"golden-path: note: {fleet.note}", file=sys.stderr)
    return 0


def describe(service) -> str:
    """One line on what a resolved service is, for `validate`."""
    spec, t = service.spec, service.telemetry
    if service.kind == "lambda":
        what = (f"lambda of team {spec.team}, {spec.language} {spec.architecture}, "
                f"{spec.memory} MiB, {spec.timeout} s")
    else:
        what = (f"{spec.kind} of team {spec.team}, cpu {spec.cpu} / {spec.memory} MiB (app "
                f"{service.sizes.app.cpu} / {service.sizes.app.memory} MiB), "
                f"{service.scaling.min}..{service.scaling.max} tasks")
    what += f", traces {t.sampling_percent:g} %, logs >= {t.log_level}"
    adopted = len(service.adoption.imports)
    what += f", adopts {adopted} live resource{'s' if adopted != 1 else ''}" if adopted else ""
    return what + (f", INCIDENT {t.incident}" if t.incident else "")
