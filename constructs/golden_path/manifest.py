"""Read ``service.yaml`` files, keeping the line of every field for error messages."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

import yaml

from .errors import MISSING, Path, Problem, SpecError
from .spec import ServiceSpec
from .spec_lambda import LambdaSpec

#: The spec model for each ``runtime``.
RUNTIMES: dict[str, type] = {"ecs": ServiceSpec, "lambda": LambdaSpec}
AnySpec = ServiceSpec | LambdaSpec


def parse_service(data: Any) -> AnySpec:
    """Validate parsed YAML or Python arguments for any runtime; raise SpecError."""
    if isinstance(data, (ServiceSpec, LambdaSpec)):
        return data
    if not isinstance(data, dict):
        raise SpecError(Problem((), type(data).__name__,
                                "a service.yaml is a mapping of fields (name: ..., team: ...)"))
    runtime = data.get("runtime", "ecs")
    if runtime not in RUNTIMES:
        raise SpecError(Problem(("runtime",), runtime,
                                f"expected one of {', '.join(RUNTIMES)} (default: ecs)"))
    return RUNTIMES[runtime].parse(data)


def read_yaml(path: str | FsPath) -> tuple[Any, dict[Path, int]]:
    """Parse a YAML file; return the data and a map field-path -> 1-based line."""
    text = FsPath(path).read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise SpecError(Problem((), MISSING, f"invalid YAML: {reason}", str(path),
                                mark.line + 1 if mark else None)) from None
    lines: dict[Path, int] = {}
    duplicates: list[Problem] = []
    if node is not None:
        _walk(node, (), lines, duplicates, str(path))
    if duplicates:
        raise SpecError(duplicates)
    return data, lines


def _walk(node: yaml.Node, path: Path, lines: dict[Path, int], dups: list[Problem], file: str):
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                dups.append(Problem(path + (key,), MISSING,
                                    "this key appears twice; keep one", file,
                                    key_node.start_mark.line + 1))
            seen.add(key)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines, dups, file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, dups, file)


def resolve_service(spec: AnySpec, today=None):
    """Resolve a spec of any runtime: a ResolvedService (ECS) or a ResolvedFunction."""
    from .resolve import resolve
    from .resolve_lambda import resolve_function

    return (resolve_function(spec, today) if isinstance(spec, LambdaSpec)
            else resolve(spec, today))


def load_service(path: str | FsPath) -> AnySpec:
    """Load and validate one service.yaml; errors carry file and line."""
    data, lines = read_yaml(path)
    try:
        spec = parse_service(data)
    except SpecError as err:
        raise err.located(str(path), lines) from None
    spec._source = (str(path), lines)
    return spec


def source_of(spec: AnySpec) -> tuple[str, dict[Path, int]] | None:
    """Where a spec came from (file, line map) if it was loaded from YAML."""
    return spec._source
