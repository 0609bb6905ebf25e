"""What a reviewer must not miss, found in a synth diff. Each finding names its rule,
which ``--fail-on`` can turn into a failed check."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from .synth_diff import STATEFUL, StackDiff, parse_json_string, unescape

#: Rules ``--fail-on`` accepts, with what they mean.
RULES = {
    "wildcard-iam": "an IAM action with '*' appears",
    "iam-widened": "a role may do more: new actions, resources or principals",
    "public-ingress": "a security group opens to 0.0.0.0/0 or ::/0",
    "new-listener-rule": "a new load-balancer listener rule routes traffic",
    "paging-alarm-removed": "an alarm that paged is removed or no longer pages",
    "alarm-changed": "an alarm's threshold, severity or routing changes",
    "sampling-changed": "the share of traces kept changes",
    "log-filters-changed": "the log floor or noise filters change",
    "masking-removed": "a masking rule or masked key is removed",
    "image-changed": "a container image or function artifact changes",
    "recursion-guard-changed": "a function's recursion guard is no longer Terminate, or is removed",
    "boundary-changed": "a role's permissions boundary changes or is removed",
    "destroy": "resources are destroyed",
    "stateful-destroy": "log groups, queues, topics or configs are destroyed",
}


@dataclass(frozen=True)
class Finding:
    rule: str
    stack: str
    resource: str
    detail: str


def _statements(doc) -> set[tuple[str, str, str]]:
    out = set()
    if not isinstance(doc, dict):
        return out
    for st in doc.get("Statement", []):
        actions = st.get("Action", [])
        resources = st.get("Resource", ["-"])
        principals = st.get("Principal", {})
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                out.add((st.get("Effect", "Allow"), action, resource))
        for kind, values in (principals.items() if isinstance(principals, dict) else []):
            for value in [values] if isinstance(values, str) else values:
                out.add(("Principal", kind, value))
    return out


def _iam(d: StackDiff, address: str, attr: str) -> list[Finding]:
    before = _statements(parse_json_string(d.base.get(address, {}).get(attr)))
    after = _statements(parse_json_string(d.head.get(address, {}).get(attr)))
    found = []
    for effect, action, resource in sorted(after - before):
        if effect == "Principal":
            found.append(Finding("iam-widened", d.name, address, f"new principal {action}: {resource}"))
            continue
        if effect != "Allow":
            continue
        if "*" in action:
            found.append(Finding("wildcard-iam", d.name, address, f"wildcard action {action}"))
        found.append(Finding("iam-widened", d.name, address, f"allows {action} on {resource}"))
    return found


def _pages(attrs: dict) -> bool:
    return any(str(a).endswith("-page") for a in attrs.get("alarm_actions") or [])


def _config(text: str | None) -> dict:
    if not text:
        return {}
    try:
        doc = yaml.safe_load(unescape(text))
    except yaml.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _telemetry(d: StackDiff, address: str, attr: str) -> list[Finding]:
    b_text = d.base.get(address, {}).get(attr)
    a_text = d.head.get(address, {}).get(attr)
    found = []
    if "fluent-bit" in str(d.head.get(address, d.base.get(address, {})).get("name", "")):
        floor = re.compile(r"^# Log floor: .*$|^\s+Exclude\s+.*$", re.M)
        if floor.findall(b_text or "") != floor.findall(a_text or ""):
            found.append(Finding("log-filters-changed", d.name, address,
                                 "Fluent Bit log floor or noise patterns changed"))
        return found
    b, a = _config(b_text), _config(a_text)
    pb = (b.get("processors") or {})
    pa = (a.get("processors") or {})
    sb = (pb.get("probabilistic_sampler") or {}).get("sampling_percentage")
    sa = (pa.get("probabilistic_sampler") or {}).get("sampling_percentage")
    if sb != sa and (sb is not None or sa is not None):
        found.append(Finding("sampling-changed", d.name, address, f"traces kept: {sb} % -> {sa} %"))
    nb = (pb.get("filter/noise") or {}).get("logs", {}).get("log_record", [])
    na = (pa.get("filter/noise") or {}).get("logs", {}).get("log_record", [])
    if nb != na:
        found.append(Finding("log-filters-changed", d.name, address,
                             f"log filters: {len(nb)} -> {len(na)} conditions"))

    def masks(p: dict) -> set[str]:
        out = set()
        for group in ((p.get("transform/mask") or {}).get("log_statements") or []):
            out |= set(group.get("statements", []))
        for action in ((p.get("attributes/mask") or {}).get("actions") or []):
            out.add(f"attributes {action}")
        return out

    removed = masks(pb) - masks(pa)
    if removed and pb:
        found.append(Finding("masking-removed", d.name, address,
                             f"{len(removed)} masking statement(s) removed"))
    return found


def _images(d: StackDiff, address: str) -> list[Finding]:
    b, a = d.base.get(address, {}), d.head.get(address, {})
    found = []
    if address.startswith("aws_ecs_task_definition."):
        bi = {c.get("name"): c.get("image") for c in parse_json_string(
            b.get("container_definitions")) or []}
        ai = {c.get("name"): c.get("image") for c in parse_json_string(
            a.get("container_definitions")) or []}
        for name in sorted(set(bi) & set(ai)):
            if bi[name] != ai[name]:
                found.append(Finding("image-changed", d.name, address,
                                     f"{name}: {bi[name]} -> {ai[name]}"))
    if address.startswith("aws_lambda_function."):
        for key in ("s3_key", "s3_object_version", "image_uri"):
            if b.get(key) != a.get(key):
                found.append(Finding("image-changed", d.name, address,
                                     f"{key}: {b.get(key)} -> {a.get(key)}"))
    return found


def findings(diffs: list[StackDiff]) -> list[Finding]:
    found: list[Finding] = []
    for d in diffs:
        touched = d.added + [c.address for c in d.changed]
        for address in touched:
            rtype = address.split(".", 1)[0]
            head = d.head.get(address, {})
            if rtype == "aws_iam_role_policy":
                found += _iam(d, address, "policy")
            elif rtype == "aws_iam_role":
                found += _iam(d, address, "assume_role_policy")
                before = d.base.get(address, {}).get("permissions_boundary")
                if address not in d.added and before != head.get("permissions_boundary"):
                    found.append(Finding("boundary-changed", d.name, address,
                                         f"permissions boundary {before} -> "
                                         f"{head.get('permissions_boundary')}"))
            elif rtype == "aws_lambda_function_recursion_config":
                loop = head.get("recursive_loop")
                if loop != "Terminate":
                    found.append(Finding("recursion-guard-changed", d.name, address,
                                         f"recursive_loop {d.base.get(address, {}).get('recursive_loop')}"
                                         f" -> {loop}: Lambda no longer stops detected loops"))
            elif rtype in ("aws_vpc_security_group_ingress_rule", "aws_security_group_rule"):
                if head.get("cidr_ipv4") == "0.0.0.0/0" or head.get("cidr_ipv6") == "::/0" or \
                        "0.0.0.0/0" in (head.get("cidr_blocks") or []):
                    found.append(Finding("public-ingress", d.name, address,
                                         f"ingress from anywhere on {head.get('from_port')}"))
            elif rtype == "aws_lb_listener_rule" and address in d.added:
                found.append(Finding("new-listener-rule", d.name, address,
                                     f"priority {head.get('priority')}"))
            elif rtype == "aws_cloudwatch_metric_alarm" and address not in d.added:
                base = d.base[address]
                if _pages(base) and not _pages(head):
                    found.append(Finding("paging-alarm-removed", d.name, address,
                                         f"{head.get('alarm_name')} no longer pages"))
                for key in ("threshold", "alarm_actions", "comparison_operator"):
                    if base.get(key) != head.get(key):
                        found.append(Finding("alarm-changed", d.name, address,
                                             f"{head.get('alarm_name')}: {key} {base.get(key)} "
                                             f"-> {head.get(key)}"))
                if (base.get("tags") or {}).get("severity") != (head.get("tags") or {}).get(
                        "severity"):
                    found.append(Finding("alarm-changed", d.name, address,
                                         f"{head.get('alarm_name')}: severity "
                                         f"{(base.get('tags') or {}).get('severity')} -> "
                                         f"{(head.get('tags') or {}).get('severity')}"))
            elif (rtype, "value") == ("aws_ssm_parameter", "value") and address not in d.added:
                found += _telemetry(d, address, "value")
            elif rtype == "aws_s3_object" and address not in d.added:
                found += _telemetry(d, address, "content")
            found += _images(d, address) if address not in d.added else []
        for address in d.removed:
            rtype = address.split(".", 1)[0]
            found.append(Finding("destroy", d.name, address, "destroyed"))
            if rtype in STATEFUL:
                found.append(Finding("stateful-destroy", d.name, address,
                                     "destroyed with its data or configuration"))
            if rtype == "aws_lambda_function_recursion_config":
                found.append(Finding("recursion-guard-changed", d.name, address,
                                     "recursion guard removed: Lambda falls back to its default"))
            if rtype == "aws_cloudwatch_metric_alarm" and _pages(d.base[address]):
                found.append(Finding("paging-alarm-removed", d.name, address,
                                     f"{d.base[address].get('alarm_name')} removed"))
    return found
