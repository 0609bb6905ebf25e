"""Find service files, teams.yaml and platform.yaml from the paths a command was given."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..alerts.registry import TeamRegistry
from .platform import PLATFORM_FILE, find_upwards

TEAMS_FILE = "teams.yaml"
#: Files under a service directory that are not service files.
NOT_SERVICES = {TEAMS_FILE, PLATFORM_FILE}


def discover(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given; directories expanded to their service ``*.yaml`` files (sorted),
    without teams.yaml, platform.yaml and anything under a ``ci`` folder, a hidden folder
    (``.github``, ``.venv``) or ``node_modules``."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(f for f in p.rglob("*.y*ml")
                            if f.suffix in (".yaml", ".yml") and f.name not in NOT_SERVICES
                            and not _skipped(f.relative_to(p).parts[:-1]))
        else:
            found.append(p)
    return found


def _skipped(folders: tuple[str, ...]) -> bool:
    return any(part == "ci" or part == "node_modules" or part.startswith(".") for part in folders)


def find_teams(paths: Iterable[str | os.PathLike]) -> TeamRegistry | None:
    """The teams.yaml beside the first path, or in the nearest folder above it."""
    found = find_upwards(paths, TEAMS_FILE)
    return TeamRegistry.load(found) if found else None
