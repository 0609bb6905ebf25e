"""Which stacks a change touches, in the order CI must apply (or destroy) them.

Two synth outputs (``cdktf.out`` of the base and of the head) are compared stack by
stack, ignoring cdktf's metadata (``//``). A stack depends on another when it uses
something the other creates: today, a service's alarms publish to the SNS topics
its team-route stack creates. Apply order puts a stack after what it depends on;
destroy order is the reverse.

Apply order is a rollout: the platform's environments in their rollout order first
(sandbox, staging, production by default), dependencies second. An environment with a
canary gets a canary wave (named services, or a share of the changed stacks chosen by
a stable hash of the stack name) before the rest. Each wave carries its environment and
its bake time, the wait before the alarm gate (``fleet/gate.py``) lets the next wave
start. A stack to apply that is in no environment (of the platform, or a profile's name
for a single-environment file) is an error naming it (``stack_environments``).
``--shards N`` cuts the stacks into at most N lists planned (or applied) one after
another, one CI job each: GitHub Actions refuses a matrix over 256 jobs.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..errors import Problem, SpecError
from ..spec.environments import PROFILES
from . import rollout_config
from .rollout_config import RolloutEnvironment


@dataclass(frozen=True)
class StackChange:
    name: str
    status: str  # added | changed | removed
    depends_on: tuple[str, ...] = ()
    #: From the stack's AWS provider: where CI assumes its role.
    account: str | None = None
    region: str | None = None
    #: The platform environment the stack belongs to (None: not one the platform lists).
    environment: str | None = None
    #: The rollout wave it is applied in (1-based); None for a removed stack.
    wave: int | None = None


@dataclass(frozen=True)
class Shard:
    """Stacks of one account and region that one CI job plans (or applies) one after another."""

    shard: int
    account: str | None
    region: str | None
    stacks: list[str]
    count: int


@dataclass(frozen=True)
class Wave:
    """One step of the rollout: one environment (or its canary), then a bake and the gate."""

    number: int
    environment: str | None
    kind: str  # canary | main
    #: Minutes to wait after the wave before the alarm gate lets the next one start.
    bake_minutes: int
    #: In apply order.
    stacks: list[str]
    #: Dependency steps: a step's stacks run in parallel, the steps one after another.
    steps: list[list[str]]
    #: With ``--shards``: each step's stacks in shards (one CI job each).
    shards: list[list[Shard]] = field(default_factory=list)


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
    #: ``apply_order`` in dependency steps (the ``steps`` of the rollout waves, one after
    #: another): every stack of a step depends only on earlier steps, so CI runs a step's
    #: stacks in parallel and the steps one after another.
    waves: list[list[str]] = field(default_factory=list)
    #: The rollout: environments in order, a canary first where the platform asks for one.
    rollout: list[Wave] = field(default_factory=list)
    #: With ``--shards``: every stack to plan, in at most N shards (``--format matrix``).
    plan_shards: list[Shard] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def to_matrix(self) -> str:
        """The plan shards as a GitHub Actions matrix, on one line (for ``$GITHUB_OUTPUT``)."""
        return json.dumps({"include": [asdict(s) for s in self.plan_shards]},
                          separators=(",", ":")) + "\n"

    def to_text(self) -> str:
        lines = [f"{len(self.apply_order)} stack(s) to plan and apply in {len(self.rollout)} "
                 f"wave(s), {len(self.removed)} removed, {self.unchanged} unchanged"]
        status = {s.name: s for s in self.stacks}
        for wave in self.rollout:
            lines.append(f"wave {wave.number}: {wave_title(wave)}, {len(wave.stacks)} stack(s); "
                         f"bake {wave.bake_minutes} min, then the alarm gate")
            for name in wave.stacks:
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


def _comparable(doc: dict) -> dict:
    """A stack document without cdktf's ``//`` metadata, which it writes at the top and in
    each resource or data source's block (nowhere deeper): a shallow copy, not a deep one."""
    def blocks(kinds: dict) -> dict:
        return {t: {n: ({k: v for k, v in a.items() if k != "//"}
                        if isinstance(a, dict) and "//" in a else a) for n, a in items.items()}
                for t, items in kinds.items()} if isinstance(kinds, dict) else kinds

    return {k: blocks(v) if k in ("resource", "data") else v
            for k, v in doc.items() if k != "//"}


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


# ---- rollout: environments in order, a canary wave, bake times ----------------------

def rollout_environments(platform=None) -> list[RolloutEnvironment]:
    """The platform's environments in rollout order (fleet/rollout_config.py); without a
    platform.yaml, the three profiles' own: sandbox, staging, production (bake 0, 15, 30
    minutes), no canary."""
    if platform is not None:
        return rollout_config.rollout_environments(platform)
    return sorted((RolloutEnvironment(name, name, p.rollout_order, p.bake_minutes)
                   for name, p in PROFILES.items()), key=lambda e: (e.order, e.name))


def environment_of_stack(name: str, environments: list[RolloutEnvironment]) -> str | None:
    """The environment a stack belongs to, by its name (``<service>-<env>``,
    ``team-<team>-<env>-<account>-<region>``); None when none of ``environments``."""
    return rollout_config.environment_of_stack(name, [e.name for e in environments])


def _stable_hash(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _closure(names: set[str], deps: dict[str, set[str]], within: set[str]) -> set[str]:
    """``names`` and what they depend on among ``within``, transitively."""
    found, todo = set(names), list(names)
    while todo:
        for dep in deps.get(todo.pop(), set()) & within:
            if dep not in found:
                found.add(dep)
                todo.append(dep)
    return found


def canary_stacks(group: set[str], deps: dict[str, set[str]], environment: str, canary) -> set[str]:
    """The canary wave of one environment's changed stacks: the named services' stacks,
    and besides them ``share`` percent of the stacks (rounded up) in the order of a stable
    hash of their names, at least one stack in all; with the stacks they depend on (a
    team route before its services). Shares count the stacks nothing else depends on."""
    used = {d for n in group for d in deps.get(n, set()) & group}
    leaves = sorted(group - used) or sorted(group)
    named = {f"{s}-{environment}" for s in canary.services}
    chosen = [n for n in leaves if n in named]
    extra = math.ceil((canary.share or 0) * len(leaves) / 100) or (0 if chosen else 1)
    chosen += [n for n in sorted(leaves, key=_stable_hash) if n not in named][:extra]
    return _closure(set(chosen), deps, group)


def plan_rollout(names: set[str], deps: dict[str, set[str]], environments: list,
                 env_of: Callable[[str], str | None]) -> list[Wave]:
    """Waves: environments in rollout order, each split into canary and main; inside a
    wave, dependency steps. Every stack must be in one of ``environments``
    (``changed_stacks`` refuses the others, naming them)."""
    by_env: dict[str | None, set[str]] = {}
    for name in names:
        by_env.setdefault(env_of(name), set()).add(name)
    parts: list[tuple[str | None, str, int, set[str]]] = []
    for env in sorted(environments, key=lambda e: (e.order, e.name)):
        group = by_env.pop(env.name, set())
        canary = canary_stacks(group, deps, env.name, env.canary) if group and env.canary else set()
        if canary:
            parts.append((env.name, "canary", env.canary.bake_minutes, canary))
        parts.append((env.name, "main", env.bake_minutes, group - canary))
    if by_env:
        raise ValueError(f"stacks of no environment: {sorted(n for g in by_env.values() for n in g)}")
    waves = []
    for env_name, kind, bake, part in parts:
        if part:
            steps = _waves(part, deps)
            waves.append(Wave(len(waves) + 1, env_name, kind, bake, [n for s in steps for n in s], steps))
    return waves


def wave_title(wave: Wave) -> str:
    return f"{wave.environment} canary" if wave.kind == "canary" else str(wave.environment)


def stack_environments(names: set[str], platform=None) -> tuple[list[RolloutEnvironment],
                                                                Callable[[str], str | None]]:
    """The environments ``names`` roll out in, and the environment of a stack.

    The platform's environments (``rollout_environments``); besides them, a profile's name
    the platform does not use as an environment: a single-environment file (no platform)
    names its environment by its profile, and its stack rolls out with that profile's order
    and bake. A stack in none of them cannot be placed: an error naming the stacks and the
    fix, never an unbaked wave of its own (a platform.yaml not found above --head, say,
    would put the whole fleet there)."""
    environments = rollout_environments(platform)
    listed = {e.name for e in environments}
    profiles = [e for e in rollout_environments(None) if e.name not in listed]

    def env_of(name: str) -> str | None:
        return environment_of_stack(name, environments) or environment_of_stack(name, profiles)

    unknown = sorted(n for n in names if env_of(n) is None)
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10
                                           else "")
        if platform is None:
            where = ("no platform.yaml in or above --head, so the environments are sandbox, "
                     "staging and production")
        else:
            where = (f"{getattr(platform, 'file', 'platform.yaml')} has the environments "
                     f"{', '.join(e.name for e in environments)}")
        raise SpecError(Problem(("--head",), shown, (
            f"{len(unknown)} stack(s) to apply are in no environment: {where}, and their names "
            "(<service>-<environment>, team-<team>-<environment>-<account>-<region>) end in none "
            "of them. Pass --platform with the platform.yaml they were synthesized with (its "
            "environments give the rollout order and bake times)")))
    used = {env_of(n) for n in names}
    return environments + [e for e in profiles if e.name in used], env_of


# ---- shards: at most N CI jobs, each planning (or applying) its stacks in turn --------

MAX_MATRIX = 256  # GitHub Actions refuses a larger job matrix
DEFAULT_SHARDS = 20


def make_shards(names: list[str], where: dict[str, tuple[str | None, str | None]],
                weight: dict[str, int], n: int) -> list[Shard]:
    """At most ``n`` shards, each of one account and region (one role per CI job).

    Each next shard goes to the account/region group whose shards hold the most stacks
    (each group at least one); inside a group the stacks, heaviest first (most resources,
    then by name), are dealt round robin, so shard sizes differ by at most one and the
    big stacks are spread. Deterministic: the same stacks always give the same shards."""
    if not 1 <= n <= MAX_MATRIX:
        raise SpecError(Problem(("--shards",), n, f"between 1 and {MAX_MATRIX}: GitHub Actions "
                                                  f"refuses a job matrix over {MAX_MATRIX} jobs"))
    groups: dict[tuple, list[str]] = {}
    for name in names:
        groups.setdefault(where[name], []).append(name)
    keys = sorted(groups, key=lambda k: (str(k[0]), str(k[1])))
    if len(keys) > n:
        raise SpecError(Problem(("--shards",), n, f"the stacks are in {len(keys)} account/region "
                                                  "pairs and a shard holds one; ask for at least "
                                                  f"{len(keys)} shards"))
    counts = {k: 1 for k in keys}
    for _ in range(min(n, len(names)) - len(keys)):  # the next shard to the busiest shards' group
        k = max(keys, key=lambda k: (len(groups[k]) / counts[k], -keys.index(k)))
        counts[k] += 1
    shards: list[Shard] = []
    for k in keys:
        dealt: list[list[str]] = [[] for _ in range(counts[k])]
        for i, name in enumerate(sorted(groups[k], key=lambda s: (-weight.get(s, 0), s))):
            dealt[i % counts[k]].append(name)
        for stacks in dealt:
            if stacks:
                shards.append(Shard(len(shards) + 1, k[0], k[1], sorted(stacks), len(stacks)))
    return shards


def _resources(stack: dict) -> int:
    return sum(len(v) for v in stack.get("resource", {}).values() if isinstance(v, dict))


def changed_stacks(base: str | Path, head: str | Path, platform=None, *,
                   shards: int | None = None, before: dict[str, dict] | None = None,
                   after: dict[str, dict] | None = None) -> ChangedStacks:
    """What changed from ``base`` to ``head``, in rollout order; ``platform`` (a loaded
    platform.yaml) gives the environments' order, canary and bake times (default: the
    three profiles in order); ``shards`` cuts the stacks into at most that many CI jobs.
    ``before``/``after``: the two outputs' documents when the caller has parsed them
    already (the review), so no document is parsed twice."""
    before = load_stacks(base) if before is None else before
    after = load_stacks(head) if after is None else after
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(n for n in set(after) & set(before)
                     if after[n] != before[n] and _comparable(after[n]) != _comparable(before[n]))
    head_deps, base_deps = dependencies(after), dependencies(before)
    environments, env_of = stack_environments(set(added) | set(changed), platform)
    rollout = plan_rollout(set(added) | set(changed), head_deps, environments, env_of)
    apply_order = [n for wave in rollout for n in wave.stacks]
    wave_of = {n: w.number for w in rollout for n in w.stacks}
    destroy_order = list(reversed(_order(set(removed), base_deps)))
    stacks = [StackChange(n, "added" if n in added else "changed", tuple(sorted(head_deps[n])),
                          *_where(after[n]), env_of(n), wave_of[n]) for n in apply_order]
    stacks += [StackChange(n, "removed", tuple(sorted(base_deps[n])), *_where(before[n]), env_of(n))
               for n in destroy_order]
    plan_shards: list[Shard] = []
    if shards is not None:
        where = {n: _where(after[n]) for n in apply_order}
        weight = {n: _resources(after[n]) for n in apply_order}
        plan_shards = make_shards(apply_order, where, weight, shards)
        rollout = [replace(w, shards=[make_shards(step, where, weight, shards) for step in w.steps])
                   for w in rollout]
    return ChangedStacks(added, changed, removed, len(set(after) & set(before)) - len(changed),
                         apply_order, destroy_order, stacks,
                         [step for wave in rollout for step in wave.steps], rollout, plan_shards)
