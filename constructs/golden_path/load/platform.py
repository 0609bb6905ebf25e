"""Load platform.yaml: ``defaults`` merged into each environment, every value with its line."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from ..errors import MISSING, Problem, SpecError
from ..spec.common import PROFILE_NAMES, EnvironmentName
from ..spec.platform import Platform, PlatformEnvironment, Rules
from ..spec.validation import pydantic_problems
from .provenance import Origin, Origins, merge, origins_of
from .yaml_source import read_yaml

PLATFORM_FILE = "platform.yaml"
_TOP_LEVEL = ("rules", "defaults", "environments")
#: Environment fields that are the environment's own (not in ``defaults``).
_PER_ENVIRONMENT = ("profile", "rollout")
_ENVIRONMENT_NAME = TypeAdapter(EnvironmentName)


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

    @property
    def profile(self) -> str:
        """The environment's profile name (platform.yaml's ``profile:``, else its name)."""
        return self.environment.profile or self.name

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
    for key in _PER_ENVIRONMENT:
        if key in defaults:
            problems.append(Problem(("defaults", key), defaults[key],
                                    f"{key} is set per environment (environments.<name>.{key}), "
                                    "not in defaults", file, lines.get(("defaults", key))))
    defaults = {k: v for k, v in defaults.items() if k not in _PER_ENVIRONMENT}
    environments = data.get("environments")
    if not isinstance(environments, dict) or not environments:
        problems.append(Problem(("environments",), environments if environments else MISSING,
                                "map each environment (e.g. sandbox, staging, production; or "
                                "your own names, each with a profile:) to its account, region, "
                                "network and telemetry", file, lines.get(("environments",), 1)))
        environments = {}
    defaults_origins = origins_of(file, lines, "platform defaults", ("defaults",))
    validated: dict[str, PlatformEnvironment] = {}
    all_origins: dict[str, Origins] = {}
    for name, value in environments.items():
        where = ("environments", name)
        bad_name = _name_problem(name)
        if bad_name:
            problems.append(Problem(where, name, bad_name, file, lines.get(where)))
            continue
        if value is not None and not isinstance(value, dict):
            problems.append(Problem(where, value, "expected a mapping of environment fields",
                                    file, lines.get(where)))
            continue
        merged, origins = merge(defaults, defaults_origins, value or {},
                                origins_of(file, lines, "platform", where))
        origins.setdefault((), Origin(file, lines.get(where), "platform"))
        no_profile = _no_profile(name, merged.get("profile"))
        if no_profile:  # at the environment's line, with its other problems if any
            problems += [dc_replace(p, path=where + p.path, file=file, line=lines.get(where))
                         for p in no_profile]
        try:
            env = PlatformEnvironment.model_validate(merged)
        except ValidationError as exc:
            problems += _prefixed(SpecError(pydantic_problems(exc, PlatformEnvironment)).placed(origins),
                                  where)
            continue
        env_problems = env.problems() + ([] if no_profile else _canary_problems(name, env))
        if env_problems:
            problems += _prefixed(SpecError(env_problems).placed(origins), where)
        if no_profile or env_problems:
            continue
        validated[name] = env.model_copy(update={"profile": env.profile or name})
        all_origins[name] = origins
    problems += _duplicate_orders(validated, all_origins)
    if problems:
        raise SpecError(problems)
    platform = Platform.model_construct(rules=rules, environments=validated)
    return LoadedPlatform(platform, file, all_origins,
                          origins_of(file, lines, "platform", ("rules",)))


def _name_problem(name: object) -> str | None:
    """Why an environment name is refused (None: fine)."""
    if not isinstance(name, str):
        return "an environment name is a string, e.g. prod-eu"
    try:
        _ENVIRONMENT_NAME.validate_python(name)
    except ValidationError as exc:
        return exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
    return None


def _no_profile(name: str, profile: object) -> list[Problem]:
    """An environment whose name is not a profile name needs ``profile:``."""
    if profile is not None or name in PROFILE_NAMES:
        return []
    return [Problem(("profile",), MISSING,
                    f"{name} is not a profile name, so it needs profile: one of "
                    f"{', '.join(PROFILE_NAMES)} (how it behaves: sampling, retention, "
                    "paging, task counts, rollout defaults)")]


def _canary_problems(name: str, env: PlatformEnvironment) -> list[Problem]:
    """A canary only in a production-profile environment, and with something in it."""
    profile = env.profile or name
    canary = env.rollout.canary if env.rollout else None
    if canary is None:
        return []
    if profile != "production":
        return [Problem(("rollout", "canary"), MISSING,
                        f"a canary is for a production-profile environment; {name} has profile "
                        f"{profile}: remove rollout.canary")]
    if not canary.services and canary.share is None:
        return [Problem(("rollout", "canary"), MISSING,
                        "a canary names services (services: [...]) and/or a share of the "
                        "environment's stacks (share: 1..50 percent)")]
    return []


def _duplicate_orders(environments: dict[str, PlatformEnvironment],
                      origins: dict[str, Origins]) -> list[Problem]:
    """Two environments given the same ``rollout.order``."""
    problems, first = [], {}
    for name, env in environments.items():
        order = env.rollout.order if env.rollout else None
        if order is None:
            continue
        here = origins[name].get(("rollout", "order"))
        if order in first:
            other, there = first[order]
            problems.append(Problem(
                ("environments", name, "rollout", "order"), order,
                f"environment {other} has order {order} too"
                f"{f' ({there.file}:{there.line})' if there and there.line else ''}; "
                "give each environment its own place in the rollout",
                here.file if here else None, here.line if here else None))
        else:
            first[order] = (name, here)
    return problems


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
