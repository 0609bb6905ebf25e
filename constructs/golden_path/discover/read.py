"""Read a live account with boto3 into an ``Inventory`` (the only module that calls AWS).

Everything is paginated. Account-wide lists are read once (event source mappings, rules
and their targets, HTTP APIs, log groups, scalable targets); per function only
``GetFunction`` (tags, reserved concurrency, image) and ``GetFunctionUrlConfig`` (Lambda
has no list of URLs), run a few at a time; roles and their policies in one paginated list.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .inventory import (
    Container,
    EcsService,
    EventSourceMapping,
    Function,
    Inventory,
    ListenerRule,
    Queue,
    Route,
    Rule,
)

WORKERS = 8


class Reader:
    """boto3 clients of one account and region, counting the calls made."""

    def __init__(self, session, region: str, endpoint_url: str | None = None) -> None:
        from botocore.config import Config

        self.session, self.region, self.endpoint_url = session, region, endpoint_url
        self.config = Config(retries={"max_attempts": 5, "mode": "standard"},
                             max_pool_connections=WORKERS * 2)
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.calls = 0

    def client(self, service: str):
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self.session.client(
                    service, region_name=self.region, endpoint_url=self.endpoint_url,
                    config=self.config)
            return self._clients[service]

    def call(self, service: str, op: str, **kw) -> dict:
        with self._lock:
            self.calls += 1
        return getattr(self.client(service), op)(**kw)

    def pages(self, service: str, op: str, key: str, **kw) -> list:
        items: list = []
        for page in self.client(service).get_paginator(op).paginate(**kw):
            with self._lock:
                self.calls += 1
            items += page.get(key, [])
        return items

    def account(self) -> str:
        return self.call("sts", "get_caller_identity")["Account"]


def read_account(reader: Reader, account: str, lambdas: bool = True,
                 ecs: bool = True) -> Inventory:
    inv = Inventory(account, reader.region)
    if lambdas:
        inv.functions = read_functions(reader)
    if ecs:
        inv.services = read_services(reader)
    inv.calls = reader.calls
    return inv


# ---- Lambda -------------------------------------------------------------------------


def read_functions(r: Reader) -> list[Function]:
    configs = r.pages("lambda", "list_functions", "Functions")
    if not configs:
        return []
    with ThreadPoolExecutor(WORKERS) as pool:
        functions = list(pool.map(lambda c: _function(r, c), configs))
    by_arn = {f.arn: f for f in functions}
    for m in _mappings(r):
        fn = by_arn.get(m[0])
        if fn is not None:
            fn.mappings.append(m[1])
    for arn, rule in _rules(r):
        if arn in by_arn:
            by_arn[arn].rules.append(rule)
    for arn, route in _routes(r):
        if arn in by_arn:
            by_arn[arn].routes.append(route)
    groups = {g["logGroupName"] for g in r.pages("logs", "describe_log_groups", "logGroups",
                                                   logGroupNamePrefix="/aws/lambda/")}
    for fn in functions:
        if fn.log_group and not fn.log_group.startswith("/aws/lambda/"):
            groups |= {g["logGroupName"] for g in r.pages(
                "logs", "describe_log_groups", "logGroups", logGroupNamePrefix=fn.log_group)}
        fn.log_group_exists = fn.log_group in groups
    policies = _role_policies(r, {fn.role for fn in functions})
    for fn in functions:
        fn.role_policies = policies.get(fn.role, [])
    return functions


def _function(r: Reader, c: dict) -> Function:
    got = r.call("lambda", "get_function", FunctionName=c["FunctionName"])
    c = {**c, **got.get("Configuration", {})}
    code = got.get("Code", {})
    vpc = c.get("VpcConfig") or {}
    try:  # at most one unqualified URL (ListFunctionUrlConfigs is GetFunctionUrlConfig's list)
        url_auth = r.call("lambda", "get_function_url_config",
                          FunctionName=c["FunctionName"]).get("AuthType")
    except r.client("lambda").exceptions.ResourceNotFoundException:
        url_auth = None
    return Function(
        name=c["FunctionName"], arn=c["FunctionArn"], runtime=c.get("Runtime"),
        handler=c.get("Handler"), role=c["Role"], package_type=c.get("PackageType", "Zip"),
        code_sha256=c.get("CodeSha256", ""), image_uri=code.get("ImageUri"),
        resolved_image_uri=code.get("ResolvedImageUri"),
        architecture=(c.get("Architectures") or ["x86_64"])[0],
        memory=c.get("MemorySize", 128), timeout=c.get("Timeout", 3),
        ephemeral_storage=(c.get("EphemeralStorage") or {}).get("Size", 512),
        reserved_concurrency=(got.get("Concurrency") or {}).get("ReservedConcurrentExecutions"),
        variables=dict((c.get("Environment") or {}).get("Variables") or {}),
        layers=[layer["Arn"] for layer in c.get("Layers") or []],
        subnet_ids=list(vpc.get("SubnetIds") or []),
        security_group_ids=list(vpc.get("SecurityGroupIds") or []),
        log_group=(c.get("LoggingConfig") or {}).get("LogGroup") or f"/aws/lambda/{c['FunctionName']}",
        tags=dict(got.get("Tags") or {}),
        url_auth=url_auth)


def _mappings(r: Reader) -> list[tuple[str, EventSourceMapping]]:
    out, queues = [], {}
    for m in r.pages("lambda", "list_event_source_mappings", "EventSourceMappings"):
        source = m.get("EventSourceArn", "")
        esm = EventSourceMapping(m["UUID"], source, m.get("BatchSize", 10),
                                 m.get("MaximumBatchingWindowInSeconds", 0), m.get("State", ""))
        if source.startswith("arn:aws:sqs:"):
            if source not in queues:
                queues[source] = _queue(r, source)
            esm.queue = queues[source]
        out.append((m.get("FunctionArn", ""), esm))
    return out


def _queue(r: Reader, arn: str) -> Queue | None:
    _, _, _, region, account, name = arn.split(":", 5)
    if region != r.region:
        return None
    try:
        url = r.call("sqs", "get_queue_url", QueueName=name,
                     QueueOwnerAWSAccountId=account)["QueueUrl"]
        attrs = r.call("sqs", "get_queue_attributes", QueueUrl=url,
                       AttributeNames=["All"])["Attributes"]
    except r.client("sqs").exceptions.QueueDoesNotExist:
        return None
    redrive = json.loads(attrs["RedrivePolicy"]) if attrs.get("RedrivePolicy") else {}
    count = redrive.get("maxReceiveCount")
    return Queue(url, arn, int(attrs.get("VisibilityTimeout", 30)),
                 redrive.get("deadLetterTargetArn"), int(count) if count is not None else None)


def _rules(r: Reader) -> list[tuple[str, Rule]]:
    out = []
    for rule in r.pages("events", "list_rules", "Rules"):
        for target in r.pages("events", "list_targets_by_rule", "Targets", Rule=rule["Name"]):
            if ":lambda:" not in target.get("Arn", ""):
                continue
            out.append((target["Arn"], Rule(
                rule["Name"], target["Id"], rule.get("ScheduleExpression"),
                rule.get("EventPattern"), rule.get("Description", ""),
                rule.get("State", "ENABLED") == "ENABLED",
                any(target.get(k) for k in ("Input", "InputPath", "InputTransformer")))))
    return out


def _routes(r: Reader) -> list[tuple[str, Route]]:
    out = []
    for api in r.pages("apigatewayv2", "get_apis", "Items"):
        if api.get("ProtocolType") != "HTTP":
            continue
        api_id = api["ApiId"]
        integrations = {}
        for i in r.pages("apigatewayv2", "get_integrations", "Items", ApiId=api_id):
            uri = i.get("IntegrationUri", "")
            if i.get("IntegrationType") == "AWS_PROXY" and ":lambda:" in uri:
                fn = uri.split("/functions/", 1)[-1].removesuffix("/invocations")
                integrations[i["IntegrationId"]] = fn
        for route in r.pages("apigatewayv2", "get_routes", "Items", ApiId=api_id):
            target = route.get("Target", "").removeprefix("integrations/")
            if target in integrations:
                out.append((integrations[target], Route(
                    api_id, route["RouteId"], route["RouteKey"], target,
                    route.get("AuthorizationType", "NONE"), route.get("AuthorizerId"))))
    return out


def _role_policies(r: Reader, roles: set[str]) -> dict[str, list[str]]:
    """Managed policies attached to each role: the account's roles in a few paginated
    calls (GetAccountAuthorizationDetails) rather than one call per role."""
    if not roles:
        return {}
    details = r.pages("iam", "get_account_authorization_details", "RoleDetailList",
                      Filter=["Role"])
    return {d["Arn"]: [p["PolicyArn"] for p in d.get("AttachedManagedPolicies") or []]
            for d in details if d["Arn"] in roles}


# ---- ECS ----------------------------------------------------------------------------


def read_services(r: Reader) -> list[EcsService]:
    services: list[EcsService] = []
    for cluster_arn in r.pages("ecs", "list_clusters", "clusterArns"):
        cluster = cluster_arn.rsplit("/", 1)[-1]
        arns = r.pages("ecs", "list_services", "serviceArns", cluster=cluster_arn)
        for i in range(0, len(arns), 10):
            described = r.call("ecs", "describe_services", cluster=cluster_arn,
                               services=arns[i:i + 10], include=["TAGS"])["services"]
            services += [_service(r, cluster, s) for s in described if s.get("status") == "ACTIVE"]
    if not services:
        return services
    _load_balancing(r, services)
    _scaling(r, services)
    policies = _role_policies(r, {a for s in services for a in (s.task_role, s.execution_role) if a})
    for s in services:
        s.role_policies = sorted({p for a in (s.task_role, s.execution_role) if a
                                  for p in policies.get(a, [])})
    return services


def _service(r: Reader, cluster: str, s: dict) -> EcsService:
    td = r.call("ecs", "describe_task_definition", taskDefinition=s["taskDefinition"])["taskDefinition"]
    net = (s.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    lbs = s.get("loadBalancers") or []
    containers = []
    for c in td.get("containerDefinitions", []):
        ports = c.get("portMappings") or []
        containers.append(Container(
            c["name"], c.get("image", ""), c.get("essential", True),
            ports[0].get("containerPort") if ports else None, c.get("command") or None,
            {e["name"]: e.get("value", "") for e in c.get("environment") or []},
            {e["name"]: e["valueFrom"] for e in c.get("secrets") or []},
            c.get("user"), bool(c.get("readonlyRootFilesystem"))))
    platform = td.get("runtimePlatform") or {}
    return EcsService(
        name=s["serviceName"], arn=s["serviceArn"], cluster=cluster,
        launch_type=s.get("launchType"),
        capacity_providers=[p["capacityProvider"] for p in s.get("capacityProviderStrategy") or []],
        task_definition=td["taskDefinitionArn"], family=td.get("family", ""),
        cpu=int(td["cpu"]) if td.get("cpu") else None,
        memory=int(td["memory"]) if td.get("memory") else None,
        architecture="arm64" if platform.get("cpuArchitecture") == "ARM64" else "x86_64",
        network_mode=td.get("networkMode", ""), containers=containers,
        task_role=td.get("taskRoleArn"), execution_role=td.get("executionRoleArn"),
        security_group_ids=list(net.get("securityGroups") or []),
        subnet_ids=list(net.get("subnets") or []),
        target_groups=[lb["targetGroupArn"] for lb in lbs if lb.get("targetGroupArn")],
        lb_container=lbs[0].get("containerName") if lbs else None,
        lb_port=lbs[0].get("containerPort") if lbs else None,
        desired=s.get("desiredCount", 1),
        tags={t["key"]: t["value"] for t in s.get("tags") or []})


def _load_balancing(r: Reader, services: list[EcsService]) -> None:
    tgs = sorted({tg for s in services for tg in s.target_groups})
    if not tgs:
        return
    groups = []
    for i in range(0, len(tgs), 20):
        groups += r.call("elbv2", "describe_target_groups", TargetGroupArns=tgs[i:i + 20])["TargetGroups"]
    health = {g["TargetGroupArn"]: g.get("HealthCheckPath") for g in groups}
    balancers = sorted({lb for g in groups for lb in g.get("LoadBalancerArns", [])})
    rules: dict[str, list[ListenerRule]] = {}
    for lb in balancers:
        for listener in r.pages("elbv2", "describe_listeners", "Listeners", LoadBalancerArn=lb):
            for rule in r.pages("elbv2", "describe_rules", "Rules",
                                ListenerArn=listener["ListenerArn"]):
                if rule.get("IsDefault"):
                    continue
                for tg in _forwards_to(rule):
                    rules.setdefault(tg, []).append(_rule(rule, listener["ListenerArn"]))
    for s in services:
        if s.target_groups:
            s.health_check_path = health.get(s.target_groups[0])
            s.rules = rules.get(s.target_groups[0], [])


def _forwards_to(rule: dict) -> set[str]:
    arns = set()
    for action in rule.get("Actions", []):
        if action.get("TargetGroupArn"):
            arns.add(action["TargetGroupArn"])
        for tg in (action.get("ForwardConfig") or {}).get("TargetGroups", []):
            arns.add(tg["TargetGroupArn"])
    return arns


def _rule(rule: dict, listener: str) -> ListenerRule:
    out = ListenerRule(rule["RuleArn"], listener, int(rule["Priority"]))
    for c in rule.get("Conditions", []):
        field = c.get("Field")
        if field == "host-header":
            out.hosts += (c.get("HostHeaderConfig") or {}).get("Values") or c.get("Values") or []
        elif field == "path-pattern":
            out.paths += (c.get("PathPatternConfig") or {}).get("Values") or c.get("Values") or []
        else:
            out.other_conditions.append(field or "unknown")
    return out


def _scaling(r: Reader, services: list[EcsService]) -> None:
    by_id = {f"service/{s.cluster}/{s.name}": s for s in services}
    for t in r.pages("application-autoscaling", "describe_scalable_targets", "ScalableTargets",
                     ServiceNamespace="ecs"):
        s = by_id.get(t["ResourceId"])
        if s is not None and t.get("ScalableDimension") == "ecs:service:DesiredCount":
            s.scaling_min, s.scaling_max = t["MinCapacity"], t["MaxCapacity"]
    for p in r.pages("application-autoscaling", "describe_scaling_policies", "ScalingPolicies",
                     ServiceNamespace="ecs"):
        s = by_id.get(p["ResourceId"])
        if s is not None:
            s.scaling_policies.append(p["PolicyName"])
