"""Checks across all services of a fleet: what no single file can see.

- duplicate stack names (same name and environment in two files);
- listener rules (``listeners.py``): two rules with one priority on one listener (the
  apply fails), or host and path conditions that match the same requests;
- one SQS queue consumed by two services (each message reaches one at random);
- one live resource adopted by two services (``adopt:``; each apply would undo the other);
- ``calls:`` naming no service of the fleet, and call loops (``graph.py``), unless every
  edge on the loop has a ``loop_reason``.

Each problem names the file and line of the value, and the other service's. A mistake
written once and inherited by several environments is one problem naming them. A service
whose own file failed is not reported missing by the others' ``calls:``.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Collection

from ..errors import Problem
from ..resolve import Resolved, ResolvedFunction
from ..spec.environments import rollout_rank
from .graph import build_graph, consumed_by_iam, describe_cycle, where
from .listeners import listener_rules
from .recency import Recency
from .state import duplicate_state


def fleet_problems(services: list[Resolved], *, failed: Collection[str] = (),
                   named: Collection[str] = ()) -> list[Problem]:
    """``failed``: names of services whose own file has problems (reported there): no
    follow-on problem here says they are missing. ``named``: the files named on the command
    line, when the fleet around them was loaded too (they take the blame for a clash)."""
    recency = Recency(named)
    problems = duplicate_stacks(services)
    unique = list({s.stack_name: s for s in reversed(services)}.values())[::-1]
    return [*problems, *listener_rules(unique, recency), *shared_queues(unique),
            *adopted_twice(unique),
            *call_loops(unique, failed=failed, recency=recency), *duplicate_state(unique)]


def _at(service: Resolved, path: tuple, value, hint: str) -> Problem:
    file, line = where(service, path)
    return Problem(path, value, hint, file, line)


def _ref(group: list[Resolved], path: tuple) -> tuple[str, str]:
    """(``shop-sandbox (a.yaml:8)``, ``""``) for one environment; (``shop (a.yaml:8)``,
    ``" in sandbox and staging"``) for the same line in several."""
    file, line = where(group[0], path)
    at = f" ({file}:{line})" if file else ""
    if len(group) == 1:
        return f"{group[0].stack_name}{at}", ""
    return f"{group[0].spec.name}{at}", f" in {_and(_environments(group))}"


def _environments(services: list[Resolved]) -> list[str]:
    """Their environments in rollout order (sandbox, staging, production)."""
    return [s.spec.environment for s in sorted(services, key=lambda s: rollout_rank(s.spec))]


def _and(items: list[str], word: str = "and") -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def duplicate_stacks(services: list[Resolved]) -> list[Problem]:
    first: dict[str, Resolved] = {}
    groups: dict[tuple, list[tuple[Resolved, Resolved]]] = {}
    for s in services:
        if s.stack_name in first:
            other = first[s.stack_name]
            key = (*where(s, ("name",)), *where(other, ("name",)))
            groups.setdefault(key, []).append((s, other))
        else:
            first[s.stack_name] = s
    problems = []
    for group in groups.values():
        s = group[0][0]
        who, envs = _ref([o for _, o in group], ("name",))
        what = s.stack_name if not envs else s.spec.name
        problems.append(_at(s, ("name",), s.spec.name,
                            f"{who} already defines {what}{envs} (same name and environment); "
                            "rename one"))
    return problems


def shared_queues(services: list[Resolved]) -> list[Problem]:
    consumers: dict[str, list[tuple[Resolved, tuple]]] = defaultdict(list)
    for s in services:
        mine: dict[str, tuple] = {}
        if isinstance(s, ResolvedFunction):
            if s.queue_arn:
                mine[s.queue_arn] = ("triggers", "sqs")
        elif s.scaling.queue_arn:
            mine[s.scaling.queue_arn] = ("scaling", "queue", "arn")
        for arn in consumed_by_iam(s):
            mine.setdefault(arn, ("iam",))
        for arn, path in mine.items():
            consumers[arn].append((s, path))
    groups: dict[tuple, list[tuple]] = {}
    for arn, users in consumers.items():
        (first, first_path), *others = users
        for s, path in others:
            key = (*where(s, path), path, *where(first, first_path), first.spec.name)
            groups.setdefault(key, []).append((s, path, arn, first, first_path))
    problems = []
    for group in groups.values():
        s, path, arn, _, first_path = group[0]
        who, envs = _ref([g[3] for g in group], first_path)
        problems.append(_at(s, path, arn,
                            f"{who} consumes this queue too{envs}; each message reaches only "
                            "one of them: give each service its own queue (fan out with SNS if "
                            "both need every message)"))
    return problems


def adopted_twice(services: list[Resolved]) -> list[Problem]:
    """A live resource (same account, region, kind and import id) adopted by two services."""
    owner: dict[tuple, Resolved] = {}
    problems = []
    for s in services:
        for part, import_id in s.adoption.imports.items():
            kind = part.rstrip("_0123456789").removeprefix("dead_letter_")
            key = (s.account, s.region, kind, import_id)
            first = owner.setdefault(key, s)
            if first is not s:
                file, line = where(first, ("adopt",))
                at = f" ({file}:{line})" if file else ""
                problems.append(_at(s, ("adopt",), import_id,
                                    f"{first.stack_name}{at} adopts {import_id} too; a live "
                                    "resource belongs to one service: remove it from one"))
    return problems


def call_loops(services: list[Resolved], *, failed: Collection[str] = (),
               recency: Recency | None = None) -> list[Problem]:
    graph, unknown = build_graph(services)
    by_stack = {s.stack_name: s for s in services}
    problems = _unknown_calls([u for u in unknown if u[0].spec.calls[u[1]].service not in failed],
                              services)
    # The same loop in several environments (same files and lines) is reported once.
    loops: dict[tuple, list[tuple]] = {}
    for cycle in graph.unacknowledged():
        loops.setdefault(tuple((e.file, e.line, e.path) for e in cycle), []).append(cycle)
    recency = recency or Recency()
    for cycles in loops.values():
        cycle = cycles[0]
        open_edges = [e for e in cycle if e.loop_reason is None]
        # On a file named on the command line, where the loop has an edge there.
        first = next((e for e in open_edges if recency.is_named(e.file)), open_edges[0])
        envs = [by_stack[c[0].caller].spec.environment for c in cycles]
        where_ = f" (also in {', '.join(envs[1:])})" if len(envs) > 1 else ""
        problems.append(Problem(first.path, first.callee,
                                f"call loop {describe_cycle(cycle)}{where_}: services that call "
                                "each other can run up the bill until someone notices; break the "
                                "loop, or, if it ends by design, give every edge a loop_reason "
                                "(on the IAM statement or the calls entry)",
                                first.file, first.line))
    return problems


def _unknown_calls(unknown: list[tuple[Resolved, int, str]],
                   services: list[Resolved]) -> list[Problem]:
    """``calls`` entries naming no service of the fleet: one problem per line, naming the
    environments, with the closest name if there is one."""
    groups: dict[tuple, list[tuple[Resolved, int, str]]] = {}
    for s, i, env in unknown:
        groups.setdefault((*where(s, ("calls", i, "service")), s.spec.calls[i].service),
                          []).append((s, i, env))
    runs_in: dict[str, list[Resolved]] = defaultdict(list)
    for s in services:
        runs_in[s.spec.name].append(s)
    problems = []
    for (_, _, callee), group in groups.items():
        s, i, _ = group[0]
        close = difflib.get_close_matches(callee, sorted(runs_in), n=1)
        hint = (f"it runs only in {_and(_environments(runs_in[callee]))}" if callee in runs_in else
                f"did you mean {close[0]!r}?" if close else "check the name")
        problems.append(_at(s, ("calls", i, "service"), callee,
                            f"no service named {callee!r} runs in "
                            f"{_and(_environments([g[0] for g in group]), 'or')} in this fleet; "
                            f"{hint}"))
    return problems
