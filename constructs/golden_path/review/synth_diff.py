"""Compare two synth outputs (cdktf.out) resource by resource, attribute by attribute.

JSON documents held in strings (container definitions, IAM policies, dashboards,
redrive policies) are parsed before comparing, so a reviewer sees the field that
changed, not two long strings; config texts (SSM parameters, S3 objects) are
compared line by line.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .identity import Identity, identify

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
    #: Who the stack is (environment, service, team, account, region), for grouping.
    identity: Identity | None = None

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def load_docs(outdir: str | Path) -> dict[str, dict]:
    """{stack: its parsed cdk.tf.json} of a cdktf.out directory (missing: {}); each
    document is read and parsed once, whatever reads it afterwards."""
    root = os.path.join(outdir, "stacks")
    if not os.path.isdir(root):
        return {}
    docs = {}
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name, "cdk.tf.json")
        if os.path.isfile(path):
            with open(path, "rb") as f:
                docs[name] = json.loads(f.read())
    return docs


def resources_of(doc: dict) -> dict[str, dict]:
    """{"type.name": attributes} of a stack's document, without cdktf's ``//`` metadata."""
    resources = {}
    for rtype, items in (doc.get("resource") or {}).items():
        for name, attrs in items.items():
            resources[f"{rtype}.{name}"] = ({k: v for k, v in attrs.items() if k != "//"}
                                            if "//" in attrs else attrs)
    return resources


def load_synth(outdir: str | Path) -> dict[str, dict[str, dict]]:
    """{stack: {"type.name": attributes}} from a cdktf.out directory (missing: {})."""
    return {name: resources_of(doc) for name, doc in load_docs(outdir).items()}


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
            changes.append(AttrChange(key, None, text_diff(unescape(b), unescape(a))))
        elif key in JSON_STRING_ATTRS:
            changes += _walk(key, parse_json_string(b), parse_json_string(a))
        else:
            changes += _walk(key, b, a)
    return changes


def text_diff(before: str, after: str, context: int = 1) -> str:
    """The changed lines of two texts as unified-diff hunks (no file header). The lines
    both share at the start and the end are skipped before difflib compares the rest
    (a one-line change in a 200-line config costs no more than the line)."""
    b, a = before.splitlines(), after.splitlines()
    start = 0
    while start < min(len(b), len(a)) and b[start] == a[start]:
        start += 1
    start = max(0, start - context)
    end = 0
    while end < min(len(b), len(a)) - start and b[-1 - end] == a[-1 - end]:
        end += 1
    end = max(0, end - context)
    hunks = list(difflib.unified_diff(b[start:len(b) - end], a[start:len(a) - end],
                                      lineterm="", n=context))[2:]
    shift = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")
    return "\n".join(shift.sub(lambda m: f"@@ -{int(m[1]) + start}{m[2] or ''} "
                                         f"+{int(m[3]) + start}{m[4] or ''} @@", line)
                     if line.startswith("@@") else line for line in hunks)


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


def diff_synth(base: dict[str, dict[str, dict]], head: dict[str, dict[str, dict]],
               providers: dict[str, dict] | None = None) -> list[StackDiff]:
    """Every stack of either side, compared resource by resource; ``providers`` (each
    stack's AWS provider block, :func:`identity.provider_of`) completes each stack's
    identity with its account and region."""
    diffs = []
    providers = providers or {}
    for name in sorted(set(base) | set(head)):
        b, h = base.get(name, {}), head.get(name, {})
        d = StackDiff(name, base=b, head=h)
        d.identity = identify(name, h or b, providers.get(name))
        d.added = sorted(set(h) - set(b))
        d.removed = sorted(set(b) - set(h))
        for address in sorted(set(b) & set(h)):
            if b[address] == h[address]:
                continue
            rtype = address.split(".", 1)[0]
            changes = attr_changes(rtype, b[address], h[address])
            if changes:
                d.changed.append(ResourceChange(address, rtype, changes))
        diffs.append(d)
    return diffs
