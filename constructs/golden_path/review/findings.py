"""What a reviewer must not miss, found in a synth diff. Each finding names its rule,
which ``--fail-on`` can turn into a failed check."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .synth_diff import STATEFUL, StackDiff, parse_json_string

#: Rules ``--fail-on`` accepts, with what they mean.
RULES = {
    "wildcard-iam": "an IAM action with '*' appears",
    "iam-widened": "a role may do more: new actions, resources or principals",
    "public-ingress": "a security group opens to 0.0.0.0/0 or ::/0",
    "new-listener-rule": "a new load-balancer listener rule routes traffic",
    "paging-alarm-removed": "an alarm that paged is removed or no longer pages",
    "alarm-changed": "an alarm's threshold, severity or routing changes",
    "alarm-added": "a new alarm, named with whom it pages or notifies",
    "alarm-removed": "an alarm that did not page is removed",
    "sampling-changed": "the share of traces kept changes",
    "log-filters-changed": "the log floor or noise filters change",
    "masking-removed": "a masking rule or masked key is removed",
    "data-protection-removed": "a log group's CloudWatch data protection policy is removed, "
                               "or masks less (identifiers, keys, audit destinations)",
    "image-changed": "a container image or function artifact changes",
    "recursion-guard-changed": "a function's recursion guard is no longer Terminate, or is removed",
    "boundary-changed": "a role's permissions boundary changes or is removed",
    "destroy": "resources are destroyed",
    "stateful-destroy": "log groups, queues, topics or configs are destroyed",
}
RULES.update({
    "slo-lowered": "a service level objective is lowered",
    "slo-removed": "a service level objective is removed (its burn-rate alerts with it)",
    "slo-alert-off-paging": "an SLO burn-rate alert that paged is removed or no longer pages",
})
#: Every rule ``--fail-on`` accepts: RULES plus the one the checkov scan fires.
ALL_RULES = {**RULES, "checkov-new-failures": "checkov fails a check in head that base did not fail",
             "checkov-skip-added": "a resource skips a checkov check (with its reason) that "
                                   "base did not skip"}
#: A finding's ``before -> after`` text longer than this drops the part both sides share.
WIDTH = 100
_SEPARATORS = ("/", ":@=", " ,;.-_")


@dataclass(frozen=True)
class Finding:
    rule: str
    stack: str
    resource: str
    detail: str


def before_after(label: str, before, after, width: int = WIDTH) -> str:
    """``label + before -> after``; when longer than ``width``, the part both sides share is
    shortened to ``…`` (first the shared start, then the shared end), cut at a separator so
    the changed part and the segment it sits in always show in full."""
    b, a = str(before), str(after)
    if len(label) + len(b) + len(a) + 4 <= width or b == a:
        return f"{label}{b} -> {a}"
    p = 0
    while p < min(len(b), len(a)) and b[p] == a[p]:
        p += 1
    for seps in _SEPARATORS:
        cut = max(b.rfind(c, 0, p) for c in seps)
        if cut > 1:
            b, a, p = "…" + b[cut:], "…" + a[cut:], p - cut + 1
            break
    if len(label) + len(b) + len(a) + 4 > width:
        s = 0
        while s < min(len(b), len(a)) - p and b[-1 - s] == a[-1 - s]:
            s += 1
        if s and len(b) - s > p and len(a) - s > p:  # both sides keep a changed part
            shared = b[len(b) - s:]
            for seps in _SEPARATORS:
                cut = min((i for i in (shared.find(c, 1) for c in seps) if i > 0), default=-1)
                if 0 < cut < len(shared) - 1:
                    b, a = b[:len(b) - s + cut] + "…", a[:len(a) - s + cut] + "…"
                    break
    return f"{label}{b} -> {a}"


def _short(text: str, width: int = 60) -> str:
    """A removed or added item (a filter condition, a masking statement), shortened."""
    text = text.removeprefix("IsString(body) and ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _listed(items, limit: int = 3) -> str:
    items = sorted(items)
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return "; ".join(_short(i) for i in items[:limit]) + more


def _topic(action) -> str:
    text = str(action)
    token = re.fullmatch(r"\$\{aws_sns_topic\.([^.]+)\.arn\}", text)
    return token.group(1) if token else text.rsplit(":", 1)[-1]


def _routing(attrs: dict, past: bool = False) -> str:
    """``pages A, notifies B`` from an alarm's actions (topics ending ``-page`` page)."""
    topics = [_topic(a) for a in attrs.get("alarm_actions") or []]
    paged = [t for t in topics if t.endswith("-page")]
    notified = [t for t in topics if not t.endswith("-page")]
    page, notify = ("paged", "notified") if past else ("pages", "notifies")
    parts = ([f"{page} {', '.join(paged)}"] if paged else []) + (
        [f"{notify} {', '.join(notified)}"] if notified else [])
    return ", ".join(parts) or ("paged and notified no one" if past else "pages and notifies no one")


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
    return any(_topic(a).endswith("-page") for a in attrs.get("alarm_actions") or [])


_LOG_GROUP_REF = re.compile(r"^\$\{(aws_cloudwatch_log_group\.[^.}]+)\.name\}$")


def _protected_group(d: StackDiff, attrs: dict) -> tuple[str, bool]:
    """(the log group a data protection policy is on, does head still have it?)"""
    ref = str(attrs.get("log_group_name", ""))
    m = _LOG_GROUP_REF.match(ref)
    if m:
        group = d.head.get(m[1]) or d.base.get(m[1]) or {}
        return str(group.get("name") or m[1]), m[1] in d.head
    return ref, any(g.get("name") == ref for a, g in d.head.items()
                    if a.startswith("aws_cloudwatch_log_group."))


def _protection(attrs: dict) -> tuple[set[str], set[str], set[str]]:
    """(identifiers, custom patterns, audit destinations) of a data protection policy."""
    from ..resolve.data_protection import KEY_VALUE

    doc = parse_json_string(attrs.get("policy_document")) or {}
    statements = doc.get("Statement") if isinstance(doc, dict) else None
    if not isinstance(statements, list) or not statements:
        return set(), set(), set()
    custom = (doc.get("Configuration") or {}).get("CustomDataIdentifier") or []
    patterns = {re.sub(r"^\[([A-Z])([a-z])\]", r"\2", alt.removesuffix(KEY_VALUE)).replace("\\.", ".")
                for c in custom for alt in re.split(r"(?<!\\)\|", c.get("Regex", ""))}
    destination = (((statements[0].get("Operation") or {}).get("Audit") or {})
                   .get("FindingsDestination") or {})
    return ({i.rsplit("/", 1)[-1] for s in statements for i in s.get("DataIdentifier") or []},
            patterns, {f"{k} {json.dumps(v, sort_keys=True)}" for k, v in destination.items()})


def _data_protection(d: StackDiff, address: str) -> list[Finding]:
    base, head = d.base.get(address, {}), d.head.get(address, {})
    group, _ = _protected_group(d, head)
    (ib, pb, ab), (ia, pa, aa) = _protection(base), _protection(head)
    parts = ([f"identifiers removed: {_listed(sorted(ib - ia), 6)}"] if ib - ia else []) + (
        [f"patterns removed: {_listed(sorted(pb - pa), 6)}"] if pb - pa else []) + (
        [f"audit destinations removed: {_listed(sorted(ab - aa))}"] if ab - aa else [])
    return [Finding("data-protection-removed", d.name, address,
                    f"log group {group}: " + "; ".join(parts))] if parts else []


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
                                     before_after(f"{name}: ", bi[name], ai[name])))
    if address.startswith("aws_lambda_function."):
        for key in ("s3_key", "s3_object_version", "image_uri"):
            if b.get(key) != a.get(key):
                found.append(Finding("image-changed", d.name, address,
                                     before_after(f"{key}: ", b.get(key), a.get(key))))
    return found


def findings(diffs: list[StackDiff]) -> list[Finding]:
    from .slo_findings import slo_findings  # both build on this module's Finding
    from .telemetry_findings import _telemetry
    found: list[Finding] = []
    for d in diffs:
        found += slo_findings(d)
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
                                         before_after("permissions boundary ", before,
                                                      head.get("permissions_boundary"))))
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
            elif rtype in ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm") \
                    and address in d.added:
                found.append(Finding("alarm-added", d.name, address,
                                     f"{head.get('alarm_name')} added ({_routing(head)})"))
            elif rtype == "aws_cloudwatch_metric_alarm":
                base = d.base[address]
                name = head.get("alarm_name")
                if _pages(base) and not _pages(head):
                    found.append(Finding("paging-alarm-removed", d.name, address,
                                         f"{name} no longer pages ({_routing(head)})"))
                for key in ("threshold", "comparison_operator"):
                    if base.get(key) != head.get(key):
                        found.append(Finding("alarm-changed", d.name, address,
                                             before_after(f"{name}: {key} ", base.get(key),
                                                          head.get(key))))
                if base.get("alarm_actions") != head.get("alarm_actions"):
                    found.append(Finding("alarm-changed", d.name, address,
                                         before_after(f"{name}: ", _routing(base), _routing(head))))
                severity = [(x.get("tags") or {}).get("severity") for x in (base, head)]
                if severity[0] != severity[1]:
                    found.append(Finding("alarm-changed", d.name, address,
                                         before_after(f"{name}: severity ", *severity)))
            elif (rtype, "value") == ("aws_ssm_parameter", "value") and address not in d.added:
                found += _telemetry(d, address, "value")
            elif rtype == "aws_s3_object" and address not in d.added:
                found += _telemetry(d, address, "content")
            elif rtype == "aws_cloudwatch_log_data_protection_policy" and address not in d.added:
                found += _data_protection(d, address)
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
            if rtype == "aws_cloudwatch_log_data_protection_policy":
                group, kept = _protected_group(d, d.base[address])
                if kept:  # a group destroyed with its policy is a stateful-destroy finding
                    identifiers = len(_protection(d.base[address])[0])
                    found.append(Finding("data-protection-removed", d.name, address,
                                         f"log group {group} keeps its logs unmasked: its policy "
                                         f"({identifiers} identifiers) is removed"))
            if rtype == "aws_cloudwatch_metric_alarm":
                alarm = d.base[address]
                found.append(Finding("paging-alarm-removed" if _pages(alarm) else "alarm-removed",
                                     d.name, address, f"{alarm.get('alarm_name')} removed "
                                                      f"({_routing(alarm, past=True)})"))
    return found
