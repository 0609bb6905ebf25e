"""Structural checks of rendered configs: what the collector and Fluent Bit would refuse."""

from __future__ import annotations

import re
from typing import Any

COMPONENT_KINDS = ("receivers", "processors", "exporters", "connectors", "extensions")


class ConfigCheckError(ValueError):
    """A rendered config the sidecar would refuse: a bug in a template, not in a spec."""



def check_collector_config(config: dict[str, Any], first: str | None = "memory_limiter",
                           last: str = "batch") -> None:
    """Every component used is defined, every defined one used; ``first`` and ``last``
    processors (memory_limiter ... batch on ECS; ... decouple in the Lambda layer)."""
    defined = {kind: set(config.get(kind) or {}) for kind in COMPONENT_KINDS}
    service = config.get("service") or {}
    used: dict[str, set[str]] = {kind: set() for kind in COMPONENT_KINDS}
    used["extensions"] = set(service.get("extensions") or [])
    for ext in used["extensions"] - defined["extensions"]:
        raise ConfigCheckError(f"service uses extension '{ext}' that is not defined")
    pipelines = service.get("pipelines") or {}
    if not pipelines:
        raise ConfigCheckError("no pipelines under service.pipelines")
    for name, pipeline in pipelines.items():
        if not pipeline.get("receivers") or not pipeline.get("exporters"):
            raise ConfigCheckError(f"pipeline {name} needs receivers and exporters")
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind) or []:
                used[kind].add(component)
                if component not in defined[kind] and component not in defined["connectors"]:
                    raise ConfigCheckError(
                        f"pipeline {name} uses {kind[:-1]} '{component}' that is not defined")
        processors = pipeline.get("processors") or []
        if first and processors and processors[0] != first:
            raise ConfigCheckError(f"pipeline {name}: {first} must come first")
        if processors and processors[-1] != last:
            raise ConfigCheckError(f"pipeline {name}: {last} must come last")
    used["connectors"] = {c for c in defined["connectors"]
                          if c in used["receivers"] or c in used["exporters"]}
    for kind in COMPONENT_KINDS:
        unused = defined[kind] - used[kind]
        if unused:
            raise ConfigCheckError(f"{kind} defined but never used: {sorted(unused)}")


def parse_fluent_bit(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Classic-mode Fluent Bit config -> [(SECTION, [(key, value), ...]), ...]."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        header = re.fullmatch(r"\[([A-Z_]+)\]", line)
        if header:
            sections.append((header[1], []))
            continue
        if not sections or not raw.startswith((" ", "\t")):
            raise ConfigCheckError(f"line {number}: '{line}' is outside a section")
        key, _, value = line.partition(" ")
        if not value.strip():
            raise ConfigCheckError(f"line {number}: key '{key}' has no value")
        sections[-1][1].append((key, value.strip()))
    return sections


def check_fluent_bit_config(text: str, app_tag: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Parse back and check: known sections, Name and Match set, regexes compile."""
    sections = parse_fluent_bit(text)
    for name, entries in sections:
        keys = {k.lower() for k, _ in entries}
        if name not in ("SERVICE", "FILTER", "OUTPUT"):
            raise ConfigCheckError(f"unexpected section [{name}] (FireLens owns the inputs)")
        if name in ("FILTER", "OUTPUT"):
            if not {"name", "match"} <= keys:
                raise ConfigCheckError(f"[{name}] needs Name and Match")
            match = next(v for k, v in entries if k.lower() == "match")
            if match != app_tag:
                raise ConfigCheckError(f"[{name}] matches '{match}', not the app's '{app_tag}'")
        for key, value in entries:
            if key.lower() in ("regex", "exclude"):
                field, _, pattern = value.partition(" ")
                try:
                    re.compile(pattern.strip())
                except re.error as exc:
                    raise ConfigCheckError(f"[{name}] {key} {field}: bad regex: {exc}") from None
    if not any(name == "OUTPUT" for name, _ in sections):
        raise ConfigCheckError("no [OUTPUT]: the app's logs would go nowhere")
    return sections
