"""A change is the same change wherever it appears: group a synth diff's attribute
changes, added and removed resources, and the findings, across stacks.

Two changes are one when they are of the same resource (type and name), the same
attribute path, and the same old -> new value once each stack's own name, environment,
service, team, account and region are taken out (:meth:`Identity.normalize`). A config
text's diff is compared by its changed lines only (its line numbers and context differ
from stack to stack). Groups that change exactly the same stacks are shown together.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .findings import Finding
from .identity import Identity, environment_order
from .synth_diff import StackDiff

_HUNK = re.compile(r"^@@ [^@]* @@", re.M)


@dataclass
class ChangeGroup:
    """One change (normalized) and the stacks it appears in."""

    action: str  # changed, added, removed
    type: str
    address: str
    path: str | None = None
    before: Any = None
    after: Any = None
    stacks: list[str] = field(default_factory=list)

    @property
    def is_text_diff(self) -> bool:
        return self.before is None and isinstance(self.after, str) and self.after.startswith("@@")


@dataclass
class FindingGroup:
    rule: str
    resource: str
    detail: str
    stacks: list[str] = field(default_factory=list)
    #: The finding as found, when one stack has it (shown as is, not normalized).
    first: Finding | None = None


def _key(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _text_key(diff: str) -> str:
    """A text diff by its changed lines only (no hunk headers, no context)."""
    return "\n".join(line for line in diff.splitlines() if line[:1] in "+-")


def identity_of(d: StackDiff) -> Identity:
    return d.identity or Identity(d.name)


def group_changes(diffs: Iterable[StackDiff]) -> list[ChangeGroup]:
    """Every attribute change, added and removed resource, grouped across stacks; the
    groups in the order of the most stacks first."""
    groups: dict[tuple, ChangeGroup] = {}
    for d in diffs:
        if d.empty:
            continue
        ident = identity_of(d)
        norm = ident.normalize
        for action, addresses, side in (("added", d.added, d.head), ("removed", d.removed, d.base)):
            for address in addresses:
                rtype, address_n = address.split(".", 1)[0], norm(address)
                attrs = norm(side.get(address))
                key = (action, address_n, _key(attrs))
                group = groups.get(key)
                if group is None:
                    group = groups[key] = ChangeGroup(action, rtype, address_n, None,
                                                      *((None, attrs) if action == "added"
                                                        else (attrs, None)))
                group.stacks.append(d.name)
        for resource in d.changed:
            address_n = norm(resource.address)
            for change in resource.changes:
                path = norm(change.path)
                if change.before is None and isinstance(change.after, str) and \
                        change.after.startswith("@@"):
                    after = _HUNK.sub("@@", norm(change.after))
                    key = ("changed", address_n, path, None, _text_key(after))
                    before = None
                else:
                    before, after = norm(change.before), norm(change.after)
                    key = ("changed", address_n, path, _key(before), _key(after))
                group = groups.get(key)
                if group is None:
                    group = groups[key] = ChangeGroup("changed", resource.type, address_n, path,
                                                      before, after)
                elif before is None and group.after != after:
                    # The same changed lines, other context: show the changed lines only.
                    group.after = "@@\n" + key[4]
                group.stacks.append(d.name)
    return sorted(groups.values(), key=lambda g: (-len(g.stacks), g.action != "changed",
                                                  g.address, g.path or ""))


def cluster(groups: list[ChangeGroup]) -> list[tuple[list[str], list[ChangeGroup]]]:
    """Groups that change exactly the same stacks, together: [(stacks, groups)], the
    clusters of the most stacks first."""
    by_stacks: dict[tuple[str, ...], list[ChangeGroup]] = defaultdict(list)
    for g in groups:
        by_stacks[tuple(sorted(g.stacks))].append(g)
    return sorted(((list(s), gs) for s, gs in by_stacks.items()),
                  key=lambda c: (-len(c[0]), c[1][0].address))


def group_findings(found: Iterable[Finding], identities: dict[str, Identity]) -> list[FindingGroup]:
    """Findings of one rule, resource and detail (normalized) across stacks; in the order
    first found (the rules' own order), the most stacks first within a rule."""
    groups: dict[tuple[str, str, str], FindingGroup] = {}
    for f in found:
        ident = identities.get(f.stack) or Identity(f.stack)
        key = (f.rule, ident.normalize(f.resource), ident.normalize(f.detail))
        group = groups.get(key)
        if group is None:
            group = groups[key] = FindingGroup(*key, first=f)
        if f.stack not in group.stacks:
            group.stacks.append(f.stack)
    order = {key: i for i, key in enumerate(groups)}
    return sorted(groups.values(), key=lambda g: (g.rule, -len(g.stacks),
                                                  order[(g.rule, g.resource, g.detail)]))


def _names(names: list[str], limit: int) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def where(stacks: Iterable[str], identities: dict[str, Identity],
          env_rank: dict[str, int] | None = None, limit: int = 3) -> str:
    """Where a change is, in one short line: ``menu-web in sandbox, staging, production``,
    ``300 services × 3 environments (sandbox, staging, production)``, ``team routes of
    12 teams × 3 environments``; stacks without an identity by name."""
    by_service: dict[str, set[str]] = defaultdict(set)
    by_team: dict[str, set[str]] = defaultdict(set)
    bare: list[str] = []
    envs_seen: list[str | None] = []
    for name in stacks:
        ident = identities.get(name) or Identity(name)
        envs_seen.append(ident.environment)
        if ident.service and ident.environment:
            by_service[ident.service].add(ident.environment)
        elif ident.kind == "team" and ident.team and ident.environment:
            by_team[ident.team].add(ident.environment)
        else:
            bare.append(name)
    order = environment_order(envs_seen, env_rank)
    parts = _where_part(by_service, order, limit) + _where_part(by_team, order, limit, teams=True)
    if bare:
        parts.append(_names([f"`{n}`" for n in sorted(bare)], limit))
    return "; ".join(parts)


def _where_part(by_owner: dict[str, set[str]], order: list[str], limit: int,
                teams: bool = False) -> list[str]:
    """One phrase per set of environments: ``a, b in sandbox, staging`` or ``N services ×
    M environments (…)``."""
    by_envs: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for owner, envs in by_owner.items():
        by_envs[tuple(e for e in order if e in envs)].append(owner)
    out = []
    noun = "teams' alert routes" if teams else "services"
    for envs, owners in sorted(by_envs.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        owners.sort()
        env_text = ", ".join(envs)
        if len(owners) <= limit:
            out.append(f"{'alert routes of ' if teams else ''}{', '.join(owners)} in {env_text}")
        elif len(envs) == 1:
            out.append(f"{len(owners)} {noun} in {env_text}")
        else:
            out.append(f"{len(owners)} {noun} × {len(envs)} environments ({env_text})")
    return out


def counts(names: Iterable[str], identities: dict[str, Identity], attr: str,
           order: list[str] | None = None) -> dict[str, int]:
    """{value of ``attr`` (environment, team or kind): stacks}, in ``order`` or the most
    stacks first; stacks without it count under ``-``."""
    found: dict[str, int] = defaultdict(int)
    for name in names:
        value = getattr(identities.get(name) or Identity(name), attr) or "-"
        found[value] += 1
    if order:
        rank = {v: i for i, v in enumerate(order)}
        return dict(sorted(found.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))
    return dict(sorted(found.items(), key=lambda kv: (-kv[1], kv[0])))
