"""Structural checks of rendered configs: what the collector and Fluent Bit would refuse."""

from __future__ import annotations

import re
from typing import Any

COMPONENT_KINDS = ("receivers", "processors", "exporters", "connectors", "extensions")

#: Component types renamed to lower_snake_case; the old type still loads, as a deprecated
#: alias that logs a warning at start. Read from the components' generated metadata
#: (``Type`` / ``DeprecatedType``): open-telemetry/opentelemetry-collector v0.159.0
#: ``exporter/otlphttpexporter/metadata.yaml`` and ``exporter/otlpexporter/metadata.yaml``;
#: contrib v0.156.0 as vendored by aws-observability/aws-otel-collector v0.49.0
#: (``processor/resourcedetectionprocessor`` and ``processor/metricstransformprocessor``,
#: ``internal/metadata/generated_status.go``). The ADOT (core and contrib 0.156) and Lambda
#: layer 0.23.0 (core and contrib 0.157) builds know the new names too (docs/collector.md).
DEPRECATED_TYPES: dict[tuple[str, str], str] = {
    ("exporters", "otlphttp"): "otlp_http",
    ("exporters", "otlp"): "otlp_grpc",
    ("processors", "resourcedetection"): "resource_detection",
    ("processors", "metricstransform"): "metrics_transform",
}
#: The filter processor's per-signal blocks, deprecated for ``<signal>_conditions`` with
#: context-prefixed paths (contrib ``processor/filterprocessor/config.go``: "Deprecated: use
#: TraceConditions instead", and its README's migration table; read at v0.156.0 as above).
LEGACY_FILTER_KEYS = ("traces", "metrics", "logs", "profiles", "spans")


class ConfigCheckError(ValueError):
    """A rendered config the sidecar would refuse: a bug in a template, not in a spec."""



def check_collector_config(config: dict[str, Any], first: str | None = "memory_limiter",
                           last: str = "batch") -> None:
    """Every component used is defined, every defined one used; ``first`` and ``last``
    processors (memory_limiter ... batch on ECS; ... decouple in the Lambda layer)."""
    defined = {kind: set(config.get(kind) or {}) for kind in COMPONENT_KINDS}
    for kind in COMPONENT_KINDS:
        for component_id in defined[kind]:
            ctype = component_id.split("/", 1)[0]
            new = DEPRECATED_TYPES.get((kind, ctype))
            if new:
                raise ConfigCheckError(f"{kind[:-1]} '{component_id}' uses the deprecated type "
                                       f"'{ctype}'; use '{new}'")
    for component_id, settings in (config.get("processors") or {}).items():
        if component_id.split("/", 1)[0] == "filter":
            legacy = sorted(set(settings or {}) & set(LEGACY_FILTER_KEYS))
            if legacy:
                raise ConfigCheckError(f"processor '{component_id}' uses the deprecated "
                                       f"{legacy}; use trace_conditions, metric_conditions, "
                                       "log_conditions")
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


#: Fluent Bit's built-in multiline parsers (v4.2.2 src/multiline/flb_ml_parser_*.c).
BUILTIN_MULTILINE_PARSERS = ("docker", "cri", "go", "java", "python", "ruby")
#: What telemetry-init's ``printf '<text>'`` would change or choke on.
_PRINTF_UNSAFE = ("\\", "%", "'")


def check_parsers_text(text: str) -> dict[str, list[tuple[str, str, str]]]:
    """The parsers file telemetry-init writes: printf-safe, [PARSER] and [MULTILINE_PARSER]
    sections only, each multiline parser's rules well formed (src/flb_parser.c
    ``multiline_load_regex_rules``, src/multiline/flb_ml_rule.c) with regexes that compile.
    Returns the multiline parsers' rules: name -> [(from_states, regex, to_state)]."""
    for bad in _PRINTF_UNSAFE:
        if bad in text:
            raise ConfigCheckError(f"the parsers file holds {bad!r}, which printf would change")
    if "${" in text:  # the task definition is a Terraform string
        raise ConfigCheckError("the parsers file holds '${', which Terraform would interpolate")
    parsers: dict[str, list[tuple[str, str, str]]] = {}
    for name, entries in parse_fluent_bit(text):
        if name not in ("PARSER", "MULTILINE_PARSER"):
            raise ConfigCheckError(f"unexpected section [{name}] in the parsers file")
        if name == "PARSER":
            continue
        props = [(k.lower(), v) for k, v in entries]
        values = dict(props)
        if values.get("type") != "regex" or "name" not in values:
            raise ConfigCheckError(f"[MULTILINE_PARSER] {values.get('name')}: needs name and type regex")
        rules = []
        for key, value in props:
            if key != "rule":
                continue
            tokens = re.findall(r'"([^"]*)"', value)
            if len(tokens) != 3 or not (tokens[1].startswith("/") and tokens[1].endswith("/")):
                raise ConfigCheckError(f"{values['name']}: rule {value} is not "
                                       '"from_states" "/regex/" "to_state"')
            try:
                re.compile(tokens[1][1:-1])
            except re.error as exc:
                raise ConfigCheckError(f"{values['name']}: bad regex {tokens[1]}: {exc}") from None
            rules.append((tokens[0], tokens[1], tokens[2]))
        states = {s.strip() for f, _, _ in rules for s in f.split(",")}
        if not rules or "start_state" not in rules[0][0]:
            raise ConfigCheckError(f"{values['name']}: the first rule must be a start_state rule")
        for _, _, to in rules:
            if to not in states:
                raise ConfigCheckError(f"{values['name']}: to_state {to} is no rule's state")
        parsers[values["name"]] = rules
    return parsers


def _check_multiline(sections, parsers_text: str | None) -> None:
    """The multiline filters come first (whole records before the JSON parser and the
    greps), partial_message before the stack-trace one, on ``log``, buffered (the forward
    input sends records one by one: plugins/filter_multiline/ml.c), with known parsers."""
    known = set(BUILTIN_MULTILINE_PARSERS)
    if parsers_text is not None:
        known |= set(check_parsers_text(parsers_text))
    filters = [dict((k.lower(), v) for k, v in entries) for name, entries in sections
               if name == "FILTER"]
    kinds = [("partial" if f.get("mode") == "partial_message" else "parser")
             if f["name"] == "multiline" else "other" for f in filters]
    if kinds != sorted(kinds, key=("partial", "parser", "other").index):
        raise ConfigCheckError(f"filter order {kinds}: join partial lines, then stack traces, "
                               "then parse and filter")
    for f, kind in zip(filters, kinds, strict=True):
        if kind == "other":
            continue
        if f.get("multiline.key_content") != "log" or f.get("buffer", "on").lower() != "on":
            raise ConfigCheckError("a multiline filter needs multiline.key_content log, buffer on")
        parser = f.get("multiline.parser")
        if kind == "partial" and parser:
            raise ConfigCheckError("mode partial_message takes no multiline.parser")
        if kind == "parser" and parser not in known:
            raise ConfigCheckError(f"multiline parser {parser} is neither built in nor in the "
                                   "parsers file")


def check_fluent_bit_config(text: str, app_tag: str, parsers_text: str | None = None
                            ) -> list[tuple[str, list[tuple[str, str]]]]:
    """Parse back and check: known sections, Name and Match set, regexes compile, the
    multiline filters first and their parsers known (in ``parsers_text`` or built in)."""
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
    _check_multiline(sections, parsers_text)
    return sections
