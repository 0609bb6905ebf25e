"""spec + environment profile (+ platform) -> one fully decided service. Pure Python."""

from __future__ import annotations

from datetime import date

from ..spec import AnySpec
from ..spec.lambda_ import LambdaSpec
from .ecs import ResolvedService, resolve
from .lambda_ import ResolvedFunction, resolve_function

Resolved = ResolvedService | ResolvedFunction

__all__ = ["Resolved", "ResolvedFunction", "ResolvedService", "resolve", "resolve_function",
           "resolve_service"]


def resolve_service(spec: AnySpec, today: date | None = None) -> Resolved:
    """Resolve a spec of any runtime: a ResolvedService (ECS) or a ResolvedFunction."""
    if isinstance(spec, LambdaSpec):
        return resolve_function(spec, today)
    return resolve(spec, today)
