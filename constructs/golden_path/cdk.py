"""The one door to the CDK backend: every cdktf and AWS-provider import goes through here.

Today the backend is HashiCorp's ``cdktf`` 0.21 with the prebuilt AWS provider.
The maintained fork (CDK Terrain, ``cdktn``) or another provider build can be
added here alone; nothing else in golden_path names a backend package.
Importing this module costs tens of seconds (jsii loads the provider): keep it
out of code paths that only need the spec, resolve or render.
"""

from __future__ import annotations

import os

# jsii prints a banner about Node.js support on every start; it is noise in CI logs.
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

from cdktf import (  # noqa: E402
    App,
    Fn,
    LocalBackend,
    S3Backend,
    S3BackendAssumeRoleConfig,
    TerraformOutput,
    TerraformResourceLifecycle,
    TerraformStack,
    Testing,
    Token,
)
from cdktf_cdktf_provider_aws.apigatewayv2_integration import Apigatewayv2Integration  # noqa: E402
from cdktf_cdktf_provider_aws.apigatewayv2_route import Apigatewayv2Route  # noqa: E402
from cdktf_cdktf_provider_aws.appautoscaling_policy import (  # noqa: E402
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecification,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetrics,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStat,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStatMetric,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStatMetricDimensions,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget  # noqa: E402
from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard  # noqa: E402
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule  # noqa: E402
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget  # noqa: E402
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup  # noqa: E402
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (  # noqa: E402
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from cdktf_cdktf_provider_aws.data_aws_secretsmanager_secret_version import (  # noqa: E402
    DataAwsSecretsmanagerSecretVersion,
)
from cdktf_cdktf_provider_aws.ecs_service import (  # noqa: E402
    EcsService,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
)
from cdktf_cdktf_provider_aws.ecs_task_definition import (  # noqa: E402
    EcsTaskDefinition,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole  # noqa: E402
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy  # noqa: E402
from cdktf_cdktf_provider_aws.lambda_event_source_mapping import (  # noqa: E402
    LambdaEventSourceMapping,
)
from cdktf_cdktf_provider_aws.lambda_function import (  # noqa: E402
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionEphemeralStorage,
    LambdaFunctionLoggingConfig,
    LambdaFunctionVpcConfig,
)
from cdktf_cdktf_provider_aws.lambda_function_recursion_config import (  # noqa: E402
    LambdaFunctionRecursionConfig,
)
from cdktf_cdktf_provider_aws.lambda_function_url import LambdaFunctionUrl  # noqa: E402
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission  # noqa: E402
from cdktf_cdktf_provider_aws.lb_listener_rule import (  # noqa: E402
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleCondition,
    LbListenerRuleConditionHostHeader,
    LbListenerRuleConditionPathPattern,
)
from cdktf_cdktf_provider_aws.lb_target_group import (  # noqa: E402
    LbTargetGroup,
    LbTargetGroupHealthCheck,
)
from cdktf_cdktf_provider_aws.provider import AwsProvider  # noqa: E402
from cdktf_cdktf_provider_aws.s3_object import S3Object  # noqa: E402
from cdktf_cdktf_provider_aws.security_group import SecurityGroup  # noqa: E402
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic  # noqa: E402
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy  # noqa: E402
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription  # noqa: E402
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue  # noqa: E402
from cdktf_cdktf_provider_aws.ssm_parameter import SsmParameter  # noqa: E402
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import (  # noqa: E402
    VpcSecurityGroupEgressRule,
)
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import (  # noqa: E402
    VpcSecurityGroupIngressRule,
)
from constructs import Construct  # noqa: E402

BACKEND = "cdktf"


def literal(text: str) -> str:
    """Text that Terraform must keep as written (collector configs, JSON documents).

    Terraform reads ``${...}`` and ``%{...}`` in any string as its own template
    syntax; the collector's ``${env:VAR}`` and IAM's ``${aws:username}`` must
    reach AWS unchanged, so they are escaped as ``$${`` and ``%%{``.
    """
    return text.replace("${", "$${").replace("%{", "%%{")

__all__ = [
    "CloudwatchDashboard",
    "CloudwatchMetricAlarm",
    "CloudwatchMetricAlarmMetricQuery",
    "CloudwatchMetricAlarmMetricQueryMetric",
    "DataAwsSecretsmanagerSecretVersion",
    "SnsTopic",
    "SnsTopicPolicy",
    "SnsTopicSubscription",
    "Apigatewayv2Integration",
    "Apigatewayv2Route",
    "CloudwatchEventRule",
    "CloudwatchEventTarget",
    "LambdaEventSourceMapping",
    "LambdaFunction",
    "LambdaFunctionRecursionConfig",
    "LambdaFunctionEnvironment",
    "LambdaFunctionEphemeralStorage",
    "LambdaFunctionLoggingConfig",
    "LambdaFunctionUrl",
    "LambdaFunctionVpcConfig",
    "LambdaPermission",
    "S3Object",
    "SqsQueue",
    "App",
    "AppautoscalingPolicy",
    "AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration",
    "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecification",
    "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetrics",
    "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStat",
    "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStatMetric",
    "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStatMetricDimensions",
    "AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification",
    "AppautoscalingTarget",
    "AwsProvider",
    "CloudwatchLogGroup",
    "Construct",
    "EcsService",
    "EcsServiceDeploymentCircuitBreaker",
    "EcsServiceLoadBalancer",
    "EcsServiceNetworkConfiguration",
    "EcsTaskDefinition",
    "EcsTaskDefinitionRuntimePlatform",
    "EcsTaskDefinitionVolume",
    "Fn",
    "IamRole",
    "IamRolePolicy",
    "LbListenerRule",
    "LbListenerRuleAction",
    "LbListenerRuleCondition",
    "LbListenerRuleConditionHostHeader",
    "LbListenerRuleConditionPathPattern",
    "LbTargetGroup",
    "LbTargetGroupHealthCheck",
    "SecurityGroup",
    "SsmParameter",
    "TerraformOutput",
    "TerraformResourceLifecycle",
    "TerraformStack",
    "LocalBackend",
    "S3Backend",
    "S3BackendAssumeRoleConfig",
    "Testing",
    "Token",
    "VpcSecurityGroupEgressRule",
    "VpcSecurityGroupIngressRule",
    "BACKEND",
    "literal",
]
