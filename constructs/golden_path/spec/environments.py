"""The three environment profiles: the defaults an environment imposes on a service.

platform.yaml names any environments (``dev``, ``qa``, ``prod-eu``, ...) and gives each
one of these profiles (``profile:``; without it the environment's name must be a profile
name). Everything that depends on the kind of environment (sampling, log floor and
retention, task counts, ECS Exec, which severities page, rollout defaults) reads the
profile, never the environment's name: ``profile_of(spec)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: Log levels from most to least verbose; a floor drops everything before it.
LOG_LEVELS = ("debug", "info", "warn", "error")


@dataclass(frozen=True)
class TelemetryProfile:
    #: Share of traces kept (error spans are always kept, see telemetry/policy.py).
    sampling_percent: float
    #: A team may set ``telemetry.sampling_percent`` within these bounds.
    sampling_bounds: tuple[float, float]
    #: Least severe log level kept.
    log_level: str
    #: Most verbose floor a team may choose (the incident override may go lower).
    most_verbose_log_level: str
    #: Noise dropped before it is paid for (names of rules in telemetry/policy.py).
    noise: tuple[str, ...]
    batch_size: int
    batch_timeout: str


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
    telemetry: TelemetryProfile
    #: The rollout defaults of an environment with this profile (platform.yaml's
    #: ``rollout.order`` and ``rollout.bake_minutes`` override them; fleet/rollout_config.py).
    rollout_order: int = 0
    bake_minutes: int = 0


PROFILES: dict[str, Profile] = {
    "sandbox": Profile(
        "sandbox", 7, False, True, 1, 1, 2, 1,
        TelemetryProfile(sampling_percent=100, sampling_bounds=(1, 100), log_level="debug",
                         most_verbose_log_level="debug", noise=("health_checks",),
                         batch_size=256, batch_timeout="1s"),
        rollout_order=1, bake_minutes=0),
    "staging": Profile(
        "staging", 30, False, True, 1, 1, 4, 1,
        TelemetryProfile(sampling_percent=10, sampling_bounds=(1, 100), log_level="info",
                         most_verbose_log_level="debug",
                         noise=("health_checks", "success_lines"),
                         batch_size=512, batch_timeout="5s"),
        rollout_order=2, bake_minutes=15),
    "production": Profile(
        "production", 90, True, False, 2, 2, 10, 2,
        TelemetryProfile(sampling_percent=0.1, sampling_bounds=(0.01, 10), log_level="warn",
                         most_verbose_log_level="info",
                         noise=("health_checks", "success_lines"),
                         batch_size=2048, batch_timeout="10s"),
        rollout_order=3, bake_minutes=30),
}


def profile(name: str) -> Profile:
    """A profile by its name (sandbox, staging, production)."""
    return PROFILES[name]


def profile_name_of(spec: Any) -> str:
    """The profile of a spec's environment: platform.yaml's ``profile:`` for a fleet-form
    spec (its platform context), else the environment's own name (single-environment)."""
    context = getattr(spec, "_platform", None)
    return context.profile if context is not None else spec.environment


def profile_of(spec: Any) -> Profile:
    """The profile a spec's environment has (see ``profile_name_of``)."""
    name = profile_name_of(spec)
    if name not in PROFILES:
        from ..errors import Problem, SpecError

        raise SpecError(Problem(("environment",), spec.environment,
                                "without platform.yaml the environment is a profile name: "
                                f"{', '.join(PROFILES)}"))
    return PROFILES[name]


def rollout_rank(spec: Any) -> tuple[int, str]:
    """Where a spec's environment stands in the rollout: (order, name), for sorting
    (platform.yaml's ``rollout.order``, else its profile's; fleet/rollout_config.py)."""
    context = getattr(spec, "_platform", None)
    rollout = context.environment.rollout if context is not None else None
    order = rollout.order if rollout is not None and rollout.order is not None else None
    return (profile_of(spec).rollout_order if order is None else order), spec.environment


def described(environment: str, prof: Profile) -> str:
    """``production``, or ``prod-eu (profile production)`` when the names differ (messages)."""
    return environment if environment == prof.name else f"{environment} (profile {prof.name})"
