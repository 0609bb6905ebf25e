"""Listener rules across the fleet: one priority per rule and listener, and rules that match
the same requests (traffic goes to whichever comes first) unless declared in
``load_balancer.overlaps``.

A mistake written once and inherited by several environments is one problem naming the
environments. A priority clash is reported on the line written last (``recency.py``) with
a priority that is free on that listener in every environment the line sets, found the
way ``golden-path new`` finds one (``free_priority``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations

from ..errors import Problem
from ..load.service_file import platform_of
from ..resolve import Resolved, ResolvedService
from ..spec.environments import rollout_rank
from .globs import any_overlap
from .graph import where
from .recency import Recency

#: Listener rule priorities are tried from here, in steps, until one is free (``new`` too).
FIRST_PRIORITY, PRIORITY_STEP, MAX_PRIORITY = 100, 10, 50000
_PRIORITY = ("load_balancer", "priority")


def free_priority(arns: Iterable[str], services: Iterable[Resolved]) -> int | None:
    """The first priority of FIRST_PRIORITY, +PRIORITY_STEP, ... that no rule of
    ``services`` uses on any of the listeners ``arns``; None when none is left."""
    arns = set(arns)
    used = {s.spec.load_balancer.priority for s in services
            if isinstance(s, ResolvedService) and s.spec.load_balancer is not None
            and s.spec.load_balancer.listener_arn in arns}
    return next((p for p in range(FIRST_PRIORITY, MAX_PRIORITY + 1, PRIORITY_STEP)
                 if p not in used), None)


def listener_rules(services: list[Resolved], recency: Recency | None = None) -> list[Problem]:
    recency = recency or Recency()
    by_listener: dict[str, list[ResolvedService]] = defaultdict(list)
    for s in services:
        if isinstance(s, ResolvedService) and s.spec.load_balancer is not None:
            by_listener[s.spec.load_balancer.listener_arn].append(s)
    clashes: dict[tuple, list[tuple[ResolvedService, ResolvedService]]] = {}
    overlaps: dict[tuple, list[tuple[ResolvedService, ResolvedService, str]]] = {}
    for rules in by_listener.values():
        for a, b in combinations(rules, 2):
            la, lb = a.spec.load_balancer, b.spec.load_balancer
            if la.priority == lb.priority:
                pair = (a, b) if recency.newer(where(a, _PRIORITY), where(b, _PRIORITY)) == 0 \
                    else (b, a)
                key = (*where(pair[0], _PRIORITY), *where(pair[1], _PRIORITY), la.priority)
                clashes.setdefault(key, []).append(pair)
            elif _overlaps(la, lb) and not _declared(a, b):
                winner, loser = (a, b) if la.priority < lb.priority else (b, a)
                field = "hosts" if loser.spec.load_balancer.hosts else "paths"
                key = (*where(loser, ("load_balancer", field)), field,
                       *where(winner, ("load_balancer",)), winner.spec.name)
                overlaps.setdefault(key, []).append((loser, winner, field))
    problems = [_clash(pairs, services) for pairs in clashes.values()]
    for group in overlaps.values():
        loser, winner, field = group[0]
        lb = loser.spec.load_balancer
        who, envs = _ref([w for _, w, _ in group], ("load_balancer",))
        problems.append(_at(loser, ("load_balancer", field), lb.hosts or lb.paths,
                            f"the rule of {who} (priority {winner.spec.load_balancer.priority}) "
                            f"matches some of the same requests{envs} and comes first; narrow "
                            f"hosts/paths, or, if "
                            f"intended, add load_balancer.overlaps: [{{service: "
                            f"{winner.spec.name}, reason: ...}}]"))
    return problems


def _clash(pairs: list[tuple[ResolvedService, ResolvedService]],
           services: list[Resolved]) -> Problem:
    """One priority clash, in every environment where the same two lines make it."""
    new, _ = pairs[0]
    priority = new.spec.load_balancer.priority
    line = where(new, _PRIORITY)
    # The line sets the priority wherever it is inherited: the suggestion must be free there.
    inherit = [s for s in services if isinstance(s, ResolvedService)
               and s.spec.name == new.spec.name and s.spec.load_balancer is not None
               and where(s, _PRIORITY) == line]
    others = [s for s in services if s.spec.name != new.spec.name]
    free = free_priority({s.spec.load_balancer.listener_arn for s in inherit}, others)
    listener = _listener_name(new)
    who, envs = _ref([old for _, old in pairs], _PRIORITY)
    hint = (f"{who} has the same priority on this listener{f' ({listener})' if listener else ''}"
            f"{envs}; priorities are unique per listener: pick another")
    if free is not None:
        hint += f", e.g. priority: {free} (free on that listener in {_envs(inherit)})"
    return _at(new, _PRIORITY, priority, hint)


def _listener_name(service: ResolvedService) -> str | None:
    context = platform_of(service.spec)
    if context is None:
        return None
    arn = service.spec.load_balancer.listener_arn
    return next((n for n, lis in context.environment.listeners.items() if lis.arn == arn), None)


def _envs(services: list[Resolved]) -> str:
    """The services' environments in rollout order: ``sandbox, staging and production``."""
    ordered = sorted(services, key=lambda s: rollout_rank(s.spec))
    names = list(dict.fromkeys(s.spec.environment for s in ordered))
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _ref(group: list[Resolved], path: tuple) -> tuple[str, str]:
    """Who and where: (``shop-sandbox (a.yaml:8)``, ``""``) for one environment;
    (``shop (a.yaml:8)``, ``" in sandbox, staging and production"``) for the same line
    inherited by several."""
    first = group[0]
    file, line = where(first, path)
    at = f" ({file}:{line})" if file else ""
    if len(group) == 1:
        return f"{first.stack_name}{at}", ""
    return f"{first.spec.name}{at}", f" in {_envs(group)}"


def _at(service: Resolved, path: tuple, value, hint: str) -> Problem:
    file, line = where(service, path)
    return Problem(path, value, hint, file, line)


def _overlaps(a, b) -> bool:
    return any_overlap(a.hosts, b.hosts, casefold=True) and any_overlap(a.paths, b.paths)


def _declared(a: ResolvedService, b: ResolvedService) -> bool:
    return any(o.service == b.spec.name for o in a.spec.load_balancer.overlaps) or \
        any(o.service == a.spec.name for o in b.spec.load_balancer.overlaps)
