"""The three environment profiles: the defaults an environment imposes on a service."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    log_retention_days: int
    #: Keep data on destroy (log groups get ``skip_destroy``).
    deletion_protection: bool
    #: ECS Exec (shell into tasks) unless the spec says otherwise.
    ecs_exec: bool
    desired_tasks: int
    min_tasks: int
    max_tasks: int
    #: The least ``scaling.min`` a web service may ask for (high availability).
    web_min_floor: int


PROFILES: dict[str, Profile] = {
    "sandbox": Profile("sandbox", 7, False, True, 1, 1, 2, 1),
    "staging": Profile("staging", 30, False, True, 1, 1, 4, 1),
    "production": Profile("production", 90, True, False, 2, 2, 10, 2),
}


def profile(environment: str) -> Profile:
    return PROFILES[environment]
