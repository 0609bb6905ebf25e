"""A target group and a listener rule on an existing ALB listener."""

from __future__ import annotations

from ..cdk import (
    Construct,
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleCondition,
    LbListenerRuleConditionHostHeader,
    LbListenerRuleConditionPathPattern,
    LbTargetGroup,
    LbTargetGroupHealthCheck,
)
from ..resolve.checkov_skips import skip


class LoadBalancerTarget(Construct):
    """Route ``hosts``/``paths`` on ``listener_arn`` to the service's tasks (by IP).

    :param name: target group name (at most 32 characters).
    :param deregistration_delay: seconds to drain a task before it stops.
    """

    def __init__(self, scope: Construct, id: str, *, name: str, vpc_id: str, port: int,
                 health_check_path: str, listener_arn: str, priority: int,
                 hosts: list[str] = (), paths: list[str] = (), deregistration_delay: int = 30,
                 tags: dict[str, str] | None = None):
        super().__init__(scope, id)
        if len(name) > 32:
            raise ValueError(f"target group name '{name}' is {len(name)} characters; limit 32")
        if not (hosts or paths):
            raise ValueError("a listener rule needs at least one host or path")
        self.target_group = LbTargetGroup(
            self, "target_group",
            name=name,
            port=port,
            protocol="HTTP",
            target_type="ip",
            vpc_id=vpc_id,
            deregistration_delay=str(deregistration_delay),
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                path=health_check_path,
                protocol="HTTP",
                matcher="200-399",
                interval=15,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            tags=tags,
        )
        skip(self.target_group, "CKV_AWS_378")
        conditions = []
        if hosts:
            conditions.append(LbListenerRuleCondition(
                host_header=LbListenerRuleConditionHostHeader(values=list(hosts))))
        if paths:
            conditions.append(LbListenerRuleCondition(
                path_pattern=LbListenerRuleConditionPathPattern(values=list(paths))))
        self.listener_rule = LbListenerRule(
            self, "listener_rule",
            listener_arn=listener_arn,
            priority=priority,
            action=[LbListenerRuleAction(type="forward",
                                         target_group_arn=self.target_group.arn)],
            condition=conditions,
            tags=tags,
        )
