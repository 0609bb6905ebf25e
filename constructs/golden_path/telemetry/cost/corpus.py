"""Sample log corpora, and a service's rendered log rules replayed over them.

What share of log lines the log floor and the noise filters drop is measured, not
guessed: every line of a corpus goes through the rules as rendered for the service
(the Fluent Bit filters of its router config on ECS; Lambda's application log level
for a function), the same rules the tests run on sample records. On ECS the lines go
through the router as a stream: a line longer than 16 KiB is split by the runtime and
joined again, a stack trace's lines are joined into one record (``replay``), so the
calibration counts both the lines kept and the records they are shipped in. Each
record is also put in a class by the platform's own noise definitions
(``policy.noise_patterns``), whatever the environment turns on: a health check, a
success line, or other; its lines count in that class.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ...errors import Problem, SpecError
from ..policy import level_pattern, noise_patterns
from ..render_check import parse_fluent_bit
from .replay import Record, join_multiline, join_partials, multiline_parser, runtime_records

KINDS = ("web", "worker", "lambda")
CLASSES = ("health_check", "success", "other")
#: A corpus line ``## kind: web`` starts the lines of that kind of service;
#: ``## kind: web, language: python`` the lines only a service of that language prints
#: (its stack traces): the ECS ``language`` field, read from the router's stack-trace filter.
_SECTION = re.compile(r"^##\s*kind:\s*([^\s,]+)\s*(?:,\s*language:\s*(\S+)\s*)?$")
LANGUAGES = ("python", "node", "java", "go", "other")
#: At most this many lines of a corpus are read (a team may point at a big file).
MAX_LINES = 100_000
DEFAULT_CORPUS = ("telemetry", "sample-logs.txt")

#: One Fluent Bit [FILTER]: its Name and its (key, value) entries, as rendered.
Filter = tuple[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True, eq=False)
class Corpus:
    """Log lines by kind of service and language (``None``: lines for every one)."""

    name: str
    default: bool
    sections: tuple[tuple[str | None, str | None, tuple[str, ...]], ...]
    truncated: bool = False

    def lines_for(self, kind: str, language: str | None = None) -> tuple[str, ...]:
        """In the corpus's order; sections of another language left out."""
        return tuple(line for k, lang, lines in self.sections
                     if k in (None, kind) and lang in (None, language) for line in lines)


def default_corpus_path() -> Path:
    from ..render import templates_dir

    return templates_dir().joinpath(*DEFAULT_CORPUS)


def _shown(path: Path) -> str:
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)


def default_corpus() -> Corpus:
    path = default_corpus_path()
    return load_corpus(str(path), f"{_shown(path)} (golden_path's default)", True)


@cache
def load_corpus(path: str, name: str | None = None, default: bool = False,
                limit: int = MAX_LINES) -> Corpus:
    """Read a corpus: one log line per line; blank lines and ``#`` lines are skipped; at
    most ``limit`` lines."""
    shown = name or _shown(Path(path))
    sections: dict[tuple[str | None, str | None], list[str]] = {}
    current: tuple[str | None, str | None] = (None, None)
    count, truncated = 0, False
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for raw in f:
                line = raw.rstrip("\r\n")
                section = _SECTION.match(line)
                if section:
                    current = (section[1], section[2])
                    if section[1] not in KINDS or section[2] not in (None, *LANGUAGES):
                        raise SpecError(Problem(("telemetry", "sample_logs"), path,
                                                f"{shown}: '{line}': kinds are {', '.join(KINDS)}; "
                                                f"languages {', '.join(LANGUAGES)}"))
                    continue
                if not line.strip() or line.startswith("#"):
                    continue
                if count == limit:
                    truncated = True
                    break
                sections.setdefault(current, []).append(line)
                count += 1
    except OSError as exc:
        raise SpecError(Problem(("telemetry", "sample_logs"), path,
                                f"cannot read the sample log corpus: {exc.strerror or exc}; give "
                                "a file of the service's log lines, relative to the service "
                                "file")) from None
    if not count:
        raise SpecError(Problem(("telemetry", "sample_logs"), path,
                                f"{shown} has no log lines (blank and '#' lines are skipped)"))
    if truncated:
        shown += f" (its first {limit:,} lines)"
    return Corpus(shown, default, tuple((k, lang, tuple(v)) for (k, lang), v in sections.items()),
                  truncated)


@dataclass(frozen=True)
class LogRules:
    """A service's log rules as rendered: the router's Fluent Bit filters (ECS) or the
    levels Lambda's application log level drops (a function's stdout)."""

    runtime: str
    router: tuple[Filter, ...] = ()
    lambda_dropped_levels: tuple[str, ...] = ()
    #: The router's parsers file (its [MULTILINE_PARSER] sections), as telemetry-init writes it.
    parsers: str = ""

    @property
    def language(self) -> str | None:
        """The service's language, from the parser of its stack-trace filter (None: none)."""
        from ..render import MULTILINE_PARSERS

        by_parser = {parser: lang for lang, parser in MULTILINE_PARSERS.items() if parser}
        for kind, props in self.router:
            parser = dict(props).get("multiline.parser") if kind == "multiline" else None
            if parser in by_parser:
                return by_parser[parser]
        return None


def router_rules(text: str, parsers: str | None = None) -> LogRules:
    """The [FILTER] sections of a rendered Fluent Bit config, in order, and the parsers
    file the router reads (golden_path's, unless given)."""
    if parsers is None:
        from ..render import PARSERS_TEXT

        parsers = PARSERS_TEXT
    filters = []
    for section, entries in parse_fluent_bit(text):
        if section != "FILTER":
            continue
        props = tuple((k.lower(), v) for k, v in entries)
        filters.append((dict(props)["name"], props))
    return LogRules("ecs", router=tuple(filters), parsers=parsers)


#: Lambda's application log levels -> the levels they drop (in our spelling).
_LAMBDA_DROPS = {"TRACE": (), "DEBUG": ("trace",), "INFO": ("trace", "debug"),
                 "WARN": ("trace", "debug", "info"), "ERROR": ("trace", "debug", "info", "warn"),
                 "FATAL": ("trace", "debug", "info", "warn")}


def lambda_rules(application_log_level: str) -> LogRules:
    return LogRules("lambda", lambda_dropped_levels=_LAMBDA_DROPS[application_log_level.upper()])


class _Program:
    """Compiled rules: ``run_lines(lines)`` -> per record shipped or dropped: (why it is
    dropped or None, the message it carries, how many of the lines it carries)."""

    def __init__(self, rules: LogRules):
        self.runtime = rules.runtime
        #: The joins, in order: ("partial", key) or ("multiline", parser, key).
        self.joins: list[tuple] = []
        self.steps: list[tuple] = []
        for kind, props in rules.router:
            values = dict(props)
            if kind == "multiline":
                if self.steps:
                    raise ValueError("a multiline filter after the parser or grep filters is not "
                                     "modelled by the cost model")
                key = values["multiline.key_content"]
                if values.get("mode") == "partial_message":
                    self.joins.append(("partial", key))
                else:
                    names = [n.strip() for n in values["multiline.parser"].split(",")]
                    if len(names) != 1:  # Fluent Bit picks one per line (flb_ml.c lru_parser)
                        raise ValueError("a multiline filter with several parsers is not "
                                         "modelled by the cost model")
                    self.joins.append(("multiline", multiline_parser(names[0], rules.parsers), key))
            elif kind == "parser":
                self.steps.append(("parser", values["key_name"]))
            elif kind == "modify":
                self.steps.append(("modify", [tuple(v.split()) for k, v in props if k == "rename"]))
            elif kind == "grep":
                excludes = []
                for key, value in props:
                    if key == "exclude":
                        field, _, pattern = value.partition(" ")
                        # Onigmo, Ruby syntax (src/flb_regex.c): ^ and $ anchor lines.
                        excludes.append((field, re.compile(pattern.strip(), re.M)))
                    elif key == "regex":
                        raise ValueError("grep Regex (keep) filters are not modelled by the cost model")
                both = values.get("logical_op", "legacy").lower() == "and"
                self.steps.append(("grep", excludes, both))
            else:
                raise ValueError(f"Fluent Bit filter {kind} is not modelled by the cost model")
        pattern = level_pattern(rules.lambda_dropped_levels)
        self.lambda_floor = re.compile(pattern) if pattern else None

    def run(self, line: str) -> tuple[str | None, str]:
        """One line on its own (shorter than 16 KiB: one record)."""
        return self.run_lines([line])[0][:2]

    def run_lines(self, lines) -> list[tuple[str | None, str, int]]:
        if self.runtime == "lambda":
            return [(*self._lambda(line), 1) for line in lines]
        records: list[Record] = runtime_records(lines)
        for join in self.joins:
            if join[0] == "partial":
                records = join_partials(records, join[1])
            else:
                records = join_multiline(join[1], records, join[2])
        return [(*self._record(fields), n) for fields, n in records]

    def _lambda(self, line: str) -> tuple[str | None, str]:
        record = _json(line)
        message = str(record.get("message", line)) if record else line
        level = record.get("level") if record else None
        if self.lambda_floor and level is not None and self.lambda_floor.search(str(level)):
            return "floor", message
        return None, message

    def _record(self, fields: dict[str, str]) -> tuple[str | None, str]:
        record = dict(fields)
        for step in self.steps:
            if step[0] == "parser":
                parsed = _json(record.get(step[1]))
                if parsed is not None:
                    record.pop(step[1])
                    record.update({k: str(v) for k, v in parsed.items()})
            elif step[0] == "modify":
                for old, new in step[1]:
                    if old in record and new not in record:
                        record[new] = record.pop(old)
            else:
                _, excludes, both = step
                hits = [field in record and bool(rx.search(record[field])) for field, rx in excludes]
                if hits and (all(hits) if both else any(hits)):
                    floor = all(field == "level" for field, _ in excludes)
                    return ("floor" if floor else "noise"), record.get("message", "")
        return None, record.get("message", "")


def _json(text: str | None) -> dict | None:
    if not text or text[0] != "{":
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


@dataclass(frozen=True)
class ClassCount:
    lines: int = 0
    floor: int = 0
    noise: int = 0
    #: The records the kept lines are shipped in (fewer: stack traces joined).
    records: int = 0

    @property
    def kept(self) -> int:
        return self.lines - self.floor - self.noise


@dataclass(frozen=True)
class Calibration:
    """Lines of a corpus by class, and how many of each the rules drop, and why."""

    corpus: Corpus
    kind: str
    classes: dict[str, ClassCount]

    @property
    def lines(self) -> int:
        return sum(c.lines for c in self.classes.values())

    def measured_share(self, cls: str) -> float:
        return self.classes[cls].lines / self.lines if self.lines else 0.0


@cache
def _program(rules: LogRules) -> _Program:
    return _Program(rules)


@cache
def _classifier(health_check_path: str | None) -> tuple[re.Pattern, re.Pattern]:
    health = "|".join(f"(?:{p})" for p in noise_patterns("health_checks", health_check_path))
    success = "|".join(f"(?:{p})" for p in noise_patterns("success_lines", None))
    return re.compile(health), re.compile(success)


@cache
def calibrate(rules: LogRules, corpus: Corpus, kind: str,
              health_check_path: str | None = None, language: str | None = None) -> Calibration:
    """Run the rules over the corpus lines of this kind of service (and of its language:
    ``rules.language`` unless given); count by class: lines, lines dropped by the floor
    and by the noise filters, records kept."""
    program = _program(rules)
    health, success = _classifier(health_check_path if kind == "web" else None)
    counts = {cls: [0, 0, 0, 0] for cls in CLASSES}
    lines_of = corpus.lines_for(kind, language or rules.language)
    for dropped, message, lines in program.run_lines(lines_of):
        if kind == "web" and health.search(message):
            cls = "health_check"
        elif kind != "lambda" and success.search(message):
            cls = "success"
        else:
            cls = "other"
        c = counts[cls]
        c[0] += lines
        if dropped == "floor":
            c[1] += lines
        elif dropped == "noise":
            c[2] += lines
        else:
            c[3] += 1
    return Calibration(corpus, kind, {cls: ClassCount(*c) for cls, c in counts.items()})




