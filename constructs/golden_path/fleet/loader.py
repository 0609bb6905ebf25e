"""The fleet around the paths a command names: load, resolve, check, report the named.

``golden-path validate services/menu-web.yaml`` checks one file, but its ``calls:``, its
listener rule priority and its queues are right or wrong only against the rest of the
fleet. So the files around it are loaded too: every service file under the folder of the
platform.yaml in use (found the way ``validate <dir>`` finds them), or, without one, the
named file's own folder. The fleet checks run across all of them; only problems of the
named files are reported. The others' problems are one note saying which folder to
validate (``Fleet.note``).

A service whose own file failed (a typo in ``team:``) is missing from the fleet; other
files' ``calls:`` to it are not reported as well: its own problem is the root cause.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..alerts.registry import TeamRegistry
from ..alerts.resolve import resolve_alarms
from ..errors import Problem, SpecError
from ..load.discover import discover
from ..load.platform import LoadedPlatform, find_platform
from ..load.service_file import load_service_file
from ..load.yaml_source import read_yaml
from ..resolve import Resolved, resolve_service
from . import resolve_located
from .checks import fleet_problems


class FleetError(SpecError):
    """The named files' problems, and one line on the other files' (``note``, or None)."""

    def __init__(self, problems: list[Problem], note: str | None):
        super().__init__(problems)
        self.note = note


@dataclass
class Fleet:
    #: The services of the named paths, resolved and checked.
    services: list[Resolved]
    #: The services of the files around them (checked against, not reported).
    around: list[Resolved] = field(default_factory=list)
    #: The folder the files around them came from (None: only the named paths).
    root: Path | None = None
    #: Files around them with problems of their own (not shown).
    failed_around: list[str] = field(default_factory=list)

    @property
    def note(self) -> str | None:
        """One line on the problems of the files around the named ones, if any."""
        if not self.failed_around:
            return None
        count = len(self.failed_around)
        where = "this folder" if str(self.root) == "." else self.root
        return (f"{count} other file{'s' if count > 1 else ''} of the fleet in {where} "
                f"{'have' if count > 1 else 'has'} problems not shown here "
                f"({', '.join(self.failed_around[:3])}{', ...' if count > 3 else ''}): "
                f"run golden-path validate {self.root}")


def load_fleet(paths: Iterable[str | os.PathLike], teams: TeamRegistry | None = None,
               platform: LoadedPlatform | None = None,
               progress: Callable[[int, int, str], None] | None = None,
               around: bool = True) -> Fleet:
    """Load, resolve and check the named paths within their fleet (module docstring).

    Raises SpecError with every problem of the named files; its ``note`` (if set) is one
    line about the other files' problems. ``around=False``: only the named paths.
    """
    paths = list(paths)
    if platform is None:
        platform = find_platform(paths)
    named = discover(paths)
    if not named:
        raise SpecError(Problem((), [str(p) for p in paths], "no service files (*.yaml) found"))
    root = _root(paths, platform) if around else None
    mine = {_key(f) for f in named}
    others = [f for f in discover([root]) if _key(f) not in mine] if root else []
    fleet = Fleet([], root=root if others else None)
    problems: list[Problem] = []
    failed_names: set[str] = set()
    files = [*others, *named]  # named last: a duplicate or shared queue is reported there
    for count, f in enumerate(files, 1):
        is_named = count > len(others)
        if progress is not None:
            progress(count, len(files), str(f))
        if not f.is_file():
            problems.append(Problem((), str(f), "no such file", str(f)))
            continue
        try:
            specs = load_service_file(f, platform)
        except SpecError as err:
            failed_names |= _names_of(f)
            problems += err.problems if is_named else []
            fleet.failed_around += [] if is_named else [str(f)]
            continue
        for spec in specs:
            try:
                if is_named:
                    fleet.services.append(resolve_located(spec, teams))
                else:  # decided and routed; its configs are not rendered (the slow part)
                    around_service = resolve_service(spec)
                    resolve_alarms(around_service, teams)
                    fleet.around.append(around_service)
            except SpecError as err:
                failed_names.add(spec.name)
                if is_named:
                    problems += err.problems
                elif str(f) not in fleet.failed_around:
                    fleet.failed_around.append(str(f))
    found = fleet_problems([*fleet.around, *fleet.services], failed=failed_names,
                           named=named if others else ())
    for p in found:
        if not others or p.file is None or _key(p.file) in mine:
            problems.append(p)
        elif p.file not in fleet.failed_around:
            fleet.failed_around.append(p.file)
    if problems:
        raise FleetError(problems, fleet.note)
    return fleet


def _key(path: str | os.PathLike) -> str:
    return str(Path(path).resolve())


def _root(paths: list, platform: LoadedPlatform | None) -> Path | None:
    """The folder of the fleet around ``paths``: platform.yaml's (when they are all in it),
    else the named files' own folder (when they share one); None for folders outside."""
    resolved = [Path(p).resolve() for p in paths]
    if platform is not None:
        folder = Path(platform.file).parent
        if all(r.is_relative_to(folder.resolve()) for r in resolved):
            return folder
    parents = {r.parent for r in resolved if not r.is_dir()}
    if len(parents) == 1 and all(not r.is_dir() for r in resolved):
        return Path(paths[0]).parent
    return None


def _names_of(path: Path) -> set[str]:
    """The names a file that failed may have meant: its ``name:`` and its file name."""
    names = {path.stem}
    try:
        data, _ = read_yaml(path)
    except (SpecError, OSError, UnicodeDecodeError):
        return names
    if isinstance(data, dict) and isinstance(data.get("name"), str):
        names.add(data["name"])
    return names
