"""Where every effective value came from, and the deep merge that keeps track of it.

A service's effective document for one environment is built in layers:

1. the shared fields of the service file (``service``),
2. the file's ``environments.<env>`` override (``override:<env>``),
3. values the platform owns, from platform.yaml (``platform``).

Each layer is a parsed YAML document with its own ``{path: line}`` map; merging
keeps an ``Origins`` map for the result, so an error, ``explain`` or a fleet
check can name the file and line that set a value. Values nobody wrote come
from the environment profile or a built-in default (``explain`` says which).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import Path


@dataclass(frozen=True)
class Origin:
    file: str
    line: int | None
    #: ``service``, ``override:<env>``, ``platform``, ``platform defaults``
    layer: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def __str__(self) -> str:
        return self.where if self.layer == "service" else f"{self.where} ({self.layer})"


Origins = dict[Path, Origin]


def origins_of(file: str, lines: Mapping[Path, int], layer: str, prefix: Path = (),
               at: Path = ()) -> Origins:
    """The origins of the subtree at ``prefix`` of a document, re-rooted at ``at``."""
    n = len(prefix)
    return {at + path[n:]: Origin(file, line, layer)
            for path, line in lines.items() if path[:n] == prefix}


def subtree(origins: Mapping[Path, Origin], prefix: Path) -> Origins:
    n = len(prefix)
    return {path[n:]: o for path, o in origins.items() if path[:n] == prefix}


def merge(base: Any, base_origins: Origins, override: Any,
          override_origins: Origins, path: Path = ()) -> tuple[Any, Origins]:
    """Deep-merge ``override`` over ``base``: mappings merge key by key, a list or a
    scalar replaces, and an explicit ``null`` clears the key.

    Returns the merged document and its origins (re-rooted at ``path``'s level).
    """
    merged_origins: Origins = {}
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        merged_origins.update({p: o for p, o in base_origins.items()})
        for key, value in override.items():
            key_path = (key,)
            sub_override = subtree(override_origins, key_path)
            if value is None:
                out.pop(key, None)
                _drop(merged_origins, key_path)
                continue
            if key in out and isinstance(out[key], dict) and isinstance(value, dict):
                sub_base = subtree(merged_origins, key_path)
                _drop(merged_origins, key_path)
                out[key], sub = merge(out[key], sub_base, value, sub_override)
                if () in sub_base:  # the mapping itself stays where the base wrote it
                    sub[()] = sub_base[()]
            else:
                _drop(merged_origins, key_path)
                out[key], sub = value, sub_override
            merged_origins.update({key_path + p: o for p, o in sub.items()})
        return out, merged_origins
    return override, dict(override_origins)


def _drop(origins: Origins, prefix: Path) -> None:
    n = len(prefix)
    for p in [p for p in origins if p[:n] == prefix]:
        del origins[p]
