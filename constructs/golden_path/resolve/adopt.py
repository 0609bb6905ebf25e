"""``adopt:`` → the physical names a service keeps, and the Terraform ``import`` ids.

What a service adopts keeps its live name; everything else gets golden_path's own name
(derived from ``<service>-<environment>``, so it never collides with the adopted one).
The stack keeps golden_path's name either way: its state key and dashboard do not move
when a service is adopted.

``Adoption.imports`` maps each adopted part to the id Terraform imports it by; the
constructs put each on its resource (``import_from``), so the first plan imports it
instead of creating it. After that apply the import blocks change nothing, and an entry
that names no physical name (event source mapping, function URL, route, schedule target)
can be removed; docs/migration.md says which.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..spec.adopt import queue_parts, role_parts

#: Parts whose adopt: entry only carries an import id, never a name golden_path keeps:
#: once the import has applied, the entry can be removed without changing the plan.
IMPORT_ONLY = ("event_source_mapping", "function_url", "http_route", "listener_rule",
               "scalable_target")


@dataclass(frozen=True)
class Adoption:
    """What a service takes over in one environment."""

    #: part -> the id Terraform imports it by (``function``, ``log_group``, ``role``, ...).
    imports: dict[str, str] = field(default_factory=dict)
    #: role part -> its IAM path (a role keeps its path: changing it replaces the role).
    role_paths: dict[str, str] = field(default_factory=dict)
    #: schedule index -> the adopted target's id.
    target_ids: dict[int, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.imports)

    def id_of(self, part: str) -> str | None:
        return self.imports.get(part)

    def role_path(self, part: str) -> str | None:
        path = self.role_paths.get(part, "/")
        return None if path == "/" else path


NONE = Adoption()


def queue_url(ref: str) -> str:
    """SQS's URL of a queue named by URL or ARN (what Terraform imports a queue by)."""
    region, account, name = queue_parts(ref)
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def _queue_name(ref: str | None) -> str | None:
    return queue_parts(ref)[2] if ref else None


def adopt_function(spec, names):
    """The function's names with what it adopts, and the adoption."""
    a = spec.adopt
    if a is None:
        return names, NONE
    imports: dict[str, str] = {"function": a.function}
    changes: dict = {"function": a.function}
    paths: dict[str, str] = {}
    if a.log_group:
        imports["log_group"] = changes["log_group"] = a.log_group
    if a.role:
        name, paths["role"] = role_parts(a.role)
        imports["role"] = changes["role"] = name
    for part in ("queue", "dead_letter_queue"):
        ref = getattr(a, part)
        if ref:
            changes[part] = _queue_name(ref)
            imports[part] = queue_url(ref)
    if a.event_source_mapping:
        imports["event_source_mapping"] = a.event_source_mapping
    if a.schedules:
        changes["schedule_rules"] = tuple(s.rule for s in a.schedules)
        for i, s in enumerate(a.schedules):
            imports[f"schedule_rule_{i}"] = s.rule
            imports[f"schedule_target_{i}"] = f"{s.rule}/{s.target_id}"
    if a.function_url:
        imports["function_url"] = a.function
    http = spec.triggers.http
    if a.http_route and http is not None and http.api is not None:
        api = http.api.api_id
        imports["http_integration"] = f"{api}/{a.http_route.integration_id}"
        imports["http_route"] = f"{api}/{a.http_route.route_id}"
    return (dataclasses.replace(names, **changes),
            Adoption(imports, paths, {i: s.target_id for i, s in enumerate(a.schedules)}))


def adopt_service(spec, names, cluster_name: str):
    """An ECS service's names with what it adopts, and the adoption."""
    a = spec.adopt
    if a is None:
        return names, NONE
    changes: dict = {"service": a.service}
    cluster = a.cluster or cluster_name
    imports = {"service": f"{cluster}/{a.service}"}
    if a.scalable_target:
        imports["scalable_target"] = f"ecs/service/{cluster}/{a.service}/ecs:service:DesiredCount"
    paths: dict[str, str] = {}
    for part in ("task_role", "execution_role"):
        ref = getattr(a, part)
        if ref:
            name, paths[part] = role_parts(ref)
            imports[part] = changes[part] = name
    if a.target_group:
        changes["target_group"] = a.target_group.split(":targetgroup/", 1)[1].split("/")[0]
        imports["target_group"] = a.target_group
    if a.listener_rule:
        imports["listener_rule"] = a.listener_rule
    for part in ("queue", "dead_letter_queue"):
        ref = getattr(a, part)
        if ref:
            imports[part] = queue_url(ref)
    return dataclasses.replace(names, **changes), Adoption(imports, paths)


def adopted_queue_names(spec) -> tuple[str | None, str | None]:
    """A worker's adopted queue and dead-letter queue names (None: golden_path's own)."""
    a = spec.adopt
    if a is None:
        return None, None
    return _queue_name(a.queue), _queue_name(a.dead_letter_queue)
