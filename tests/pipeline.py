"""Run the rules of rendered configs on sample records, in Python.

The patterns are read from the rendered collector YAML and Fluent Bit config
(never copied from the policy module), so a broken regex or a lost escape in a
template fails a test. Only the statement shapes golden_path renders are
understood; anything else raises, so a new shape cannot slip by untested.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

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
class Record:
    body: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


def collector_config(text: str) -> dict:
    return yaml.safe_load(text)


def mask_statements(config: dict, context: str) -> list[str]:
    processor = config["processors"]["transform/mask"]
    key = "trace_statements" if context == "span" else "log_statements"
    (group,) = processor[key]
    assert group["context"] == context
    return group["statements"]


def apply_mask(statements: list[str], record: Record) -> Record:
    out = Record(record.body, dict(record.attributes))
    for st in statements:
        if m := re.fullmatch(rf"delete_matching_keys\(attributes, {_OTTL_STRING}\)", st):
            pattern = ottl_unquote(m[1])
            out.attributes = {k: v for k, v in out.attributes.items()
                              if not re.search(pattern, k)}
        elif m := re.fullmatch(rf"replace_pattern\(body, {_OTTL_STRING}, {_OTTL_STRING}\) "
                               r"where IsString\(body\)", st):
            out.body = re.sub(ottl_unquote(m[1]), go_replacement(ottl_unquote(m[2])), out.body)
        elif m := re.fullmatch(rf"replace_all_patterns\(attributes, \"value\", {_OTTL_STRING}, "
                               rf"{_OTTL_STRING}\)", st):
            pattern, repl = ottl_unquote(m[1]), go_replacement(ottl_unquote(m[2]))
            out.attributes = {k: re.sub(pattern, repl, v) for k, v in out.attributes.items()}
        else:
            raise AssertionError(f"statement shape not understood by the test runner: {st}")
    return out


def collector_drops_log(config: dict, body: str, severity_number: int = 0) -> bool:
    """Would filter/noise drop a log record with this body and severity number?"""
    for cond in config["processors"]["filter/noise"]["logs"]["log_record"]:
        if m := re.fullmatch(rf"IsString\(body\) and IsMatch\(body, {_OTTL_STRING}\)", cond):
            if re.search(ottl_unquote(m[1]), body):
                return True
        elif m := re.fullmatch(r"severity_number > SEVERITY_NUMBER_UNSPECIFIED and "
                               r"severity_number < SEVERITY_NUMBER_(\w+)", cond):
            floor = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17}[m[1]]
            if 0 < severity_number < floor:
                return True
        else:
            raise AssertionError(f"condition shape not understood by the test runner: {cond}")
    return False


def fluent_bit_keeps(text: str, record: dict[str, str]) -> bool:
    """Run the Fluent Bit filters (parser json, modify renames, grep excludes) on a record."""
    import json

    record = dict(record)
    for name, entries in parse_fluent_bit(text):
        if name != "FILTER":
            continue
        props = [(k.lower(), v) for k, v in entries]
        kind = dict(props)["name"]
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
                if field_name in record and re.search(pattern, record[field_name]):
                    return False
        else:
            raise AssertionError(f"filter {kind} not understood by the test runner")
    return True


_PSEUDONYM = re.compile(
    rf"set\(attributes\[{_OTTL_STRING}\], SHA256\(Concat\(\[\"(\$\{{[a-z]+:[^}}\"]+\}})\", "
    rf"attributes\[{_OTTL_STRING}\]\], \":\"\)\)\) where attributes\[{_OTTL_STRING}\] != nil")


def pseudonym_statements(config: dict, context: str) -> list[str]:
    """The statements of ``transform/pseudonymize`` for ``context`` ("span" or "log")."""
    proc = config["processors"]["transform/pseudonymize"]
    groups = proc["trace_statements" if context == "span" else "log_statements"]
    return [st for g in groups if g["context"] == context for st in g["statements"]]


def apply_pseudonyms(statements: list[str], record: Record, refs: dict[str, str]) -> Record:
    """Run the pseudonym statements the way the collector does: ``refs`` holds what each
    ``${env:...}`` / ``${secretsmanager:...}`` reference resolves to at start."""
    import hashlib

    out = Record(body=record.body, attributes=dict(record.attributes))
    for st in statements:
        m = _PSEUDONYM.fullmatch(st)
        if not m or not m[1] == m[3] == m[4]:
            raise AssertionError(f"statement shape not understood by the test runner: {st}")
        key = ottl_unquote(m[1])
        if out.attributes.get(key) is not None:
            secret = refs[m[2]]
            out.attributes[key] = hashlib.sha256(f"{secret}:{out.attributes[key]}".encode()).hexdigest()
    return out
