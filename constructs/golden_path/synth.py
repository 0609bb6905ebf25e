"""Load many service files, then synthesize them all or nothing."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .alerts.registry import TeamRegistry, route_plan
from .fleet import load_all  # noqa: F401  (the entry point's loading half)
from .load.discover import discover, find_teams  # noqa: F401
from .load.platform import find_platform  # noqa: F401
from .resolve import Resolved
from .fleet.state import team_routes_state


def build_app(app, services: list[Resolved], teams: TeamRegistry | None) -> list[str]:
    """A stack per service, and with a registry one per team route (team, env, account,
    region) the services use. Returns the stack names."""
    from .l3.stack import ServiceStack, TeamStack

    names = []
    for service in services:
        names.append(ServiceStack(app, service, teams=teams).node.id)
    if teams is not None:
        routes = sorted({(s.spec.team, s.spec.environment, s.account, s.region)
                         for s in services})
        team_tags = {(s.spec.environment, s.account, s.region): s.default_tags for s in services}
        for team, env, account, region in routes:
            if route_plan(team, env, teams).empty:
                continue  # the notify topic exists and nothing pages here
            names.append(TeamStack(app, team=team, environment=env, account=account,
                                   region=region, teams=teams,
                                   default_tags=team_tags[(env, account, region)],
                                   state=team_routes_state(services, team, env, account, region)
                                   ).node.id)
    return names


def synth(services: list[Resolved], outdir: str | os.PathLike,
          teams: TeamRegistry | None = None) -> list[str]:
    """Synthesize into a temporary directory beside ``outdir``, then swap it in.

    If anything fails, ``outdir`` is left as it was. Returns the stack names.
    """
    from .cdk import App

    outdir = Path(outdir).resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
    try:
        app = App(outdir=str(tmp))
        names = build_app(app, services, teams)
        app.synth()
        old = None
        if outdir.exists():
            old = outdir.with_name(f".{outdir.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            outdir.rename(old)
        tmp.rename(outdir)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return names
