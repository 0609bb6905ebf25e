"""Turn pydantic's validation errors into ``Problem``s with hints a team can act on."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import MISSING, Problem

_TYPE_HINTS = {
    "int_parsing": "expected a whole number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected a string (quote it in YAML)",
    "bool_parsing": "expected true or false",
    "bool_type": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of key: value",
    "model_type": "expected a mapping of fields",
    "model_attributes_type": "expected a mapping of fields",
}


def pydantic_problems(exc: ValidationError, model: type[BaseModel]) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = _clean_loc(err["loc"])
        kind = err["type"]
        value = err.get("input", MISSING)
        if kind == "missing":
            problems.append(Problem(loc, MISSING, _missing_hint(model, loc)))
        elif kind == "extra_forbidden":
            problems.append(Problem(loc, value, _unknown_field_hint(model, loc)))
        elif kind in _TYPE_HINTS:
            problems.append(Problem(loc, value, _TYPE_HINTS[kind]))
        else:
            msg = err["msg"]
            for prefix in ("Value error, ", "Assertion failed, "):
                msg = msg.removeprefix(prefix)
            if kind == "string_pattern_mismatch":
                msg = f"does not match the pattern {err['ctx']['pattern']}"
            problems.append(Problem(loc, value, msg))
    return problems


def _missing_hint(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    """A model may say what a missing field is for (``MISSING_HINTS``, e.g. a reason)."""
    owner = _model_at(model, loc[:-1]) if loc else None
    extra = getattr(owner, "MISSING_HINTS", {}).get(loc[-1]) if owner is not None else None
    return f"required field is missing; add it: {extra}" if extra else \
        "required field is missing; add it"


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    # pydantic adds validator names like 'function-after[...]' for Annotated types.
    return tuple(p for p in loc if not (isinstance(p, str) and "[" in p and p.endswith("]")))


def _unknown_field_hint(model: type[BaseModel], loc: tuple[str | int, ...]) -> str:
    owner = _model_at(model, loc[:-1])
    name = str(loc[-1])
    if owner is None:
        return f"unknown field '{name}'; remove it"
    allowed = list(owner.model_fields)
    close = difflib.get_close_matches(name, allowed, n=1)
    suggestion = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown field '{name}'; {suggestion}allowed here: {', '.join(allowed)}"


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    """The BaseModel inside Optional[...] / list[...] / Annotated[...], if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None
