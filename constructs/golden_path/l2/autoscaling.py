"""Service autoscaling: CPU target tracking, and SQS backlog per task for workers."""

from __future__ import annotations

from ..cdk import (
    AppautoscalingPolicy,
    AppautoscalingTarget,
    Construct,
)
from ..cdk import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration as TargetTracking,
)
from ..cdk import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecification as CustomMetric,
)
from ..cdk import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetrics as MetricQuery,
)
from ..cdk import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStat as MetricStat,
)
from ..cdk import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStatMetric as Metric,
)
from ..cdk import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStatMetricDimensions as Dimension,
)
from ..cdk import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification as PredefinedMetric,
)

#: Backlog per task = visible messages / running tasks (guarding zero tasks).
BACKLOG_EXPRESSION = "IF(tasks > 0, visible / tasks, visible)"


class ServiceAutoscaling(Construct):
    """Scale an ECS service between ``min_tasks`` and ``max_tasks``.

    :param cpu_target: average CPU % to track; None for no CPU policy.
    :param queue_name: SQS queue whose backlog per task is tracked at
        ``messages_per_task``. Reads ``RunningTaskCount`` from Container
        Insights, which must be on for the cluster.
    """

    def __init__(self, scope: Construct, id: str, *, cluster_name: str, service_name: str,
                 min_tasks: int, max_tasks: int, cpu_target: int | None = 60,
                 queue_name: str | None = None, messages_per_task: int | None = None,
                 policy_name_prefix: str = "", tags: dict[str, str] | None = None):
        super().__init__(scope, id)
        prefix = policy_name_prefix or service_name
        self.target = AppautoscalingTarget(
            self, "target",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=f"service/{cluster_name}/{service_name}",
            min_capacity=min_tasks,
            max_capacity=max_tasks,
            tags=tags,
        )
        common = {
            "policy_type": "TargetTrackingScaling",
            "service_namespace": self.target.service_namespace,
            "scalable_dimension": self.target.scalable_dimension,
            "resource_id": self.target.resource_id,
        }
        self.cpu_policy = None
        if cpu_target is not None:
            self.cpu_policy = AppautoscalingPolicy(
                self, "cpu",
                name=f"{prefix}-cpu",
                target_tracking_scaling_policy_configuration=TargetTracking(
                    target_value=cpu_target,
                    predefined_metric_specification=PredefinedMetric(
                        predefined_metric_type="ECSServiceAverageCPUUtilization"),
                    scale_in_cooldown=120,
                    scale_out_cooldown=60,
                ),
                **common,
            )
        self.queue_policy = None
        if queue_name is not None:
            if not messages_per_task:
                raise ValueError("queue scaling needs messages_per_task")
            self.queue_policy = AppautoscalingPolicy(
                self, "queue_backlog",
                name=f"{prefix}-queue-backlog",
                target_tracking_scaling_policy_configuration=TargetTracking(
                    target_value=messages_per_task,
                    customized_metric_specification=CustomMetric(metrics=[
                        MetricQuery(id="visible", return_data=False, metric_stat=MetricStat(
                            stat="Sum",
                            metric=Metric(
                                namespace="AWS/SQS",
                                metric_name="ApproximateNumberOfMessagesVisible",
                                dimensions=[Dimension(name="QueueName", value=queue_name)]))),
                        MetricQuery(id="tasks", return_data=False, metric_stat=MetricStat(
                            stat="Average",
                            metric=Metric(
                                namespace="ECS/ContainerInsights",
                                metric_name="RunningTaskCount",
                                dimensions=[Dimension(name="ClusterName", value=cluster_name),
                                            Dimension(name="ServiceName", value=service_name)]))),
                        MetricQuery(id="backlog_per_task", expression=BACKLOG_EXPRESSION,
                                    label="Messages per running task", return_data=True),
                    ]),
                    scale_in_cooldown=120,
                    scale_out_cooldown=60,
                ),
                **common,
            )
