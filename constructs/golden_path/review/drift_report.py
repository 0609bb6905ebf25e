"""Drift, grouped and reported: the stacks ``drift.py`` read from plan JSON, with the same
difference across stacks shown once (each stack's own name, environment, account and
region taken out), as JSON or as a Markdown comment within GitHub's size limit."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .group import _names, counts, where
from .identity import Identity, environment_order
from .markdown import cell, take
from .report import COMMENT_LIMIT

if TYPE_CHECKING:
    from .drift import StackDrift


@dataclass
class DriftGroup:
    type: str
    address: str
    attribute: str
    aws: Any
    main: Any
    action: str = "update"
    stacks: list[str] = field(default_factory=list)


def group_drift(stacks: list[StackDrift]) -> list[DriftGroup]:
    groups: dict[tuple, DriftGroup] = {}
    for s in stacks:
        ident = s.identity or Identity(s.stack)
        for r in s.resources:
            address, aws, main = ident.normalize(r.address), ident.normalize(r.aws), \
                ident.normalize(r.main)
            key = (r.type, address, r.attribute, r.action,
                   json.dumps(aws, sort_keys=True, default=str),
                   json.dumps(main, sort_keys=True, default=str))
            group = groups.get(key)
            if group is None:
                group = groups[key] = DriftGroup(r.type, address, r.attribute, aws, main, r.action)
            if s.stack not in group.stacks:
                group.stacks.append(s.stack)
    return sorted(groups.values(), key=lambda g: (-len(g.stacks), g.address, g.attribute))


def _split(stacks: list[StackDrift]) -> tuple[list[StackDrift], list[str]]:
    """(the planned stacks that drifted, the names of the stacks without a plan)."""
    return ([s for s in stacks if s.planned and s.resources],
            [s.stack for s in stacks if not s.planned])


def report(stacks: list[StackDrift]) -> dict:
    """The JSON form: ``{"stacks": [{"stack", "resources": [{"address", "type",
    "attribute", "aws", "main"}]}], "groups": [...], "drifted_stacks": int}`` (only
    the stacks that drifted are listed); with a stack list (``read_plans``), also
    ``"expected_stacks": int`` and ``"not_planned": [stack, ...]``."""
    drifted, not_planned = _split(stacks)
    identities = {s.stack: s.identity or Identity(s.stack) for s in stacks}
    rank = {e: i for i, e in enumerate(environment_order(i.environment for i in identities.values()))}
    expected = getattr(stacks, "expected", None)
    extra = {} if expected is None else {"expected_stacks": len(expected),
                                         "not_planned": not_planned}
    return {
        "stacks": [{"stack": s.stack, "resources": [
            {"address": r.address, "type": r.type, "attribute": r.attribute, "aws": r.aws,
             "main": r.main} for r in s.resources]} for s in drifted],
        "groups": [{"type": g.type, "address": g.address, "attribute": g.attribute, "aws": g.aws,
                    "main": g.main, "stacks": g.stacks, "where": where(g.stacks, identities, rank)}
                   for g in group_drift(drifted)],
        "drifted_stacks": len(drifted),
        **extra,
    }


def to_json(stacks: list[StackDrift]) -> str:
    return json.dumps(report(stacks), indent=2, default=str) + "\n"


def to_markdown(stacks: list[StackDrift], limit: int = COMMENT_LIMIT) -> str:
    data = report(stacks)
    drifted, not_planned = _split(stacks)
    planned = len(stacks) - len(not_planned)
    identities = {s.stack: s.identity or Identity(s.stack) for s in stacks}
    hint = "see the JSON report: `golden-path drift … --format json`"
    out = ["## golden_path drift", ""]
    if not_planned:
        names = take([f"`{n}`" for n in not_planned], limit // 4,
                     lambda n: f"… and {n} more ({hint})", sep=", ")
        out += [f"**{len(not_planned)} of {len(stacks)} stack(s) have no plan**: their plan "
                "failed or never ran (the plan jobs' logs say why), so whether AWS matches main "
                "there is unknown: " + ", ".join(names) + ".", ""]
    if not drifted:
        if not_planned:
            return "\n".join(out + [f"No drift in the {planned} stack(s) planned."]) + "\n"
        return "\n".join(out + [f"No drift: the real resources of all {len(stacks)} stack(s) "
                                "match main."]) + "\n"
    resources = sum(len({r.address for r in s.resources}) for s in drifted)
    envs = environment_order(i.environment for i in identities.values())
    by_env = counts([s.stack for s in drifted], identities, "environment", envs)
    out += [f"**{len(drifted)} of {planned} stack(s) differ from main** ({resources} "
            f"resource(s), {len(data['groups'])} distinct difference(s)); by environment: "
            + ", ".join(f"{k} {v}" for k, v in by_env.items()) + ".", ""]
    if any(s.streamed for s in drifted):
        out += ["Stacks read from `terraform plan -json` logs name the drifted resources only "
                "(Terraform streams no values); `terraform show -json` of the saved plan has them.",
                ""]
    lines = []
    for g, d in zip(group_drift(drifted), data["groups"], strict=True):
        if g.action == "delete":
            what = "deleted in AWS"
        elif not g.attribute:
            what = f"drifted ({g.action}; the streamed log has no values)"
        else:
            what = f"`{g.attribute}`: AWS {cell(g.aws)}, main {cell(g.main)}"
        who = f"`{g.stacks[0]}`" if len(g.stacks) == 1 else f"{d['where']} ({len(g.stacks)} stacks)"
        lines.append(f"- `{g.address}` {what} — {who}")
    room = limit - 600 - len("\n".join(out))
    out += take(lines, room // 2, lambda n: f"- … and {n} more ({hint})")
    per_stack = [f"- `{s.stack}`: " + _names(sorted({f"`{r.address}`" for r in s.resources}), 5)
                 for s in drifted]
    out += ["", "<details><summary>by stack</summary>", ""]
    out += take(per_stack, limit - 600 - len("\n".join(out)),
                lambda n: f"- … and {n} more ({hint})")
    out += ["", "</details>"]
    return "\n".join(out) + "\n"

