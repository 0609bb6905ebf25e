"""Decisions every runtime shares: AWS name limits, stable shortened names, secret ARNs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ..errors import SpecError
from ..spec.common import ARN_PATTERNS
from .data_protection import DataProtection, audit_destination, decide

MANAGED_BY = "golden-path"
# AWS name limits enforced here (the provider would only fail at apply time).
TARGET_GROUP_NAME_MAX = 32
IAM_ROLE_NAME_MAX = 64
EVENT_RULE_NAME_MAX = 64
SECURITY_GROUP_NAME_MAX = 255
LOG_GROUP_NAME_MAX = 512
QUEUE_NAME_MAX = 80


def shorten(name: str, limit: int) -> str:
    """``name`` if it fits, else a prefix plus a stable 6-hex hash of the full name."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: limit - 7].rstrip('-')}-{digest}"


def queue_names(base: str, fifo: bool = False) -> tuple[str, str]:
    """The names of a queue golden_path owns and of its dead-letter queue: ``<base>`` and
    ``<base>-dlq`` within SQS's 80 characters, the ``.fifo`` suffix kept whole."""
    suffix = ".fifo" if fifo else ""
    limit = QUEUE_NAME_MAX - len(suffix)
    return shorten(base, limit) + suffix, shorten(f"{base}-dlq", limit) + suffix


@dataclass(frozen=True)
class OwnedQueue:
    """A queue golden_path creates for a service (a function's trigger, a worker's backlog)
    with its dead-letter queue: ``max_receive_count`` receives move a message there. Both
    are encrypted with SQS-managed keys (SSE-SQS), so no role needs a ``kms:`` permission."""

    name: str
    dead_letter_name: str
    region: str
    account: str
    visibility_timeout: int
    max_receive_count: int
    fifo: bool = False

    def _arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{name}"

    @property
    def arn(self) -> str:
        return self._arn(self.name)

    @property
    def dead_letter_arn(self) -> str:
        return self._arn(self.dead_letter_name)

    @property
    def url(self) -> str:
        """SQS's queue URL (``https://sqs.<region>.amazonaws.com/<account>/<name>``), known
        before the queue exists: what GetQueueUrl returns for it."""
        return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.name}"



@dataclass(frozen=True)
class StateBackend:
    """Where Terraform keeps a stack's state: ``terraform.backend.<kind>`` as synthesized."""

    kind: str  # "s3" or "local"
    settings: dict = field(default_factory=dict)

    @property
    def location(self) -> str:
        """One string that names the state object (for the fleet's uniqueness check)."""
        s = self.settings
        return f"s3://{s['bucket']}/{s['key']}" if self.kind == "s3" else f"local:{s['path']}"


def state_key(prefix: str, environment: str, team: str, name: str) -> str:
    """``<prefix>/<environment>/<team>/<service>.tfstate``: stable, and unique because a
    service name is unique in its environment (a fleet check)."""
    return f"{prefix}/{environment}/{team}/{name}.tfstate"


def team_routes_state_key(prefix: str, environment: str, team: str, account: str, region: str) -> str:
    """A team-route stack's key: under its team, in ``_routes/`` (no service name has '_')."""
    return f"{prefix}/{environment}/{team}/_routes/{account}-{region}.tfstate"


def state_backend(context, stack: str, key: str) -> StateBackend:
    """The backend platform.yaml asks for; a relative local file without a platform."""
    state = context.environment.state if context is not None else None
    if state is None or state.backend == "local":
        path = f"{state.path}/{key}" if state is not None and state.path else f"terraform.{stack}.tfstate"
        return StateBackend("local", {"path": path})
    settings = {"bucket": state.bucket, "key": key,
                "region": state.region or context.environment.region,
                "encrypt": True, "use_lockfile": True}
    if state.kms_key_id:
        settings["kms_key_id"] = state.kms_key_id
    if state.role_arn:
        settings["assume_role"] = {"role_arn": state.role_arn}
    return StateBackend("s3", settings)


def platform_settings(spec, stack: str) -> dict:
    """What platform.yaml adds to a service: the roles' permissions boundary, the
    provider's default tags, the logs KMS key and the state backend (a local file without a platform)."""
    context = spec._platform
    prefix = context.environment.state.key_prefix if context and context.environment.state else ""
    backend = state_backend(context, stack, state_key(prefix, spec.environment, spec.team, spec.name))
    if context is None:
        return {"state": backend}
    env = context.environment
    return {"permissions_boundary": env.permissions_boundary, "default_tags": dict(env.default_tags),
            "logs_kms_key_arn": env.logs_kms_key_arn, "state": backend}


def data_protection(spec, policy, problems: list) -> DataProtection | None:
    """The CloudWatch Logs data protection policy of a service's log groups: the telemetry
    policy's masked keys, platform.yaml's audit destination (None, with the problems
    added, when the team's mask_keys do not fit CloudWatch's limits)."""
    try:
        return decide(policy.mask_keys, audit_destination(spec._platform))
    except SpecError as err:
        problems.extend(err.problems)
        return None


def pseudonym_key(policy, telemetry) -> str | None:
    """The secret holding the pseudonym key, when client identity is hashed (else None)."""
    return telemetry.pseudonym_key_secret_arn if policy.pseudonymize == "hash" else None


def pseudonym_secret(policy, telemetry) -> set[str]:
    """The pseudonym key's secret as its base ARN (what a role may read), when hashed."""
    arn = pseudonym_key(policy, telemetry)
    return {secret_base(arn)} if arn else set()


def secret_base(arn: str) -> str:
    """A Secrets Manager ARN without ECS's ':json-key:stage:version' suffix (for IAM)."""
    match = ARN_PATTERNS["secret"].match(arn)
    if not match:
        raise SpecError.at("secrets", arn, "not a Secrets Manager ARN")
    return arn[: match.end("name")]
