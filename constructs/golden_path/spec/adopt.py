"""``adopt:``: the live resources a service takes over in place (docs/migration.md).

A service that already runs outside golden_path names, per environment, what exists:
its function, log group, role, trigger queue, schedules (Lambda), or its ECS service,
cluster, roles, target group and listener rule (ECS). golden_path then uses those
physical names instead of the ones it derives, and writes a Terraform ``import`` block
for each, so the first plan imports them and creates nothing that already exists.

``golden-path discover`` writes these blocks; a team rarely writes one by hand.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from ..errors import MISSING, Problem
from .base import _Model
from .common import ARN_PATTERNS

FUNCTION_NAME = r"^[A-Za-z0-9_-]{1,64}$"
LOG_GROUP_NAME = r"^[A-Za-z0-9_\-/.#]{1,512}$"
EVENT_RULE_NAME = r"^[A-Za-z0-9_.\-]{1,64}$"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
ECS_NAME = r"^[A-Za-z0-9_-]{1,255}$"

_ROLE = re.compile(r"^(?:arn:aws[a-z-]*:iam::(?P<account>\d{12}):role(?P<path>/(?:[\x21-\x7e]+/)?)"
                   r"(?P<arn_name>[A-Za-z0-9+=,.@_-]{1,64})|(?P<name>[A-Za-z0-9+=,.@_-]{1,64}))$")
_QUEUE = re.compile(
    r"^(?:arn:aws[a-z-]*:sqs:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):(?P<account>\d{12}):"
    r"(?P<name>[A-Za-z0-9_-]{1,80}(?:\.fifo)?)"
    r"|https://sqs\.(?P<url_region>[a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com/"
    r"(?P<url_account>\d{12})/(?P<url_name>[A-Za-z0-9_-]{1,80}(?:\.fifo)?))$")
_ELB = r"arn:aws[a-z-]*:elasticloadbalancing:[a-z]{2}(?:-gov)?-[a-z]+-\d:\d{12}:"
TARGET_GROUP_ARN = rf"^{_ELB}targetgroup/[A-Za-z0-9-]{{1,32}}/[0-9a-f]{{16}}$"
LISTENER_RULE_ARN = rf"^{_ELB}listener-rule/app/[A-Za-z0-9-]+/[0-9a-f]+/[0-9a-f]+/[0-9a-f]+$"


def _role(value: str) -> str:
    if not _ROLE.match(value):
        raise ValueError("expected an IAM role name (e.g. 'billing-sync-role') or role ARN "
                         "(e.g. 'arn:aws:iam::123456789012:role/service-role/billing-sync')")
    return value


def _queue(value: str) -> str:
    if not _QUEUE.match(value):
        raise ValueError("expected an SQS queue URL "
                         "('https://sqs.eu-west-1.amazonaws.com/123456789012/jobs') or ARN "
                         "('arn:aws:sqs:eu-west-1:123456789012:jobs')")
    return value


RoleRef = Annotated[str, AfterValidator(_role)]
QueueRef = Annotated[str, AfterValidator(_queue)]


def role_parts(ref: str) -> tuple[str, str]:
    """(name, path) of a role named by name or ARN; a bare name is at path ``/``."""
    m = _ROLE.match(ref)
    return (m["arn_name"], m["path"]) if m["arn_name"] else (m["name"], "/")


def queue_parts(ref: str) -> tuple[str | None, str | None, str]:
    """(region, account, name) of a queue named by URL or ARN."""
    m = _QUEUE.match(ref)
    if m["name"]:
        return m["region"], m["account"], m["name"]
    return m["url_region"], m["url_account"], m["url_name"]


class AdoptedSchedule(_Model):
    """An EventBridge rule (default bus) that invokes the function, and its target."""

    rule: str = Field(pattern=EVENT_RULE_NAME, description="The rule's name.")
    target_id: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$",
                           description="The id of the rule's target that invokes the function "
                                       "(a second target would invoke it twice).")


class AdoptedHttpRoute(_Model):
    """The route and integration on the HTTP API (triggers.http.api) that reach the function."""

    integration_id: str = Field(pattern=r"^[a-z0-9]{1,16}$",
                                description="The API's integration id for the function.")
    route_id: str = Field(pattern=r"^[a-z0-9]{1,16}$", description="The route's id.")


class LambdaAdopt(_Model):
    """Live resources a function takes over (one environment)."""

    function: str = Field(pattern=FUNCTION_NAME,
                          description="The live function's name; golden_path keeps it.")
    log_group: str | None = Field(
        None, pattern=LOG_GROUP_NAME,
        description="The log group the function logs to, e.g. /aws/lambda/<function>.")
    role: RoleRef | None = Field(
        None, description="The function's role, by name or ARN (an ARN keeps its path); "
                          "unset: golden_path creates its own and the function switches to it.")
    queue: QueueRef | None = Field(
        None, description="The queue the function consumes (URL or ARN); needs triggers.sqs. "
                          "Its messages stay.")
    dead_letter_queue: QueueRef | None = Field(
        None, description="The queue's dead-letter queue (URL or ARN); needs queue.")
    event_source_mapping: str | None = Field(
        None, pattern=UUID, description="The UUID of the mapping from queue to function.")
    schedules: list[AdoptedSchedule] = Field(
        default_factory=list, max_length=5,
        description="The schedule rules, in the order of triggers.schedules.")
    function_url: bool = Field(
        False, description="The function already has a function URL (triggers.http.function_url)"
                            "; it is imported, so its address stays.")
    http_route: AdoptedHttpRoute | None = Field(
        None, description="The route and integration of triggers.http.api, imported.")


class EcsAdopt(_Model):
    """Live resources an ECS service takes over (one environment)."""

    service: str = Field(pattern=ECS_NAME, description="The live ECS service's name; golden_path "
                                                       "keeps it and deploys a new task "
                                                       "definition revision to it.")
    cluster: str | None = Field(
        None, pattern=ECS_NAME,
        description="The cluster it runs in, by name (default: the platform's cluster).")
    task_role: RoleRef | None = Field(None, description="The task role, by name or ARN.")
    execution_role: RoleRef | None = Field(None, description="The execution role, by name or ARN.")
    target_group: str | None = Field(
        None, pattern=TARGET_GROUP_ARN,
        description="The target group's ARN (web services with load_balancer).")
    listener_rule: str | None = Field(
        None, pattern=LISTENER_RULE_ARN,
        description="The listener rule's ARN that forwards to the target group.")
    scalable_target: bool = Field(
        False, description="The service is registered with Application Auto Scaling: its "
                           "scalable target is imported (golden_path's min and max then apply "
                           "to it in place).")
    queue: QueueRef | None = Field(
        None, description="A worker's own queue (scaling.queue.create), URL or ARN.")
    dead_letter_queue: QueueRef | None = Field(
        None, description="That queue's dead-letter queue, URL or ARN.")


def lambda_adopt_problems(spec) -> list[Problem]:
    """An adopt: block that fits the function's triggers, account and region."""
    a: LambdaAdopt | None = spec.adopt
    problems: list[Problem] = []
    add = problems.append
    if a is None:
        if spec.code.deployed is not None:
            add(Problem(("code", "deployed"), spec.code.deployed,
                        "code.deployed keeps the package of an adopted function; without "
                        "adopt.function there is none: give code.s3 or code.image"))
        return problems
    t = spec.triggers
    sqs = t.sqs
    if (a.queue or a.dead_letter_queue or a.event_source_mapping) and sqs is None:
        add(Problem(("adopt", "queue"), a.queue or a.event_source_mapping,
                    "adopting a queue or event source mapping needs triggers.sqs"))
    if sqs is not None and a.event_source_mapping and not a.queue:
        add(Problem(("adopt", "queue"), MISSING,
                    "an adopted event source mapping reads an adopted queue: name it"))
    if a.dead_letter_queue and not a.queue:
        add(Problem(("adopt", "queue"), MISSING, "a dead-letter queue comes with its queue"))
    problems += _queue_problems(a, sqs.fifo if sqs else False, spec.account_id, spec.region)
    if a.schedules and len(a.schedules) != len(t.schedules):
        add(Problem(("adopt", "schedules"), [s.rule for s in a.schedules],
                    f"{len(a.schedules)} adopted rules for {len(t.schedules)} "
                    "triggers.schedules: list one per schedule, in the same order"))
    http = t.http
    if a.function_url and (http is None or http.function_url is None):
        add(Problem(("adopt", "function_url"), True,
                    "adopting a function URL needs triggers.http.function_url"))
    if a.http_route and (http is None or http.api is None):
        add(Problem(("adopt", "http_route"), a.http_route.route_id,
                    "adopting a route needs triggers.http.api"))
    return problems


def ecs_adopt_problems(spec) -> list[Problem]:
    a: EcsAdopt | None = spec.adopt
    if a is None:
        return []
    problems: list[Problem] = []
    if (a.target_group or a.listener_rule) and spec.load_balancer is None:
        problems.append(Problem(("adopt", "target_group"), a.target_group or a.listener_rule,
                                "adopting a target group or listener rule needs load_balancer"))
    if a.listener_rule and not a.target_group:
        problems.append(Problem(("adopt", "target_group"), MISSING,
                                "an adopted listener rule forwards to the adopted target group: "
                                "name it too"))
    queue = spec.scaling.queue
    if (a.queue or a.dead_letter_queue) and (queue is None or not queue.create):
        problems.append(Problem(("adopt", "queue"), a.queue or a.dead_letter_queue,
                                "adopting a queue needs scaling.queue.create: true (the queue "
                                "golden_path manages for the worker)"))
    if a.dead_letter_queue and not a.queue:
        problems.append(Problem(("adopt", "queue"), MISSING,
                                "a dead-letter queue comes with its queue"))
    cluster = ARN_PATTERNS["ecs-cluster"].match(spec.network.cluster_arn)
    return problems + _queue_problems(a, False, cluster["account"], cluster["region"])


def _queue_problems(a, fifo: bool, account: str, region: str) -> list[Problem]:
    problems = []
    for field in ("queue", "dead_letter_queue"):
        ref = getattr(a, field)
        if ref is None:
            continue
        q_region, q_account, name = queue_parts(ref)
        if (q_account, q_region) != (account, region):
            problems.append(Problem(("adopt", field), ref,
                                    f"an adopted queue is in the service's own account and "
                                    f"region ({account}, {region}), not {q_account}, "
                                    f"{q_region}"))
        if name.endswith(".fifo") != fifo:
            problems.append(Problem(("adopt", field), ref,
                                    "a FIFO queue needs fifo: true on the trigger, and a "
                                    "standard queue fifo: false (FIFO cannot change in place)"))
    return problems
