"""Spec building blocks shared by every runtime (Fargate, Lambda): names, ARNs,
regexes, IAM statements and the telemetry block."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
)

from ..alerts.slo_spec import Slo, off
from ..alerts.spec import Alerts, alerts_problems
from ..errors import Problem, SpecError, collect
from .arn_scope import CrossAccount, CrossRegion, scope_problems
from .base import _Model
from .iam_lint import team_problems
from .traffic import Traffic

#: The three behaviours an environment can have (spec/environments.py). platform.yaml
#: names any environments and gives each a profile; a single-environment file (no
#: platform.yaml) uses these names as its environments.
ProfileName = Literal["sandbox", "staging", "production"]
PROFILE_NAMES: tuple[str, ...] = typing.get_args(ProfileName)
#: The environments of a single-environment file: the profile names (kept for imports).
ENVIRONMENTS: tuple[str, ...] = PROFILE_NAMES
#: An environment name of platform.yaml: like a service name, at most 20 characters
#: (every name derived from it still fits AWS's limits, e.g. ``<service>-<environment>``).
ENVIRONMENT_NAME_MAX = 20
LogLevel = Literal["debug", "info", "warn", "error"]

_NAME = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ACCOUNT_REGION = r"(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d):(?P<account>\d{12})"
ARN_PATTERNS = {
    "ecs-cluster": re.compile(rf"^arn:aws:ecs:{_ACCOUNT_REGION}:cluster/(?P<name>[A-Za-z0-9_-]{{1,255}})$"),
    "ssm-parameter": re.compile(rf"^arn:aws:ssm:{_ACCOUNT_REGION}:parameter/(?P<name>[A-Za-z0-9_.\-/]+)$"),
    "secret": re.compile(
        rf"^arn:aws:secretsmanager:{_ACCOUNT_REGION}:secret:(?P<name>[A-Za-z0-9/_+=.@-]+)"
        r"(?::(?P<json_key>[^:]*):(?P<version_stage>[^:]*):(?P<version_id>[^:]*))?$"
    ),
    "sqs-queue": re.compile(rf"^arn:aws:sqs:{_ACCOUNT_REGION}:(?P<name>[A-Za-z0-9_-]{{1,80}}(?:\.fifo)?)$"),
    "kms-key": re.compile(
        rf"^arn:aws:kms:{_ACCOUNT_REGION}:key/(?P<name>[0-9a-f-]{{36}}|mrk-[0-9a-f]{{32}})$"),
    "alb-listener": re.compile(
        rf"^arn:aws:elasticloadbalancing:{_ACCOUNT_REGION}:listener/app/[A-Za-z0-9-]+/[0-9a-f]+/[0-9a-f]+$"
    ),
}


#: What ``golden-path discover`` writes where it cannot tell the value (a team, a secret).
TODO = "TODO"


def _name(max_len: int, what: str, example: str = "billing-api"):
    def check(value: str) -> str:
        if value.startswith(TODO):
            raise ValueError(f"left for you to fill by golden-path discover (no tag named the "
                             f"{what}): write it, e.g. '{example}'")
        if len(value) > max_len:
            raise ValueError(
                f"{what} is {len(value)} characters; use at most {max_len} "
                "(longer AWS names are derived from it)"
            )
        if not _NAME.match(value):
            raise ValueError(
                f"{what} must be lowercase letters, digits and '-', starting with a letter "
                f"and not ending with '-', e.g. '{example}'"
            )
        return value

    return AfterValidator(check)


def _arn(*kinds: str):
    def check(value: str) -> str:
        if value.startswith(TODO):
            raise ValueError("golden-path discover did not copy this value, which looks like a "
                             "secret: store it in Secrets Manager (or SSM) and write its ARN here")
        if not any(ARN_PATTERNS[k].match(value) for k in kinds):
            examples = {
                "ecs-cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/main",
                "ssm-parameter": "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db-url",
                "secret": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf",
                "sqs-queue": "arn:aws:sqs:eu-west-1:123456789012:jobs",
                "kms-key": "arn:aws:kms:eu-west-1:123456789012:key/"
                "1234abcd-12ab-34cd-56ef-1234567890ab",
                "alb-listener": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:"
                "listener/app/edge/50dc6c495c0c9188/f2f7dc8efc522ab2",
            }
            wanted = " or ".join(f"{k.replace('-', ' ')} ARN like {examples[k]}" for k in kinds)
            raise ValueError(f"not a valid ARN; expected an {wanted}")
        return value

    return AfterValidator(check)


def _image(value: str) -> str:
    if "@sha256:" in value:
        return value
    last = value.rsplit("/", 1)[-1]
    if ":" not in last:
        raise ValueError("pin the image: add a tag or digest, e.g. 'repo/app:1.4.2'")
    if last.endswith(":latest"):
        raise ValueError("':latest' is not a pinned version; use a release tag or a digest")
    return value


def _env_var_names(value: dict[str, Any]) -> dict[str, Any]:
    for key in value:
        if not _ENV_VAR.match(key):
            raise ValueError(
                f"'{key}' is not a valid environment variable name; use letters, digits and '_'"
            )
    return value


# Regexes run in three engines: Go RE2 (collector), Onigmo (Fluent Bit) and Python
# (tests). Constructs RE2 lacks are refused here rather than failing in a task.
_NOT_RE2 = re.compile(r"\(\?[=!<]|\\[1-9]|\(\?>|[*+?}]\+")


def _portable_regex(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    if _NOT_RE2.search(value):
        raise ValueError("lookarounds, backreferences and possessive/atomic groups are not "
                         "supported by the collector's regex engine (RE2); rewrite without them")
    if "\n" in value or "\r" in value:
        raise ValueError("a pattern is one line")
    control = re.search(r"[\x00-\x1f\x7f-\x9f\ufffe\uffff]", value)
    if control:  # the rendered YAML and Fluent Bit config cannot carry them as written
        code = ord(control.group())
        raise ValueError(f"control character U+{code:04X} in the pattern; " + (
            f"write it as the regex escape \\x{code:02x}" if code < 0x100 else "remove it"))
    if value != value.strip():
        raise ValueError("leading or trailing spaces are lost in Fluent Bit's config; "
                         "write them as [ ] or \\s")
    return value


ServiceName = Annotated[str, _name(40, "name")]
TeamName = Annotated[str, _name(32, "team")]
#: An environment platform.yaml names (``environments.<name>``).
EnvironmentName = Annotated[str, _name(ENVIRONMENT_NAME_MAX, "environment", "prod-eu")]


def _environment(value: str, info: ValidationInfo) -> str:
    """A spec's environment: one of platform.yaml's (the fleet form passes them as the
    validation context, ``{"environments": [...]}``), else a profile name (a
    single-environment file, or a spec built in Python)."""
    allowed = (info.context or {}).get("environments")
    if allowed is None:
        if value not in PROFILE_NAMES:
            raise ValueError("Input should be 'sandbox', 'staging' or 'production'")
    elif value not in allowed:
        raise ValueError(f"platform.yaml defines no environment {value!r}; its environments: "
                         f"{', '.join(allowed)}")
    return value


#: A spec's environment. The schema (single-environment form) lists the profile names.
Environment = Annotated[str, AfterValidator(_environment),
                        WithJsonSchema({"enum": list(PROFILE_NAMES), "type": "string"})]
ClusterArn = Annotated[str, _arn("ecs-cluster")]
SecretArn = Annotated[str, _arn("secret")]
SecretOrParameterArn = Annotated[str, _arn("ssm-parameter", "secret")]
QueueArn = Annotated[str, _arn("sqs-queue")]
ListenerArn = Annotated[str, _arn("alb-listener")]
KmsKeyArn = Annotated[str, _arn("kms-key")]
Image = Annotated[str, AfterValidator(_image)]
Port = Annotated[int, Field(ge=1, le=65535)]
VpcId = Annotated[str, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")]
SubnetId = Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]
SecurityGroupId = Annotated[str, Field(pattern=r"^sg-[0-9a-f]{8,17}$")]


class IamStatement(_Model):
    """One statement added to the task role (what the app itself may do)."""

    sid: str | None = Field(
        None, pattern=r"^[A-Za-z0-9]+$", description="Optional statement id: letters and digits.")
    effect: Literal["Allow", "Deny"] = Field("Allow", description="Allow or Deny.")
    actions: list[Annotated[str, Field(pattern=r"^[a-z0-9-]+:[A-Za-z0-9*]+$|^\*$")]] = Field(
        min_length=1,
        description="IAM actions, e.g. s3:GetObject, checked against AWS's action catalogue; "
                    "an action with `*` needs wildcard_reason."
    )
    resources: list[str] = Field(
        min_length=1,
        description="Resource ARNs the actions apply to (checked against what each action "
                    "accepts); another account or region needs cross_account or cross_region.")
    conditions: dict[str, dict[str, Any]] | None = Field(
        None, description="An IAM Condition block: operator -> {condition key: value}, e.g. "
                          "StringEquals: {aws:ResourceTag/team: checkout}.")
    wildcard_reason: str | None = Field(
        None, description="Required when an action contains '*': why nothing narrower works."
    )
    loop_reason: str | None = Field(
        None, min_length=3,
        description="Acknowledges a call loop through this statement (see fleet checks): why it ends.")


class Call(_Model):
    """A service of the fleet this one calls directly (HTTP), for the call graph."""

    service: ServiceName = Field(
        description="The called service's name; it must run in the same environment of the fleet.")
    via: Literal["http", "sns", "events", "other"] = Field(
        "http", description="How: directly over HTTP, or through a topic, a bus or other means.")
    loop_reason: str | None = Field(
        None, min_length=3, description="Acknowledges a call loop through this call: why it ends.")


class Incident(_Model):
    """A temporary telemetry override while an incident is worked on (docs/runbooks.md)."""

    sampling_percent: float | None = Field(
        None, gt=0, le=100,
        description="Share of traces kept (percent) while the override applies; may exceed the "
                    "environment's bounds.")
    log_level: LogLevel | None = Field(
        None, description="Least severe log level kept while the override applies; may be more "
                          "verbose than the environment allows.")
    reason: str = Field(min_length=3, description="Incident id or why, e.g. 'INC-4711 checkout 5xx'.")
    expires: date = Field(description="Last day the override applies (at most 14 days ahead); "
                                      "after it golden_path refuses the file until it is removed.")


class Telemetry(_Model):
    endpoint: Annotated[str, Field(pattern=r"^https://[^\s/]+(/\S*)?$")] = Field(
        description="The vendor's OTLP/HTTP endpoint, https only."
    )
    api_key_secret_arn: SecretArn = Field(
        description="Secrets Manager ARN of the vendor's API key, which the collector sends.")
    api_key_header: str = Field("api-key", pattern=r"^[A-Za-z0-9-]+$",
                                description="The HTTP header the vendor's API key is sent in.")
    distribution: Literal["contrib", "adot"] = Field(
        "contrib", description="Collector build: otelcol-contrib, or the AWS distribution (ADOT).")
    sampling_percent: float | None = Field(
        None, gt=0, le=100, description="Share of traces kept; default and bounds by environment.")
    log_level: LogLevel | None = Field(None, description="Least severe log level kept.")
    drop_patterns: list[Annotated[str, StringConstraints(strip_whitespace=False),
                                  AfterValidator(_portable_regex)]] = Field(
        default_factory=list, max_length=10,
        description="Extra regexes: log lines matching any are dropped before export.")
    mask_keys: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]+$")]] = Field(
        default_factory=list, max_length=50,
        description="Extra attribute keys deleted before export, besides golden_path's own "
                    "(password, token, ...); CloudWatch data protection masks them in the log "
                    "groups the collector does not see.")
    masking: Literal["full", "keys_only"] = Field(
        "full", description="keys_only: mask sensitive keys but not patterns in bodies (ADOT).")
    pseudonymize_keys: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]+$")]] = Field(
        default_factory=list, max_length=20,
        description="Attribute keys that identify a client, replaced by a keyed hash like "
                    "enduser.id and client.address (e.g. app.tenant_id); deleted with "
                    "pseudonymize: delete.")
    pseudonymize: Literal["hash", "delete"] | None = Field(
        None, description="Client identity (enduser.id, client.address, pseudonymize_keys): "
                          "hash (a keyed pseudonym; the default where the platform names a "
                          "key) or delete (the fallback, e.g. for ADOT).")
    pseudonym_key_secret_arn: SecretArn | None = Field(
        None, description="Secret holding the pseudonym key (platform.yaml sets it in the "
                          "fleet form).")
    incident: Incident | None = Field(
        None, description="A temporary override of sampling_percent and/or log_level during an "
                          "incident, with a reason and an expiry.")
    sample_logs: str | None = Field(
        None, min_length=1,
        description="A file of the service's real log lines (masked), relative to the service "
                    "file: `golden-path cost` measures on it what the log floor and noise "
                    "filters drop (default: golden_path's sample corpus).")
    config_bucket: str | None = Field(
        None, pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
        description="Lambda only: the S3 bucket the collector layer reads its config from.")


class ServiceBase(_Model):
    """Fields every service has, whatever it runs on."""

    name: ServiceName = Field(
        description="Service name: lowercase letters, digits and '-', starting with a letter, at "
                    "most 40 characters; unique in its environment.")
    team: TeamName = Field(
        description="Owning team: same format, at most 32 characters; teams.yaml says where its "
                    "alarms go.")
    environment: Environment = Field(
        description="sandbox, staging or production (its profile); in the fleet form, each "
                    "key of environments (one platform.yaml names).")
    variables: Annotated[dict[str, str], AfterValidator(_env_var_names)] = Field(
        default_factory=dict,
        description="Plain environment variables of the app (no secrets here); a name "
                    "golden_path sets itself, such as OTEL_SERVICE_NAME, is refused."
    )
    secrets: Annotated[dict[str, SecretOrParameterArn], AfterValidator(_env_var_names)] = Field(
        default_factory=dict,
        description="Environment variable name -> Secrets Manager ARN (optionally with "
                    "':json-key:stage:version') or SSM parameter ARN; ECS injects the value; a "
                    "function gets the ARN of secret `X` in `X_SECRET_ARN`."
    )
    iam: list[IamStatement] = Field(
        default_factory=list,
        description="Statements added to the app's own role (the task role, or the function's "
                    "role).")
    calls: list[Call] = Field(
        default_factory=list, max_length=50,
        description="Services of the fleet this one calls (HTTP, a topic, a bus or other), for "
                    "the call graph and its loop check.")
    telemetry: Telemetry = Field(
        description="Where the telemetry goes and what is kept; in the fleet form the vendor "
                    "endpoint and key come from platform.yaml.")
    alerts: Alerts = Field(
        default_factory=Alerts,
        description="Overrides of the default alarms, the team's own alarms, the runbook.")
    slo: Annotated[Slo | None, BeforeValidator(off)] = Field(
        default_factory=Slo,
        description="Service level objectives (availability 99.9 %, latency 99 % within "
                    "300 ms by default), their error budget on the dashboard and burn-rate "
                    "alerts (docs/slo.md); false: none.")
    traffic: Traffic | None = Field(
        None, description="Traffic assumptions for `golden-path cost` (platform.yaml gives "
                          "the defaults).")
    cross_account: list[CrossAccount] = Field(
        default_factory=list, max_length=20,
        description="Other AWS accounts this service's ARNs may name, each with a reason (by "
                    "default every ARN must be in the environment's account; spec/arn_scope.py).")
    cross_region: list[CrossRegion] = Field(
        default_factory=list, max_length=20,
        description="Other AWS regions this service's ARNs may name, each with a reason (by "
                    "default every ARN must be in the environment's region).")

    # {field path: Origin} when loaded from YAML; used to place errors (load/provenance.py).
    _source: dict | None = PrivateAttr(None)
    # The platform environment of a fleet-form file (load/platform.py PlatformContext).
    _platform: Any = PrivateAttr(None)

    @classmethod
    def parse(cls, data: Mapping[str, Any], environments: Sequence[str] | None = None):
        """Validate a mapping (parsed YAML or keyword arguments); raise SpecError.

        ``environments``: the environments platform.yaml names (fleet form); without
        them the environment is one of the profile names.
        """
        from .validation import pydantic_problems

        context = {"environments": list(environments)} if environments is not None else None
        try:
            spec = cls.model_validate(dict(data), context=context)
        except ValidationError as exc:
            raise SpecError(pydantic_problems(exc, cls)) from None
        collect(spec.problems())
        return spec

    def problems(self) -> list[Problem]:
        """Rules that relate fields; each problem names the field to change."""
        problems: list[Problem] = []
        add = problems.append
        for i, st in enumerate(self.iam):
            for j, action in enumerate(st.actions):
                if "*" in action and not st.wildcard_reason:
                    add(Problem(("iam", i, "actions", j), action,
                                "wildcard actions are rejected: list the exact actions, or add "
                                "wildcard_reason explaining why nothing narrower works"))
        # Unknown actions, resources an action cannot take (AWS's catalogue; spec/iam_lint.py).
        problems += team_problems(self.iam)
        incident = self.telemetry.incident
        if incident is not None and incident.sampling_percent is None and incident.log_level is None:
            add(Problem(("telemetry", "incident"), incident.reason,
                        "an incident override sets sampling_percent and/or log_level"))
        for key in sorted(set(self.variables) & set(self.secrets)):
            add(Problem(("secrets", key), self.secrets[key],
                        "also set in variables; keep it in one place"))
        if self.traffic is not None:
            problems += self.traffic.problems(getattr(self, "kind", "lambda"))
        # ARNs in another account or region than the environment's, unless acknowledged.
        problems += scope_problems(self)
        return problems + alerts_problems(self.alerts)
