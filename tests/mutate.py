"""Change one field of a spec dict by dotted path, for bad-input catalogs."""

from __future__ import annotations

DELETE = object()


def set_field(path: str, value):
    """A function that sets (or, with DELETE, removes) ``path`` in a spec dict."""
    def mutate(spec: dict) -> None:
        *parents, leaf = path.split(".")
        node = spec
        for p in parents:
            node = node[int(p)] if p.isdigit() else node.setdefault(p, {})
        if value is DELETE:
            del node[leaf]
        elif leaf.isdigit():
            node[int(leaf)] = value
        else:
            node[leaf] = value
    return mutate
