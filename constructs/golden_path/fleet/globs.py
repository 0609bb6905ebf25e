"""Can two wildcard patterns match the same text? (ALB host and path conditions.)

ALB conditions use ``*`` (any run of characters) and ``?`` (one character). Two
patterns overlap when some string matches both; that is a search over pairs of
positions, one in each pattern, where a ``*`` may stay put while the other
pattern moves on.
"""

from __future__ import annotations

from functools import lru_cache


def overlap(a: str, b: str) -> bool:
    """True when some string matches both wildcard patterns."""
    return _overlap(a, b)


@lru_cache(maxsize=4096)
def _overlap(a: str, b: str) -> bool:
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        ca = a[i] if i < len(a) else None
        cb = b[j] if j < len(b) else None
        # A star may match nothing.
        if ca == "*":
            stack.append((i + 1, j))
        if cb == "*":
            stack.append((i, j + 1))
        if ca is None or cb is None:
            continue
        # Both consume one character of the common string.
        if ca == "*" and cb == "*":
            stack.append((i, j))  # nothing new: either star skipping covers it
        elif ca == "*":
            stack.append((i, j + 1))  # the star eats b's character (or any one for '?')
        elif cb == "*":
            stack.append((i + 1, j))
        elif ca == "?" or cb == "?" or ca == cb:
            stack.append((i + 1, j + 1))
    return False


def any_overlap(left: list[str], right: list[str], *, casefold: bool = False) -> bool:
    """Do two condition lists match a common value? An empty list matches anything."""
    if not left or not right:
        return True
    norm = str.lower if casefold else (lambda s: s)
    return any(overlap(norm(x), norm(y)) for x in left for y in right)
