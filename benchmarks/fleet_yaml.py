"""Service files written as a person would write them (for benchmarks/fleet_gen.py): short
values in flow style on one line, longer ones in blocks, strings quoted only where YAML
would read them differently. ``to_yaml(comment, shared, environments)``.
"""

from __future__ import annotations

import functools
import json
import re

import yaml

_SAFE = re.compile(r"^[A-Za-z0-9_./@*:?$-][A-Za-z0-9_./@*:?$ (){}-]*$")
WIDTH = 110


@functools.cache
def _plain_ok(value: str) -> bool:
    """Is ``value`` read back as the same string when written plain (in a flow list too)?"""
    if not _SAFE.match(value) or value.startswith(("*", "?", ":", "-")) or value.endswith(":"):
        return False
    try:
        return yaml.safe_load(f"[{value}]") == [value] and yaml.safe_load(f"k: {value}") == {"k": value}
    except yaml.YAMLError:
        return False


def scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value if _plain_ok(value) else json.dumps(value)


def flow(value) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def _emit(out: list[str], key: str, value, indent: int, force_block: bool = False) -> None:
    pad = "  " * indent
    if not isinstance(value, (dict, list)) or not value:
        out.append(f"{pad}{key}: {flow(value)}")
        return
    text = flow(value)
    if not force_block and len(pad) + len(key) + 2 + len(text) <= WIDTH:
        out.append(f"{pad}{key}: {text}")
        return
    out.append(f"{pad}{key}:")
    if isinstance(value, dict):
        for k, v in value.items():
            _emit(out, k, v, indent + 1)
        return
    for item in value:
        if isinstance(item, dict) and len(pad) + 4 + len(flow(item)) > WIDTH:
            first = True
            for k, v in item.items():
                sub: list[str] = []
                _emit(sub, k, v, indent + 2)
                if first:
                    sub[0] = f"{pad}  - {sub[0].lstrip()}"
                    first = False
                out += sub
        else:
            out.append(f"{pad}  - {flow(item)}")


def to_yaml(comment: str, shared: dict, environments: dict[str, dict]) -> str:
    out = [f"# {comment}"]
    for key, value in shared.items():
        _emit(out, key, value, 0, force_block=isinstance(value, dict))
    out += ["", "environments:"]
    for env, override in environments.items():
        if not override:
            out.append(f"  {env}: {{}}")
            continue
        out.append(f"  {env}:")
        for key, value in override.items():
            _emit(out, key, value, 2)
    return "\n".join(out) + "\n"
