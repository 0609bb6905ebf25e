"""The tasks' security group: ingress only from named security groups."""

from __future__ import annotations

from ..cdk import (
    Construct,
    SecurityGroup,
    VpcSecurityGroupEgressRule,
    VpcSecurityGroupIngressRule,
)


class TaskSecurityGroup(Construct):
    """A security group for the tasks.

    :param ingress_from: (source security group id, port) pairs; nothing else may
        connect. Empty for workers.
    Egress is open (the tasks reach ECR, the telemetry vendor and their own
    databases); narrow it with extra rules on ``security_group`` if needed.
    """

    def __init__(self, scope: Construct, id: str, *, name: str, vpc_id: str, description: str,
                 ingress_from: list[tuple[str, int]] = (), tags: dict[str, str] | None = None):
        super().__init__(scope, id)
        self.security_group = SecurityGroup(
            self, "security_group",
            name=name,
            description=description,
            vpc_id=vpc_id,
            revoke_rules_on_delete=True,
            tags=tags,
        )
        self.ingress_rules = [
            VpcSecurityGroupIngressRule(
                self, f"ingress_{i}",
                security_group_id=self.security_group.id,
                referenced_security_group_id=source,
                ip_protocol="tcp",
                from_port=port,
                to_port=port,
                description=f"from {source} on {port}",
                tags=tags,
            )
            for i, (source, port) in enumerate(ingress_from)
        ]
        self.egress_rule = VpcSecurityGroupEgressRule(
            self, "egress_all",
            security_group_id=self.security_group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="-1",
            description="outbound: image registry, telemetry vendor, dependencies",
            tags=tags,
        )
