"""Load platform.yaml: ``defaults`` merged into each environment, every value with its line."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path

from pydantic import ValidationError

from ..errors import MISSING, Problem, SpecError
from ..spec.common import ENVIRONMENTS
from ..spec.platform import Platform, PlatformEnvironment, Rules
from ..spec.validation import pydantic_problems
from .provenance import Origin, Origins, merge, origins_of
from .yaml_source import read_yaml

PLATFORM_FILE = "platform.yaml"
_TOP_LEVEL = ("rules", "defaults", "environments")


@dataclass(frozen=True)
class PlatformContext:
    """One environment of the platform, as a service file sees it."""

    name: str
    environment: PlatformEnvironment
    rules: Rules
    file: str
    #: Origins of the environment's fields (paths relative to the environment).
    origins: Origins = field(default_factory=dict)
    rules_origins: Origins = field(default_factory=dict)

    def origin(self, *path: str | int) -> Origin:
        while path and path not in self.origins:
            path = path[:-1]
        return self.origins.get(path, Origin(self.file, None, "platform"))


@dataclass(frozen=True)
class LoadedPlatform:
    platform: Platform
    file: str
    origins: dict[str, Origins]
    rules_origins: Origins

    @property
    def environments(self) -> dict[str, PlatformEnvironment]:
        return self.platform.environments

    def context(self, environment: str) -> PlatformContext:
        return PlatformContext(environment, self.platform.environments[environment],
                               self.platform.rules, self.file, self.origins[environment],
                               self.rules_origins)


def load_platform(path: str | os.PathLike) -> LoadedPlatform:
    """Validate platform.yaml; every problem at once, each with file:line and the fix."""
    file = str(path)
    data, lines = read_yaml(path)
    if not isinstance(data, dict):
        raise SpecError(Problem((), type(data).__name__,
                                "platform.yaml is a mapping with rules, defaults and environments",
                                file, 1))
    problems: list[Problem] = []
    for key in data:
        if key not in _TOP_LEVEL:
            problems.append(Problem((key,), MISSING, f"unknown section; allowed: {', '.join(_TOP_LEVEL)}",
                                    file, lines.get((key,))))
    rules = Rules()
    try:
        rules = Rules.model_validate(data.get("rules") or {})
    except ValidationError as exc:
        rule_origins = origins_of(file, lines, "platform", ("rules",))
        problems += _prefixed(SpecError(pydantic_problems(exc, Rules)).placed(rule_origins), ("rules",))
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        problems.append(Problem(("defaults",), defaults, "expected a mapping of environment fields",
                                file, lines.get(("defaults",))))
        defaults = {}
    environments = data.get("environments")
    if not isinstance(environments, dict) or not environments:
        problems.append(Problem(("environments",), environments if environments else MISSING,
                                f"map each environment ({', '.join(ENVIRONMENTS)}) to its account, "
                                "region, network and telemetry", file, lines.get(("environments",), 1)))
        environments = {}
    defaults_origins = origins_of(file, lines, "platform defaults", ("defaults",))
    validated: dict[str, PlatformEnvironment] = {}
    all_origins: dict[str, Origins] = {}
    for name, value in environments.items():
        where = ("environments", name)
        if name not in ENVIRONMENTS:
            problems.append(Problem(where, MISSING, f"unknown environment; use {', '.join(ENVIRONMENTS)}",
                                    file, lines.get(where)))
            continue
        if value is not None and not isinstance(value, dict):
            problems.append(Problem(where, value, "expected a mapping of environment fields",
                                    file, lines.get(where)))
            continue
        merged, origins = merge(defaults, defaults_origins, value or {},
                                origins_of(file, lines, "platform", where))
        origins.setdefault((), Origin(file, lines.get(where), "platform"))
        try:
            env = PlatformEnvironment.model_validate(merged)
        except ValidationError as exc:
            problems += _prefixed(SpecError(pydantic_problems(exc, PlatformEnvironment)).placed(origins),
                                  where)
            continue
        env_problems = env.problems()
        if env_problems:
            problems += _prefixed(SpecError(env_problems).placed(origins), where)
            continue
        validated[name] = env
        all_origins[name] = origins
    if problems:
        raise SpecError(problems)
    platform = Platform.model_construct(rules=rules, environments=validated)
    return LoadedPlatform(platform, file, all_origins,
                          origins_of(file, lines, "platform", ("rules",)))


def _prefixed(err: SpecError, prefix: tuple) -> list[Problem]:
    return [dc_replace(p, path=prefix + p.path) for p in err.problems]


def find_upwards(paths: Iterable[str | os.PathLike], name: str) -> Path | None:
    """The file ``name`` in the folder of the first path, or the nearest folder above it."""
    for p in map(Path, paths):
        folder = (p if p.is_dir() else p.parent).resolve()
        for candidate in (folder, *folder.parents):
            if (candidate / name).is_file():
                return _shown(candidate / name)
    return None


def _shown(path: Path) -> Path:
    """A path relative to the working directory when it is inside it (shorter messages)."""
    relative = os.path.relpath(path)
    return Path(relative) if not relative.startswith("..") else path


def find_platform(paths: Iterable[str | os.PathLike]) -> LoadedPlatform | None:
    found = find_upwards(paths, PLATFORM_FILE)
    return load_platform(found) if found else None
