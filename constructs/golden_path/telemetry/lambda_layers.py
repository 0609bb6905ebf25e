"""The catalog of OpenTelemetry Lambda layers (data: lambda_layers.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml


@dataclass(frozen=True)
class LayerChoice:
    collector_arn: str
    language_arn: str
    exec_wrapper: str
    #: What each layer adds unzipped to Lambda's 250 MB: ("collector 0.23.0", bytes), then the
    #: language layer; upper estimates from the catalog (see each layer's size_source).
    unzipped_bytes: tuple[tuple[str, int], ...] = ()


class LayerUnavailable(LookupError):
    """No pinned layer for this runtime, architecture and region."""


@cache
def catalog() -> dict:
    return yaml.safe_load((Path(__file__).parent / "lambda_layers.yaml").read_text())


def _arn(layer: dict, arch: str, region: str, what: str) -> str:
    if region not in layer["regions"]:
        raise LayerUnavailable(f"the {what} layer {layer['version']} is not published in "
                               f"{region} (source: {layer['source']})")
    name = layer["layer_names"][arch]
    return (f"arn:aws:lambda:{region}:{catalog()['publisher_account']}:layer:{name}:"
            f"{layer['layer_version']}")


def layers_for(language: str, family: str, arch: str, region: str) -> LayerChoice:
    """The collector and language layers for a function, or LayerUnavailable."""
    layers = catalog()["layers"]
    lang = layers.get(family)
    if lang is None or language not in lang["runtimes"]:
        raise LayerUnavailable(f"no OpenTelemetry {family} layer supports {language}")
    return LayerChoice(
        collector_arn=_arn(layers["collector"], arch, region, "collector"),
        language_arn=_arn(lang, arch, region, family),
        exec_wrapper=lang["exec_wrapper"],
        unzipped_bytes=((f"collector {layers['collector']['version']}",
                         layers["collector"]["unzipped_bytes"][arch]),
                        (f"{family} {lang['version']}", lang["unzipped_bytes"][arch])),
    )
