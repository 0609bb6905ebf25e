"""The telemetry policy: what each service keeps, drops and masks. Pure Python.

``telemetry_policy`` decides, from the spec and the environment profile, the
numbers and rules that the collector and Fluent Bit templates render. The rules
are data here so that tests run the very same patterns on sample records.

Every regex here must mean the same in Go RE2 (collector), Onigmo (Fluent Bit)
and Python ``re`` (tests): no lookarounds, no backreferences.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import date, timedelta

from ..errors import Problem
from ..spec.common import ServiceBase
from ..spec.environments import LOG_LEVELS, Profile, described

#: One seed for the whole fleet: every collector keeps or drops the same trace ids,
#: so a trace that crosses services is kept or dropped as a whole.
HASH_SEED = 22
INCIDENT_MAX_DAYS = 14
#: probabilistic_sampler's hash_seed mode keeps a trace when the FNV hash of its id falls in
#: the first ``uint32(float32(percent) * 163.84)`` of 16,384 buckets (contrib
#: processor/probabilisticsamplerprocessor/sampler_mode.go, ``numHashBuckets = 0x4000`` and
#: ``scaledSamplerate := uint32(pct * percentageScaleFactor)``; read at v0.156.0 as vendored by
#: aws-otel-collector v0.49.0; the Lambda layer pins v0.157.0). See docs/collector.md.
HASH_BUCKETS = 0x4000
#: A function's export budget: one attempt per batch, a fifth of the function's timeout
#: (what the duration-p99 alarm at 80 % leaves), between 1 and 2 s: a healthy vendor answers
#: well within it, and a vendor that hangs costs at most that per invocation
#: (docs/collector.md, "Lambda").
LAMBDA_EXPORT_SHARE = 5
LAMBDA_EXPORT_MIN_MS = 1000
LAMBDA_EXPORT_MAX_MS = 2000


@dataclass(frozen=True)
class MaskRule:
    name: str
    #: RE2/Python-compatible pattern; group 1, if any, is kept.
    pattern: str
    #: Replacement in Go syntax (``${1}`` is group 1).
    replacement: str


#: Masks applied to log bodies and to span/log attribute values, in order.
MASK_RULES: tuple[MaskRule, ...] = (
    MaskRule("bearer token", r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+", "${1}****"),
    MaskRule("password in URL", r"(://[^:/@\s]+:)[^@/\s]+@", "${1}****@"),
    MaskRule("secret assignment",
             r"""(?i)((?:password|passwd|pwd|secret|token|api[_-]?key)["']?\s*[:=]\s*["']?)"""
             r"""[^\s"'&,;]+""",
             "${1}****"),
    MaskRule("e-mail address", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", "****@****"),
    MaskRule("card number",
             r"\b(?:4[0-9]{3}|5[1-5][0-9]{2}|2[2-7][0-9]{2}|3[47][0-9]{2}|6(?:011|5[0-9]{2}))"
             r"[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{1,4}\b",
             "****"),
)

#: Attribute keys always removed (plus the team's mask_keys).
SENSITIVE_KEYS: tuple[str, ...] = (
    "password", "passwd", "secret", "token", "api_key", "authorization", "cookie",
    "set-cookie", "http.request.header.authorization", "http.request.header.cookie",
    "http.response.header.set-cookie", "user.email",
)

#: Attribute keys that identify a client: pseudonymized (a keyed hash, stable within an
#: environment) rather than deleted, so one client's requests still group together at the
#: vendor (plus the team's pseudonymize_keys). ``delete`` mode deletes them instead.
CLIENT_KEYS: tuple[str, ...] = ("enduser.id", "client.address")

ELB_HEALTH_CHECKER = r"ELB-HealthChecker/"


def noise_patterns(rule: str, health_check_path: str | None) -> list[str]:
    """Log-line regexes for a named noise rule of the environment profile."""
    if rule == "health_checks":
        patterns = [ELB_HEALTH_CHECKER]
        if health_check_path:
            path = re.escape(health_check_path)
            patterns.insert(0, rf'\b(GET|HEAD) {path}(\?[^ "]*)? HTTP/')
        return patterns
    if rule == "success_lines":
        return [
            # Celery: "Task app.tasks.send[1f0c...] succeeded in 0.02s"
            r"\bTask [A-Za-z0-9_.]+\[[0-9a-f-]+\] succeeded in [0-9.]+s",
            # Access logs of requests that went well (traces keep the detail).
            r'"(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) [^"]*" [23][0-9][0-9]\b',
        ]
    raise KeyError(f"unknown noise rule {rule!r}")


@dataclass(frozen=True)
class TelemetryPolicy:
    distribution: str
    sampling_percent: float
    hash_seed: int
    log_level: str
    #: Levels dropped by the floor, e.g. ("trace", "debug") for an info floor.
    dropped_levels: tuple[str, ...]
    noise_patterns: tuple[str, ...]
    health_check_paths: tuple[str, ...]
    mask_rules: tuple[MaskRule, ...]
    mask_keys: tuple[str, ...]
    batch_size: int
    batch_max_size: int
    batch_timeout: str
    resource_attributes: dict[str, str]
    #: "INC-4711 (until 2026-11-27)" while an incident override applies.
    incident: str | None = None
    #: Client identity keys and what happens to them: "hash" (keyed pseudonym) or "delete".
    pseudonym_keys: tuple[str, ...] = ()
    pseudonymize: str = "delete"


#: How apps spell each level in their ``level`` field (Python says "warning").
LEVEL_SPELLINGS: dict[str, tuple[str, ...]] = {
    "trace": ("trace",),
    "debug": ("debug",),
    "info": ("info", "information", "notice"),
    "warn": ("warn", "warning"),
}


def _float32(value: float) -> float:
    return struct.unpack("f", struct.pack("f", value))[0]


def sampling_buckets(percent: float) -> int:
    """How many of the sampler's 16,384 hash buckets ``percent`` keeps, computed like the
    collector does (float32 arithmetic, truncated): 0.1 % keeps 16 buckets, i.e. 0.098 %."""
    pct = _float32(min(percent, 100.0))
    return int(_float32(pct * _float32(HASH_BUCKETS / 100.0)))


def effective_sampling_percent(percent: float) -> float:
    """The share of traces the sampler really keeps for a requested ``percent``."""
    return 100.0 * sampling_buckets(percent) / HASH_BUCKETS


def lambda_export_timeout_ms(function_timeout_s: int) -> int:
    """The collector layer's per-batch export budget: it runs inside the invocation's billed
    time and within the function's timeout (the layer disables the sending queue)."""
    share = function_timeout_s * 1000 // LAMBDA_EXPORT_SHARE
    return max(LAMBDA_EXPORT_MIN_MS, min(LAMBDA_EXPORT_MAX_MS, share))


def level_pattern(levels: tuple[str, ...]) -> str | None:
    """A case-insensitive regex matching the ``level`` values that the floor drops."""
    names = [name for level in levels for name in LEVEL_SPELLINGS[level]]
    return f"(?i)^({'|'.join(names)})$" if names else None


def keys_pattern(keys: tuple[str, ...]) -> str:
    """One anchored, case-insensitive regex matching exactly these attribute keys."""
    return "(?i)^(" + "|".join(re.escape(k) for k in keys) + ")$"


def service_version(image: str) -> str:
    """The image tag (or short digest) as service.version."""
    if "@sha256:" in image:
        return image.rsplit("@sha256:", 1)[1][:12]
    return image.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def telemetry_policy(spec: ServiceBase, prof: Profile, today: date, problems: list[Problem], *,
                     health_check_path: str | None, version: str,
                     platform: dict[str, str]) -> TelemetryPolicy:
    """The policy for one service; ``platform`` adds resource attributes of the runtime."""
    t, tp = spec.telemetry, prof.telemetry
    sampling = tp.sampling_percent if t.sampling_percent is None else t.sampling_percent
    low, high = tp.sampling_bounds
    if t.sampling_percent is not None and not low <= t.sampling_percent <= high:
        problems.append(Problem(("telemetry", "sampling_percent"), t.sampling_percent,
                                f"in {described(spec.environment, prof)} sampling is "
                                f"{low:g}..{high:g} %; "
                                "to raise it during an incident use telemetry.incident"))
    level = tp.log_level if t.log_level is None else t.log_level
    if LOG_LEVELS.index(level) < LOG_LEVELS.index(tp.most_verbose_log_level):
        problems.append(Problem(("telemetry", "log_level"), t.log_level,
                                f"in {described(spec.environment, prof)} the most verbose floor is "
                                f"{tp.most_verbose_log_level}; during an incident use "
                                "telemetry.incident.log_level"))
    incident = None
    if t.incident is not None:
        inc = t.incident
        if inc.expires < today:
            problems.append(Problem(("telemetry", "incident", "expires"), inc.expires.isoformat(),
                                    f"this incident override expired (today is {today}); "
                                    "remove telemetry.incident"))
        elif inc.expires > today + timedelta(days=INCIDENT_MAX_DAYS):
            problems.append(Problem(("telemetry", "incident", "expires"), inc.expires.isoformat(),
                                    f"incident overrides last at most {INCIDENT_MAX_DAYS} days; "
                                    f"set expires to {today + timedelta(days=INCIDENT_MAX_DAYS)} "
                                    "or earlier"))
        sampling = inc.sampling_percent if inc.sampling_percent is not None else sampling
        level = inc.log_level or level
        incident = f"{inc.reason} (until {inc.expires.isoformat()})"
    if sampling > 0 and sampling_buckets(sampling) == 0:
        problems.append(Problem(("telemetry", "sampling_percent"), sampling,
                                f"the sampler keeps whole hash buckets of 100/{HASH_BUCKETS} % "
                                f"each; {sampling:g} % is less than one and would keep no trace; "
                                "use at least 0.0062"))

    client_keys = tuple(dict.fromkeys([*CLIENT_KEYS, *t.pseudonymize_keys]))
    pseudonymize = t.pseudonymize or ("hash" if t.pseudonym_key_secret_arn else "delete")
    if pseudonymize == "hash" and not t.pseudonym_key_secret_arn:
        problems.append(Problem(("telemetry", "pseudonymize"), "hash",
                                "no pseudonym key: the platform names one in platform.yaml "
                                "(telemetry.pseudonym_key_secret_arn), or set "
                                "telemetry.pseudonym_key_secret_arn; or use pseudonymize: delete"))
    for i, key in enumerate(t.mask_keys):
        if key.lower() in {k.lower() for k in client_keys} and pseudonymize == "hash":
            problems.append(Problem(("telemetry", "mask_keys", i), key,
                                    "this key is pseudonymized (a client identity); remove it "
                                    "from mask_keys, or set pseudonymize: delete to delete "
                                    "every client identity"))
    noise = [p for rule in tp.noise for p in noise_patterns(rule, health_check_path)]
    noise += t.drop_patterns
    health_paths = (health_check_path,) if health_check_path else ()
    return TelemetryPolicy(
        distribution=t.distribution,
        sampling_percent=sampling,
        hash_seed=HASH_SEED,
        log_level=level,
        dropped_levels=("trace", *LOG_LEVELS[: LOG_LEVELS.index(level)]),
        noise_patterns=tuple(dict.fromkeys(noise)),
        health_check_paths=health_paths,
        mask_rules=MASK_RULES if t.masking == "full" else (),
        mask_keys=tuple(dict.fromkeys([*SENSITIVE_KEYS, *t.mask_keys,
                                       *(client_keys if pseudonymize == "delete" else ())])),
        pseudonym_keys=client_keys if pseudonymize == "hash" else (),
        pseudonymize=pseudonymize,
        batch_size=tp.batch_size,
        batch_max_size=tp.batch_size * 2,
        batch_timeout=tp.batch_timeout,
        resource_attributes={
            "service.name": spec.name,
            "service.version": version,
            "deployment.environment.name": spec.environment,
            "team": spec.team,
            **platform,
        },
        incident=incident,
    )


def sdk_environment(service_name: str, policy: TelemetryPolicy) -> dict[str, str]:
    """The OpenTelemetry SDK settings of an app (ECS) or function (Lambda).

    Sampling happens in the collector (so error spans are kept and one seed decides
    for the whole fleet): the SDK records every trace, or follows the caller's
    decision when there is one.
    """
    from . import sidecars

    attrs = policy.resource_attributes
    return {
        "OTEL_SERVICE_NAME": service_name,
        "OTEL_RESOURCE_ATTRIBUTES": ",".join(
            f"{k}={attrs[k]}" for k in ("service.version", "deployment.environment.name", "team")),
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://localhost:{sidecars.OTLP_HTTP_PORT}",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_PROPAGATORS": "tracecontext,baggage,xray",
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
    }
