"""platform.yaml: what the platform team owns, per environment.

Accounts, regions, the ECS cluster, the network, the shared load-balancer
listeners, the telemetry vendor, the permissions boundary every golden_path
role carries, default tags, the state backend, and the org-wide rules (which
Lambda languages and architectures are allowed). Service files name these
(``load_balancer.listener: public``) instead of repeating them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from ..errors import MISSING, Problem
from .base import _Model
from .common import (
    ARN_PATTERNS,
    EnvironmentName,
    KmsKeyArn,
    ListenerArn,
    ProfileName,
    SecretArn,
    SecurityGroupId,
    ServiceName,
    SubnetId,
    VpcId,
)
from .lambda_ import LanguageRuntime
from .traffic import Prices, Traffic

AccountId = Annotated[str, Field(pattern=r"^\d{12}$")]
Region = Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
BucketName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
ListenerName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
TagKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9 _.:/=+@-]{1,128}$")]
_BOUNDARY = r"^arn:aws:iam::(\d{12}):policy/[A-Za-z0-9+=,.@_/-]+$"


class Listener(_Model):
    """A shared ALB listener that web services attach their rules to."""

    arn: ListenerArn = Field(
        description="The listener's ARN, in this environment's account and region.")
    security_group_id: SecurityGroupId = Field(description="The load balancer's security group.")
    domain: str | None = Field(
        None, pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$",
        description="Optional: `golden-path new` suggests `<service>.<domain>` as the host.")


_LOG_GROUP_ARN = re.compile(
    r"^arn:aws:logs:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):(?P<account>\d{12}):log-group:"
    r"(?P<name>[.\-_/#A-Za-z0-9]{1,512})(?::\*)?$")
_FIREHOSE_ARN = re.compile(
    r"^arn:aws:firehose:(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):(?P<account>\d{12}):"
    r"deliverystream/(?P<name>[A-Za-z0-9._-]{1,64})$")
_BUCKET_ARN = re.compile(r"^arn:aws:s3:::(?P<name>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$")


def _name_of(pattern: re.Pattern, value: str | None) -> str | None:
    m = pattern.match(value or "")
    return m["name"] if m else value


class DataProtectionAudit(_Model):
    """Where CloudWatch Logs data protection sends its audit findings (a report per log
    event with sensitive data) for every golden_path log group of the environment. Each
    destination must exist before the policies are applied, in this environment's account
    (docs/data-protection.md); without any, data is still masked, findings only counted."""

    audit_log_group: Annotated[str, Field(
        pattern=r"^([.\-_/#A-Za-z0-9]{1,512}|arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:"
                r"[.\-_/#A-Za-z0-9]{1,512}(:\*)?)$")] | None = Field(
        None, description="A log group (name or ARN) for the findings.")
    audit_bucket: Annotated[str, Field(
        pattern=r"^(arn:aws:s3:::)?[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")] | None = Field(
        None, description="An S3 bucket (name or ARN) for the findings; its policy must let "
                          "CloudWatch Logs deliver (golden_path's deploy role needs "
                          "s3:GetBucketPolicy and s3:PutBucketPolicy on it).")
    audit_firehose: Annotated[str, Field(
        pattern=r"^([A-Za-z0-9._-]{1,64}|arn:aws:firehose:[a-z0-9-]+:\d{12}:deliverystream/"
                r"[A-Za-z0-9._-]{1,64})$")] | None = Field(
        None, description="A Firehose delivery stream (name or ARN) for the findings.")

    @property
    def log_group_name(self) -> str | None:
        return _name_of(_LOG_GROUP_ARN, self.audit_log_group)

    @property
    def bucket_name(self) -> str | None:
        return _name_of(_BUCKET_ARN, self.audit_bucket)

    @property
    def firehose_name(self) -> str | None:
        return _name_of(_FIREHOSE_ARN, self.audit_firehose)

    def problems(self, account: str, region: str) -> list[Problem]:
        """ARNs must name this environment's account and region (names are its own)."""
        found = []
        for key, pattern, what in (("audit_log_group", _LOG_GROUP_ARN, "log group"),
                                   ("audit_firehose", _FIREHOSE_ARN, "delivery stream")):
            value = getattr(self, key)
            m = pattern.match(value or "")
            if value and value.startswith("arn:") and not m:
                found.append(Problem(("telemetry", "data_protection", key), value,
                                     f"not a {what} ARN"))
            elif m and (m["account"], m["region"]) != (account, region):
                found.append(Problem(
                    ("telemetry", "data_protection", key), value,
                    f"the audit {what} must be in this environment's account {account} in "
                    f"{region} (CloudWatch Logs delivers findings only there); give its name"))
        return found


class PlatformTelemetry(_Model):
    endpoint: Annotated[str, Field(pattern=r"^https://[^\s/]+(/\S*)?$")] = Field(
        description="The vendor's OTLP/HTTP endpoint, https only.")
    api_key_secret_arn: SecretArn = Field(
        description="Secrets Manager ARN of the vendor's API key, in this environment's account "
                    "and region.")
    api_key_header: str = Field("api-key", pattern=r"^[A-Za-z0-9-]+$",
                                description="The HTTP header the vendor's API key is sent in.")
    config_bucket: BucketName | None = Field(
        None, description="S3 bucket the Lambda collector layer reads its config from.")
    pseudonym_key_secret_arn: SecretArn | None = Field(
        None, description="Secret holding this environment's key for client pseudonyms "
                          "(a random [A-Za-z0-9] string, e.g. `openssl rand -hex 32`); "
                          "given to collectors like the vendor key, never written in a config.")
    data_protection: DataProtectionAudit | None = Field(
        None, description="CloudWatch Logs data protection of every golden_path log group "
                          "(docs/data-protection.md): where its audit findings go.")


class StateBackend(_Model):
    """Where Terraform keeps the state of every stack of this environment."""

    backend: Literal["s3", "local"] = Field(
        "s3", description="s3: a state bucket, with S3-native locking; local: a file per stack.")
    bucket: BucketName | None = Field(None, description="s3: the state bucket.")
    region: Region | None = Field(None, description="s3: the bucket's region (default: the environment's).")
    key_prefix: str = Field(
        "golden-path", pattern=r"^[A-Za-z0-9!_.*'()/-]+$",
        description="Start of each stack's state key: "
                    "`<key_prefix>/<environment>/<team>/<service>.tfstate` (under path for local).")
    kms_key_id: str | None = Field(None, description="s3: a KMS key ARN or alias for the state objects.")
    role_arn: str | None = Field(None, pattern=r"^arn:aws:iam::\d{12}:role/[A-Za-z0-9+=,.@_/-]+$",
                                 description="s3: a role to assume for state access.")
    path: str | None = Field(None, description="local: a directory relative to the synth output.")


#: The longest bake golden_path accepts (a day), in minutes.
BAKE_MINUTES_MAX = 1440


class Canary(_Model):
    """The first wave of a production-profile environment: some services, and/or a share of
    the environment's stacks, rolled out and baked before the rest (docs/environments.md)."""

    services: list[ServiceName] = Field(
        default_factory=list, max_length=100,
        description="Services that go first in this environment (their stacks).")
    share: int | None = Field(
        None, ge=1, le=50, description="Percent of the environment's changed stacks that go "
                                       "first (1..50), besides the named services.")
    bake_minutes: int | None = Field(
        None, ge=0, le=BAKE_MINUTES_MAX,
        description="Minutes the canary wave bakes before the rest of the environment "
                    "(default: the environment's bake_minutes).")


class Rollout(_Model):
    """Where an environment stands in the rollout of a change (docs/environments.md)."""

    order: int | None = Field(
        None, ge=1, le=1000,
        description="Position in the rollout, lowest first (default by profile: sandbox 1, "
                    "staging 2, production 3; ties by name). Unique among the orders given.")
    bake_minutes: int | None = Field(
        None, ge=0, le=BAKE_MINUTES_MAX,
        description="Minutes the environment bakes (alarms watched) before the next one "
                    "starts (default by profile: sandbox 0, staging 15, production 30).")
    canary: Canary | None = Field(
        None, description="Production profile only: a first wave of services and/or a share.")


class PlatformEnvironment(_Model):
    """Everything the platform provides in one environment."""

    profile: ProfileName | None = Field(
        None, description="How the environment behaves (sampling, retention, paging, task "
                          "counts, rollout defaults): sandbox, staging or production. Default: "
                          "the environment's name, which must then be one of them.")
    rollout: Rollout | None = Field(
        None, description="The environment's place in the rollout order, its bake time and "
                          "canary (docs/environments.md).")
    account: AccountId = Field(
        description="The environment's AWS account id (12 digits, quoted: \"123456789012\").")
    region: Region = Field(description="The environment's AWS region, e.g. eu-west-1.")
    ecs_cluster: str = Field(pattern=r"^[A-Za-z0-9_-]{1,255}$", description="ECS cluster name.")
    vpc_id: VpcId = Field(
        description="The VPC of the Fargate services' security groups and target groups.")
    subnet_ids: list[SubnetId] = Field(min_length=1, description="Private subnets for tasks and functions.")
    listeners: dict[ListenerName, Listener] = Field(
        default_factory=dict,
        description="Shared ALB listeners by name (lowercase, at most 32 characters), which a web "
                    "service names in load_balancer.listener.")
    telemetry: PlatformTelemetry = Field(
        description="The telemetry vendor (endpoint, API key) and the environment's telemetry "
                    "settings that every service gets.")
    permissions_boundary: str | None = Field(
        None, pattern=_BOUNDARY, description="Managed policy ARN every golden_path role carries.")
    default_tags: dict[TagKey, str] = Field(
        default_factory=dict,
        description="Tags the AWS provider puts on every resource of the environment's stacks.")
    logs_kms_key_arn: KmsKeyArn | None = Field(
        None, description="KMS key (ARN) every golden_path log group is encrypted with; its "
                          "policy must let `logs.<region>.amazonaws.com` use it. Without one, "
                          "CloudWatch's own key (and a documented checkov skip).")
    state: StateBackend | None = Field(
        None, description="Where Terraform keeps the state of the environment's stacks; unset: "
                          "a local file per stack, `terraform.<stack>.tfstate`.")
    traffic: Traffic | None = Field(
        None, description="Default traffic assumptions for `golden-path cost`; a service's own "
                          "traffic: wins, field by field.")
    prices: Prices | None = Field(
        None, description="The telemetry vendor's prices for `golden-path cost` (none built in: "
                          "without them, volumes only).")

    @property
    def cluster_arn(self) -> str:
        return f"arn:aws:ecs:{self.region}:{self.account}:cluster/{self.ecs_cluster}"

    def problems(self) -> list[Problem]:
        problems: list[Problem] = []
        add = problems.append
        where = f"account {self.account} in {self.region}"
        for name, listener in self.listeners.items():
            m = ARN_PATTERNS["alb-listener"].match(listener.arn)
            if (m["account"], m["region"]) != (self.account, self.region):
                add(Problem(("listeners", name, "arn"), listener.arn,
                            f"the listener must be in this environment's {where}"))
        m = ARN_PATTERNS["secret"].match(self.telemetry.api_key_secret_arn)
        if (m["account"], m["region"]) != (self.account, self.region):
            add(Problem(("telemetry", "api_key_secret_arn"), self.telemetry.api_key_secret_arn,
                        f"the key secret must be in this environment's {where}"))
        m = ARN_PATTERNS["kms-key"].match(self.logs_kms_key_arn or "")
        if m and (m["account"], m["region"]) != (self.account, self.region):
            add(Problem(("logs_kms_key_arn",), self.logs_kms_key_arn,
                        f"the logs key must be in this environment's {where}"))
        m = ARN_PATTERNS["secret"].match(self.telemetry.pseudonym_key_secret_arn or "")
        if m and (m["account"], m["region"]) != (self.account, self.region):
            add(Problem(("telemetry", "pseudonym_key_secret_arn"),
                        self.telemetry.pseudonym_key_secret_arn,
                        f"the pseudonym key secret must be in this environment's {where}"))
        if self.telemetry.data_protection is not None:
            problems += self.telemetry.data_protection.problems(self.account, self.region)
        if self.permissions_boundary and f"::{self.account}:" not in self.permissions_boundary:
            add(Problem(("permissions_boundary",), self.permissions_boundary,
                        f"the boundary policy must be in this environment's account {self.account}"))
        s = self.state
        if s is not None:
            if s.backend == "s3" and not s.bucket:
                add(Problem(("state", "bucket"), MISSING, "the s3 backend needs the state bucket"))
            if s.backend == "s3" and s.path:
                add(Problem(("state", "path"), s.path, "path is for the local backend; remove it"))
            if s.backend == "local":
                extra = [k for k in ("bucket", "kms_key_id", "role_arn") if getattr(s, k)]
                for key in extra:
                    add(Problem(("state", key), getattr(s, key),
                                "the local backend takes only path; remove it"))
                if s.path and (s.path.startswith("/") or ".." in s.path.split("/")):
                    add(Problem(("state", "path"), s.path,
                                "a local state path is relative and stays inside the output, "
                                "e.g. 'state'"))
        return problems


class Rules(_Model):
    """Org-wide knobs the platform team owns; unset means no restriction."""

    lambda_languages: list[LanguageRuntime] | None = Field(
        None, description="Lambda runtimes teams may use.")
    lambda_architectures: list[Literal["x86_64", "arm64"]] | None = Field(
        None, description="Lambda architectures teams may use.")
    ecs_architectures: list[Literal["x86_64", "arm64"]] | None = Field(
        None, description="Fargate architectures teams may use.")


class Platform(_Model):
    """The validated platform.yaml (``defaults`` already merged into each environment;
    each environment's ``profile`` filled in)."""

    rules: Rules = Field(
        default_factory=Rules,
        description="Org-wide rules: the Lambda languages and architectures and the Fargate "
                    "architectures teams may use.")
    environments: dict[EnvironmentName, PlatformEnvironment] = Field(min_length=1)

    def profile_of(self, environment: str) -> str:
        """The profile name of an environment (its ``profile:``, else its own name)."""
        return self.environments[environment].profile or environment


class PlatformFile(_Model):
    """The shape of platform.yaml as written (for the published JSON Schema)."""

    rules: Rules = Field(
        default_factory=Rules,
        description="Org-wide rules: the Lambda languages and architectures and the Fargate "
                    "architectures teams may use.")
    defaults: dict = Field(
        default_factory=dict,
        description="Fields shared by every environment (any environment field); each "
                    "environment's own values win (deep merge; a list replaces; null clears). "
                    "Not profile or rollout: those are set per environment.")
    environments: dict[EnvironmentName, PlatformEnvironment] = Field(
        min_length=1, description="The platform's environments by name (lowercase letters, "
                                  "digits and '-', at most 20 characters), e.g. dev, qa, "
                                  "prod-eu; each with its profile (docs/environments.md).")
