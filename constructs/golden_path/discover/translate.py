"""Inventory -> service files (pure: no AWS calls): one fleet-form service per function or
ECS service golden_path can manage, and why each other one is skipped.

A discovered service keeps what it does today: its sizes, triggers, variables and
physical names (``adopt:``), so the first plan imports rather than replaces. What
golden_path would change or leaves alone is said in ``notes`` (the report lists them).
"""

from __future__ import annotations

import re
import typing
from collections import Counter
from dataclasses import dataclass, field

from ..spec.common import TODO
from ..spec.lambda_ import LanguageRuntime, Schedule
from .inventory import Function, Inventory, Route
from .names import service_name, split_variables, team_name

LANGUAGES: tuple[str, ...] = typing.get_args(LanguageRuntime)
_SCHEDULE = re.compile(Schedule.model_fields["expression"].metadata[0].pattern)
_ROUTE_KEY = re.compile(r"^(ANY|GET|HEAD|OPTIONS|POST|PUT|PATCH|DELETE) /\S*$")
#: Layers golden_path attaches itself (telemetry/lambda_layers.yaml) or that do its job.
OTEL_LAYER = re.compile(r":layer:(opentelemetry-|aws-otel-|AWSOpenTelemetry)", re.I)
#: Without a ``runbook`` tag or ``--runbook``: left for the team to fill (validate says so).
DEFAULT_RUNBOOK = TODO
PUBLIC_REASON = ("public before adoption (golden-path discover): say why it is safe, or "
                 "switch to AWS_IAM")


@dataclass(frozen=True)
class Target:
    """The platform environment being discovered, and how to read tags."""

    environment: str
    profile: str
    account: str
    region: str
    cluster: str
    subnet_ids: tuple[str, ...]
    #: listener ARN -> the listener's name in platform.yaml
    listeners: dict[str, str]
    languages: tuple[str, ...] | None = None
    lambda_architectures: tuple[str, ...] | None = None
    ecs_architectures: tuple[str, ...] | None = None
    team_tag: str = "team"
    name_tag: str = "service"
    runbook: str = DEFAULT_RUNBOOK

    @classmethod
    def of(cls, platform, environment: str, **kw) -> Target:
        """From a LoadedPlatform (load/platform.py)."""
        env, rules = platform.environments[environment], platform.platform.rules

        def opt(v):
            return tuple(v) if v is not None else None

        return cls(environment, platform.platform.profile_of(environment), env.account,
                   env.region, env.ecs_cluster, tuple(env.subnet_ids),
                   {listener.arn: name for name, listener in env.listeners.items()},
                   opt(rules.lambda_languages), opt(rules.lambda_architectures),
                   opt(rules.ecs_architectures), **kw)


@dataclass
class Found:
    """One service discovered in one environment."""

    name: str
    kind: str  # lambda, web or worker
    resource: str  # the function's name, or cluster/service
    #: The spec of this environment as fleet-form fields (adopt: included).
    data: dict
    team_missing: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Skipped:
    kind: str  # lambda or ecs
    resource: str
    reason: str


@dataclass
class Translation:
    found: list[Found] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: Resources seen, by kind (functions, services).
    seen: dict[str, int] = field(default_factory=dict)


class Skip(Exception):
    """A resource golden_path does not manage; the message says why."""


def translate(inv: Inventory, t: Target) -> Translation:
    from .translate_ecs import translate_service

    out = Translation(seen={"functions": len(inv.functions), "services": len(inv.services)})
    roles = Counter([f.role for f in inv.functions] + [r for s in inv.services
                                                       for r in (s.task_role, s.execution_role) if r])
    results: list[Found] = []
    for fn in sorted(inv.functions, key=lambda f: f.name):
        try:
            results.append(translate_function(fn, t, shared_roles={r for r, n in roles.items()
                                                                   if n > 1}))
        except Skip as why:
            out.skipped.append(Skipped("lambda", fn.name, str(why)))
    for svc in sorted(inv.services, key=lambda s: (s.cluster, s.name)):
        try:
            results.append(translate_service(svc, t, {r for r, n in roles.items() if n > 1}))
        except Skip as why:
            out.skipped.append(Skipped("ecs", f"{svc.cluster}/{svc.name}", str(why)))
    taken: dict[str, Found] = {}
    for found in results:
        other = taken.get(found.name)
        if other is not None:
            out.skipped.append(Skipped("lambda" if found.kind == "lambda" else "ecs", found.resource,
                                       f"its service name {found.name!r} is {other.resource}'s "
                                       f"too: tag one with {t.name_tag}=<another name>"))
            continue
        taken[found.name] = found
        out.found.append(found)
    return out


def common_fields(name: str, tags: dict[str, str], t: Target) -> tuple[dict, bool, str]:
    team = team_name(tags, t.team_tag)
    runbook = tags.get("runbook") or (t.runbook.format(team=team, name=name)
                                      if t.runbook != TODO else TODO)
    return {"name": name, "team": team}, team == TODO, runbook


def name_of(physical: str, tags: dict[str, str], t: Target) -> str:
    name, how = service_name(physical, tags, t.name_tag, t.environment, t.profile)
    if name is None:
        raise Skip(how)
    return name


def translate_function(fn: Function, t: Target, shared_roles: frozenset | set = frozenset()) -> Found:
    notes: list[str] = []
    image = fn.package_type == "Image"
    if image:
        language = (fn.tags.get("language") if fn.tags.get("language") in LANGUAGES
                    else (t.languages or LANGUAGES)[0])
        notes.append(f"an image function brings its own runtime: language {language} was "
                     "chosen for it (tag it language=<runtime> to choose)")
    else:
        language = fn.runtime or ""
        if language not in LANGUAGES:
            raise Skip(f"runtime {language or 'none'} is not one golden_path supports "
                       f"({', '.join(LANGUAGES)})")
    if t.languages is not None and language not in t.languages:
        raise Skip(f"runtime {language} is not allowed by platform.yaml's rules "
                   f"({', '.join(t.languages)})")
    if t.lambda_architectures is not None and fn.architecture not in t.lambda_architectures:
        raise Skip(f"architecture {fn.architecture} is not allowed by platform.yaml's rules")
    name = name_of(fn.name, fn.tags, t)
    head, team_missing, runbook = common_fields(name, fn.tags, t)
    data: dict = {**head, "runtime": "lambda", "language": language}
    if image:
        uri = fn.image_uri or ""
        pinned = "@sha256:" in uri or (":" in uri.rsplit("/", 1)[-1] and not uri.endswith(":latest"))
        data["code"] = {"image": uri if pinned or not fn.resolved_image_uri
                        else fn.resolved_image_uri}
    else:
        data["handler"] = fn.handler
        data["code"] = {"deployed": fn.code_sha256}
    data.update(architecture=fn.architecture, memory=fn.memory, timeout=fn.timeout)
    if fn.ephemeral_storage != 512:
        data["ephemeral_storage"] = fn.ephemeral_storage
    if fn.reserved_concurrency is not None:
        data["reserved_concurrency"] = fn.reserved_concurrency
    layers = [arn for arn in fn.layers if not OTEL_LAYER.search(arn)]
    for arn in fn.layers:
        if arn not in layers:
            notes.append(f"layer {arn} dropped: golden_path adds its own OpenTelemetry layers")
    if layers:
        data["layers"] = layers
    env = split_variables(fn.variables, "lambda")
    notes += env.notes
    if env.variables:
        data["variables"] = env.variables
    if env.secrets:
        data["secrets"] = env.secrets
    adopt: dict = {"function": fn.name}
    triggers = _triggers(fn, t, adopt, notes)
    if triggers:
        data["triggers"] = triggers
    if fn.subnet_ids:
        vpc: dict = {"security_group_ids": list(fn.security_group_ids)}
        if set(fn.subnet_ids) != set(t.subnet_ids):
            vpc["subnet_ids"] = list(fn.subnet_ids)
        data["vpc"] = vpc
    data["alerts"] = {"runbook": runbook}
    if fn.log_group and fn.log_group_exists:
        adopt["log_group"] = fn.log_group
    if fn.role in shared_roles:
        notes.append(f"role {fn.role} is shared with other functions or services: not "
                     "adopted; golden_path gives the function its own role")
    else:
        adopt["role"] = fn.role
        for policy in fn.role_policies:
            notes.append(f"managed policy {policy} stays attached to the adopted role "
                         "(left alone: golden_path manages only its own policies)")
    data["adopt"] = adopt
    return Found(name, "lambda", fn.name, data, team_missing, notes)


def _triggers(fn: Function, t: Target, adopt: dict, notes: list[str]) -> dict:
    triggers: dict = {}
    other = [m for m in fn.mappings if m.service != "sqs"]
    if other:
        raise Skip(f"event source mapping from {other[0].service} ({other[0].source_arn}): "
                   "golden_path manages only one SQS queue per function")
    if len(fn.mappings) > 1:
        raise Skip(f"{len(fn.mappings)} SQS event source mappings: golden_path manages one "
                   "queue per function")
    if fn.mappings:
        m = fn.mappings[0]
        q = m.queue
        if q is None or f":{t.account}:" not in q.arn or f":{t.region}:" not in q.arn:
            raise Skip(f"its queue {m.source_arn} is not in {t.account}/{t.region} (or was not "
                       "found): golden_path adopts only a queue of the function's own account")
        sqs: dict = {"batch_size": m.batch_size, "max_batching_window_seconds": m.max_batching_window}
        if q.visibility_timeout is not None and q.visibility_timeout >= fn.timeout:
            sqs["visibility_timeout_seconds"] = q.visibility_timeout
        elif q.visibility_timeout is not None:
            notes.append(f"queue {q.name}'s visibility timeout ({q.visibility_timeout} s) is "
                         f"below the function's timeout ({fn.timeout} s): golden_path raises it "
                         f"to {min(6 * fn.timeout, 43200)} s")
        if q.max_receive_count is not None:
            sqs["max_receive_count"] = q.max_receive_count
        if q.fifo:
            sqs["fifo"] = True
        if m.state.lower() not in ("enabled", "enabling", "creating", "updating"):
            notes.append(f"event source mapping {m.uuid} is {m.state}: golden_path enables it")
        triggers["sqs"] = sqs
        adopt["queue"] = q.arn  # an ARN: the same whatever endpoint read it
        if q.dead_letter_arn:
            adopt["dead_letter_queue"] = q.dead_letter_arn
        else:
            notes.append(f"queue {q.name} has no dead-letter queue: golden_path adds one and "
                         "a redrive policy (max_receive_count 5)")
        adopt["event_source_mapping"] = m.uuid
    schedules = [r for r in fn.rules if r.schedule]
    for r in fn.rules:
        if not r.schedule:
            notes.append(f"EventBridge rule {r.name} (an event pattern) invokes the function: "
                         "left alone, golden_path manages only schedules")
    if len(schedules) > 5:
        raise Skip(f"{len(schedules)} schedule rules: golden_path manages at most 5")
    for r in schedules:
        if not _SCHEDULE.match(r.schedule or ""):
            raise Skip(f"schedule {r.schedule!r} of rule {r.name} is not rate(N unit) or cron(...)")
        if r.custom_input:
            notes.append(f"rule {r.name}'s target passes its own input: golden_path's target "
                         "passes the event itself; check the function does not need it")
    if schedules:
        triggers["schedules"] = [{"expression": r.schedule, "description": r.description,
                                  "enabled": r.enabled} for r in schedules]
        adopt["schedules"] = [{"rule": r.name, "target_id": r.target_id} for r in schedules]
    http = _http(fn, adopt)
    if http:
        triggers["http"] = http
    return triggers


def _http(fn: Function, adopt: dict) -> dict | None:
    endpoints = len(fn.routes) + (fn.url_auth is not None)
    if endpoints > 1:
        raise Skip(f"{endpoints} HTTP endpoints (function URL and/or HTTP API routes: "
                   f"{', '.join(r.route_key for r in fn.routes)}): golden_path manages one")
    if fn.url_auth is not None:
        url: dict = {"auth": fn.url_auth}
        if fn.url_auth == "NONE":
            url["public_reason"] = PUBLIC_REASON
        adopt["function_url"] = True
        return {"function_url": url}
    if fn.routes:
        return {"api": _route(fn.routes[0], adopt)}
    return None


def _route(r: Route, adopt: dict) -> dict:
    if not _ROUTE_KEY.match(r.route_key):
        raise Skip(f"HTTP API route {r.route_key!r}: golden_path writes 'METHOD /path' routes")
    if r.authorization not in ("NONE", "JWT", "AWS_IAM"):
        raise Skip(f"HTTP API route {r.route_key!r} uses {r.authorization} authorization: "
                   "golden_path supports AWS_IAM, JWT or NONE")
    api: dict = {"api_id": r.api_id, "route": r.route_key, "authorization": r.authorization}
    if r.authorization == "JWT" and r.authorizer_id:
        api["authorizer_id"] = r.authorizer_id
    if r.authorization == "NONE":
        api["public_reason"] = PUBLIC_REASON
    adopt["http_route"] = {"integration_id": r.integration_id, "route_id": r.route_id}
    return api
