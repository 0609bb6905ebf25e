"""``ApplicationService``: one team's service in one environment, fully wired."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..alerts.registry import TeamRegistry
from ..cdk import Construct
from ..load.service_file import parse_service
from ..resolve import Resolved, ResolvedFunction, ResolvedService, resolve_service
from ..spec import AnySpec


def as_resolved(spec: AnySpec | Mapping[str, Any] | Resolved) -> Resolved:
    """Validate and resolve a spec given in any of the accepted forms."""
    if isinstance(spec, (ResolvedService, ResolvedFunction)):
        return spec
    if isinstance(spec, Mapping) and "environments" in spec:
        from ..errors import Problem, SpecError

        raise SpecError(Problem(("environments",), sorted(spec["environments"] or {}), (
            "a fleet-form spec takes its accounts, network and telemetry from platform.yaml, "
            "which a mapping does not carry: load it with `load_service(path, environment)` (or "
            "`load_all([folder])`) and pass ApplicationService one spec per environment "
            "(docs/python-api.md)")))
    return resolve_service(parse_service(dict(spec) if isinstance(spec, Mapping) else spec))


class ApplicationService(Construct):
    """One service with its telemetry, IAM and triggers: an ECS Fargate ``web`` or
    ``worker`` service with its observability sidecars, or (``runtime: lambda``) a
    Lambda function with the OpenTelemetry layers.

    ``spec`` is a ``ServiceSpec``/``LambdaSpec``, a mapping with the same fields as
    ``service.yaml`` (validated; bad input raises ``SpecError``), or an already
    resolved service. Every created resource is a public attribute; which ones
    exist depends on the runtime (e.g. ``task_definition`` or ``function``) and on the
    spec (``queue``: a worker's own queue and its dead-letter queue, ``scaling.queue.create``).

    ``teams`` (the team registry, teams.yaml) checks the team and routes its
    alarms; without it alarms go to the conventional topic names
    ``golden-path-<team>-<environment>-{notify,page}``.
    """

    def __init__(self, scope: Construct, id: str, spec: AnySpec | Mapping[str, Any] | Resolved,
                 teams: TeamRegistry | None = None):
        super().__init__(scope, id)
        self.resolved = as_resolved(spec)
        from .stack import complete_stack

        complete_stack(self, self.resolved)  # backend, account pin, tags: as ServiceStack's
        if isinstance(self.resolved, ResolvedFunction):
            from .lambda_ import build_lambda

            build_lambda(self, self.resolved)
        else:
            from .fargate import build_fargate

            build_fargate(self, self.resolved)
        from .alerts import build_alerts

        build_alerts(self, self.resolved, teams)
