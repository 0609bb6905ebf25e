"""spec + environment profile -> one fully decided service. Pure Python, no cdktf.

Every decision the constructs need is made here: names within AWS limits,
sidecar sizes carved out of the task, retention, task counts, what the roles
may touch. The constructs only translate a ``ResolvedService`` into resources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..errors import Problem, collect
from ..spec.ecs import ARN_PATTERNS, ServiceSpec
from ..spec.environments import Profile, described, profile_of
from ..telemetry import sidecars
from ..telemetry.distributions import distribution
from ..telemetry.policy import (
    TelemetryPolicy,
    sdk_environment,
    service_version,
    telemetry_policy,
)
from .adopt import NONE, Adoption, adopt_service, adopted_queue_names
from .common import (
    EVENT_RULE_NAME_MAX,
    IAM_ROLE_NAME_MAX,
    LOG_GROUP_NAME_MAX,
    MANAGED_BY,
    SECURITY_GROUP_NAME_MAX,
    TARGET_GROUP_NAME_MAX,
    DataProtection,
    OwnedQueue,
    StateBackend,
    data_protection,
    platform_settings,
    pseudonym_key,
    pseudonym_secret,
    queue_names,
    secret_base,
    shorten,
)
from .sidecar_sizes import Size, Sizes, collector_memory, task_sizes  # noqa: F401

#: The app's variable with the URL of the queue golden_path creates (scaling.queue.create).
QUEUE_URL_VARIABLE = "QUEUE_URL"
#: A created queue's defaults: a function's trigger queue's receives before the DLQ, and
#: the visibility timeout Celery (kombu's SQS transport) gives the queues it creates itself.
DEFAULT_MAX_RECEIVE_COUNT = 5
DEFAULT_VISIBILITY_TIMEOUT = 1800

_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)"
)


@dataclass(frozen=True)
class Names:
    service: str
    family: str
    task_role: str
    execution_role: str
    target_group: str
    security_group: str
    router_log_group: str
    collector_log_group: str
    telemetry_metrics_log_group: str
    collector_config_parameter: str
    collector_self_config_parameter: str
    router_config_parameter: str
    #: EventBridge rule matching a sidecar that exits while its task keeps running.
    sidecar_exit_rule: str
    #: The stack's name, ``<service>-<environment>``: golden_path's, adopted or not.
    stack: str


@dataclass(frozen=True)
class Collector:
    """The decided collector settings the config template renders."""

    image: str
    memory_limit_mib: int
    spike_limit_mib: int
    gomemlimit: str
    #: The exporter's sending queue, in bytes of serialized data (``sizer: bytes``); carved
    #: out of the collector's memory budget (see ``task_sizes``).
    queue_size_bytes: int
    endpoint: str
    api_key_secret_arn: str
    api_key_header: str
    api_key_env: str = "OTLP_API_KEY"
    #: The secret with the environment's pseudonym key (None: client identity deleted).
    pseudonym_key_secret_arn: str | None = None
    pseudonym_key_env: str = "PSEUDONYM_KEY"
    config_env: str = "OTELCOL_CONFIG"
    self_config_env: str = "OTELCOL_SELF_CONFIG"


@dataclass(frozen=True)
class TaskScaling:
    desired: int
    min: int
    max: int
    cpu_target: int | None
    queue_name: str | None = None
    queue_arn: str | None = None
    messages_per_task: int | None = None


@dataclass(frozen=True)
class ResolvedService:
    spec: ServiceSpec
    profile: Profile
    region: str
    account: str
    cluster_name: str
    names: Names
    sizes: Sizes
    collector: Collector
    telemetry: TelemetryPolicy
    scaling: TaskScaling
    log_retention_days: int
    deletion_protection: bool
    ecs_exec: bool
    #: Plain environment variables of the app container (team's plus OTEL_*).
    app_environment: dict[str, str]
    #: ARNs the execution role may read, split by service.
    secret_arns: tuple[str, ...]
    parameter_arns: tuple[str, ...]
    #: The app image's ECR repository ARN (None for public registries).
    image_repository_arn: str | None
    tags: dict[str, str] = field(default_factory=dict)
    #: From platform.yaml (fleet form): the boundary every role carries, provider default tags.
    permissions_boundary: str | None = None
    default_tags: dict[str, str] = field(default_factory=dict)
    #: From platform.yaml: the KMS key the service's log groups are encrypted with.
    logs_kms_key_arn: str | None = None
    #: Where Terraform keeps the stack's state (platform.yaml's backend, or a local file).
    state: StateBackend | None = None
    #: The data protection policy of the service's log groups (resolve/data_protection.py).
    data_protection: DataProtection | None = None
    #: The worker's own queue and its dead-letter queue (scaling.queue.create), else None.
    queue: OwnedQueue | None = None
    #: What the service takes over in place (``adopt:``; resolve/adopt.py).
    adoption: Adoption = NONE

    def log_group_arn(self, name: str) -> str:
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}"

    def parameter_arn(self, name: str) -> str:
        # Parameter names with a leading '/' join the ARN without another '/'.
        return f"arn:aws:ssm:{self.region}:{self.account}:parameter{name}"

    @property
    def collector_config_parameter_arn(self) -> str:
        return self.parameter_arn(self.names.collector_config_parameter)

    @property
    def collector_self_config_parameter_arn(self) -> str:
        return self.parameter_arn(self.names.collector_self_config_parameter)

    @property
    def router_config_parameter_arn(self) -> str:
        return self.parameter_arn(self.names.router_config_parameter)

    @property
    def stack_name(self) -> str:
        return self.names.stack

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def is_web(self) -> bool:
        return self.spec.kind == "web"


def resolve(spec: ServiceSpec, today: date | None = None) -> ResolvedService:
    """Decide everything; raise SpecError naming the field when the spec can't work.

    ``today`` (default: the current date) decides whether an incident override
    has expired.
    """
    prof = profile_of(spec)  # platform.yaml's profile of the environment
    spec = _in_adopted_cluster(spec)
    cluster = ARN_PATTERNS["ecs-cluster"].match(spec.network.cluster_arn)
    assert cluster is not None  # validated in spec
    problems: list[Problem] = []
    sizes = task_sizes(spec, problems)
    queue = _owned_queue(spec, cluster["region"], cluster["account"])
    scaling = _scaling(spec, prof, queue, problems)
    policy = telemetry_policy(
        spec, prof, today or date.today(), problems,
        health_check_path=spec.health_check_path if spec.kind == "web" else None,
        version=service_version(spec.image),
        platform={"cloud.platform": "aws_ecs", "aws.ecs.launchtype": "fargate"})
    app_environment = _app_environment(spec, policy, queue, problems)
    if spec.port in sidecars.RESERVED_PORTS:
        problems.append(Problem(("port",), spec.port,
                                f"port {spec.port} is used by {sidecars.RESERVED_PORTS[spec.port]} "
                                "in the same task; pick another port (e.g. 8000)"))
    protection = data_protection(spec, policy, problems)
    collect(problems)

    names, adoption = adopt_service(spec, _names(spec), cluster["name"])
    mem = collector_memory(sizes.collector.memory)
    secret_arns = sorted({secret_base(a) for a in spec.secrets.values() if ":secretsmanager:" in a}
                         | {secret_base(spec.telemetry.api_key_secret_arn)}
                         | pseudonym_secret(policy, spec.telemetry))
    parameter_arns = sorted({a for a in spec.secrets.values() if ":ssm:" in a})
    ecr = _ECR_IMAGE.match(spec.image)
    return ResolvedService(
        spec=spec,
        profile=prof,
        region=cluster["region"],
        account=cluster["account"],
        cluster_name=cluster["name"],
        names=names,
        sizes=sizes,
        collector=Collector(
            image=distribution(spec.telemetry.distribution).image,
            memory_limit_mib=mem.limit_mib,
            spike_limit_mib=mem.spike_limit_mib,
            gomemlimit=f"{mem.limit_mib}MiB",
            queue_size_bytes=mem.queue_size_bytes,
            endpoint=spec.telemetry.endpoint.rstrip("/"),
            api_key_secret_arn=spec.telemetry.api_key_secret_arn,
            api_key_header=spec.telemetry.api_key_header,
            pseudonym_key_secret_arn=pseudonym_key(policy, spec.telemetry),
        ),
        telemetry=policy,
        scaling=scaling,
        log_retention_days=prof.log_retention_days,
        deletion_protection=prof.deletion_protection,
        ecs_exec=prof.ecs_exec if spec.ecs_exec is None else spec.ecs_exec,
        app_environment=app_environment,
        secret_arns=tuple(secret_arns),
        parameter_arns=tuple(parameter_arns),
        image_repository_arn=(
            f"arn:aws:ecr:{ecr['region']}:{ecr['account']}:repository/{ecr['repo']}" if ecr else None
        ),
        tags={
            "team": spec.team,
            "service": spec.name,
            "environment": spec.environment,
            "managed-by": MANAGED_BY,
        },
        data_protection=protection,
        queue=queue,
        adoption=adoption,
        **platform_settings(spec, names.stack),
    )


def _names(spec: ServiceSpec) -> Names:
    base = f"{spec.name}-{spec.environment}"
    logs = f"/golden-path/{spec.environment}/{spec.team}/{spec.name}"
    return Names(
        service=base,
        family=base,
        task_role=shorten(f"{base}-task", IAM_ROLE_NAME_MAX),
        execution_role=shorten(f"{base}-execution", IAM_ROLE_NAME_MAX),
        target_group=shorten(base, TARGET_GROUP_NAME_MAX),
        security_group=shorten(f"{base}-tasks", SECURITY_GROUP_NAME_MAX),
        router_log_group=shorten(f"{logs}/log-router", LOG_GROUP_NAME_MAX),
        collector_log_group=shorten(f"{logs}/otel-collector", LOG_GROUP_NAME_MAX),
        telemetry_metrics_log_group=shorten(f"{logs}/telemetry-metrics", LOG_GROUP_NAME_MAX),
        collector_config_parameter=f"{logs}/otel-collector-config",
        collector_self_config_parameter=f"{logs}/otel-collector-self-config",
        router_config_parameter=f"{logs}/fluent-bit-config",
        sidecar_exit_rule=shorten(f"{base}-sidecar-exits", EVENT_RULE_NAME_MAX),
        stack=base,
    )


def _in_adopted_cluster(spec: ServiceSpec) -> ServiceSpec:
    """The spec with ``adopt.cluster`` as its cluster (a service cannot move clusters in
    place: adopting it adopts its cluster too)."""
    if spec.adopt is None or spec.adopt.cluster is None:
        return spec
    cluster = ARN_PATTERNS["ecs-cluster"].match(spec.network.cluster_arn)
    arn = f"{spec.network.cluster_arn[: cluster.start('name')]}{spec.adopt.cluster}"
    return spec.model_copy(update={"network": spec.network.model_copy(
        update={"cluster_arn": arn})})


def _owned_queue(spec: ServiceSpec, region: str, account: str) -> OwnedQueue | None:
    """The worker's own queue when it asks for one (``scaling.queue.create``)."""
    q = spec.scaling.queue
    if spec.kind != "worker" or q is None or not q.create:
        return None
    name, dead_letter = queue_names(f"{spec.name}-{spec.environment}")
    adopted, adopted_dead_letter = adopted_queue_names(spec)
    name, dead_letter = adopted or name, adopted_dead_letter or dead_letter
    return OwnedQueue(
        name=name, dead_letter_name=dead_letter, region=region, account=account,
        visibility_timeout=(DEFAULT_VISIBILITY_TIMEOUT if q.visibility_timeout_seconds is None
                            else q.visibility_timeout_seconds),
        max_receive_count=(DEFAULT_MAX_RECEIVE_COUNT if q.max_receive_count is None
                           else q.max_receive_count))


def _scaling(spec: ServiceSpec, prof: Profile, owned: OwnedQueue | None,
             problems: list[Problem]) -> TaskScaling:
    s = spec.scaling
    minimum = prof.min_tasks if s.min is None else s.min
    maximum = max(prof.max_tasks, minimum) if s.max is None else s.max
    desired = min(max(prof.desired_tasks, minimum), maximum) if s.desired is None else s.desired
    if spec.kind == "web" and minimum < prof.web_min_floor:
        problems.append(Problem(("scaling", "min"), minimum,
                                f"a web service in {described(spec.environment, prof)} runs at "
                                f"least {prof.web_min_floor} "
                                "tasks (one per availability zone); raise scaling.min"))
    if minimum > maximum:
        problems.append(Problem(("scaling", "max"), maximum,
                                f"max is below the minimum of {minimum}; raise scaling.max"))
    queue = s.queue
    arn = owned.arn if owned else queue.arn if queue else None
    match = ARN_PATTERNS["sqs-queue"].match(arn) if arn else None
    return TaskScaling(
        desired=desired,
        min=minimum,
        max=maximum,
        cpu_target=s.cpu_target,
        queue_name=match["name"] if match else None,
        queue_arn=arn,
        messages_per_task=queue.messages_per_task if match else None,
    )


def _app_environment(spec: ServiceSpec, policy: TelemetryPolicy, queue: OwnedQueue | None,
                     problems: list[Problem]) -> dict[str, str]:
    ours = sdk_environment(spec.name, policy)
    for key in sorted(set(spec.variables) & set(ours)):
        problems.append(Problem(("variables", key), spec.variables[key],
                                f"{key} is set by golden_path so telemetry reaches the sidecar; "
                                "remove it"))
    if queue is not None:
        key = QUEUE_URL_VARIABLE
        for field, given in (("variables", spec.variables), ("secrets", spec.secrets)):
            if key in given:
                problems.append(Problem((field, key), given[key],
                                        f"golden_path sets {key} to the URL of the queue it "
                                        "creates (scaling.queue.create); remove it"))
        ours[key] = queue.url
    return {**spec.variables, **ours}
