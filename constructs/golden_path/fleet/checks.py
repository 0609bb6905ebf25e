"""Checks across all services of a fleet: what no single file can see.

- duplicate stack names (same name and environment in two files);
- listener rules: two rules with one priority on one listener (the apply fails),
  or host and path conditions that match the same requests (traffic goes to
  whichever rule comes first) unless declared in ``load_balancer.overlaps``;
- one SQS queue consumed by two services (each message reaches one at random);
- call loops (``graph.py``), unless every edge on the loop has a ``loop_reason``.

Each problem names the file and line of the value, and the other service's.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from ..errors import Problem
from ..resolve import Resolved, ResolvedFunction, ResolvedService
from .globs import any_overlap
from .graph import build_graph, consumed_by_iam, describe_cycle, where
from .state import duplicate_state


def fleet_problems(services: list[Resolved]) -> list[Problem]:
    problems = duplicate_stacks(services)
    unique = list({s.stack_name: s for s in reversed(services)}.values())[::-1]
    return [*problems, *listener_rules(unique), *shared_queues(unique), *call_loops(unique),
            *duplicate_state(unique)]


def _at(service: Resolved, path: tuple, value, hint: str) -> Problem:
    file, line = where(service, path)
    return Problem(path, value, hint, file, line)


def _ref(service: Resolved, path: tuple) -> str:
    file, line = where(service, path)
    return f"{service.stack_name} ({file}:{line})" if file else service.stack_name


def duplicate_stacks(services: list[Resolved]) -> list[Problem]:
    first: dict[str, Resolved] = {}
    problems = []
    for s in services:
        if s.stack_name in first:
            problems.append(_at(s, ("name",), s.spec.name,
                                f"{_ref(first[s.stack_name], ('name',))} already defines "
                                f"{s.stack_name} (same name and environment); rename one"))
        else:
            first[s.stack_name] = s
    return problems


def listener_rules(services: list[Resolved]) -> list[Problem]:
    by_listener: dict[str, list[ResolvedService]] = defaultdict(list)
    for s in services:
        if isinstance(s, ResolvedService) and s.spec.load_balancer is not None:
            by_listener[s.spec.load_balancer.listener_arn].append(s)
    problems = []
    for rules in by_listener.values():
        for a, b in combinations(rules, 2):
            la, lb = a.spec.load_balancer, b.spec.load_balancer
            if la.priority == lb.priority:
                problems.append(_at(b, ("load_balancer", "priority"), lb.priority,
                                    f"{_ref(a, ('load_balancer', 'priority'))} has the same "
                                    "priority on this listener; priorities are unique per "
                                    "listener: pick another"))
            elif _overlaps(la, lb) and not _declared(a, b):
                winner, loser = (a, b) if la.priority < lb.priority else (b, a)
                field = "hosts" if loser.spec.load_balancer.hosts else "paths"
                problems.append(_at(loser, ("load_balancer", field),
                                    loser.spec.load_balancer.hosts or loser.spec.load_balancer.paths,
                                    f"the rule of {_ref(winner, ('load_balancer',))} (priority "
                                    f"{winner.spec.load_balancer.priority}) matches some of the "
                                    f"same requests and comes first; narrow hosts/paths, or, if "
                                    f"intended, add load_balancer.overlaps: [{{service: "
                                    f"{winner.spec.name}, reason: ...}}]"))
    return problems


def _overlaps(a, b) -> bool:
    return any_overlap(a.hosts, b.hosts, casefold=True) and any_overlap(a.paths, b.paths)


def _declared(a: ResolvedService, b: ResolvedService) -> bool:
    return any(o.service == b.spec.name for o in a.spec.load_balancer.overlaps) or \
        any(o.service == a.spec.name for o in b.spec.load_balancer.overlaps)


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
    problems = []
    for arn, users in consumers.items():
        (first, first_path), *others = users
        for s, path in others:
            problems.append(_at(s, path, arn,
                                f"{_ref(first, first_path)} consumes this queue too; each "
                                "message reaches only one of them: give each service its own "
                                "queue (fan out with SNS if both need every message)"))
    return problems


def call_loops(services: list[Resolved]) -> list[Problem]:
    graph, unknown = build_graph(services)
    by_stack = {s.stack_name: s for s in services}
    problems = [_at(s, ("calls", i, "service"), s.spec.calls[i].service,
                    f"no service named {s.spec.calls[i].service!r} runs in {env} in this fleet; "
                    "check the name (validate the whole fleet directory)")
                for s, i, env in unknown]
    # The same loop in several environments (same files and lines) is reported once.
    loops: dict[tuple, list[tuple]] = {}
    for cycle in graph.unacknowledged():
        loops.setdefault(tuple((e.file, e.line, e.path) for e in cycle), []).append(cycle)
    for cycles in loops.values():
        cycle = cycles[0]
        first = next(e for e in cycle if e.loop_reason is None)
        envs = [by_stack[c[0].caller].spec.environment for c in cycles]
        where_ = f" (also in {', '.join(envs[1:])})" if len(envs) > 1 else ""
        problems.append(Problem(first.path, first.callee,
                                f"call loop {describe_cycle(cycle)}{where_}: services that call "
                                "each other can run up the bill until someone notices; break the "
                                "loop, or, if it ends by design, give every edge a loop_reason "
                                "(on the IAM statement or the calls entry)",
                                first.file, first.line))
    return problems
