"""``golden-path explain``: the effective spec of one service in one environment, with
the origin of every value (as ``kustomize build`` or ``terragrunt render`` show the
final form).

Origins: a line of the service file (shared fields), of its ``environments.<env>``
override, or of platform.yaml; values nobody wrote come from the environment
profile (task counts, sampling, log floor, ECS Exec) or are built-in defaults.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from ..resolve import Resolved, ResolvedFunction
from ..spec.environments import described
from .provenance import Origins
from .service_file import source_of

#: Fields left unset in a spec that the environment profile decides, and where the
#: resolved service keeps the decided value.
PROFILE_FIELDS = {
    ("scaling", "desired"): lambda r: r.scaling.desired,
    ("scaling", "min"): lambda r: r.scaling.min,
    ("scaling", "max"): lambda r: r.scaling.max,
    ("telemetry", "sampling_percent"): lambda r: r.telemetry.sampling_percent,
    ("telemetry", "log_level"): lambda r: r.telemetry.log_level,
    ("ecs_exec",): lambda r: r.ecs_exec,
}
_COMMENT_COLUMN = 56


def explain(service: Resolved) -> str:
    """The effective spec as YAML-like text, each value followed by ``# origin``."""
    spec = service.spec
    origins: Origins = source_of(spec) or {}
    data = spec.model_dump(mode="json", by_alias=True)
    profile = service.profile.name
    out = [f"# {service.stack_name}: {spec.name} of team {spec.team} in "
           f"{described(spec.environment, service.profile)}"]
    if service.permissions_boundary or service.default_tags:
        out.append(f"# platform: permissions boundary {service.permissions_boundary or 'none'}, "
                   f"default tags {json.dumps(service.default_tags)}")
    _walk(data, (), 0, origins, service, profile, out)
    if isinstance(service, ResolvedFunction) and service.layers:
        out.append(f"# layers (decided): {service.layers.language_arn}, {service.layers.collector_arn}")
    return "\n".join(out) + "\n"


def _walk(value: Any, path: tuple, depth: int, origins: Origins, service: Resolved,
          profile: str, out: list[str]) -> None:
    indent = "  " * depth
    if isinstance(value, dict):
        for key, item in value.items():
            sub = (*path, key)
            if item is None and sub not in origins and sub not in PROFILE_FIELDS:
                continue  # unset and nobody decides it: not part of the effective form
            if sub in INCIDENT_FIELDS and _incident_sets(service, sub):
                out.append(_incident_line(indent, key, item, sub, origins, service, profile))
            elif _is_leaf(item, sub):
                out.append(_line(f"{indent}{key}: {_scalar(*_decided(item, sub, service))}",
                                 _origin(item, sub, origins, profile)))
            else:
                out.append(_line(f"{indent}{key}:", _origin(item, sub, origins, profile)))
                _walk(item, sub, depth + 1, origins, service, profile, out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            sub = (*path, i)
            if _is_leaf(item, sub):
                out.append(_line(f"{indent}- {_scalar(item, False)}", _origin(item, sub, origins, profile)))
            else:
                out.append(_line(f"{indent}-", _origin(item, sub, origins, profile)))
                _walk(item, sub, depth + 1, origins, service, profile, out)


#: Values an incident override (``telemetry.incident``) replaces while it lasts.
INCIDENT_FIELDS = {("telemetry", "sampling_percent"), ("telemetry", "log_level")}


def _incident_sets(service: Resolved, path: tuple) -> bool:
    incident = service.spec.telemetry.incident
    return incident is not None and getattr(incident, path[-1]) is not None


def _incident_line(indent: str, key: str, written: Any, path: tuple, origins: Origins,
                   service: Resolved, profile: str) -> str:
    """The value in effect (the incident override's), then what applies without it."""
    incident = service.spec.telemetry.incident
    effective = getattr(incident, path[-1])
    base = written if written is not None else _profile_value(path, service, profile)
    where = origins.get(("telemetry", "incident", path[-1])) or origins.get(("telemetry", "incident"))
    without = f"{_scalar(base, False)} ({_origin(written, path, origins, profile)})"
    return _line(f"{indent}{key}: {_scalar(effective, False)}",
                 f"INCIDENT {incident.reason} (until {incident.expires.isoformat()}) "
                 f"{where or 'override'}; without it: {without}")


def _profile_value(path: tuple, service: Resolved, profile: str) -> Any:
    """What the environment profile decides for a field the spec leaves unset (before any
    incident override)."""
    return getattr(service.profile.telemetry, path[-1])


def _is_leaf(value: Any, path: tuple) -> bool:
    if isinstance(value, dict):
        return not value
    if isinstance(value, list):
        return not value or all(not isinstance(v, (dict, list)) for v in value)
    return True


def _decided(value: Any, path: tuple, service: Resolved) -> tuple[Any, bool]:
    """A value the profile fills in when the spec leaves it unset."""
    if value is None and path in PROFILE_FIELDS:
        try:
            return PROFILE_FIELDS[path](service), True
        except AttributeError:  # not a field of this runtime
            return value, False
    return value, False


def _scalar(value: Any, decided: bool) -> str:
    text = json.dumps(value) if not isinstance(value, str) or _needs_quotes(value) else value
    return text


def _needs_quotes(text: str) -> bool:
    """Would YAML read the bare text as something else (a number, a mapping, a comment)?"""
    try:
        return yaml.safe_load(text) != text or " #" in text
    except yaml.YAMLError:
        return True


def _origin(value: Any, path: tuple, origins: Origins, profile: str) -> str:
    origin = origins.get(path)
    if origin is not None:
        return str(origin)
    if path in PROFILE_FIELDS and value is None:
        return f"profile {profile}"
    return "default"


def _line(text: str, origin: str) -> str:
    return f"{text.ljust(_COMMENT_COLUMN)}  # {origin}"
