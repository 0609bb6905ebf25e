"""IAM policy documents for a resolved service. Pure Python (no cdktf).

Least privilege: the execution role (used by ECS to start the task) may pull
its image, write its sidecars' log groups and read exactly the secrets and
parameters it injects. The task role (used by the app) gets the team's
statements, plus the ECS Exec channels when exec is on, plus consuming the queue a
worker scales on; nothing else (the sidecars ship telemetry over localhost and the
vendor's key).
"""

from __future__ import annotations

from typing import Any

from .ecs import ResolvedService
from .lambda_ import ResolvedFunction

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
                            service.collector_self_config_parameter_arn,
                            service.router_config_parameter_arn}),
    })
    return statements


def lambda_trust(fn: ResolvedFunction) -> dict[str, Any]:
    return document([{
        "Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": fn.account}},
    }])


CONSUME_QUEUE_SID = "ConsumeQueue"
SQS_CONSUME = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
               "sqs:ReceiveMessage"]
#: What Lambda needs to attach a function to a VPC (AWSLambdaVPCAccessExecutionRole's ec2
#: actions), scoped to resources by vpc_access_statements; only the Describe takes no resource.
VPC_ACCESS = ["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface",
              "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
VPC_DESCRIBE = ["ec2:DescribeNetworkInterfaces"]
#: A worker consuming the queue it scales on, as Celery does through kombu's SQS transport
#: (kombu/transport/SQS/__init__.py, kombu/asynchronous/aws/sqs/connection.py):
#: ReceiveMessage polls (long polling, up to 10 a call); DeleteMessage acknowledges
#: (basic_ack); ChangeMessageVisibility hands back a message the worker restores or rejects
#: with requeue (a warm shutdown) and applies a predefined queue's backoff_policy;
#: GetQueueAttributes sizes the queue when the worker declares it at start
#: (ApproximateNumberOfMessages); GetQueueUrl turns the queue's name into its URL for
#: clients that look it up (boto3's get_queue_by_name, kombu's AsyncSQSConnection). Not
#: granted: ListQueues and CreateQueue, which kombu calls only without ``predefined_queues``
#: (ListQueues cannot be scoped to a queue); configure ``predefined_queues`` with the queue's
#: URL (QUEUE_URL for a queue golden_path creates). No kms: action: golden_path's queues use
#: SQS-managed keys (SSE-SQS), which need no KMS permission; a team's own queue under a
#: customer key needs the team's kms:Decrypt statement on that key.
WORKER_SQS_CONSUME = sorted([*SQS_CONSUME, "sqs:GetQueueUrl"])


def vpc_access_statements(fn: ResolvedFunction) -> list[Statement]:
    """The network interfaces of this account and region, in the function's own subnets and
    security groups: these actions take resource ARNs, so '*' is more than needed (the IAM
    lint's RESOURCE_STAR; AWS's Lambda guide scopes DeleteNetworkInterface the same way).
    Subnets and security groups may be shared from a network account, so their owner is
    any account; their IDs are unique."""
    vpc = fn.spec.vpc
    attach = [f"arn:aws:ec2:{fn.region}:*:subnet/{s}" for s in vpc.subnet_ids]
    attach += [f"arn:aws:ec2:{fn.region}:*:security-group/{g}" for g in vpc.security_group_ids]
    return [
        {"Sid": "VpcAccess", "Effect": "Allow", "Action": VPC_ACCESS,
         "Resource": [fn.arn("ec2", "network-interface/*"), *attach]},
        # DescribeNetworkInterfaces is allowed on all resources or none.
        {"Sid": "VpcDescribe", "Effect": "Allow", "Action": VPC_DESCRIBE, "Resource": ["*"]},
    ]


def function_role_statements(fn: ResolvedFunction) -> list[Statement]:
    """Own log group, own queue, own secrets, own collector config, the team's statements."""
    statements: list[Statement] = [{
        "Sid": "OwnLogGroup", "Effect": "Allow", "Action": LOG_WRITE,
        "Resource": [f"{fn.log_group_arn}:log-stream:*"],
    }, {
        "Sid": "CollectorConfig", "Effect": "Allow", "Action": ["s3:GetObject"],
        "Resource": [fn.config_object_arn],
    }, {
        "Sid": "ReadSecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
        "Resource": list(fn.secret_arns),
    }]
    if fn.parameter_arns:
        statements.append({"Sid": "ReadParameters", "Effect": "Allow",
                           "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                           "Resource": list(fn.parameter_arns)})
    if fn.queue_arn:
        statements.append({"Sid": "ConsumeOwnQueue", "Effect": "Allow", "Action": SQS_CONSUME,
                           "Resource": [fn.queue_arn]})
    if fn.spec.vpc is not None:
        statements += vpc_access_statements(fn)
    return statements + team_statements(fn.spec.iam)


def team_statements(iam) -> list[Statement]:
    statements = []
    for i, st in enumerate(iam):
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


def task_role_statements(service: ResolvedService) -> list[Statement]:
    statements: list[Statement] = [{
        # The collector writes the pipeline's own metrics (EMF) with the task role.
        "Sid": "TelemetrySelfMetrics", "Effect": "Allow",
        "Action": [*LOG_WRITE, "logs:DescribeLogStreams"],
        "Resource": [service.log_group_arn(service.names.telemetry_metrics_log_group),
                     f"{service.log_group_arn(service.names.telemetry_metrics_log_group)}"
                     ":log-stream:*"],
    }]
    if service.ecs_exec:
        statements.append({"Sid": "EcsExec", "Effect": "Allow", "Action": ECS_EXEC,
                           "Resource": ["*"]})
    if service.scaling.queue_arn:
        # The queue a worker scales on is the queue it consumes (its own or scaling.queue.arn).
        statements.append({"Sid": CONSUME_QUEUE_SID, "Effect": "Allow",
                           "Action": WORKER_SQS_CONSUME, "Resource": [service.scaling.queue_arn]})
    return statements + team_statements(service.spec.iam)
