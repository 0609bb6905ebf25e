"""The platform's environments in rollout order, as platform.yaml configures them.

Pure data, no I/O: what ``golden-path changed`` (rollout waves) and CI read. Each
environment of platform.yaml has a place in the rollout (``rollout.order``, default by
profile: sandbox 1, staging 2, production 3; ties by name), a bake time
(``rollout.bake_minutes``, default by profile: 0, 15, 30 minutes) and, in a
production-profile environment, an optional canary wave (``rollout.canary``: named
services and/or a share of the environment's stacks, with its own bake). See
docs/environments.md.

Stack names carry their environment: a service stack is ``<service>-<environment>``, a
team-route stack ``team-<team>-<environment>-<account>-<region>``
(``environment_of_stack``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import Problem, SpecError
from ..spec.environments import PROFILES

#: ``team-<team>-<environment>`` then the account and region (fleet/state.py team_stack_name).
_TEAM_STACK = re.compile(r"^team-(?P<rest>.+)-\d{12}-[a-z]{2}(?:-gov)?-[a-z]+-\d$")


@dataclass(frozen=True)
class Canary:
    """The first wave of an environment: these services' stacks and/or ``share`` percent
    of its stacks, baked ``bake_minutes`` before the rest of the environment goes."""

    services: tuple[str, ...]
    share: int | None
    bake_minutes: int


@dataclass(frozen=True)
class RolloutEnvironment:
    name: str
    #: sandbox, staging or production (spec/environments.py).
    profile: str
    #: Lowest first; two environments share one only by default (same profile).
    order: int
    #: Minutes to bake (alarms watched) after this environment before the next one starts.
    bake_minutes: int
    canary: Canary | None = None


def rollout_environments(platform: Any) -> list[RolloutEnvironment]:
    """The environments of ``platform`` (a LoadedPlatform or a Platform), sorted in rollout
    order: by ``order``, then by name."""
    out = []
    for name, env in platform.environments.items():
        profile = env.profile or name
        if profile not in PROFILES:
            raise SpecError(Problem(("environments", name, "profile"), env.profile,
                                    f"expected one of {', '.join(PROFILES)}"))
        defaults = PROFILES[profile]
        rollout = env.rollout
        order = rollout.order if rollout and rollout.order is not None else defaults.rollout_order
        bake = (rollout.bake_minutes if rollout and rollout.bake_minutes is not None
                else defaults.bake_minutes)
        canary = None
        if rollout is not None and rollout.canary is not None:
            c = rollout.canary
            canary = Canary(services=tuple(dict.fromkeys(c.services)), share=c.share,
                            bake_minutes=bake if c.bake_minutes is None else c.bake_minutes)
        out.append(RolloutEnvironment(name, profile, order, bake, canary))
    return sorted(out, key=lambda e: (e.order, e.name))


E = TypeVar("E", str, RolloutEnvironment)


def environment_of_stack(stack_name: str, environments: Iterable[E]) -> E | None:
    """The environment a synthesized stack belongs to: the element of ``environments``
    (names, or ``RolloutEnvironment``s) whose name ends the stack's ``<service>-`` part, or
    comes before a team-route stack's account and region. Longest name first (``prod-eu``
    before ``eu``); None when no environment matches."""
    by_name = {(e if isinstance(e, str) else e.name): e for e in environments}
    names = sorted(by_name, key=lambda n: (-len(n), n))
    candidates = []
    team = _TEAM_STACK.match(stack_name)
    if team:
        candidates.append(team["rest"])  # <team>-<environment>
    candidates.append(stack_name)  # <service>-<environment>
    for head in candidates:
        for name in names:
            if head.endswith(f"-{name}") and len(head) > len(name) + 1:
                return by_name[name]
    return None
