"""Collector distributions and the components each contains (data: distributions.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .render_check import COMPONENT_KINDS

#: The spec's short names for the ECS distributions.
SPEC_NAMES = {"contrib": "otelcol-contrib", "adot": "adot"}


@dataclass(frozen=True)
class Distribution:
    name: str
    version: str
    image: str | None
    source: str
    components: dict[str, frozenset[str]]

    def missing(self, config: dict) -> list[tuple[str, str]]:
        """(kind, component type) pairs the config uses that this build lacks."""
        gaps = []
        for kind in COMPONENT_KINDS:
            for component_id in config.get(kind) or {}:
                ctype = component_id.split("/", 1)[0]
                if ctype not in self.components[kind]:
                    gaps.append((kind[:-1], ctype))
        return gaps


@cache
def distributions() -> dict[str, Distribution]:
    data = yaml.safe_load((Path(__file__).parent / "distributions.yaml").read_text())
    return {
        name: Distribution(
            name=name, version=d["version"], image=d["image"], source=d["source"],
            components={kind: frozenset(d.get(kind) or ()) for kind in COMPONENT_KINDS},
        )
        for name, d in data.items()
    }


def distribution(spec_name: str) -> Distribution:
    return distributions()[SPEC_NAMES.get(spec_name, spec_name)]
