"""Render sidecar configs from ``templates/`` and parse them back to check them."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from ..resolve import ResolvedService
from . import sidecars

COMPONENT_KINDS = ("receivers", "processors", "exporters", "connectors", "extensions")


def templates_dir() -> Path:
    """Templates ship inside the wheel; in a source checkout they sit at the top level."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "templates", here.parent.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("golden_path templates not found (broken install?)")


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML and Fluent Bit configs, not HTML
    )


def render_collector_config(service: ResolvedService) -> str:
    text = _env().get_template("otel-collector.yaml.j2").render(
        service=service.spec.name,
        team=service.spec.team,
        environment=service.spec.environment,
        collector=service.collector,
        ports={
            "health": sidecars.COLLECTOR_HEALTH_PORT,
            "otlp_grpc": sidecars.OTLP_GRPC_PORT,
            "otlp_http": sidecars.OTLP_HTTP_PORT,
            "metrics": sidecars.COLLECTOR_METRICS_PORT,
        },
    )
    check_collector_config(yaml.safe_load(text))
    return text


class CollectorConfigError(ValueError):
    """A rendered collector config that the collector would refuse (a bug in a template)."""


def check_collector_config(config: dict[str, Any]) -> None:
    """Every component used is defined and every defined component is used."""
    defined = {kind: set(config.get(kind) or {}) for kind in COMPONENT_KINDS}
    service = config.get("service") or {}
    used: dict[str, set[str]] = {kind: set() for kind in COMPONENT_KINDS}
    used["extensions"] = set(service.get("extensions") or [])
    pipelines = service.get("pipelines") or {}
    if not pipelines:
        raise CollectorConfigError("no pipelines under service.pipelines")
    for name, pipeline in pipelines.items():
        if not pipeline.get("receivers") or not pipeline.get("exporters"):
            raise CollectorConfigError(f"pipeline {name} needs receivers and exporters")
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind) or []:
                used[kind].add(component)
                if component not in defined[kind] and component not in defined["connectors"]:
                    raise CollectorConfigError(
                        f"pipeline {name} uses {kind[:-1]} '{component}' that is not defined"
                    )
        processors = pipeline.get("processors") or []
        if processors and not processors[0].startswith("memory_limiter"):
            raise CollectorConfigError(f"pipeline {name}: memory_limiter must come first")
    used["connectors"] = {c for c in defined["connectors"]
                          if c in used["receivers"] or c in used["exporters"]}
    for kind in COMPONENT_KINDS:
        unused = defined[kind] - used[kind]
        if unused:
            raise CollectorConfigError(f"{kind} defined but never used: {sorted(unused)}")
