"""What a team writes: the service spec, from ``service.yaml`` or Python.

One pydantic model (``ServiceSpec``) serves both. Field-level rules live on the
fields; rules that relate fields (cpu/memory pairs, web needs a load balancer)
live in ``check_spec`` so each problem names the exact field to change. All
failures surface as ``SpecError`` (see ``errors.py``), never as a pydantic
traceback.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
)

from ..errors import MISSING, Problem
from .adopt import EcsAdopt, ecs_adopt_problems
from .common import (  # noqa: F401  (re-exported: the spec's public names)
    ARN_PATTERNS,
    ClusterArn,
    Environment,
    IamStatement,
    Image,
    Incident,
    ListenerArn,
    LogLevel,
    Port,
    QueueArn,
    SecretOrParameterArn,
    SecurityGroupId,
    ServiceBase,
    ServiceName,
    SubnetId,
    TeamName,
    Telemetry,
    VpcId,
    _Model,
)

Kind = Literal["web", "worker"]

# Fargate's valid task sizes: cpu units -> allowed memory (MiB).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}


def _fargate_cpu(value: int) -> int:
    if value not in FARGATE_SIZES:
        raise ValueError(f"Fargate cpu must be one of {sorted(FARGATE_SIZES)}")
    return value


class QueueScaling(_Model):
    """Scale a worker on its SQS backlog (visible messages per running task); the worker may
    consume that queue. Either ``arn`` (an existing queue) or ``create: true`` (a queue
    golden_path owns: ``<name>-<environment>`` with a dead-letter queue, its URL in the
    app's ``QUEUE_URL``)."""

    arn: QueueArn | None = Field(None, description="An existing queue to scale on and consume.")
    create: bool = Field(
        False, description="golden_path creates the worker's own queue and its dead-letter "
        "queue, and passes the queue's URL in QUEUE_URL; not with arn.")
    messages_per_task: int = Field(
        100, ge=1, le=100_000,
        description="Backlog per running task to track: visible messages / running tasks (reads "
                    "Container Insights' RunningTaskCount, so the cluster needs it on).")
    max_receive_count: int | None = Field(
        None, ge=1, le=1000, description="create only: receives before a message moves to the "
        "dead-letter queue (default 5).")
    visibility_timeout_seconds: int | None = Field(
        None, ge=0, le=43200, description="create only: how long a received message stays "
        "hidden (default 1800, Celery's own for the queues it creates); longer than the "
        "longest task.")


class Scaling(_Model):
    """Task counts and autoscaling. Unset counts come from the environment profile."""

    desired: int | None = Field(
        None, ge=0, le=1000,
        description="Tasks when the service is created (default: the profile's, within min..max); "
                    "autoscaling owns the count after that.")
    min: int | None = Field(
        None, ge=0, le=1000,
        description="Fewest tasks (default by profile: sandbox 1, staging 1, production 2); a "
                    "web service in a production environment needs at least 2.")
    max: int | None = Field(
        None, ge=1, le=1000,
        description="Most tasks (default by profile: sandbox 2, staging 4, production 10, or min "
                    "if that is higher).")
    cpu_target: int | None = Field(
        60, ge=10, le=95, description="Average CPU % to track; null disables CPU scaling."
    )
    queue: QueueScaling | None = Field(None, description="Workers only: scale on SQS backlog.")


class Network(_Model):
    cluster_arn: ClusterArn = Field(
        description="The ECS cluster's ARN; its account and region are the service's.")
    vpc_id: VpcId = Field(
        description="The VPC of the tasks' security group (and of a web service's target group).")
    subnet_ids: list[SubnetId] = Field(
        min_length=1, description="Subnets the tasks run in (no public IP).")
    security_group_ids: list[SecurityGroupId] = Field(
        default_factory=list, description="Extra security groups for the tasks (e.g. database access)."
    )


class Overlap(_Model):
    """An intended overlap with another service's listener rule (e.g. a catch-all)."""

    service: ServiceName = Field(
        description="The other service, whose rule on the same listener may match the same "
                    "requests.")
    reason: str = Field(min_length=3, description="Why both rules may match: which one wins and why.")


class LoadBalancer(_Model):
    """Web only: attach to an existing ALB listener with a host and/or path rule."""

    listener_arn: ListenerArn = Field(
        description="The existing ALB listener the service's rule is added to.")
    security_group_id: SecurityGroupId = Field(
        description="The ALB's security group: the one source golden_path's task security "
                    "group accepts connections from, on port.")
    hosts: list[str] = Field(
        default_factory=list, max_length=5,
        description="Host-header values of the rule (`*` and `?` wildcards); with paths, a request "
                    "must match both; at least one of hosts or paths.")
    paths: list[Annotated[str, Field(pattern=r"^/")]] = Field(
        default_factory=list, max_length=5,
        description="Path-pattern values of the rule, starting with / (`*` and `?` wildcards).")
    priority: int = Field(
        ge=1, le=50000,
        description="The rule's priority on its listener (lowest is evaluated first); unique "
                    "per listener across the fleet.")
    overlaps: list[Overlap] = Field(
        default_factory=list, max_length=10,
        description="Services whose rules on this listener may match the same requests, on purpose.")


class SidecarBudget(_Model):
    """One sidecar's share of the task; unset values come from the task size (docs/sidecars.md)."""

    memory: int | None = Field(
        None, ge=64, le=4096,
        description="MiB: the container's hard limit; the sidecar's buffers and limits derive from it.")
    cpu: int | None = Field(None, ge=16, le=4096, description="CPU units reserved for the sidecar.")


class Sidecars(_Model):
    """Budgets of the telemetry sidecars; the app gets what is left of the task."""

    collector: SidecarBudget = Field(
        default_factory=SidecarBudget,
        description="The OpenTelemetry collector's budget (default by task size: 128, 256 or "
                    "512 MiB; 64, 128 or 256 CPU units).")
    log_router: SidecarBudget = Field(
        default_factory=SidecarBudget,
        description="The Fluent Bit log router's budget (default 64 MiB; 32, 64 or 128 CPU units "
                    "by task size); FireLens buffers up to a quarter of its memory.")


class ServiceSpec(ServiceBase):
    """One ECS Fargate service (web or worker) of one team in one environment."""

    runtime: Literal["ecs"] = Field(
        "ecs", description="ecs for a Fargate service (runtime: lambda makes the file a function).")
    kind: Kind = Field(
        description="web: behind a shared ALB listener (needs port and load_balancer); worker: "
                    "no load balancer and no inbound connections.")
    image: Image = Field(
        description="The app's container image, pinned: a tag other than latest, or a digest; "
                    "its tag (or digest) becomes service.version.")
    cpu: Annotated[int, AfterValidator(_fargate_cpu)] = Field(
        description="Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384.")
    memory: int = Field(description="Task memory in MiB; must be valid for the cpu.")
    architecture: Literal["x86_64", "arm64"] = Field(
        "x86_64", description="The task's CPU architecture (arm64: Graviton); the image must be "
                              "built for it; platform.yaml's rules may restrict it.")
    port: Port | None = Field(
        None, description="The app's port; required for web; not one the sidecars use (4317, "
                          "4318, 13133, 8888, 24224, 2020).")
    health_check_path: str = Field(
        "/health", pattern=r"^/\S*$",
        description="web: the path the target group's health check requests; the log lines of "
                    "those requests are dropped as noise.")
    command: list[str] | None = Field(
        None, description="Replaces the image's CMD (a list of arguments); unset: the image's own.")
    language: Literal["python", "node", "java", "go", "other"] = Field(
        "python", description="The app's language: whose stack traces the log router joins into "
        "one record (docs/log-router.md); other joins only the lines the runtime split at 16 KiB.")
    scaling: Scaling = Field(
        default_factory=Scaling,
        description="Task counts and autoscaling; unset counts come from the environment's "
                    "profile.")
    sidecars: Sidecars = Field(
        default_factory=Sidecars,
        description="Budgets of the telemetry sidecars (collector, log router); the app gets the "
                    "rest of the task.")
    network: Network = Field(
        description="Where the tasks run; in the fleet form only security_group_ids is yours, "
                    "the rest comes from platform.yaml.")
    load_balancer: LoadBalancer | None = Field(
        None, description="web only: the rule on a shared ALB listener that sends requests to "
                          "the tasks.")
    ecs_exec: bool | None = Field(
        None, description="ECS Exec (a shell into running tasks); default: on outside a "
                          "production environment.")
    read_only_root_filesystem: bool = Field(
        True, description="The app's root filesystem is read-only, with a writable /tmp volume; "
                          "false makes it writable.")
    user: str | None = Field(
        "1000", pattern=r"^\d+(:\d+)?$", description="uid[:gid] for the app; null keeps the image's USER."
    )
    adopt: EcsAdopt | None = Field(
        None, description="A service that already runs: the live resources golden_path takes "
                          "over in place (imported, not created); per environment "
                          "(docs/migration.md).")

    def problems(self) -> list[Problem]:
        return check_spec(self) + ecs_adopt_problems(self) + super().problems()


def check_spec(spec: ServiceSpec) -> list[Problem]:
    """Rules that relate fields; each problem names the field to change."""
    problems: list[Problem] = []
    add = problems.append
    if spec.memory not in FARGATE_SIZES[spec.cpu]:
        allowed = FARGATE_SIZES[spec.cpu]
        add(Problem(("memory",), spec.memory,
                    f"with cpu {spec.cpu} Fargate allows memory {allowed[0]}..{allowed[-1]} "
                    f"MiB in steps of {allowed[1] - allowed[0]}"))
    if spec.kind == "web":
        if spec.port is None:
            add(Problem(("port",), MISSING, "a web service needs the port its app listens on"))
        if spec.load_balancer is None:
            add(Problem(("load_balancer",), MISSING,
                        "a web service needs load_balancer.listener_arn, security_group_id, "
                        "priority and hosts or paths"))
        elif not (spec.load_balancer.hosts or spec.load_balancer.paths):
            add(Problem(("load_balancer", "hosts"), [],
                        "give at least one host or path for the listener rule"))
        if spec.scaling.queue is not None:
            add(Problem(("scaling", "queue"), spec.scaling.queue.arn or "create: true",
                        "queue scaling is for workers; remove it or set kind: worker"))
    elif spec.load_balancer is not None:
        add(Problem(("load_balancer",), "...",
                    "a worker has no load balancer; remove it or set kind: web"))
    if spec.kind == "worker" and spec.scaling.queue is not None:
        problems.extend(_queue_problems(spec.scaling.queue))
    if spec.telemetry.config_bucket is not None:
        add(Problem(("telemetry", "config_bucket"), spec.telemetry.config_bucket,
                    "ECS services keep their config in SSM; config_bucket is for Lambda"))
    s = spec.scaling
    if s.min is not None and s.max is not None and s.min > s.max:
        add(Problem(("scaling", "min"), s.min, f"min must not exceed max ({s.max})"))
    if s.desired is not None:
        if s.min is not None and s.desired < s.min:
            add(Problem(("scaling", "desired"), s.desired, f"desired must be at least min ({s.min})"))
        if s.max is not None and s.desired > s.max:
            add(Problem(("scaling", "desired"), s.desired, f"desired must not exceed max ({s.max})"))
    return problems


#: What only a queue golden_path creates has (``scaling.queue.create``).
_CREATE_ONLY = ("max_receive_count", "visibility_timeout_seconds")


def _queue_problems(q: QueueScaling) -> list[Problem]:
    """``arn`` or ``create: true``, exactly one; create-only settings only with create."""
    where = ("scaling", "queue")
    if q.arn is not None and q.create:
        return [Problem((*where, "create"), True,
                        "arn and create: true are mutually exclusive: remove create to scale "
                        f"on the existing queue {q.arn}, or remove arn to let golden_path "
                        "create the worker's own queue")]
    if q.arn is None and not q.create:
        return [Problem((*where, "arn"), MISSING,
                        "give the arn of the queue the worker scales on, or create: true for "
                        "a queue golden_path creates with a dead-letter queue")]
    if q.arn is not None:
        return [Problem((*where, key), getattr(q, key),
                        "applies to the queue golden_path creates (create: true); an existing "
                        "queue keeps its own settings: remove it")
                for key in _CREATE_ONLY if getattr(q, key) is not None]
    return []
