"""Who can call whom in the fleet, and the loops in it.

Edges come from the specs, between services of the same environment:

- IAM statements that allow ``sqs:SendMessage``, ``sns:Publish``,
  ``lambda:InvokeFunction`` or ``events:PutEvents`` on a resource another service
  owns or consumes: a function, the queue golden_path made for it, the queue a
  worker scales on, or a queue a service's role may receive from;
- ``calls:`` entries, where a service declares whom it calls directly (HTTP) or
  through shared infrastructure.

A loop is an error unless every edge on it carries a ``loop_reason``.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict, deque
from dataclasses import dataclass

from ..load.service_file import source_of
from ..resolve import Resolved, ResolvedFunction

#: Actions that hand work to another service, with how the edge is shown.
CALL_ACTIONS = ("sqs:SendMessage", "sqs:SendMessageBatch", "sns:Publish",
                "lambda:InvokeFunction", "lambda:InvokeAsync", "events:PutEvents")
CONSUME_ACTIONS = ("sqs:ReceiveMessage",)


@dataclass(frozen=True)
class Edge:
    caller: str
    callee: str
    via: str
    file: str | None
    line: int | None
    loop_reason: str | None = None
    #: The field of the caller's spec that makes the edge (``iam[2]``, ``calls[0]``).
    path: tuple = ()

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file and self.line else (self.file or "?")


@dataclass(frozen=True)
class Graph:
    nodes: tuple[str, ...]
    edges: tuple[Edge, ...]
    #: Each loop once, as its edges in order (caller of the first = callee of the last).
    cycles: tuple[tuple[Edge, ...], ...]

    def unacknowledged(self) -> list[tuple[Edge, ...]]:
        return [c for c in self.cycles if any(e.loop_reason is None for e in c)]


def where(service: Resolved, path: tuple) -> tuple[str | None, int | None]:
    """File and line that set ``path`` of a service (or its closest parent)."""
    origins = source_of(service.spec) or {}
    while path and path not in origins:
        path = path[:-1]
    origin = origins.get(path)
    return (origin.file, origin.line) if origin else (None, None)


def _matches(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value.lower(), pattern.lower())


def allowed(service: Resolved, actions: tuple[str, ...]) -> list[tuple[int, str, str]]:
    """(statement index, action, resource pattern) of Allow statements granting any of
    ``actions`` (IAM wildcards in the statement's actions honoured)."""
    found = []
    for i, st in enumerate(service.spec.iam):
        if st.effect != "Allow":
            continue
        for wanted in actions:
            if any(_matches(a, wanted) for a in st.actions):
                found += [(i, wanted, r) for r in st.resources]
    return found


def owned(service: Resolved) -> list[str]:
    """ARNs of what delivers work to this service: its function, its queues."""
    arns = []
    if isinstance(service, ResolvedFunction):
        arns.append(service.arn("lambda", f"function:{service.names.function}"))
        if service.queue_arn:
            arns.append(service.queue_arn)
    elif service.scaling.queue_arn:
        arns.append(service.scaling.queue_arn)
    return arns + consumed_by_iam(service)


def consumed_by_iam(service: Resolved) -> list[str]:
    """Queues (exact ARNs) the service's own role may receive from."""
    return sorted({r for _, _, r in allowed(service, CONSUME_ACTIONS)
                   if r.startswith("arn:aws:sqs:") and "*" not in r and "?" not in r})


def _resource_matches(pattern: str, arn: str) -> bool:
    # A function may be named with a qualifier (alias or version): arn:...:function:f:live.
    return _matches(pattern, arn) or pattern.lower().startswith(arn.lower() + ":")


def build_graph(services: list[Resolved]) -> tuple[Graph, list[tuple[Resolved, int, str]]]:
    """The call graph, and ``calls`` entries naming no service of the fleet
    (service, index, environment) for the caller to report."""
    by_stack = {s.stack_name: s for s in services}
    by_name_env = {(s.spec.name, s.spec.environment): s for s in services}
    owners: dict[str, list[tuple[str, str]]] = {}
    for s in services:
        owners.setdefault(s.spec.environment, []).extend((arn, s.stack_name) for arn in owned(s))
    edges: list[Edge] = []
    unknown: list[tuple[Resolved, int, str]] = []
    for s in services:
        for i, action, resource in allowed(s, CALL_ACTIONS):
            for arn, callee in owners.get(s.spec.environment, []):
                if _resource_matches(resource, arn):  # a service calling itself is a loop too
                    file, line = where(s, ("iam", i))
                    edges.append(Edge(s.stack_name, callee, f"{action} {arn}", file, line,
                                      s.spec.iam[i].loop_reason, ("iam", i)))
        for i, call in enumerate(s.spec.calls):
            target = by_name_env.get((call.service, s.spec.environment))
            if target is None:
                unknown.append((s, i, s.spec.environment))
                continue
            file, line = where(s, ("calls", i))
            edges.append(Edge(s.stack_name, target.stack_name, call.via, file, line,
                              call.loop_reason, ("calls", i)))
    # One edge per statement (or calls entry) and callee: the first action that makes it.
    edges = list({(e.caller, e.callee, e.path): e for e in reversed(edges)}.values())[::-1]
    return Graph(tuple(sorted(by_stack)), tuple(edges), tuple(_cycles(edges))), unknown


def _cycles(edges: list[Edge]) -> list[tuple[Edge, ...]]:
    """For every edge on a loop, one shortest loop through it; each loop once."""
    out_edges: dict[str, list[Edge]] = defaultdict(list)
    for e in edges:
        out_edges[e.caller].append(e)
    component = _components(out_edges)
    seen: set[frozenset[tuple[str, str]]] = set()
    cycles = []
    for e in edges:
        if component.get(e.caller) != component.get(e.callee):
            continue
        back = _path(out_edges, e.callee, e.caller)
        if back is None:
            continue
        cycle = (e, *back)
        key = frozenset((c.caller, c.callee) for c in cycle)
        if key not in seen:
            seen.add(key)
            cycles.append(cycle)
    return cycles


def _path(out_edges: dict[str, list[Edge]], start: str, goal: str) -> tuple[Edge, ...] | None:
    """Shortest chain of edges from ``start`` to ``goal`` (empty when they are equal)."""
    if start == goal:
        return ()
    previous: dict[str, Edge] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for e in out_edges.get(node, []):
            if e.callee in previous or e.callee == start:
                continue
            previous[e.callee] = e
            if e.callee == goal:
                chain = [e]
                while chain[-1].caller != start:
                    chain.append(previous[chain[-1].caller])
                return tuple(reversed(chain))
            queue.append(e.callee)
    return None


def _components(out_edges: dict[str, list[Edge]]) -> dict[str, int]:
    """Strongly connected components (Tarjan, iterative): node -> component id."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    component: dict[str, int] = {}
    nodes = set(out_edges) | {e.callee for es in out_edges.values() for e in es}
    counter = 0
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            successors = [e.callee for e in out_edges.get(node, [])]
            if i < len(successors):
                work.append((node, i + 1))
                nxt = successors[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = index[node]
                    if member == node:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component


def describe_cycle(cycle: tuple[Edge, ...]) -> str:
    names = " → ".join([cycle[0].caller, *(e.callee for e in cycle)])
    hops = "; ".join(f"{e.caller} → {e.callee} via {e.via} ({e.where})" for e in cycle)
    return f"{names} [{hops}]"


def to_markdown(graph: Graph) -> str:
    lines = ["| caller | callee | via | where | loop |", "| --- | --- | --- | --- | --- |"]
    on_loop = {e for c in graph.cycles for e in c}
    for e in sorted(graph.edges, key=lambda e: (e.caller, e.callee, e.via)):
        loop = ""
        if e in on_loop:
            loop = f"acknowledged: {e.loop_reason}" if e.loop_reason else "**LOOP**"
        lines.append(f"| `{e.caller}` | `{e.callee}` | {e.via} | {e.where} | {loop} |")
    if not graph.edges:
        lines.append("| | | no calls between services of this fleet | | |")
    lines.append("")
    lines.append(f"{len(graph.nodes)} stacks, {len(graph.edges)} edges, "
                 f"{len(graph.cycles)} loops ({len(graph.unacknowledged())} not acknowledged)")
    for cycle in graph.cycles:
        lines.append(f"- loop: {describe_cycle(cycle)}")
    return "\n".join(lines) + "\n"


def to_dot(graph: Graph) -> str:
    on_loop = {e for c in graph.cycles for e in c}
    out = ["digraph fleet {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    out += [f'  "{n}";' for n in graph.nodes]
    for e in graph.edges:
        style = []
        if e in on_loop:
            style.append('color="red"' if e.loop_reason is None else 'style="dashed"')
        label = e.via.replace('"', "'")
        out.append(f'  "{e.caller}" -> "{e.callee}" [label="{label}"{", " if style else ""}'
                   f'{", ".join(style)}];')
    out.append("}")
    return "\n".join(out) + "\n"
