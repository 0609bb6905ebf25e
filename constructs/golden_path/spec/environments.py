"""The three environment profiles: the defaults an environment imposes on a service."""

from __future__ import annotations

from dataclasses import dataclass

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


PROFILES: dict[str, Profile] = {
    "sandbox": Profile(
        "sandbox", 7, False, True, 1, 1, 2, 1,
        TelemetryProfile(sampling_percent=100, sampling_bounds=(1, 100), log_level="debug",
                         most_verbose_log_level="debug", noise=("health_checks",),
                         batch_size=256, batch_timeout="1s")),
    "staging": Profile(
        "staging", 30, False, True, 1, 1, 4, 1,
        TelemetryProfile(sampling_percent=10, sampling_bounds=(1, 100), log_level="info",
                         most_verbose_log_level="debug",
                         noise=("health_checks", "success_lines"),
                         batch_size=512, batch_timeout="5s")),
    "production": Profile(
        "production", 90, True, False, 2, 2, 10, 2,
        TelemetryProfile(sampling_percent=0.1, sampling_bounds=(0.01, 10), log_level="warn",
                         most_verbose_log_level="info",
                         noise=("health_checks", "success_lines"),
                         batch_size=2048, batch_timeout="10s")),
}


def profile(environment: str) -> Profile:
    return PROFILES[environment]
