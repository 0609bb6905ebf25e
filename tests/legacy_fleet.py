"""A legacy fleet in the emulator, as a company has it before golden_path (tests only).

``seed_legacy_fleet(emu, platform)`` creates with boto3, under the company's own names
(``billing-sync-prod``, never golden_path's ``<service>-<environment>``): Lambda functions
(Node.js and Python zips from the platform's artifact bucket), each with its role (some at
path /service-role/ with a managed policy attached) and log group; some on their own SQS
queue with a dead-letter queue and messages waiting, some on EventBridge schedules, one
behind a public function URL; and (``services=True``) two ECS Fargate services in the
platform's cluster: a web service behind a target group and a rule on the platform's
listener, and a worker. ``LegacyFleet`` records what exists, for "every seeded resource is
imported" and "nothing is created under a name that existed".
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from emulated_platform import EmulatedPlatform
from emulator import Emulator

TEAM_TAGGED = "checkout"
#: Base names of the first functions (more are numbered); the suffix is the environment's.
WORDS = ("billing-sync", "invoice-mailer", "order-export", "stock-import", "price-feed",
         "refund-worker", "report-builder", "cart-cleanup", "coupon-expiry", "audit-shipper",
         "search-indexer", "image-resizer", "webhook-relay", "ledger-close", "tax-rates",
         "email-bounce", "fraud-score", "loyalty-points", "shipping-labels", "catalog-sync")
SUFFIX = "prod"
TRUST = {"lambda": "lambda.amazonaws.com", "ecs": "ecs-tasks.amazonaws.com"}


@dataclass
class LegacyFleet:
    """What the seed created (physical names, ARNs, URLs)."""

    account: str
    region: str
    functions: list[str] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # role name -> ARN (functions and tasks)
    log_groups: list[str] = field(default_factory=list)
    queues: dict[str, int] = field(default_factory=dict)  # queue URL -> messages left in it
    dead_letter_queues: list[str] = field(default_factory=list)  # URLs
    event_source_mappings: dict[str, str] = field(default_factory=dict)  # function -> UUID
    schedules: dict[str, str] = field(default_factory=dict)  # rule -> function
    function_urls: dict[str, str] = field(default_factory=dict)  # function -> URL
    no_team_tag: list[str] = field(default_factory=list)  # functions without a team tag
    services: list[str] = field(default_factory=list)  # cluster/service
    task_definitions: list[str] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    listener_rules: list[str] = field(default_factory=list)
    #: Application Auto Scaling targets of the ECS services, by their import id.
    scalable_targets: list[str] = field(default_factory=list)
    managed_policy: str = ""

    def names(self) -> set[str]:
        """Every physical name the seed gave (what golden_path must not create again)."""
        return ({*self.functions, *self.roles, *self.log_groups, *self.schedules}
                | {u.rsplit("/", 1)[-1] for u in [*self.queues, *self.dead_letter_queues]}
                | {s.split("/")[1] for s in self.services}
                | {a.split(":targetgroup/")[1].split("/")[0] for a in self.target_groups})


def function_names(count: int, suffix: str = SUFFIX) -> list[str]:
    return [f"{WORDS[i]}-{suffix}" if i < len(WORDS) else f"{WORDS[i % len(WORDS)]}-{i}-{suffix}"
            for i in range(count)]


def _trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": TRUST[service]}}]})


def seed_legacy_fleet(emu: Emulator, platform: EmulatedPlatform, functions: int = 20,
                      services: bool = True, messages: int = 5, suffix: str = SUFFIX) -> LegacyFleet:
    """``suffix``: what the company puts after a name in this environment (``prod``)."""
    account, region = platform.account, platform.region
    fleet = LegacyFleet(account, region)
    iam = emu.client("iam", account, region)
    fleet.managed_policy = iam.create_policy(
        PolicyName="legacy-lambda-logging", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:aws:logs:{region}:{account}:*"}]}))["Policy"]["Arn"]
    names = function_names(functions, suffix)
    with ThreadPoolExecutor(8) as pool:
        for part in pool.map(lambda i: _function(emu, platform, fleet, i, names[i], messages,
                                                 suffix),
                             range(functions)):
            for key, value in part.items():
                target = getattr(fleet, key)
                target.update(value) if isinstance(target, dict) else target.extend(value)
    fleet.functions = names
    if services:
        _services(emu, platform, fleet)
    return fleet


def _function(emu: Emulator, p: EmulatedPlatform, fleet: LegacyFleet, i: int, name: str,
              messages: int, suffix: str) -> dict:
    account, region = p.account, p.region
    iam, lam = emu.client("iam", account, region), emu.client("lambda", account, region)
    logs = emu.client("logs", account, region)
    path = "/service-role/" if i % 3 == 0 else "/"
    role = iam.create_role(RoleName=f"{name}-role", Path=path,
                           AssumeRolePolicyDocument=_trust("lambda"))["Role"]["Arn"]
    if path != "/":
        iam.attach_role_policy(RoleName=f"{name}-role", PolicyArn=fleet.managed_policy)
    node = i % 2 == 0
    artifact = p.artifacts["node" if node else "python"]
    base = name.removesuffix(f"-{suffix}")
    tags = {"service": base} if i % 4 == 1 else {}
    if i % 7 != 3:
        tags["team"] = TEAM_TAGGED
    variables = {"LOG_LEVEL": "info", "APP_ENV": "production"}
    if i % 5 == 2:
        variables["DATABASE_SECRET_ARN"] = p.database_secret_arn
    lam.create_function(
        FunctionName=name, Role=role, Runtime="nodejs22.x" if node else "python3.13",
        Handler="dist/handler.handle" if node else "app.handler.handle",
        Code={"S3Bucket": artifact.bucket, "S3Key": artifact.key,
              "S3ObjectVersion": artifact.version},
        MemorySize=(128, 256, 512)[i % 3], Timeout=(10, 15, 30)[i % 3],
        Architectures=["arm64" if i % 2 else "x86_64"], Tags=tags,
        Environment={"Variables": variables})
    group = f"/aws/lambda/{name}"
    logs.create_log_group(logGroupName=group)
    logs.put_retention_policy(logGroupName=group, retentionInDays=14)
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    part: dict = {"roles": {f"{name}-role": role}, "log_groups": [group]}
    if "team" not in tags:
        part["no_team_tag"] = [name]
    if i % 10 in (1, 4, 7) and i < 20:  # about 6 of 20 on their own queue
        part.update(_queue(emu, p, name, base, arn, messages, suffix))
    elif i % 10 in (2, 5) or i in (8,):  # about 5 of 20 on a schedule
        rule = f"{base}-schedule"
        events = emu.client("events", account, region)
        rule_arn = events.put_rule(Name=rule, ScheduleExpression=(
            "cron(0 3 * * ? *)" if i % 2 else "rate(15 minutes)"),
            Description=f"legacy schedule of {name}")["RuleArn"]
        events.put_targets(Rule=rule, Targets=[{"Id": "lambda", "Arn": arn}])
        lam.add_permission(FunctionName=name, StatementId="events", Action="lambda:InvokeFunction",
                           Principal="events.amazonaws.com", SourceArn=rule_arn)
        part["schedules"] = {rule: name}
    elif i == 0:  # the one behind a public function URL
        url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
        lam.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl",
                           Principal="*", FunctionUrlAuthType="NONE")
        part["function_urls"] = {name: url}
    return part


def _queue(emu: Emulator, p: EmulatedPlatform, name: str, base: str, arn: str,
           messages: int, suffix: str) -> dict:
    sqs = emu.client("sqs", p.account, p.region)
    dlq = sqs.create_queue(QueueName=f"{base}-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue = sqs.create_queue(QueueName=f"{base}-queue-{suffix}", Attributes={
        "VisibilityTimeout": "120",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "4"})})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue,
                                         AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for n in range(messages):  # before the mapping: the emulator delivers only on send
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"legacy": name, "n": n}))
    uuid = emu.client("lambda", p.account, p.region).create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=name, BatchSize=5,
        MaximumBatchingWindowInSeconds=2)["UUID"]
    return {"queues": {queue: messages}, "dead_letter_queues": [dlq],
            "event_source_mappings": {name: uuid}}


def _services(emu: Emulator, p: EmulatedPlatform, fleet: LegacyFleet) -> None:
    account, region = p.account, p.region
    iam, ecs = emu.client("iam", account, region), emu.client("ecs", account, region)
    elb = emu.client("elbv2", account, region)
    scaling = emu.client("application-autoscaling", account, region)
    image = f"{account}.dkr.ecr.{region}.amazonaws.com/shop:2024.10.1"
    for base, web in (("shop-web", True), ("mail-worker", False)):
        roles = {}
        for kind in ("task", "execution"):
            role = f"{base}-{kind}-{SUFFIX}"
            roles[kind] = iam.create_role(RoleName=role,
                                          AssumeRolePolicyDocument=_trust("ecs"))["Role"]["Arn"]
            fleet.roles[role] = roles[kind]
        container = {"name": "app", "image": image, "essential": True,
                     "environment": [{"name": "LOG_LEVEL", "value": "info"}],
                     "secrets": [{"name": "DATABASE_URL", "valueFrom": p.database_secret_arn}]}
        if web:
            container["portMappings"] = [{"containerPort": 8080, "protocol": "tcp"}]
        else:
            container["command"] = ["python", "-m", "mailer"]
        td = ecs.register_task_definition(
            family=f"legacy-{base}", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
            cpu="256", memory="512", taskRoleArn=roles["task"], executionRoleArn=roles["execution"],
            runtimePlatform={"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
            containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"]
        fleet.task_definitions.append(td)
        service = f"{base}-{SUFFIX}"
        extra: dict = {}
        if web:
            tg = elb.create_target_group(Name=service, Protocol="HTTP", Port=8080,
                                         VpcId=p.vpc_id, TargetType="ip",
                                         HealthCheckPath="/healthz")["TargetGroups"][0]["TargetGroupArn"]
            rule = elb.create_rule(ListenerArn=p.listener_arn, Priority=310, Conditions=[
                {"Field": "host-header", "HostHeaderConfig": {"Values": ["shop.legacy.example.com"]}}],
                Actions=[{"Type": "forward", "TargetGroupArn": tg}])["Rules"][0]["RuleArn"]
            fleet.target_groups.append(tg)
            fleet.listener_rules.append(rule)
            extra["loadBalancers"] = [{"targetGroupArn": tg, "containerName": "app",
                                       "containerPort": 8080}]
        ecs.create_service(
            cluster=p.cluster_name, serviceName=service, taskDefinition=td,
            desiredCount=2 if web else 1, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": list(p.subnet_ids), "securityGroups": [p.database_security_group_id],
                "assignPublicIp": "DISABLED"}},
            tags=[{"key": "team", "value": TEAM_TAGGED}, {"key": "service", "value": base}], **extra)
        scaling.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=f"service/{p.cluster_name}/{service}",
            ScalableDimension="ecs:service:DesiredCount", MinCapacity=2 if web else 1,
            MaxCapacity=4 if web else 2)
        fleet.services.append(f"{p.cluster_name}/{service}")
        fleet.scalable_targets.append(
            f"ecs/service/{p.cluster_name}/{service}/ecs:service:DesiredCount")
