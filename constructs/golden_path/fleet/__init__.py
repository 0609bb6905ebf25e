"""The fleet: every service file loaded, resolved and checked as a whole.

``load_all`` is what ``golden-path validate``, ``synth`` and ``examples/app.py``
run: each file is loaded (with platform.yaml for the fleet form), each spec
resolved and its configs rendered, then the fleet checks (``fleet/checks.py``)
run across all of them. Every problem of every file is reported at once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from ..alerts.registry import TeamRegistry
from ..alerts.resolve import resolve_alarms
from ..errors import SpecError
from ..load.platform import LoadedPlatform
from ..load.service_file import source_of
from ..resolve import Resolved, ResolvedService, resolve_service
from ..telemetry.render import render_collector_config, render_router_config


def resolve_located(spec, teams: TeamRegistry | None = None) -> Resolved:
    """Resolve, render and route alarms (any runtime), with file:line on errors."""
    try:
        service = resolve_service(spec)
        render_collector_config(service)
        if isinstance(service, ResolvedService):
            render_router_config(service)
        resolve_alarms(service, teams)
        return service
    except SpecError as err:
        origins = source_of(spec)
        raise (err.placed(origins) if origins else err) from None


def load_all(paths: Iterable[str | os.PathLike], teams: TeamRegistry | None = None,
             platform: LoadedPlatform | None = None,
             progress: Callable[[int, int, str], None] | None = None) -> list[Resolved]:
    """Load, resolve and check every service file; report all problems at once (a file
    that fails causes no follow-on problems in others: ``fleet/loader.py``).

    ``platform`` defaults to the platform.yaml beside or above the first path
    (needed only by files in the fleet form).
    """
    from .loader import load_fleet

    return load_fleet(paths, teams, platform, progress, around=False).services
