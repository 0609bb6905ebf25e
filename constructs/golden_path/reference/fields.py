"""The field pages (service files, platform.yaml), from the models' JSON Schemas."""

from __future__ import annotations

import json
from collections.abc import Callable

from .markdown import page, table


def _resolve(schema: dict, defs: dict) -> dict:
    ref = schema.get("$ref")
    return defs[ref.rsplit("/", 1)[1]] if ref else schema


def _without_null(schema: dict) -> list[dict]:
    options = schema.get("anyOf", [schema])
    return [o for o in options if o.get("type") != "null"]


def _object_of(schema: dict, defs: dict) -> dict | None:
    """The object model a property holds (itself or through a $ref, maybe or null)."""
    options = _without_null(schema)
    if len(options) == 1 and "$ref" in options[0]:
        return _resolve(options[0], defs)
    return None


def _type(schema: dict, defs: dict) -> str:
    options = schema.get("anyOf", [schema])
    parts = [_one_type(o, defs) for o in options if o.get("type") != "null"]
    text = " or ".join(dict.fromkeys(p for p in parts if p)) or "any"
    return text + (" or null" if len(parts) < len(options) else "")


def _one_type(s: dict, defs: dict) -> str:
    if "$ref" in s:
        return "object"
    if "const" in s:
        return f"`{json.dumps(s['const'])}`"
    if "enum" in s:
        return ", ".join(f"`{v}`" for v in s["enum"])
    kind = s.get("type", "")
    if kind == "array":
        item = s.get("items", {})
        inner = "object" if "$ref" in item else _one_type(item, defs)
        text = f"list of {inner}" if inner else "list"
    elif kind == "object" and "additionalProperties" in s:
        value = s["additionalProperties"]
        inner = "object" if isinstance(value, dict) and "$ref" in value else (
            _one_type(value, defs) if isinstance(value, dict) else "")
        text = f"map of {inner}" if inner else "map"
    else:
        text = kind
    limits = []
    if "minimum" in s or "maximum" in s or "exclusiveMinimum" in s or "exclusiveMaximum" in s:
        low = s.get("minimum", s.get("exclusiveMinimum"))
        high = s.get("maximum", s.get("exclusiveMaximum"))
        low_text = "" if low is None else f"{'>' if 'exclusiveMinimum' in s else '≥'} {low:g}"
        high_text = "" if high is None else f"{'<' if 'exclusiveMaximum' in s else '≤'} {high:g}"
        limits.append(", ".join(t for t in (low_text, high_text) if t))
    if "maxLength" in s:
        limits.append(f"≤ {s['maxLength']} characters")
    if "maxItems" in s:
        limits.append(f"≤ {s['maxItems']} items")
    if "pattern" in s:
        limits.append(f"`{s['pattern']}`")
    return text + (f" ({'; '.join(limits)})" if limits else "")


def _default(schema: dict) -> str:
    if "default" not in schema:
        return ""
    value = schema["default"]
    if value is None or value == [] or value == {}:
        return f"`{json.dumps(value)}`" if value is not None else ""
    return f"`{json.dumps(value)}`"


def _description(schema: dict, defs: dict) -> str:
    if schema.get("description"):
        return schema["description"]
    model = _object_of(schema, defs)
    if model is None and schema.get("type") == "array" and "$ref" in schema.get("items", {}):
        model = _resolve(schema["items"], defs)
    value = schema.get("additionalProperties")
    if model is None and isinstance(value, dict) and "$ref" in value:
        model = _resolve(value, defs)
    return (model or {}).get("description", "")


def field_rows(model: dict, defs: dict, prefix: str = "", mark: Callable[[str], str] | None = None,
               ) -> list[list[str]]:
    """One row per field of ``model``, depth first into nested models: path, type,
    required, default, description (and ``mark(path)`` as a last column, if given)."""
    rows = []
    required = set(model.get("required", ()))
    for name, prop in model.get("properties", {}).items():
        path = f"{prefix}{name}"
        row = [f"`{path}`", _type(prop, defs), "yes" if name in required else "",
               _default(prop), _description(prop, defs)]
        rows.append(row + ([mark(path)] if mark else []))
        nested, sub = _nested(prop, defs)
        if nested is not None:
            rows += field_rows(nested, defs, f"{path}{sub}", mark)
    return rows


def _nested(prop: dict, defs: dict) -> tuple[dict | None, str]:
    model = _object_of(prop, defs)
    if model is not None:
        return model, "."
    for option in _without_null(prop):
        if option.get("type") == "array" and "$ref" in option.get("items", {}):
            return _resolve(option["items"], defs), "[]."
        value = option.get("additionalProperties")
        if option.get("type") == "object" and isinstance(value, dict) and "$ref" in value:
            return _resolve(value, defs), ".<name>."
    return None, ""


FIELD_HEADER = ["field", "type", "required", "default", "description"]


def service_fields_page() -> str:
    from ..spec.schema import _PLATFORM_OWNED, service_schema

    doc = service_schema()
    defs = doc["$defs"]
    owned = {f"{prefix}{name}" for model, names in _PLATFORM_OWNED.items() for name in names
             for prefix in ({"ServiceSpec": ("",), "LambdaSpec": ("",), "Network": ("network.",),
                             "LoadBalancer": ("load_balancer.",),
                             "Telemetry": ("telemetry.",)}[model])}

    def mark(path: str) -> str:
        return "platform.yaml" if path in owned else ""

    sections = []
    for title, model in (("ECS Fargate services (`kind: web` or `worker`)", "ServiceSpec"),
                         ("Lambda functions (`runtime: lambda`)", "LambdaSpec")):
        rows = field_rows(defs[model], defs, mark=mark)
        single = {row[0] for row in rows}
        fleet_only = [row[:2] + ["yes" if row[0] == "`environments`" else ""] + row[3:5]
                      for row in field_rows(defs[f"Fleet{model}"], defs)
                      if row[0] not in single]
        sections.append(f"## {title}\n\n{defs[model].get('description', '')}\n\n"
                        + table([*FIELD_HEADER, "in the fleet form"], rows)
                        + "\n\nOnly in the fleet form:\n\n" + table(FIELD_HEADER, fleet_only))
    intro = """
Every field of a service file, from the models' JSON Schema (`golden-path schema`, committed
as `examples/service.schema.json`). A dotted path is a nested field; `[]` an item of a list;
`<name>` a key of your choosing.

- **required**: required once the file is merged with its environment's override; in the
  fleet form a file needs only `name`, `team` and `environments` on its own.
- **in the fleet form**: `platform.yaml` sets the field for each environment, and a
  fleet-form file may not repeat it; a single-environment file writes it out.
- Every other field may be shared or set per environment (`environments.<env>.<field>`).

How the fields fit together: [the service file](../service-file.md).
"""
    return page("Service file fields", intro, "\n\n".join(sections),
                "`python -m golden_path.reference` from `golden_path.spec.schema.service_schema()`")


def platform_fields_page() -> str:
    from ..spec.schema import platform_schema

    doc = platform_schema()
    defs = doc["$defs"]
    shared = set(defs["PlatformDefaults"]["properties"])

    def mark(path: str) -> str:
        top = path.split(".", 1)[0]
        return "yes" if top in shared else "no"

    env = defs["PlatformEnvironment"]
    rows = field_rows(env, defs, mark=mark)
    top = [[f"`{name}`", _type(prop, defs), "yes" if name in doc.get("required", ()) else "",
            _default(prop), _description(prop, defs)]
           for name, prop in doc["properties"].items()]
    rules = field_rows(_resolve(doc["properties"]["rules"], defs), defs, prefix="rules.")
    body = "\n\n".join([
        "## The file\n\n" + table(FIELD_HEADER, top),
        "## `rules`\n\n" + (_resolve(doc["properties"]["rules"], defs).get("description", "")
                            + "\n\n" + table(FIELD_HEADER, rules)),
        "## `environments.<name>` (and `defaults`)\n\n" + (env.get("description", "") + "\n\n"
         + table([*FIELD_HEADER, "in `defaults`"], rows)),
    ])
    intro = """
Every field of `platform.yaml`, from the models' JSON Schema (`golden-path schema --platform`,
committed as `examples/platform.schema.json`). A dotted path is a nested field; `[]` an item
of a list; `<name>` a key of your choosing.

- **required**: required for each environment once `defaults` is merged under it.
- **in `defaults`**: whether the field may be given once in `defaults:` for every environment.

How the file fits together: [the platform file](../platform.md).
"""
    return page("Platform file fields", intro, body,
                "`python -m golden_path.reference` from `golden_path.spec.schema.platform_schema()`")
