"""An ECS service (Fargate) -> a fleet-form service (pure; see translate.py)."""

from __future__ import annotations

import re

from .inventory import Container, EcsService
from .names import split_variables
from .translate import Found, Skip, Target, common_fields, name_of

#: Containers that are not the app: log routers, collectors, agents, proxies.
SIDECAR = re.compile(r"otel|collector|fluent|firelens|log[-_]?router|datadog|xray|x-ray|envoy|"
                     r"cloudwatch-agent|newrelic|splunk", re.I)


def app_container(svc: EcsService) -> Container:
    """The essential container with a port mapping (the load balancer's, for a web service),
    or the only one that is not a sidecar."""
    if svc.lb_container:
        for c in svc.containers:
            if c.name == svc.lb_container:
                return c
    apps = [c for c in svc.containers if not SIDECAR.search(f"{c.name} {c.image}")]
    with_port = [c for c in apps if c.essential and c.port is not None]
    if len(with_port) == 1:
        return with_port[0]
    if len(apps) == 1:
        return apps[0]
    raise Skip(f"task definition {svc.family} has {len(apps)} containers that are not sidecars "
               f"({', '.join(c.name for c in apps) or 'none'}): golden_path runs one app "
               "container; cannot tell which")


def _ssm_arn(value: str, t: Target) -> str:
    """A secret's valueFrom as an ARN (ECS also takes an SSM parameter's bare name)."""
    if value.startswith("arn:"):
        return value
    return f"arn:aws:ssm:{t.region}:{t.account}:parameter/{value.lstrip('/')}"


def translate_service(svc: EcsService, t: Target, shared_roles: set[str]) -> Found:
    fargate = svc.launch_type == "FARGATE" or any(
        p.startswith("FARGATE") for p in svc.capacity_providers)
    if not fargate:
        raise Skip(f"launch type {svc.launch_type or 'capacity provider ' + ','.join(svc.capacity_providers)}"
                   ": golden_path runs services on Fargate only")
    if svc.network_mode != "awsvpc":
        raise Skip(f"network mode {svc.network_mode}: Fargate services use awsvpc")
    if len(svc.target_groups) > 1:
        raise Skip(f"{len(svc.target_groups)} target groups: golden_path attaches a service to one")
    if t.ecs_architectures is not None and svc.architecture not in t.ecs_architectures:
        raise Skip(f"architecture {svc.architecture} is not allowed by platform.yaml's rules")
    app = app_container(svc)
    notes: list[str] = []
    name = name_of(svc.name, svc.tags, t)
    head, team_missing, runbook = common_fields(name, svc.tags, t)
    web = bool(svc.target_groups)
    data: dict = {**head, "kind": "web" if web else "worker", "image": app.image,
                  "cpu": svc.cpu, "memory": svc.memory, "architecture": svc.architecture,
                  "language": svc.tags.get("language") if svc.tags.get("language") in
                  ("python", "node", "java", "go") else "other"}
    port = svc.lb_port if web else app.port
    if port is not None:
        data["port"] = port
    if web and svc.health_check_path:
        data["health_check_path"] = svc.health_check_path
    if app.command:
        data["command"] = list(app.command)
    env = split_variables(app.variables, "ecs")
    notes += env.notes
    secrets = {k: _ssm_arn(v, t) for k, v in app.secrets.items()}
    secrets.update(env.secrets)
    if env.variables:
        data["variables"] = env.variables
    if secrets:
        data["secrets"] = dict(sorted(secrets.items()))
    data["user"] = app.user
    if not app.read_only:
        data["read_only_root_filesystem"] = False
    others = [c.name for c in svc.containers if c is not app]
    if others:
        notes.append(f"containers {', '.join(others)} of {svc.family} are not carried over: "
                     "golden_path adds its own log router and collector")
    adopt: dict = {"service": svc.name}
    if svc.cluster != t.cluster:
        adopt["cluster"] = svc.cluster
    if web:
        data["load_balancer"] = _load_balancer(svc, t, adopt)
    scaling: dict = {}
    if svc.scaling_min is not None:
        scaling.update(min=svc.scaling_min, max=max(svc.scaling_max or 1, svc.scaling_min, 1))
        adopt["scalable_target"] = True
    else:
        desired = max(svc.desired, 1)
        scaling.update(min=desired, max=desired)
        notes.append(f"no scalable target: scaling min and max set to the desired count "
                     f"({desired})")
    data["scaling"] = scaling
    for policy in svc.scaling_policies:
        notes.append(f"scaling policy {policy} is left alone (golden_path adds its own CPU "
                     "target tracking; remove one of them)")
    if svc.security_group_ids:
        data["network"] = {"security_group_ids": list(svc.security_group_ids)}
        notes.append("the service's security groups are kept as extra ones; golden_path adds "
                     "its own task security group")
    if svc.subnet_ids and set(svc.subnet_ids) != set(t.subnet_ids):
        notes.append(f"the service runs in subnets {', '.join(svc.subnet_ids)}; golden_path moves "
                     "it to platform.yaml's subnet_ids")
    data["alerts"] = {"runbook": runbook}
    for part, role in (("task_role", svc.task_role), ("execution_role", svc.execution_role)):
        if not role:
            continue
        if role in shared_roles:
            notes.append(f"{part.replace('_', ' ')} {role} is shared with other services or "
                         "functions: not adopted; golden_path gives the service its own")
        else:
            adopt[part] = role
    for policy in svc.role_policies:
        notes.append(f"managed policy {policy} stays attached to an adopted role (left alone)")
    data["adopt"] = adopt
    return Found(name, data["kind"], f"{svc.cluster}/{svc.name}", data, team_missing, notes)


def _load_balancer(svc: EcsService, t: Target, adopt: dict) -> dict:
    tg = svc.target_groups[0]
    rules = [r for r in svc.rules if r.listener_arn in t.listeners]
    if not rules:
        where = ", ".join(sorted({r.listener_arn for r in svc.rules})) or "no listener"
        raise Skip(f"target group {tg} is reached through {where}, not a listener platform.yaml "
                   f"names for {t.environment}: golden_path attaches web services to those")
    if len(rules) > 1:
        raise Skip(f"{len(rules)} listener rules forward to target group {tg}: golden_path "
                   "manages one")
    rule = rules[0]
    if rule.other_conditions:
        raise Skip(f"listener rule {rule.arn} also matches on {', '.join(rule.other_conditions)}: "
                   "golden_path's rules match on hosts and paths only")
    if not (rule.hosts or rule.paths):
        raise Skip(f"listener rule {rule.arn} has no host or path condition")
    lb: dict = {"listener": t.listeners[rule.listener_arn], "priority": rule.priority}
    if rule.hosts:
        lb["hosts"] = list(rule.hosts)
    if rule.paths:
        lb["paths"] = list(rule.paths)
    adopt["target_group"] = tg
    adopt["listener_rule"] = rule.arn
    return lb
