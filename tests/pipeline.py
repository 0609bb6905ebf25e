"""Run the rules of rendered configs on sample records, in Python.

The patterns are read from the rendered collector YAML and Fluent Bit config
(never copied from the policy module), so a broken regex or a lost escape in a
template fails a test. Only the statement shapes golden_path renders are
understood; anything else raises, so a new shape cannot slip by untested.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from golden_path.telemetry.cost.replay import BUILTIN_RULES
from golden_path.telemetry.render_check import parse_fluent_bit

_OTTL_STRING = r'"((?:[^"\\]|\\.)*)"'


def ottl_unquote(literal: str) -> str:
    """An OTTL string body as the collector sees it: ``$$`` expanded, escapes resolved."""
    text = literal.replace("$$", "$")
    return re.sub(r"\\(.)", r"\1", text)


def go_replacement(template: str) -> str:
    """Go's ``${1}`` replacement syntax -> Python's ``\\g<1>``."""
    return re.sub(r"\$\{(\d+)\}", r"\\g<\1>", template)


@dataclass
class Event:
    """A span event."""

    name: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass
class Record:
    """A span (name, attributes, events) or a log record (body, attributes), with its
    resource's attributes. A log body is a string, or a map for a Fluent Bit record
    without a ``message`` key; attribute and body values may nest maps and lists."""

    body: Any = ""
    attributes: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    resource: dict[str, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)


def collector_config(text: str) -> dict:
    return yaml.safe_load(text)


#: The pipeline whose processors say which masking applies to a signal.
_PIPELINE = {"traces": "traces/sampled", "logs": "logs"}
_STATEMENTS = {"traces": "trace_statements", "logs": "log_statements"}


def mask_statements(config: dict, signal: str) -> list[tuple[str, list[str]]]:
    """(context, statements) of the transform/mask* processors of ``signal`` ("traces" or
    "logs"), in pipeline order. ``config`` holds every processor the pipeline names (on
    ECS: both files merged). "span" and "log" name the same signals."""
    signal = {"span": "traces", "log": "logs"}.get(signal, signal)
    groups = []
    for name in config["service"]["pipelines"][_PIPELINE[signal]]["processors"]:
        if name.startswith("transform/mask"):
            for group in config["processors"][name][_STATEMENTS[signal]]:
                groups.append((group["context"], group["statements"]))
    assert groups, f"no masking processor in the {signal} pipeline"
    return groups


def _replace_strings(values: dict, pattern: str, repl: str) -> dict:
    """replace_all_patterns(..., "value", ...): string values of the map's first level only
    (pkg/ottl/ottlfuncs/func_replace_all_patterns.go skips every other type)."""
    return {k: re.sub(pattern, repl, v) if isinstance(v, str) else v for k, v in values.items()}


def _run(statement: str, context: str, target: dict) -> None:
    """One statement on ``target``: {"attributes": ..., "name": ..., "body": ...}."""
    lit = _OTTL_STRING
    if m := re.fullmatch(rf"delete_matching_keys\(attributes, {lit}\)", statement):
        pattern = ottl_unquote(m[1])
        target["attributes"] = {k: v for k, v in target["attributes"].items()
                                if not re.search(pattern, k)}
    elif m := re.fullmatch(rf"replace_all_patterns\(attributes, \"value\", {lit}, {lit}\)",
                           statement):
        target["attributes"] = _replace_strings(target["attributes"], ottl_unquote(m[1]),
                                                go_replacement(ottl_unquote(m[2])))
    elif context in ("span", "spanevent") and (
            m := re.fullmatch(rf"replace_pattern\(name, {lit}, {lit}\)", statement)):
        target["name"] = re.sub(ottl_unquote(m[1]), go_replacement(ottl_unquote(m[2])),
                                target["name"])
    elif context == "log" and (m := re.fullmatch(
            rf"replace_pattern\(body, {lit}, {lit}\) where IsString\(body\)", statement)):
        if isinstance(target["body"], str):
            target["body"] = re.sub(ottl_unquote(m[1]), go_replacement(ottl_unquote(m[2])),
                                    target["body"])
    elif context == "log" and (m := re.fullmatch(
            rf"replace_all_patterns\(body, \"value\", {lit}, {lit}\) where IsMap\(body\)",
            statement)):
        if isinstance(target["body"], dict):
            target["body"] = _replace_strings(target["body"], ottl_unquote(m[1]),
                                              go_replacement(ottl_unquote(m[2])))
    elif context == "log" and (m := re.fullmatch(
            rf"delete_matching_keys\(body, {lit}\) where IsMap\(body\)", statement)):
        if isinstance(target["body"], dict):
            pattern = ottl_unquote(m[1])
            target["body"] = {k: v for k, v in target["body"].items()
                              if not re.search(pattern, k)}
    else:
        raise AssertionError(f"statement shape not understood by the test runner "
                             f"(context {context}): {statement}")


def apply_mask(groups: list[tuple[str, list[str]]], record: Record) -> Record:
    """Run the masking statement groups on a copy of ``record`` the way the transform
    processor does: each group in order, on its context (resource, span, spanevent, log)."""
    out = copy.deepcopy(record)
    for context, statements in groups:
        if context == "resource":
            targets = [{"attributes": out.resource}]
        elif context in ("span", "log"):
            targets = [{"attributes": out.attributes, "name": out.name, "body": out.body}]
        elif context == "spanevent":
            targets = [{"attributes": e.attributes, "name": e.name} for e in out.events]
        else:
            raise AssertionError(f"context {context} not understood by the test runner")
        for target in targets:
            for statement in statements:
                _run(statement, context, target)
        if context == "resource":
            out.resource = targets[0]["attributes"]
        elif context in ("span", "log"):
            t = targets[0]
            out.attributes, out.name, out.body = t["attributes"], t["name"], t["body"]
        else:
            out.events = [Event(t["name"], t["attributes"]) for t in targets]
    return out


def mask(config: dict, signal: str, record: Record) -> Record:
    """The masking of ``signal`` ("traces" or "logs") applied to ``record``."""
    return apply_mask(mask_statements(config, signal), record)


def collector_drops_log(config: dict, body: str, severity_number: int = 0) -> bool:
    """Would filter/noise drop a log record with this body and severity number?"""
    for cond in config["processors"]["filter/noise"]["log_conditions"]:
        if m := re.fullmatch(rf"IsString\(log\.body\) and IsMatch\(log\.body, {_OTTL_STRING}\)",
                             cond):
            if isinstance(body, str) and re.search(ottl_unquote(m[1]), body):
                return True
        elif m := re.fullmatch(r"log\.severity_number > SEVERITY_NUMBER_UNSPECIFIED and "
                               r"log\.severity_number < SEVERITY_NUMBER_(\w+)", cond):
            floor = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17}[m[1]]
            if 0 < severity_number < floor:
                return True
        else:
            raise AssertionError(f"condition shape not understood by the test runner: {cond}")
    return False


def collector_drops_span(config: dict, processor: str, attributes: dict[str, str],
                         status_code: str = "STATUS_CODE_UNSET") -> bool:
    """Would ``processor`` (a filter) drop a span with these attributes and status?"""
    for cond in config["processors"][processor]["trace_conditions"]:
        if m := re.fullmatch(rf'span\.attributes\["url\.path"\] == {_OTTL_STRING} or '
                             rf'span\.attributes\["http\.target"\] == {_OTTL_STRING}', cond):
            path = ottl_unquote(m[1])
            assert ottl_unquote(m[2]) == path
            if path in (attributes.get("url.path"), attributes.get("http.target")):
                return True
        elif m := re.fullmatch(rf'IsMatch\(span\.attributes\["user_agent\.original"\], '
                               rf'{_OTTL_STRING}\)', cond):
            agent = attributes.get("user_agent.original")
            if agent is not None and re.search(ottl_unquote(m[1]), agent):
                return True
        elif m := re.fullmatch(r"span\.status\.code (==|!=) (STATUS_CODE_\w+)", cond):
            if (status_code == m[2]) == (m[1] == "=="):
                return True
        else:
            raise AssertionError(f"condition shape not understood by the test runner: {cond}")
    return False


def fluent_bit_keeps(text: str, record: dict[str, str]) -> bool:
    """One record through the router: the multiline joins (a lone short record passes them
    whole), then the filters (parser json, modify renames, grep excludes)."""
    (kept,) = [keep for _, keep in fluent_bit_stream(text, [record])]
    return kept


#: ECS: the key is the hex string telemetry-init wrote to a file, read with ${file:...};
#: Lambda: SHA256 of the secret, read with ${secretsmanager:...}. The same key either way.
_PSEUDONYM = re.compile(
    rf"set\(attributes\[{_OTTL_STRING}\], SHA256\(Concat\(\[(?P<hash>SHA256\()?"
    rf"\"(?P<ref>\$\{{[a-z]+:[^}}\"]+\}})\"(?(hash)\)), "
    rf"attributes\[{_OTTL_STRING}\]\], \":\"\)\)\) where attributes\[{_OTTL_STRING}\] != nil")


def pseudonym_statements(config: dict, context: str) -> list[str]:
    """The statements of ``transform/pseudonymize`` for ``context`` ("span" or "log")."""
    proc = config["processors"]["transform/pseudonymize"]
    groups = proc["trace_statements" if context == "span" else "log_statements"]
    return [st for g in groups if g["context"] == context for st in g["statements"]]


def apply_pseudonyms(statements: list[str], record: Record, refs: dict[str, str]) -> Record:
    """Run the pseudonym statements the way the collector does: ``refs`` holds what each
    ``${file:...}`` / ``${secretsmanager:...}`` reference resolves to at start."""
    import hashlib

    def sha256(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    out = copy.deepcopy(record)
    for st in statements:
        m = _PSEUDONYM.fullmatch(st)
        if not m or not m[1] == m[4] == m[5]:
            raise AssertionError(f"statement shape not understood by the test runner: {st}")
        key = ottl_unquote(m[1])
        if out.attributes.get(key) is not None:
            secret = refs[m["ref"]]
            # A literal with '"' or '\\' would end or escape the OTTL string: refuse here
            # what the collector would refuse at start.
            assert '"' not in secret and "\\" not in secret, "the key breaks the OTTL literal"
            hex_key = sha256(secret) if m["hash"] else secret
            out.attributes[key] = sha256(f"{hex_key}:{out.attributes[key]}")
    return out


# ---- the log router, as a stream: the runtime's split, the multiline joins, the filters --
#
# Sources (docs/log-router.md): the runtime cuts a line at 16 KiB and marks the pieces
# (aws/shim-loggers-for-containerd logger/common.go; moby v28.2.2
# daemon/logger/fluentd/fluentd.go); Fluent Bit v4.2.2 joins them
# (plugins/filter_multiline/ml.c ml_filter_partial, ml_concat.c) and runs the regex
# parsers (src/multiline/flb_ml_rule.c flb_ml_rule_process, try_flushing_buffer;
# src/multiline/flb_ml.c flb_ml_append_object). Our parsers are read from the parsers
# file as rendered; Fluent Bit's built-in ones are compiled into it, so their rules are
# copied below.

#: aws/shim-loggers-for-containerd logger/common.go: DefaultBufSizeInBytes = 16 * 1024.
RUNTIME_LINE_BYTES = 16 * 1024

#: fluent/fluent-bit v4.2.2's built-in multiline rules (flb_ml_parser_{python,java,go}.c),
#: kept once, in the cost model's replay, which copies them with their citation.
BUILTIN_MULTILINE_RULES = BUILTIN_RULES


@dataclass
class MlRule:
    from_states: list[str]
    regex: re.Pattern
    to_state: str

    @property
    def start_state(self) -> bool:
        return "start_state" in self.from_states


def _ml_rules(rules: list[tuple[str, str, str]]) -> list[MlRule]:
    out = []
    for from_states, regex, to_state in rules:
        assert regex.startswith("/") and regex.endswith("/"), regex
        # Onigmo, Ruby syntax (src/flb_regex.c): ^ and $ anchor lines.
        out.append(MlRule([s.strip() for s in from_states.split(",")],
                          re.compile(regex[1:-1], re.M), to_state))
    return out


def multiline_parsers(parsers_text: str) -> dict[str, list[MlRule]]:
    """The [MULTILINE_PARSER] sections of the rendered parsers file, then the built-ins."""
    found = {name: _ml_rules(rules) for name, rules in BUILTIN_MULTILINE_RULES.items()}
    for name, entries in parse_fluent_bit(parsers_text):
        if name == "MULTILINE_PARSER":
            props = [(k.lower(), v) for k, v in entries]
            rules = [tuple(re.findall(r'"([^"]*)"', v)) for k, v in props if k == "rule"]
            found[dict(props)["name"]] = _ml_rules(rules)
    return found


def runtime_split(lines: list[str]) -> list[dict[str, str]]:
    """What FireLens's forward input receives: one record per line, a line of 16 KiB or
    more as pieces of 16,384 bytes, the last with the rest (moby's partial keys)."""
    records = []
    for n, line in enumerate(lines):
        data = line.encode()
        if len(data) < RUNTIME_LINE_BYTES:
            records.append({"log": line, "source": "stdout"})
            continue
        cuts = list(range(0, len(data) + 1, RUNTIME_LINE_BYTES))
        for ordinal, start in enumerate(cuts, 1):
            records.append({"log": data[start:start + RUNTIME_LINE_BYTES].decode(errors="replace"),
                            "source": "stdout", "partial_message": "true",
                            "partial_id": f"{n:064x}", "partial_ordinal": str(ordinal),
                            "partial_last": str(ordinal == len(cuts)).lower()})
    return records


def _partial_message(records: list[dict], key: str) -> list[dict]:
    """ml_filter_partial: pieces kept by partial_id until partial_last; the whole record has
    the first piece's keys minus partial_*; pieces left open are flushed by the timer."""
    out, packers = [], {}
    for record in records:
        if str(record.get("partial_message", ""))[:4].lower() != "true" or "partial_id" not in record:
            out.append(record)
            continue
        pid = record["partial_id"]
        if pid not in packers:
            packers[pid] = {k: v for k, v in record.items()
                            if k != key and not k.startswith("partial_")}
            packers[pid][key] = ""
        packers[pid][key] += record[key]
        if str(record.get("partial_last", ""))[:4].lower() == "true":
            out.append(packers.pop(pid))
    return out + list(packers.values())


class _MlStream:
    """One stream of a buffered multiline filter with one regex parser."""

    def __init__(self, rules: list[MlRule], key: str):
        self.rules, self.key, self.out = rules, key, []
        self.rule_to_state: MlRule | None = None
        self.buf, self.context = "", None

    def to_state_map(self, rule: MlRule) -> list[MlRule]:
        return [r for r in self.rules if rule.to_state in r.from_states]

    def flush(self) -> None:  # flb_ml_flush_stream_group
        if self.context is not None:
            self.out.append({**self.context, self.key: self.buf} if self.buf else self.context)
        elif self.buf:
            self.out.append({self.key: self.buf})
        self.buf, self.context = "", None

    def rule_process(self, record: dict) -> bool:  # flb_ml_rule_process: False is its -1
        line, rule = record[self.key], None
        if self.rule_to_state is not None:
            for st in self.to_state_map(self.rule_to_state):
                if st.start_state or not st.regex.search(line):
                    continue
                if self.buf and self.buf[-1] != "\n":
                    self.buf += "\n"
                self.buf += line if line else "\n"
                rule = st
                break
        if rule is None:
            rule = next((r for r in self.rules if r.start_state and r.regex.search(line)), None)
            if rule is not None:
                if self.buf:
                    self.flush()
                self.buf, self.context = line, dict(record)
        if rule is None:
            return False
        self.rule_to_state = rule
        # try_flushing_buffer: a rule that leads back to a start state ends the record
        if any(st.start_state for st in self.to_state_map(rule)) and self.buf:
            self.flush()
        return True

    def append(self, record: dict) -> None:  # flb_ml_append_object
        if not isinstance(record.get(self.key), str) or not self.rule_process(record):
            self.flush()
            self.out.append(record)


def _multiline(records: list[dict], rules: list[MlRule], key: str) -> list[dict]:
    stream = _MlStream(rules, key)
    for record in records:
        stream.append(record)
    stream.flush()  # the flush timer, at the end of the sample
    return stream.out


def fluent_bit_stream(text: str, records: list[dict], parsers: str | None = None
                      ) -> list[tuple[dict, bool]]:
    """Records (as FireLens's input receives them) through the rendered router config:
    the multiline filters on the whole stream, in order, then every other filter record
    by record. Returns each record that reaches the filters and whether it is kept."""
    if parsers is None:
        from golden_path.telemetry.render import PARSERS_TEXT

        parsers = PARSERS_TEXT
    known = multiline_parsers(parsers)
    records = [dict(r) for r in records]
    filters = [dict((k.lower(), v) for k, v in entries)
               for name, entries in parse_fluent_bit(text) if name == "FILTER"]
    for f in filters:
        if f["name"] != "multiline":
            continue
        if f.get("mode") == "partial_message":
            records = _partial_message(records, f["multiline.key_content"])
        else:
            (parser,) = [p.strip() for p in f["multiline.parser"].split(",")]
            records = _multiline(records, known[parser], f["multiline.key_content"])
    return [_fluent_bit_filters(text, record) for record in records]


def fluent_bit_lines(text: str, lines: list[str], parsers: str | None = None
                     ) -> list[tuple[dict, bool]]:
    """App output lines through the runtime and the router."""
    return fluent_bit_stream(text, runtime_split(lines), parsers)


def _fluent_bit_filters(text: str, record: dict[str, str]) -> tuple[dict, bool]:
    """The record filters (parser json, modify renames, grep excludes) on one record."""
    import json

    record = dict(record)
    for name, entries in parse_fluent_bit(text):
        if name != "FILTER":
            continue
        props = [(k.lower(), v) for k, v in entries]
        kind = dict(props)["name"]
        if kind == "multiline":
            continue  # run on the stream by fluent_bit_stream
        if kind == "parser":
            raw = record.get(dict(props)["key_name"])
            try:
                parsed = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                parsed = None
            if isinstance(parsed, dict):
                record.pop(dict(props)["key_name"])
                record.update({k: str(v) for k, v in parsed.items()})
        elif kind == "modify":
            for key, value in props:
                if key == "rename":
                    old, new = value.split()
                    if old in record and new not in record:
                        record[new] = record.pop(old)
        elif kind == "grep":
            excludes = [v.split(" ", 1) for k, v in props if k == "exclude"]
            for field_name, pattern in excludes:
                # Onigmo, Ruby syntax (src/flb_regex.c): ^ and $ anchor lines.
                if field_name in record and re.search(pattern, record[field_name], re.M):
                    return record, False
        else:
            raise AssertionError(f"filter {kind} not understood by the test runner")
    return record, True
