"""``ApplicationService``: one team's service in one environment, fully wired."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import containers, policies
from ..cdk import Construct, TerraformOutput
from ..l2.autoscaling import ServiceAutoscaling
from ..l2.collector import CollectorConfig
from ..l2.fargate import FargateService, FargateTaskDefinition, LoadBalancerAttachment
from ..l2.iam import ServiceRole
from ..l2.load_balancing import LoadBalancerTarget
from ..l2.logs import LogGroup
from ..l2.network import TaskSecurityGroup
from ..resolve import ResolvedService, resolve
from ..spec import ServiceSpec
from ..telemetry import sidecars
from ..telemetry.render import render_collector_config


def as_resolved(spec: ServiceSpec | Mapping[str, Any] | ResolvedService) -> ResolvedService:
    if isinstance(spec, ResolvedService):
        return spec
    if not isinstance(spec, ServiceSpec):
        spec = ServiceSpec.parse(spec)
    return resolve(spec)


class ApplicationService(Construct):
    """An ECS Fargate ``web`` or ``worker`` service with its observability sidecars.

    ``spec`` is a ``ServiceSpec``, a mapping with the same fields as
    ``service.yaml`` (validated; bad input raises ``SpecError``), or an
    already resolved service. Every created resource is a public attribute.
    """

    def __init__(self, scope: Construct, id: str, spec: ServiceSpec | Mapping[str, Any]
                 | ResolvedService):
        super().__init__(scope, id)
        svc = self.resolved = as_resolved(spec)
        names, tags = svc.names, svc.tags
        self.collector_config_text = render_collector_config(svc)

        def log_group(cid: str, name: str) -> LogGroup:
            return LogGroup(self, cid, name=name, retention_days=svc.log_retention_days,
                            skip_destroy=svc.deletion_protection, tags=tags)

        self.app_logs = log_group("app_logs", names.app_log_group)
        self.router_logs = log_group("router_logs", names.router_log_group)
        self.collector_logs = log_group("collector_logs", names.collector_log_group)
        self.collector_config = CollectorConfig(
            self, "collector_config", name=names.collector_config_parameter,
            config_text=self.collector_config_text, tags=tags)

        trust = policies.ecs_tasks_trust(svc)
        self.execution_role = ServiceRole(
            self, "execution_role", name=names.execution_role, trust_policy=trust,
            statements=policies.execution_role_statements(svc),
            description=f"ECS starts {names.service}: image pull, sidecar logs, injected secrets",
            tags=tags)
        reasons = [s.wildcard_reason for s in svc.spec.iam if s.wildcard_reason]
        self.task_role = ServiceRole(
            self, "task_role", name=names.task_role, trust_policy=trust,
            statements=policies.task_role_statements(svc),
            description=f"What {names.service} itself may do (team {svc.spec.team})",
            wildcard_reason="; ".join(reasons) or None, tags=tags)

        self.container_definitions = containers.container_definitions(
            svc, self.collector_config_text)
        self.task_definition = FargateTaskDefinition(
            self, "task_definition", family=names.family, cpu=svc.sizes.task.cpu,
            memory=svc.sizes.task.memory, architecture=svc.spec.architecture,
            containers=self.container_definitions, volumes=containers.volumes(svc),
            execution_role_arn=self.execution_role.role.arn,
            task_role_arn=self.task_role.role.arn, tags=tags,
            depends_on=[self.collector_config.parameter, self.app_logs.log_group,
                        self.router_logs.log_group, self.collector_logs.log_group])

        lb = svc.spec.load_balancer
        self.security_group = TaskSecurityGroup(
            self, "security_group", name=names.security_group, vpc_id=svc.spec.network.vpc_id,
            description=f"Tasks of {names.service} ({svc.kind})",
            ingress_from=[(lb.security_group_id, svc.spec.port)] if lb else [], tags=tags)

        self.load_balancer_target = None
        attachment = None
        if lb is not None:
            self.load_balancer_target = LoadBalancerTarget(
                self, "load_balancer", name=names.target_group, vpc_id=svc.spec.network.vpc_id,
                port=svc.spec.port, health_check_path=svc.spec.health_check_path,
                listener_arn=lb.listener_arn, priority=lb.priority, hosts=lb.hosts,
                paths=lb.paths, tags=tags)
            attachment = LoadBalancerAttachment(
                self.load_balancer_target.target_group.arn, sidecars.APP_CONTAINER,
                svc.spec.port)

        self.service = FargateService(
            self, "service", name=names.service, cluster_arn=svc.spec.network.cluster_arn,
            task_definition_arn=self.task_definition.task_definition.arn,
            desired_count=svc.scaling.desired, subnet_ids=list(svc.spec.network.subnet_ids),
            security_group_ids=[self.security_group.security_group.id,
                                *svc.spec.network.security_group_ids],
            enable_execute_command=svc.ecs_exec, load_balancer=attachment, tags=tags,
            depends_on=[self.load_balancer_target.listener_rule]
            if self.load_balancer_target else None)

        self.autoscaling = ServiceAutoscaling(
            self, "autoscaling", cluster_name=svc.cluster_name,
            service_name=self.service.service.name, policy_name_prefix=names.service,
            min_tasks=svc.scaling.min, max_tasks=svc.scaling.max,
            cpu_target=svc.scaling.cpu_target, queue_name=svc.scaling.queue_name,
            messages_per_task=svc.scaling.messages_per_task, tags=tags)

        self._outputs()

    def _outputs(self) -> None:
        outputs = {
            "service_name": self.service.service.name,
            "task_definition_arn": self.task_definition.task_definition.arn,
            "task_role_arn": self.task_role.role.arn,
            "execution_role_arn": self.execution_role.role.arn,
            "security_group_id": self.security_group.security_group.id,
            "app_log_group": self.app_logs.log_group.name,
            "collector_config_parameter": self.collector_config.parameter.name,
        }
        if self.load_balancer_target:
            outputs["target_group_arn"] = self.load_balancer_target.target_group.arn
        for key, value in outputs.items():
            TerraformOutput(self, key, value=value, description=f"{self.resolved.names.service}: {key}")
