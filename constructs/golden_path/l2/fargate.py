"""Fargate task definition and service."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..cdk import (
    Construct,
    EcsService,
    EcsServiceDeploymentCircuitBreaker,
    EcsServiceLoadBalancer,
    EcsServiceNetworkConfiguration,
    EcsTaskDefinition,
    EcsTaskDefinitionRuntimePlatform,
    EcsTaskDefinitionVolume,
    TerraformResourceLifecycle,
    literal,
)
from ..resolve.checkov_skips import skip


class FargateTaskDefinition(Construct):
    """A Fargate (awsvpc) task definition from plain container-definition dicts.

    :param containers: ECS container definitions (camelCase, as RegisterTaskDefinition).
    :param volumes: names of ephemeral bind-mount volumes shared between containers.
    """

    def __init__(self, scope: Construct, id: str, *, family: str, cpu: int, memory: int,
                 containers: list[dict[str, Any]], execution_role_arn: str, task_role_arn: str,
                 volumes: list[str] = (), architecture: str = "x86_64",
                 tags: dict[str, str] | None = None, depends_on: list | None = None):
        super().__init__(scope, id)
        self.task_definition = EcsTaskDefinition(
            self, "task_definition",
            family=family,
            requires_compatibilities=["FARGATE"],
            network_mode="awsvpc",
            cpu=str(cpu),
            memory=str(memory),
            runtime_platform=EcsTaskDefinitionRuntimePlatform(
                operating_system_family="LINUX",
                cpu_architecture="ARM64" if architecture == "arm64" else "X86_64",
            ),
            execution_role_arn=execution_role_arn,
            task_role_arn=task_role_arn,
            container_definitions=literal(json.dumps(containers, indent=2)),
            volume=[EcsTaskDefinitionVolume(name=v) for v in volumes],
            tags=tags,
            depends_on=depends_on,
        )


@dataclass(frozen=True)
class LoadBalancerAttachment:
    target_group_arn: str
    container_name: str
    container_port: int


class FargateService(Construct):
    """An ECS service on Fargate with safe deployments.

    Defaults: deployment circuit breaker with rollback, 100%/200% rolling
    deployment, no public IP, tags propagated from the service to its tasks.
    ``desired_count`` is ignored after creation when ``autoscaled`` (the
    scaling policies own it).
    """

    def __init__(self, scope: Construct, id: str, *, name: str, cluster_arn: str,
                 task_definition_arn: str, desired_count: int, subnet_ids: list[str],
                 security_group_ids: list[str], enable_execute_command: bool = False,
                 load_balancer: LoadBalancerAttachment | None = None,
                 health_check_grace_period_seconds: int = 60, autoscaled: bool = True,
                 tags: dict[str, str] | None = None, depends_on: list | None = None):
        super().__init__(scope, id)
        self.service = EcsService(
            self, "service",
            name=name,
            cluster=cluster_arn,
            task_definition=task_definition_arn,
            desired_count=desired_count,
            launch_type="FARGATE",
            platform_version="1.4.0",
            network_configuration=EcsServiceNetworkConfiguration(
                subnets=subnet_ids,
                security_groups=security_group_ids,
                assign_public_ip=False,
            ),
            deployment_circuit_breaker=EcsServiceDeploymentCircuitBreaker(enable=True,
                                                                          rollback=True),
            deployment_minimum_healthy_percent=100,
            deployment_maximum_percent=200,
            enable_execute_command=enable_execute_command,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            load_balancer=[EcsServiceLoadBalancer(
                target_group_arn=load_balancer.target_group_arn,
                container_name=load_balancer.container_name,
                container_port=load_balancer.container_port,
            )] if load_balancer else None,
            health_check_grace_period_seconds=(
                health_check_grace_period_seconds if load_balancer else None
            ),
            wait_for_steady_state=False,
            lifecycle=TerraformResourceLifecycle(ignore_changes=["desired_count"])
            if autoscaled else None,
            tags=tags,
            depends_on=depends_on,
        )
        skip(self.service, "CKV_AWS_332")
