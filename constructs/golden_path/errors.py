"""The one exception type for user mistakes, and how it is printed.

A ``SpecError`` carries one or more ``Problem``s. Each names the field path
(``scaling.max``), the bad value, and a hint that says what to write instead.
The CLI prints them with file and line and exits 2; nothing else in the
library raises for bad input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

Path = tuple[str | int, ...]

#: The exit code of every command for bad input (a spec, a flag, a file it cannot read).
EXIT_BAD_INPUT = 2


def format_path(path: Path) -> str:
    """``("scaling", "queue", "arn")`` -> ``scaling.queue.arn``; list items as ``[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "<root>"


@dataclass(frozen=True)
class Problem:
    path: Path
    value: Any
    hint: str
    file: str | None = None
    line: int | None = None

    @property
    def field(self) -> str:
        return format_path(self.path)

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        shown = "" if self.value is _MISSING else f" = {self.value!r}"
        return f"{where}{self.field}{shown}: {self.hint}"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
MISSING = _MISSING


class SpecError(ValueError):
    """A mistake in a service spec (YAML or Python arguments)."""

    def __init__(self, problems: Problem | Sequence[Problem]):
        problems = (problems,) if isinstance(problems, Problem) else tuple(problems)
        # The same mistake inherited by several environments is reported once.
        self.problems: tuple[Problem, ...] = tuple({str(p): p for p in problems}.values())
        if not self.problems:
            raise ValueError("SpecError needs at least one problem")
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def at(cls, path: Path | str, value: Any, hint: str) -> SpecError:
        if isinstance(path, str):
            path = tuple(path.split("."))
        return cls(Problem(tuple(path), value, hint))

    # The first problem's fields, for the common single-problem case.
    @property
    def path(self) -> Path:
        return self.problems[0].path

    @property
    def field(self) -> str:
        return self.problems[0].field

    @property
    def value(self) -> Any:
        return self.problems[0].value

    @property
    def hint(self) -> str:
        return self.problems[0].hint

    def located(self, file: str, lines: dict[Path, int]) -> SpecError:
        """The same problems with file and the line of the closest known path."""
        return SpecError([_locate(p, file, lines) for p in self.problems])

    def placed(self, origins: Mapping[Path, Any]) -> SpecError:
        """The same problems placed where their value came from.

        ``origins`` maps field paths to objects with ``file`` and ``line`` (see
        ``load/provenance.py``); a path without one takes its closest parent's.
        Problems that already know their file keep it.
        """
        return SpecError([p if p.file else _place(p, origins) for p in self.problems])


def _locate(problem: Problem, file: str, lines: dict[Path, int]) -> Problem:
    path = problem.path
    while path and path not in lines:
        path = path[:-1]
    return replace(problem, file=file, line=lines.get(path, 1))


def _place(problem: Problem, origins: Mapping[Path, Any]) -> Problem:
    path = problem.path
    while path and path not in origins:
        path = path[:-1]
    origin = origins.get(path)
    if origin is None:
        return problem
    return replace(problem, file=origin.file, line=origin.line)


def collect(problems: Iterable[Problem]) -> None:
    """Raise one SpecError for all problems, if any."""
    problems = list(problems)
    if problems:
        raise SpecError(problems)
