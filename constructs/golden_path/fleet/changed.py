"""Which stacks a change touches, in the order CI must apply (or destroy) them.

Two synth outputs (``cdktf.out`` of the base and of the head) are compared stack by
stack, ignoring cdktf's metadata (``//``). A stack depends on another when it uses
something the other creates: today, a service's alarms publish to the SNS topics
its team-route stack creates. Apply order puts a stack after what it depends on;
destroy order is the reverse.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem, SpecError


@dataclass(frozen=True)
class StackChange:
    name: str
    status: str  # added | changed | removed
    depends_on: tuple[str, ...] = ()
    #: From the stack's AWS provider: where CI assumes its role.
    account: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class ChangedStacks:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: Added and changed stacks, each after the stacks it depends on.
    apply_order: list[str] = field(default_factory=list)
    #: Removed stacks, each before the stacks it depended on.
    destroy_order: list[str] = field(default_factory=list)
    stacks: list[StackChange] = field(default_factory=list)
    #: ``apply_order`` in waves: every stack of a wave depends only on earlier waves, so
    #: CI runs a wave's stacks in parallel (a matrix job) and the waves one after another.
    waves: list[list[str]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def to_text(self) -> str:
        lines = [f"{len(self.apply_order)} stack(s) to plan and apply, {len(self.removed)} removed, "
                 f"{self.unchanged} unchanged"]
        status = {s.name: s for s in self.stacks}
        for name in self.apply_order:
            deps = status[name].depends_on
            after = f" (after {', '.join(deps)})" if deps else ""
            lines.append(f"  {status[name].status:<8} {name}{after}")
        for name in self.destroy_order:
            lines.append(f"  removed  {name} (destroy only through the explicit destroy step)")
        return "\n".join(lines) + "\n"


def load_stacks(out: str | Path) -> dict[str, dict]:
    """``<out>/stacks/<name>/cdk.tf.json`` of a synth output; an empty dict if absent."""
    root = Path(out) / "stacks"
    if not Path(out).exists():
        raise SpecError(Problem(("--base/--head",), str(out),
                                "no such synth output; run `make synth` or `golden-path synth` first"))
    if not root.is_dir():
        return {}
    return {d.name: json.loads((d / "cdk.tf.json").read_text())
            for d in sorted(root.iterdir()) if (d / "cdk.tf.json").is_file()}


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _topics_created(stack: dict) -> set[str]:
    topics = stack.get("resource", {}).get("aws_sns_topic", {})
    return {t["name"] for t in topics.values() if isinstance(t.get("name"), str)}


def _topics_used(stack: dict) -> set[str]:
    used = set()
    for alarm in stack.get("resource", {}).get("aws_cloudwatch_metric_alarm", {}).values():
        for key in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
            for arn in alarm.get(key) or []:
                if isinstance(arn, str) and arn.startswith("arn:aws:sns:"):
                    used.add(arn.rsplit(":", 1)[1])
    return used


def dependencies(stacks: dict[str, dict]) -> dict[str, set[str]]:
    """Stack -> the stacks it uses something of."""
    creator = {topic: name for name, stack in stacks.items() for topic in _topics_created(stack)}
    return {name: {creator[t] for t in _topics_used(stack) if t in creator and creator[t] != name}
            for name, stack in stacks.items()}


def _waves(names: set[str], deps: dict[str, set[str]]) -> list[list[str]]:
    """``names`` in waves: each stack after the ones (among ``names``) it depends on."""
    waves: list[list[str]] = []
    remaining = set(names)
    while remaining:
        ready = sorted(n for n in remaining if not (deps.get(n, set()) & remaining))
        if not ready:  # a cycle cannot come from golden_path's stacks; keep going by name
            ready = [min(remaining)]
        waves.append(ready)
        remaining -= set(ready)
    return waves


def _order(names: set[str], deps: dict[str, set[str]]) -> list[str]:
    return [n for wave in _waves(names, deps) for n in wave]


def _where(stack: dict) -> tuple[str | None, str | None]:
    provider = (stack.get("provider", {}).get("aws") or [{}])[0]
    accounts = provider.get("allowed_account_ids") or [None]
    return accounts[0], provider.get("region")


def changed_stacks(base: str | Path, head: str | Path) -> ChangedStacks:
    before, after = load_stacks(base), load_stacks(head)
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(n for n in set(after) & set(before)
                     if _canonical(after[n]) != _canonical(before[n]))
    head_deps, base_deps = dependencies(after), dependencies(before)
    apply_order = _order(set(added) | set(changed), head_deps)
    destroy_order = list(reversed(_order(set(removed), base_deps)))
    stacks = [StackChange(n, "added" if n in added else "changed", tuple(sorted(head_deps[n])),
                          *_where(after[n])) for n in apply_order]
    stacks += [StackChange(n, "removed", tuple(sorted(base_deps[n])), *_where(before[n]))
               for n in destroy_order]
    return ChangedStacks(added, changed, removed, len(set(after) & set(before)) - len(changed),
                         apply_order, destroy_order, stacks,
                         _waves(set(added) | set(changed), head_deps))
