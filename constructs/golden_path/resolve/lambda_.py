"""LambdaSpec + environment profile -> one fully decided function. Pure Python, no cdktf."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date

from ..errors import Problem, collect
from ..spec.environments import Profile, profile_of
from ..spec.lambda_ import LambdaSpec, language_family
from ..telemetry.lambda_layers import LayerChoice, LayerUnavailable, layers_for
from ..telemetry.policy import (
    TelemetryPolicy,
    sdk_environment,
    service_version,
    telemetry_policy,
)
from .adopt import NONE, Adoption, adopt_function
from .common import (  # noqa: F401  (QUEUE_NAME_MAX: re-exported)
    IAM_ROLE_NAME_MAX,
    MANAGED_BY,
    QUEUE_NAME_MAX,
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

FUNCTION_NAME_MAX = 64
RULE_NAME_MAX = 64
#: Lambda refuses a function whose environment variables exceed 4 KB in total.
ENVIRONMENT_LIMIT = 4096
#: Lambda's limits for a zip function: layers per function, and the code plus all its layers
#: unzipped (262,144,000 bytes; Lambda's "MB" is 1,048,576 bytes). See docs/lambda-limits.md.
MAX_LAYERS = 5
UNZIPPED_LIMIT_BYTES = 262_144_000
MB = 1_048_576
#: The config digest the construct adds (so a config change reaches new instances).
CONFIG_DIGEST_VARIABLE = "OTELCOL_CONFIG_SHA256"
#: Lambda's application log levels, by our log floor.
APPLICATION_LOG_LEVEL = {"debug": "DEBUG", "info": "INFO", "warn": "WARN", "error": "ERROR"}


@dataclass(frozen=True)
class FunctionNames:
    function: str
    role: str
    log_group: str
    queue: str | None
    dead_letter_queue: str | None
    schedule_rules: tuple[str, ...]
    config_key: str
    #: The stack's name, ``<service>-<environment>``: golden_path's, adopted or not.
    stack: str


@dataclass(frozen=True)
class LambdaCollector:
    endpoint: str
    api_key_secret_arn: str
    api_key_header: str
    config_bucket: str
    #: The secret with the environment's pseudonym key (None: client identity deleted).
    pseudonym_key_secret_arn: str | None = None


@dataclass(frozen=True)
class QueueSettings(OwnedQueue):
    """The function's own queue (shared with a worker's, ``OwnedQueue``) and how Lambda
    reads it."""

    batch_size: int = 10
    max_batching_window: int = 0


@dataclass(frozen=True)
class ResolvedFunction:
    spec: LambdaSpec
    profile: Profile
    region: str
    account: str
    names: FunctionNames
    #: None for image functions: layers cannot be attached to them.
    layers: LayerChoice | None
    collector: LambdaCollector
    telemetry: TelemetryPolicy
    environment: dict[str, str]
    application_log_level: str
    system_log_level: str
    log_retention_days: int
    deletion_protection: bool
    queue: QueueSettings | None
    secret_arns: tuple[str, ...]
    parameter_arns: tuple[str, ...]
    tags: dict[str, str] = field(default_factory=dict)
    #: From platform.yaml (fleet form): the boundary every role carries, provider default tags.
    permissions_boundary: str | None = None
    default_tags: dict[str, str] = field(default_factory=dict)
    #: From platform.yaml: the KMS key the service's log groups are encrypted with.
    logs_kms_key_arn: str | None = None
    #: Where Terraform keeps the stack's state (platform.yaml's backend, or a local file).
    state: StateBackend | None = None
    #: The data protection policy of the function's log group (resolve/data_protection.py).
    data_protection: DataProtection | None = None
    #: What the function takes over in place (``adopt:``; resolve/adopt.py).
    adoption: Adoption = NONE

    kind = "lambda"

    @property
    def stack_name(self) -> str:
        return self.names.stack

    @property
    def layer_arns(self) -> tuple[str, ...]:
        """Every layer the function gets, in order: the team's, then golden_path's."""
        if self.layers is None:
            return ()
        return (*self.spec.layers, self.layers.language_arn, self.layers.collector_arn)

    @property
    def config_uri(self) -> str:
        c = self.collector
        return f"s3://{c.config_bucket}.s3.{self.region}.amazonaws.com/{self.names.config_key}"

    @property
    def config_object_arn(self) -> str:
        return f"arn:aws:s3:::{self.collector.config_bucket}/{self.names.config_key}"

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"

    @property
    def log_group_arn(self) -> str:
        return self.arn("logs", f"log-group:{self.names.log_group}")

    @property
    def queue_arn(self) -> str | None:
        return self.queue.arn if self.queue else None


def resolve_function(spec: LambdaSpec, today: date | None = None) -> ResolvedFunction:
    """Decide everything about a function; SpecError names the field when it can't work."""
    prof = profile_of(spec)  # platform.yaml's profile of the environment
    problems: list[Problem] = []
    policy = telemetry_policy(
        spec, prof, today or date.today(), problems,
        health_check_path=None, version=_version(spec),
        platform={"cloud.platform": "aws_lambda", "cloud.region": spec.region})
    layers = None
    if spec.code.image is None:  # a zip package: s3, or the one deployed (adopted)
        try:
            layers = layers_for(spec.language, language_family(spec.language),
                                spec.architecture, spec.region)
        except LayerUnavailable as exc:
            problems.append(Problem(("language",), spec.language,
                                    f"{exc} for {spec.architecture} in {spec.region}; choose a "
                                    "runtime and region the catalog lists "
                                    "(telemetry/lambda_layers.yaml)"))
    if layers is not None:
        problems.extend(_limit_problems(spec, layers))
    names, adoption = adopt_function(spec, _names(spec))
    t = spec.telemetry
    collector = LambdaCollector(endpoint=t.endpoint.rstrip("/"),
                                api_key_secret_arn=t.api_key_secret_arn,
                                api_key_header=t.api_key_header,
                                config_bucket=t.config_bucket or "",
                                pseudonym_key_secret_arn=pseudonym_key(policy, t))
    queue = None
    if spec.triggers.sqs is not None:
        q = spec.triggers.sqs
        queue = QueueSettings(
            name=names.queue, dead_letter_name=names.dead_letter_queue,
            region=spec.region, account=spec.account_id,
            visibility_timeout=(q.visibility_timeout_seconds if q.visibility_timeout_seconds
                                is not None else min(6 * spec.timeout, 43200)),
            batch_size=q.batch_size, max_batching_window=q.max_batching_window_seconds,
            max_receive_count=q.max_receive_count, fifo=q.fifo)
    partial = ResolvedFunction(
        spec=spec, profile=prof, region=spec.region, account=spec.account_id, names=names,
        layers=layers, collector=collector, telemetry=policy, environment={},
        application_log_level=APPLICATION_LOG_LEVEL[policy.log_level],
        # WARN drops the platform's START/END/REPORT lines; sandbox keeps them.
        system_log_level="INFO" if prof.name == "sandbox" else "WARN",
        log_retention_days=prof.log_retention_days,
        deletion_protection=prof.deletion_protection,
        queue=queue,
        secret_arns=tuple(sorted({secret_base(a) for a in spec.secrets.values()
                                  if ":secretsmanager:" in a} | {secret_base(t.api_key_secret_arn)}
                                 | pseudonym_secret(policy, t))),
        parameter_arns=tuple(sorted({a for a in spec.secrets.values() if ":ssm:" in a})),
        tags={"team": spec.team, "service": spec.name, "environment": spec.environment,
              "managed-by": MANAGED_BY},
        data_protection=data_protection(spec, policy, problems),
        adoption=adoption,
        **platform_settings(spec, names.stack),
    )
    environment = _environment(partial, problems)
    collect(problems)
    return ResolvedFunction(**{**partial.__dict__, "environment": environment})


def _version(spec: LambdaSpec) -> str:
    if spec.code.image:
        return service_version(spec.code.image)
    if spec.code.deployed:  # the adopted package: its CodeSha256, as hex
        return "sha256-" + base64.b64decode(spec.code.deployed).hex()[:12]
    # The artifact's file name (e.g. price-api-2024.11.7), not S3's opaque version id.
    return spec.code.s3.key.rsplit("/", 1)[-1].rsplit(".", 1)[0]


def _names(spec: LambdaSpec) -> FunctionNames:
    function = shorten(f"{spec.name}-{spec.environment}", FUNCTION_NAME_MAX)
    sqs = spec.triggers.sqs
    queue, dead_letter_queue = queue_names(function, sqs.fifo) if sqs else (None, None)
    return FunctionNames(
        function=function,
        role=shorten(f"{function}-function", IAM_ROLE_NAME_MAX),
        log_group=f"/aws/lambda/{function}",
        queue=queue,
        dead_letter_queue=dead_letter_queue,
        schedule_rules=tuple(shorten(f"{function}-schedule-{i}", RULE_NAME_MAX)
                             for i in range(len(spec.triggers.schedules))),
        config_key=f"golden-path/{spec.environment}/{spec.team}/{spec.name}/otel-collector.yaml",
        stack=function,
    )


def _environment(fn: ResolvedFunction, problems: list[Problem]) -> dict[str, str]:
    spec = fn.spec
    # The collector layer samples like the ECS sidecar: see docs/lambda.md, "Sampling on Lambda".
    ours = {**sdk_environment(spec.name, fn.telemetry),
            "OPENTELEMETRY_COLLECTOR_CONFIG_URI": fn.config_uri}
    if fn.layers is not None:
        ours["AWS_LAMBDA_EXEC_WRAPPER"] = fn.layers.exec_wrapper
    secrets = {f"{name}_SECRET_ARN": arn for name, arn in spec.secrets.items()}
    for key in sorted((set(spec.variables) | set(secrets)) & set(ours)):
        problems.append(Problem(("variables", key), spec.variables.get(key),
                                f"{key} is set by golden_path for telemetry; remove it"))
    for key in sorted(set(spec.variables) & set(secrets)):
        problems.append(Problem(("variables", key), spec.variables[key],
                                "golden_path passes the ARN of secret "
                                f"{key.removesuffix('_SECRET_ARN')} in this variable; rename it"))
    env = {**spec.variables, **secrets, **ours}
    size = sum(len(k) + len(v) for k, v in env.items()) + len(CONFIG_DIGEST_VARIABLE) + 64
    if size > ENVIRONMENT_LIMIT:
        problems.append(Problem(("variables",), f"{size} bytes",
                                f"Lambda allows {ENVIRONMENT_LIMIT} bytes of environment "
                                "variables in total; move large values to SSM or S3"))
    return env


def _limit_problems(spec: LambdaSpec, layers: LayerChoice) -> list[Problem]:
    """Lambda's layer count and unzipped size, golden_path's layers included."""
    problems: list[Problem] = []
    ours = [label for label, _ in layers.unzipped_bytes]
    count = len(ours) + len(spec.layers)
    if count > MAX_LAYERS:
        over = count - MAX_LAYERS
        problems.append(Problem(
            ("layers",), count,
            f"golden_path adds {len(ours)} ({', '.join(ours)}), the function lists "
            f"{len(spec.layers)}; Lambda allows {MAX_LAYERS} per function; drop "
            f"{'one' if over == 1 else over} of your layers"))
    # Lambda refuses two versions of one layer; ours are (collector, language) in that order.
    ours_by_name = {layers.collector_arn.rsplit(":", 1)[0]: ours[0],
                    layers.language_arn.rsplit(":", 1)[0]: ours[1]}
    for i, arn in enumerate(spec.layers):
        label = ours_by_name.get(arn.rsplit(":", 1)[0])
        if label is not None:
            problems.append(Problem(("layers", i), arn,
                                    f"golden_path adds the {label} layer itself; remove it"))
    code = round(spec.code_size_mb * MB) if spec.code_size_mb is not None else 0
    total = code + sum(size for _, size in layers.unzipped_bytes)
    if total > UNZIPPED_LIMIT_BYTES:
        parts = [f"{label} {_mb(size)} MB" for label, size in layers.unzipped_bytes]
        if spec.code_size_mb is not None:
            parts.insert(0, f"code and own layers {_mb(code)} MB")
        problems.append(Problem(
            ("code_size_mb",) if spec.code_size_mb is not None else ("layers",),
            spec.code_size_mb if spec.code_size_mb is not None else spec.layers,
            f"unzipped size {_mb(total)} MB ({total:,} bytes) = {' + '.join(parts)}; Lambda "
            f"allows {_mb(UNZIPPED_LIMIT_BYTES)} MB ({UNZIPPED_LIMIT_BYTES:,} bytes) for a "
            "function's code and all its layers (golden_path's sizes are upper estimates, see "
            "docs/lambda-limits.md); shrink the package or your layers, or deploy a container "
            "image (up to 10 GB)"))
    return problems


def _mb(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")
