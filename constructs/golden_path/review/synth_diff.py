"""Compare two synth outputs (cdktf.out) resource by resource, attribute by attribute.

JSON documents held in strings (container definitions, IAM policies, dashboards,
redrive policies) are parsed before comparing, so a reviewer sees the field that
changed, not two long strings; config texts (SSM parameters, S3 objects) are
compared line by line.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JSON_STRING_ATTRS = {"container_definitions", "policy", "assume_role_policy", "dashboard_body",
                     "redrive_policy", "policy_document"}
TEXT_ATTRS = {("aws_ssm_parameter", "value"), ("aws_s3_object", "content")}
#: Resources whose deletion loses data or configuration.
STATEFUL = {"aws_cloudwatch_log_group", "aws_sqs_queue", "aws_ssm_parameter", "aws_s3_object",
            "aws_sns_topic"}


@dataclass
class AttrChange:
    path: str
    before: Any
    after: Any


@dataclass
class ResourceChange:
    address: str
    type: str
    changes: list[AttrChange]


@dataclass
class StackDiff:
    name: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[ResourceChange] = field(default_factory=list)
    base: dict[str, dict] = field(default_factory=dict)
    head: dict[str, dict] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def load_synth(outdir: str | Path) -> dict[str, dict[str, dict]]:
    """{stack: {"type.name": attributes}} from a cdktf.out directory (missing: {})."""
    stacks: dict[str, dict[str, dict]] = {}
    root = Path(outdir) / "stacks"
    if not root.is_dir():
        return stacks
    for stack_dir in sorted(root.iterdir()):
        doc = json.loads((stack_dir / "cdk.tf.json").read_text())
        resources = {}
        for rtype, items in (doc.get("resource") or {}).items():
            for name, attrs in items.items():
                resources[f"{rtype}.{name}"] = {k: v for k, v in attrs.items() if k != "//"}
        stacks[stack_dir.name] = resources
    return stacks


def unescape(text: str) -> str:
    """Terraform-escaped text as AWS receives it ($${ -> ${, %%{ -> %{)."""
    return text.replace("$${", "${").replace("%%{", "%{")


def parse_json_string(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(unescape(value))
        except ValueError:
            return value
    return value


def attr_changes(rtype: str, before: dict, after: dict) -> list[AttrChange]:
    changes: list[AttrChange] = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b == a:
            continue
        if (rtype, key) in TEXT_ATTRS and isinstance(b, str) and isinstance(a, str):
            lines = list(difflib.unified_diff(unescape(b).splitlines(), unescape(a).splitlines(),
                                              lineterm="", n=1))[2:]
            changes.append(AttrChange(key, None, "\n".join(lines)))
        elif key in JSON_STRING_ATTRS:
            changes += _walk(key, parse_json_string(b), parse_json_string(a))
        else:
            changes += _walk(key, b, a)
    return changes


def _walk(path: str, b: Any, a: Any) -> list[AttrChange]:
    if b == a:
        return []
    if isinstance(b, dict) and isinstance(a, dict):
        return [c for k in sorted(set(b) | set(a), key=str)
                for c in _walk(f"{path}.{k}", b.get(k), a.get(k))]
    if isinstance(b, list) and isinstance(a, list):
        # Container definitions and env vars by name, IAM statements by Sid: not by position.
        for key in ("name", "Sid"):
            if b + a and all(isinstance(x, dict) and key in x for x in b + a):
                bm, am = {x[key]: x for x in b}, {x[key]: x for x in a}
                return [c for k in sorted(set(bm) | set(am))
                        for c in _walk(f"{path}[{k}]", bm.get(k), am.get(k))]
        if len(b) == len(a):
            return [c for i, (x, y) in enumerate(zip(b, a, strict=True))
                    for c in _walk(f"{path}[{i}]", x, y)]
    return [AttrChange(path, b, a)]


def diff_synth(base: dict[str, dict[str, dict]], head: dict[str, dict[str, dict]]) -> list[StackDiff]:
    diffs = []
    for name in sorted(set(base) | set(head)):
        b, h = base.get(name, {}), head.get(name, {})
        d = StackDiff(name, base=b, head=h)
        d.added = sorted(set(h) - set(b))
        d.removed = sorted(set(b) - set(h))
        for address in sorted(set(b) & set(h)):
            rtype = address.split(".", 1)[0]
            changes = attr_changes(rtype, b[address], h[address])
            if changes:
                d.changed.append(ResourceChange(address, rtype, changes))
        diffs.append(d)
    return diffs
