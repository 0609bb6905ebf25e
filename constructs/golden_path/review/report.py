"""The review as GitHub-flavoured Markdown (one PR comment) or JSON (for tools)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from typing import Any

from pydantic import BaseModel

from ..fleet.changed import ChangedStacks
from .findings import ALL_RULES, Finding
from .plan import PlanSummary
from .synth_diff import StackDiff

#: GitHub refuses comments longer than this.
COMMENT_LIMIT = 65_536
#: The order of "What you must not miss": every rule of ``ALL_RULES``.
MUST_NOT_MISS = ["wildcard-iam", "iam-widened", "boundary-changed", "public-ingress",
                 "new-listener-rule", "paging-alarm-removed", "alarm-removed", "alarm-added",
                 "alarm-changed", "sampling-changed", "log-filters-changed", "masking-removed",
                 "image-changed", "recursion-guard-changed", "stateful-destroy", "destroy",
                 "checkov-new-failures"]


class FindingModel(BaseModel):
    rule: str
    stack: str
    resource: str
    detail: str


class StackModel(BaseModel):
    name: str
    added: list[str]
    removed: list[str]
    changed: dict[str, list[dict[str, Any]]]


class PlanModel(BaseModel):
    name: str
    create: int
    update: int
    delete: int
    replace: int
    replacements: list[dict[str, Any]]
    deletions: list[str]


class ReviewModel(BaseModel):
    """The JSON form's schema (``golden-path review --format json``)."""

    stacks: list[StackModel]
    plans: list[PlanModel]
    findings: list[FindingModel]
    checkov_new_failures: list[list[str]] | None
    fired: list[str]
    #: From ``golden-path changed``: the order CI applies the stacks in, and the stacks
    #: removed (destroyed only through the explicit destroy step).
    apply_order: list[str] = []
    removed_stacks: list[str] = []


def build(diffs: list[StackDiff], plans: list[PlanSummary], found: list[Finding],
          checkov_new: set[tuple[str, str, str]] | None, fail_on: list[str],
          changed: ChangedStacks | None = None) -> ReviewModel:
    rules = {f.rule for f in found} | ({"checkov-new-failures"} if checkov_new else set())
    rank = {name: i for i, name in enumerate(changed.apply_order)} if changed else {}
    return ReviewModel(
        stacks=[StackModel(name=d.name, added=d.added, removed=d.removed,
                           changed={c.address: [asdict(a) for a in c.changes]
                                    for c in d.changed})
                for d in sorted(diffs, key=lambda d: (rank.get(d.name, len(rank)), d.name))
                if not d.empty],
        apply_order=changed.apply_order if changed else [],
        removed_stacks=changed.destroy_order if changed else [],
        plans=[PlanModel(**asdict(p)) for p in plans],
        findings=[FindingModel(**asdict(f)) for f in found],
        checkov_new_failures=None if checkov_new is None else [list(x) for x in
                                                               sorted(checkov_new)],
        fired=sorted(r for r in fail_on if r in rules),
    )


def to_json(review: ReviewModel) -> str:
    return review.model_dump_json(indent=2)


def _cell(value: Any, width: int | None = 120) -> str:
    """One line of a value; ``width=None`` never cuts (finding details are short by
    construction and their changed part must show)."""
    text = value if isinstance(value, str) else json.dumps(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def to_markdown(review: ReviewModel, limit: int = COMMENT_LIMIT) -> str:
    out = ["## golden_path review", ""]
    if review.fired:
        out += [f"> [!CAUTION]\n> Policy gate failed: {', '.join(f'`{r}`' for r in review.fired)}", ""]
    by_rule = Counter(f.rule for f in review.findings)
    if review.checkov_new_failures:
        by_rule["checkov-new-failures"] = len(review.checkov_new_failures)
    out += ["### What you must not miss", ""]
    important = [r for r in MUST_NOT_MISS if by_rule[r]]
    if not important:
        out.append("Nothing: no IAM, network, alarm, telemetry, image or destroy changes.")
    for rule in important:
        out.append(f"- **{rule}** ({by_rule[rule]}): {ALL_RULES[rule]}")
        items = [f for f in review.findings if f.rule == rule][:10]
        out += [f"  - `{f.stack}` `{f.resource}`: {_cell(f.detail, None)}" for f in items]
        if rule == "checkov-new-failures":
            out += [f"  - `{s}` {c} on `{r}`" for s, c, r in review.checkov_new_failures[:10]]
    out += ["", "### Summary", "", "| stack | added | changed | removed |", "| --- | --- | --- | --- |"]
    out += [f"| `{s.name}` | {len(s.added)} | {len(s.changed)} | {len(s.removed)} |"
            for s in review.stacks]
    if review.apply_order:
        out += ["", f"Apply order ({len(review.apply_order)} stacks, the only ones CI plans): "
                + " → ".join(f"`{n}`" for n in review.apply_order)]
    if review.removed_stacks:
        out += ["", "Removed stacks, destroyed only by the explicit destroy step (README: "
                "Removing a service): " + ", ".join(f"`{n}`" for n in review.removed_stacks)]
    if review.plans:
        out += ["", "| plan | create | update | delete | replace |", "| --- | --- | --- | --- | --- |"]
        out += [f"| `{p.name}` | {p.create} | {p.update} | {p.delete} | {p.replace} |"
                for p in review.plans]
        for p in review.plans:
            for r in p.replacements:
                out.append(f"- replace `{r['address']}` ({r['action_reason']}): "
                           f"{_cell(r['replace_paths'])}")
    head = "\n".join(out)
    details = []
    for s in review.stacks:
        lines = [f"<details><summary><code>{s.name}</code></summary>", ""]
        lines += [f"- added `{a}`" for a in s.added] + [f"- removed `{r}`" for r in s.removed]
        for address, changes in s.changed.items():
            lines.append(f"- changed `{address}`")
            for c in changes:
                if c["before"] is None and isinstance(c["after"], str) and "\n" in c["after"]:
                    lines += [f"  - `{c['path']}`:", "", "```diff", c["after"], "```", ""]
                else:
                    lines.append(f"  - `{c['path']}`: {_cell(c['before'])} → {_cell(c['after'])}")
        lines += ["", "</details>"]
        details.append("\n".join(lines))
    body, cut = head, 0
    for block in details:
        if len(body) + len(block) + 200 > limit:
            cut += 1
            continue
        body += "\n\n" + block
    if cut:
        body += (f"\n\n_{cut} stack detail block(s) left out to stay under GitHub's "
                 f"{limit:,}-character limit; run `golden-path review --format json` for all._")
    return body + "\n"
