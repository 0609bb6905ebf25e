"""The one door to the CDK backend: every cdktf/CDK Terrain and AWS-provider import goes through here.

Two backends build the same constructs; one setting picks which::

    GOLDEN_PATH_BACKEND=cdktf   HashiCorp's cdktf 0.21 + cdktf-cdktf-provider-aws (default;
                                archived by HashiCorp on 2025-12-10)
    GOLDEN_PATH_BACKEND=cdktn   CDK Terrain, its maintained fork: cdktn + cdktn-provider-aws
                                (``pip install 'golden-path[cdktn]'``)

The rest of golden_path imports the names below from this module only and never
names a backend package. Importing this module is cheap: it checks that the
selected backend is installed and reads its versions from package metadata
(``BACKEND``, ``BACKEND_VERSION``, ``PROVIDER_VERSION``, ``AWS_PROVIDER_VERSION``,
``CONSTRUCTS_VERSION``: stable strings, fit for a cache key; fixed when this module is
first imported). The backend itself (jsii and the provider bindings: ~2.5 s for cdktn,
~7 s for cdktf, more on a cold disk) is imported on first use of one of its names,
e.g. ``from golden_path.cdk import App``, or by ``load()``.
Keep that first use out of code paths that only need the spec, resolve or render.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import threading
from importlib import metadata
from importlib.util import find_spec
from typing import NamedTuple

#: The Node.js that `make` installs (Makefile: NODE). The Python jsii runtime starts
#: ``$JSII_NODE``, else ``node`` on PATH (jsii/_kernel/providers/process.py, ``start``); in a
#: checkout, prefer this one, so a command run outside make does not use the machine's node.
TOOLS_NODE = os.path.join(os.path.dirname(__file__), "..", "..", ".tools", "node", "node_modules",
                          ".bin", "node")
if "JSII_NODE" not in os.environ and os.access(TOOLS_NODE, os.X_OK):
    os.environ["JSII_NODE"] = os.path.abspath(TOOLS_NODE)

# jsii prints a banner about Node.js support on every start; it is noise in CI logs.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

#: The environment variable that selects the backend, and its default.
BACKEND_ENV = "GOLDEN_PATH_BACKEND"
DEFAULT_BACKEND = "cdktf"


class Backend(NamedTuple):
    core: str  # the core library's module (and distribution) name
    provider: str  # the prebuilt AWS provider's module name
    provider_dist: str  # ... and its distribution name
    install: str  # how to install it


BACKENDS: dict[str, Backend] = {
    "cdktf": Backend("cdktf", "cdktf_cdktf_provider_aws", "cdktf-cdktf-provider-aws",
                     "pip install golden-path (cdktf is a core dependency)"),
    "cdktn": Backend("cdktn", "cdktn_provider_aws", "cdktn-provider-aws",
                     "pip install 'golden-path[cdktn]' (in this repo: .venv/bin/pip install -e '.[dev,cdktn]')"),
}


class BackendError(ImportError):
    """The selected backend is unknown or not installed."""


#: From the core library (cdktf or cdktn); the same names in both.
_CORE_NAMES = (
    "App",
    "Fn",
    "LocalBackend",
    "S3Backend",
    "S3BackendAssumeRoleConfig",
    "TerraformBackend",
    "TerraformOutput",
    "TerraformResourceLifecycle",
    "TerraformStack",
    "Testing",
    "Token",
)

#: From the prebuilt AWS provider: submodule -> class names; the same in both packages.
_PROVIDER_NAMES: dict[str, tuple[str, ...]] = {
    "apigatewayv2_integration": ("Apigatewayv2Integration",),
    "apigatewayv2_route": ("Apigatewayv2Route",),
    "appautoscaling_policy": (
        "AppautoscalingPolicy",
        "AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration",
        "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecification",
        "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetrics",
        "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStat",
        "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStatMetric",
        "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStatMetricDimensions",
        "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification",
    ),
    "appautoscaling_target": ("AppautoscalingTarget",),
    "cloudwatch_composite_alarm": ("CloudwatchCompositeAlarm",
                                   "CloudwatchCompositeAlarmActionsSuppressor"),
    "cloudwatch_dashboard": ("CloudwatchDashboard",),
    "cloudwatch_event_rule": ("CloudwatchEventRule",),
    "cloudwatch_event_target": ("CloudwatchEventTarget",),
    "cloudwatch_log_data_protection_policy": ("CloudwatchLogDataProtectionPolicy",),
    "cloudwatch_log_group": ("CloudwatchLogGroup",),
    "cloudwatch_metric_alarm": (
        "CloudwatchMetricAlarm",
        "CloudwatchMetricAlarmMetricQuery",
        "CloudwatchMetricAlarmMetricQueryMetric",
    ),
    "data_aws_secretsmanager_secret_version": ("DataAwsSecretsmanagerSecretVersion",),
    "ecs_service": (
        "EcsService",
        "EcsServiceDeploymentCircuitBreaker",
        "EcsServiceLoadBalancer",
        "EcsServiceNetworkConfiguration",
    ),
    "ecs_task_definition": (
        "EcsTaskDefinition",
        "EcsTaskDefinitionRuntimePlatform",
        "EcsTaskDefinitionVolume",
    ),
    "iam_role": ("IamRole",),
    "iam_role_policy": ("IamRolePolicy",),
    "kms_alias": ("KmsAlias",),
    "kms_key": ("KmsKey",),
    "lambda_event_source_mapping": ("LambdaEventSourceMapping",),
    "lambda_function": (
        "LambdaFunction",
        "LambdaFunctionEnvironment",
        "LambdaFunctionEphemeralStorage",
        "LambdaFunctionLoggingConfig",
        "LambdaFunctionVpcConfig",
    ),
    "lambda_function_recursion_config": ("LambdaFunctionRecursionConfig",),
    "lambda_function_url": ("LambdaFunctionUrl",),
    "lambda_permission": ("LambdaPermission",),
    "lb_listener_rule": (
        "LbListenerRule",
        "LbListenerRuleAction",
        "LbListenerRuleCondition",
        "LbListenerRuleConditionHostHeader",
        "LbListenerRuleConditionPathPattern",
    ),
    "lb_target_group": ("LbTargetGroup", "LbTargetGroupHealthCheck"),
    "provider": ("AwsProvider",),
    "s3_object": ("S3Object",),
    "security_group": ("SecurityGroup",),
    "sns_topic": ("SnsTopic",),
    "sns_topic_policy": ("SnsTopicPolicy",),
    "sns_topic_subscription": ("SnsTopicSubscription",),
    "sqs_queue": ("SqsQueue",),
    "ssm_parameter": ("SsmParameter",),
    "vpc_security_group_egress_rule": ("VpcSecurityGroupEgressRule",),
    "vpc_security_group_ingress_rule": ("VpcSecurityGroupIngressRule",),
}

#: Every name the backend provides (imported on first use).
BACKEND_NAMES = frozenset(
    {"Construct", *_CORE_NAMES, *(n for names in _PROVIDER_NAMES.values() for n in names)})


def selected_backend() -> str:
    """The backend ``GOLDEN_PATH_BACKEND`` names (default cdktf); BackendError if unknown."""
    raw = os.environ.get(BACKEND_ENV, "")
    name = raw.strip().lower() or DEFAULT_BACKEND
    if name not in BACKENDS:
        choices = ", ".join(f"{n} (default)" if n == DEFAULT_BACKEND else n for n in BACKENDS)
        raise BackendError(f"golden-path: {BACKEND_ENV}={raw!r} is not a backend; choose one of: {choices}")
    return name


def _version(dist: str, backend: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        raise BackendError(
            f"golden-path: {BACKEND_ENV}={backend} needs the Python package {dist!r}, which is not "
            f"installed; install it with: {BACKENDS[backend].install}") from None


_AWS_IN_METADATA = re.compile(r"hashicorp/aws provider version (\d+(?:\.\d+)+)")
_AWS_IN_DOCS = re.compile(r"providers/hashicorp/aws/(\d+(?:\.\d+)+)/docs")


def _aws_provider_version(backend: Backend) -> str:
    """The hashicorp/aws version the prebuilt bindings were generated from (what synth
    pins in ``required_providers``), read from text, without importing the bindings."""
    try:
        found = _AWS_IN_METADATA.search(metadata.distribution(backend.provider_dist).read_text("METADATA") or "")
        if found:
            return found.group(1)
        spec = find_spec(backend.provider)  # a top-level package: found, not executed
        for location in (spec.submodule_search_locations or []) if spec else []:
            with open(os.path.join(location, "provider", "__init__.py"), encoding="utf-8") as f:
                found = _AWS_IN_DOCS.search(f.read(2000))
            if found:
                return found.group(1)
    except (OSError, metadata.PackageNotFoundError):
        pass
    return "unknown"


#: The selected backend's name: "cdktf" or "cdktn".
BACKEND = selected_backend()
_SPEC = BACKENDS[BACKEND]
#: The core library's version, e.g. "0.21.0" (cdktf) or "0.24.0" (cdktn).
BACKEND_VERSION = _version(_SPEC.core, BACKEND)
#: The hashicorp/aws provider version the bindings pin, e.g. "6.25.0".
AWS_PROVIDER_VERSION = _aws_provider_version(_SPEC)
#: The prebuilt provider package's version and the AWS provider it binds,
#: e.g. "21.22.1 (hashicorp/aws 6.25.0)".
PROVIDER_VERSION = f"{_version(_SPEC.provider_dist, BACKEND)} (hashicorp/aws {AWS_PROVIDER_VERSION})"
#: The constructs library both backends build on, e.g. "10.7.2".
CONSTRUCTS_VERSION = _version("constructs", BACKEND)

_loaded = False
_load_lock = threading.Lock()


def load():
    """Import the selected backend and the provider classes (jsii starts here); idempotent.

    Returns this module. Called on first use of any backend name.
    """
    global _loaded
    with _load_lock:
        if not _loaded:
            _import_backend()
            _loaded = True
    return sys.modules[__name__]


def _import_backend() -> None:
    core = importlib.import_module(_SPEC.core)
    names = {n: getattr(core, n) for n in _CORE_NAMES}
    for submodule, classes in _PROVIDER_NAMES.items():
        module = importlib.import_module(f"{_SPEC.provider}.{submodule}")
        names.update({n: getattr(module, n) for n in classes})
    names["Construct"] = importlib.import_module("constructs").Construct
    globals().update(names)


def __getattr__(name: str):
    if name in BACKEND_NAMES:
        load()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | BACKEND_NAMES)


def literal(text: str) -> str:
    """Text that Terraform must keep as written (collector configs, JSON documents).

    Terraform reads ``${...}`` and ``%{...}`` in any string as its own template
    syntax; the collector's ``${env:VAR}`` and IAM's ``${aws:username}`` must
    reach AWS unchanged, so they are escaped as ``$${`` and ``%%{``.
    """
    return text.replace("${", "$${").replace("%{", "%%{")


__all__ = sorted(BACKEND_NAMES) + [
    "AWS_PROVIDER_VERSION",
    "BACKEND",
    "BACKEND_ENV",
    "BACKEND_VERSION",
    "BACKENDS",
    "CONSTRUCTS_VERSION",
    "DEFAULT_BACKEND",
    "PROVIDER_VERSION",
    "Backend",
    "BackendError",
    "literal",
    "load",
    "selected_backend",
]
