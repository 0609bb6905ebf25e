"""IAM policy documents for a resolved service. Pure Python (no cdktf).

Least privilege: the execution role (used by ECS to start the task) may pull
its image, write its sidecars' log groups and read exactly the secrets and
parameters it injects. The task role (used by the app) gets the team's
statements, plus the ECS Exec channels when exec is on; nothing else (the
sidecars ship telemetry over localhost and the vendor's key).
"""

from __future__ import annotations

from typing import Any

from .resolve import ResolvedService

Statement = dict[str, Any]

ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
LOG_WRITE = ["logs:CreateLogStream", "logs:PutLogEvents"]
ECS_EXEC = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]


def document(statements: list[Statement]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}


def ecs_tasks_trust(service: ResolvedService) -> dict[str, Any]:
    """Only ECS tasks of this account and region may assume the role (confused deputy)."""
    return document([{
        "Effect": "Allow",
        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": service.account},
            "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{service.region}:{service.account}:*"},
        },
    }])


def execution_role_statements(service: ResolvedService) -> list[Statement]:
    statements: list[Statement] = []
    if service.image_repository_arn:
        statements += [
            {"Sid": "PullAppImage", "Effect": "Allow", "Action": ECR_PULL,
             "Resource": [service.image_repository_arn]},
            # GetAuthorizationToken is account-wide; AWS offers no resource to scope it to.
            {"Sid": "EcrLogin", "Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"],
             "Resource": ["*"]},
        ]
    groups = [service.names.router_log_group, service.names.collector_log_group]
    statements.append({
        "Sid": "SidecarLogs", "Effect": "Allow", "Action": LOG_WRITE,
        "Resource": [f"{service.log_group_arn(g)}:log-stream:*" for g in groups],
    })
    if service.secret_arns:
        statements.append({"Sid": "InjectSecrets", "Effect": "Allow",
                           "Action": ["secretsmanager:GetSecretValue"],
                           "Resource": list(service.secret_arns)})
    statements.append({
        "Sid": "InjectParameters", "Effect": "Allow", "Action": ["ssm:GetParameters"],
        "Resource": sorted({*service.parameter_arns, service.collector_config_parameter_arn,
                            service.router_config_parameter_arn}),
    })
    return statements


def task_role_statements(service: ResolvedService) -> list[Statement]:
    statements: list[Statement] = []
    if service.ecs_exec:
        statements.append({"Sid": "EcsExec", "Effect": "Allow", "Action": ECS_EXEC,
                           "Resource": ["*"]})
    for i, st in enumerate(service.spec.iam):
        statement: Statement = {
            "Sid": st.sid or f"Team{i}",
            "Effect": st.effect,
            "Action": list(st.actions),
            "Resource": list(st.resources),
        }
        if st.conditions:
            statement["Condition"] = st.conditions
        statements.append(statement)
    return statements
