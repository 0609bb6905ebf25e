"""Load many service files, then synthesize them all or nothing."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .alerts.registry import TeamRegistry, route_plan
from .alerts.resolve import resolve_alarms
from .errors import Problem, SpecError
from .manifest import load_service, resolve_service, source_of
from .resolve import ResolvedService
from .resolve_lambda import ResolvedFunction
from .telemetry.render import render_collector_config, render_router_config

Resolved = ResolvedService | ResolvedFunction


TEAMS_FILE = "teams.yaml"


def discover(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given; directories expanded to their service ``*.yaml`` files (sorted)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.rglob("*.y*ml")
                            if f.suffix in (".yaml", ".yml") and "ci" not in f.parts
                            and f.name != TEAMS_FILE)
        else:
            found.append(p)
    return found


def find_teams(paths: Iterable[str | os.PathLike]) -> TeamRegistry | None:
    """The teams.yaml in (or beside) the first given path that has one."""
    for p in map(Path, paths):
        folder = p if p.is_dir() else p.parent
        for candidate in (folder / TEAMS_FILE, folder.parent / TEAMS_FILE):
            if candidate.is_file():
                return TeamRegistry.load(candidate)
    return None


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
        source = source_of(spec)
        raise (err.located(*source) if source else err) from None


def load_all(paths: Iterable[str | os.PathLike],
             teams: TeamRegistry | None = None) -> list[Resolved]:
    """Load and resolve every file; report the problems of all files at once."""
    files = discover(paths)
    if not files:
        raise SpecError(Problem((), [str(p) for p in paths], "no service files (*.yaml) found"))
    problems: list[Problem] = []
    services: list[Resolved] = []
    stacks: dict[str, str] = {}
    for f in files:
        if not f.is_file():
            problems.append(Problem((), str(f), "no such file", str(f)))
            continue
        try:
            service = resolve_located(load_service(f), teams)
        except SpecError as err:
            problems += err.problems
            continue
        stack = service.stack_name
        if stack in stacks:
            problems.append(Problem(("name",), service.spec.name,
                                    f"{stacks[stack]} already defines {stack} (same name and "
                                    "environment); rename one", str(f)))
        stacks[stack] = str(f)
        services.append(service)
    if problems:
        raise SpecError(problems)
    return services


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
        for team, env, account, region in routes:
            if route_plan(team, env, teams).empty:
                continue  # the notify topic exists and nothing pages here
            names.append(TeamStack(app, team=team, environment=env, account=account,
                                   region=region, teams=teams).node.id)
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
