"""What the runtime and the router's multiline filters make of an app's output lines.

The cost model counts log records as the router ships them, so it replays, in Python,
what happens before Fluent Bit's parser and grep filters (docs/log-router.md):

1. the container runtime splits a line longer than 16 KiB into partial records
   (aws/shim-loggers-for-containerd ``logger/common.go``: ``DefaultBufSizeInBytes`` =
   16 * 1024, partial flags; the keys are the Docker fluentd driver's, moby v28.2.2
   ``daemon/logger/fluentd/fluentd.go``: ``partial_message``, ``partial_id``,
   ``partial_ordinal``, ``partial_last``);
2. ``multiline`` in ``mode partial_message`` joins them (fluent-bit v4.2.2
   ``plugins/filter_multiline/ml.c`` ``ml_filter_partial``, ``ml_concat.c``);
3. ``multiline`` with a regex parser joins the lines of a stack trace (fluent-bit v4.2.2
   ``src/multiline/flb_ml_rule.c`` ``flb_ml_rule_process``, ``src/multiline/flb_ml.c``
   ``flb_ml_append_object``). Our own parsers are read from the parsers file as
   rendered; Fluent Bit's built-in ones are compiled into it, so their rules are copied
   here from ``src/multiline/flb_ml_parser_{python,java,go}.c`` (v4.2.2).

A record is ``(fields, lines)``: its keys and how many of the app's lines it carries
(the first partial of a split line carries the line, the others none), so the cost
model can count both lines and records. Pure Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

#: The runtime's line buffer: a longer line becomes partial records of this many bytes.
RUNTIME_SPLIT_BYTES = 16 * 1024
#: A record and the number of app lines it carries.
Record = tuple[dict[str, str], int]
_PARTIAL_PREFIX = "partial_"
_PARTIAL_ID = "0f" * 32  # the runtime's random 64-hex id; one split line at a time here


@dataclass(frozen=True)
class Rule:
    from_states: tuple[str, ...]
    regex: re.Pattern
    to_state: str

    @property
    def start(self) -> bool:
        return "start_state" in self.from_states


@dataclass(frozen=True)
class MultilineParser:
    name: str
    rules: tuple[Rule, ...]

    def next_rules(self, rule: Rule) -> tuple[Rule, ...]:
        """The rules a line may match after ``rule`` (its ``to_state_map``, in order)."""
        return tuple(r for r in self.rules if rule.to_state in r.from_states)


def onig(pattern: str) -> re.Pattern:
    """A rule's ``/regex/`` as Python sees it. Fluent Bit compiles with Onigmo's Ruby
    syntax (src/flb_regex.c ``str_to_regex``), where ``^`` and ``$`` anchor lines."""
    if len(pattern) > 1 and pattern[0] == pattern[-1] == "/":
        pattern = pattern[1:-1]
    return re.compile(pattern, re.M)


def _parser(name: str, rules: list[tuple[str, str, str]]) -> MultilineParser:
    return MultilineParser(name, tuple(
        Rule(tuple(s.strip() for s in states.split(",")), onig(regex), to)
        for states, regex, to in rules))


#: Fluent Bit's built-in regex parsers, rule by rule (from_states, regex, to_state), copied
#: from fluent/fluent-bit v4.2.2 src/multiline/flb_ml_parser_{python,java,go}.c.
BUILTIN_RULES: dict[str, list[tuple[str, str, str]]] = {
    "python": [
        ("start_state", r"/^Traceback \(most recent call last\):$/", "python"),
        ("python", r"/^[\t ]+File /", "python_code"),
        ("python_code", r"/[^\t ]/", "python"),
        ("python", r"/^(?:[^\s.():]+\.)*[^\s.():]+:/", "start_state"),
    ],
    "java": [
        ("start_state, java_start_exception",
         r"/(.)(?:Exception|Error|Throwable|V8 errors stack trace)[:\r\n]/", "java_after_exception"),
        ("java_after_exception", r"/^[\t ]*nested exception is:[\t ]*/", "java_start_exception"),
        ("java_after_exception", r"/^[\r\n]*$/", "java_after_exception"),
        ("java_after_exception, java", r"/^[\t ]+(?:eval )?at /", "java"),
        ("java_after_exception, java", r"/^[\t ]+--- End of inner exception stack trace ---$/", "java"),
        ("java_after_exception, java",
         r"/^--- End of stack trace from previous (?x:)location where exception was thrown ---$/",
         "java"),
        ("java_after_exception, java", r"/^[\t ]*(?:Caused by|Suppressed):/", "java_after_exception"),
        ("java_after_exception, java", r"/^[\t ]*... \d+ (?:more|common frames omitted)/", "java"),
    ],
    "go": [
        ("start_state", r"/\bpanic: /", "go_after_panic"),
        ("start_state", r"/http: panic serving/", "go_goroutine"),
        ("go_after_panic", r"/^$/", "go_goroutine"),
        ("go_after_panic, go_after_signal, go_frame_1", r"/^$/", "go_goroutine"),
        ("go_after_panic", r"/^\[signal /", "go_after_signal"),
        ("go_goroutine", r"/^goroutine \d+ \[[^\]]+\]:$/", "go_frame_1"),
        ("go_frame_1", r"/^(?:[^\s.:]+\.)*[^\s.():]+\(|^created by /", "go_frame_2"),
        ("go_frame_2", r"/^\s/", "go_frame_1"),
    ],
}


def _tokens(value: str) -> list[str]:
    """A ``rule`` value's quoted tokens, as src/flb_slist.c ``token_retrieve`` reads them."""
    return [t.replace('\\"', '"') for t in re.findall(r'"((?:[^"\\]|\\.)*)"', value)]


def parsers_in(text: str) -> dict[str, MultilineParser]:
    """The ``[MULTILINE_PARSER]`` sections of a parsers file (classic format)."""
    from ..render_check import parse_fluent_bit

    found = {}
    for section, entries in parse_fluent_bit(text):
        if section != "MULTILINE_PARSER":
            continue
        props = [(k.lower(), v) for k, v in entries]
        name = dict(props)["name"]
        found[name] = _parser(name, [tuple(_tokens(v)) for k, v in props if k == "rule"])
    return found


@cache
def multiline_parser(name: str, parsers_text: str) -> MultilineParser:
    """A parser by the name a filter gives: ours (from the parsers file) or built in."""
    own = parsers_in(parsers_text)
    if name in own:
        return own[name]
    if name in BUILTIN_RULES:
        return _parser(name, BUILTIN_RULES[name])
    raise ValueError(f"multiline parser {name} is neither in the parsers file nor built in")


def runtime_records(lines) -> list[Record]:
    """The records the runtime sends for these lines: one per line, or partial records
    of 16,384 bytes (the last one with the rest, possibly empty) for a longer line."""
    out: list[Record] = []
    for line in lines:
        data = line.encode("utf-8", "surrogateescape")
        if len(data) < RUNTIME_SPLIT_BYTES:
            out.append(({"log": line}, 1))
            continue
        pieces = [data[i:i + RUNTIME_SPLIT_BYTES]
                  for i in range(0, len(data) // RUNTIME_SPLIT_BYTES * RUNTIME_SPLIT_BYTES,
                                 RUNTIME_SPLIT_BYTES)]
        pieces.append(data[len(pieces) * RUNTIME_SPLIT_BYTES:])
        for ordinal, piece in enumerate(pieces, 1):
            out.append(({"log": piece.decode("utf-8", "surrogateescape"), "partial_message": "true",
                         "partial_id": _PARTIAL_ID, "partial_ordinal": str(ordinal),
                         "partial_last": "true" if ordinal == len(pieces) else "false"},
                        1 if ordinal == 1 else 0))
    return out


def _true(value: str | None) -> bool:
    return value is not None and value[:4].lower() == "true"  # strncasecmp("true", v, 4)


def join_partials(records: list[Record], key: str) -> list[Record]:
    """``mode partial_message``: partial records joined by ``partial_id``; the whole record
    keeps the first partial's keys but the ``partial_*`` ones, and is emitted with the
    last partial; partials still open at the end are flushed (the filter's timer)."""
    out: list[Record] = []
    open_: dict[str, list] = {}
    for fields, lines in records:
        if not _true(fields.get("partial_message")) or "partial_id" not in fields:
            out.append((fields, lines))
            continue
        packer = open_.setdefault(fields["partial_id"], [
            {k: v for k, v in fields.items() if k != key and not k.startswith(_PARTIAL_PREFIX)},
            b"", 0])
        packer[1] += fields.get(key, "").encode("utf-8", "surrogateescape")
        packer[2] += lines
        if _true(fields.get("partial_last")):
            out.append(_packed(open_.pop(fields["partial_id"]), key))
    out.extend(_packed(p, key) for p in open_.values())
    return out


def _packed(packer: list, key: str) -> Record:
    fields, content, lines = packer
    return {**fields, key: content.decode("utf-8", "surrogateescape")}, lines


def join_multiline(parser: MultilineParser, records: list[Record], key: str) -> list[Record]:
    """A buffered ``multiline`` filter with one regex parser, on one stream: Fluent Bit's
    state machine, step by step (flb_ml_rule_process, try_flushing_buffer,
    flb_ml_append_object). The state survives a flush, as it does there."""
    out: list[Record] = []
    state: Rule | None = None
    buf = ""
    context: dict[str, str] | None = None
    lines_in_buf = 0

    def flush(only_with_text: bool = False) -> None:
        nonlocal buf, context, lines_in_buf
        if only_with_text and not buf:
            return
        if context is not None:  # the first line's keys, its content replaced by the join
            out.append(({**context, key: buf} if buf else context, lines_in_buf))
        elif buf:
            out.append(({key: buf}, lines_in_buf))
        buf, context, lines_in_buf = "", None, 0

    for fields, lines in records:
        text = fields.get(key)
        if not isinstance(text, str):
            flush()
            out.append((fields, lines))
            continue
        rule = None
        if state is not None:
            for candidate in parser.next_rules(state):
                if candidate.start or not candidate.regex.search(text):
                    continue
                if buf and not buf.endswith("\n"):
                    buf += "\n"
                buf += text if text else "\n"
                lines_in_buf += lines
                rule = candidate
                break
        if rule is None:
            rule = next((r for r in parser.rules if r.start and r.regex.search(text)), None)
            if rule is not None:
                flush(only_with_text=True)
                buf, context, lines_in_buf = text, dict(fields), lines
        if rule is None:  # no rule: what is pending goes, then this record as it is
            flush()
            out.append((fields, lines))
            continue
        state = rule
        if any(r.start for r in parser.next_rules(rule)):
            flush(only_with_text=True)
    flush()
    return out
