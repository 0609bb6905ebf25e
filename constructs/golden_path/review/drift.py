"""Drift: where the real resources differ from main, read from Terraform's plan JSON.

Input, one file per stack, in either of Terraform's JSON forms:

- ``terraform show -json plan.out`` (one JSON document): its ``resource_drift`` array,
  each entry's ``change.before`` the prior state (what Terraform last wrote, from main)
  and ``change.after`` the state refreshed from AWS. Every attribute path that differs
  AND that the plan changes back (its ``resource_changes``: an update of that path, or the
  resource created again) is reported, with the value in AWS and the value in main; what
  a refresh merely reads back differently (Terraform plans a no-op) is not drift. A value
  Terraform marks sensitive (``before_sensitive``/``after_sensitive``) is never printed.
- ``terraform plan -json`` (the streamed log, one JSON message a line): its
  ``resource_drift`` messages. They name the resource and the action only (Terraform
  streams no values), so the attribute is empty and both values null.

The stack is the file's name: ``<stack>.plan.json``, ``<stack>.tfplan.json`` or
``<stack>.json``; a file named only ``plan.json`` (``tfplan.json``, ``drift.json``,
``show.json``) takes its folder's name (``plans/<stack>/plan.json``). A folder given
instead of a file stands for the ``*.json`` files in it.

Every stack that should have a plan: a GitHub Actions matrix (``golden-path changed
--format matrix``: ``{"include": [{"stacks": [...]}, ...]}``) or ``changed --format json``
output (its ``apply_order``) given among the files names them. A stack it names without
a plan file (its plan failed, or its job never ran) is reported as **not planned** and
counts like a drift (exit 1): nothing says AWS matches main there. Without such a list,
only the plans given are read (and a folder without plan JSON is an error).

The drifts are grouped like a review's changes: the same resource, attribute and values
(each stack's own name, environment, account and region taken out) are one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .identity import Identity, identify
from .synth_diff import JSON_STRING_ATTRS, _walk, parse_json_string

#: What a sensitive value is shown as (never its value).
SENSITIVE = "(sensitive)"
_GENERIC_NAMES = {"plan", "tfplan", "drift", "show", "terraform"}


class DriftInputError(ValueError):
    """A plan file that cannot be read: the CLI prints it on one line and exits 2."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")


@dataclass
class Drifted:
    address: str
    type: str
    #: The attribute path; empty for the whole resource (deleted in AWS, or a streamed log).
    attribute: str
    aws: Any
    main: Any
    #: update or delete (Terraform's drift action; not in the JSON form)
    action: str = "update"


@dataclass
class StackDrift:
    stack: str
    path: str
    resources: list[Drifted] = field(default_factory=list)
    identity: Identity | None = None
    #: The streamed log names resources only (no values).
    streamed: bool = False
    #: False: a stack the stack list names without a plan file (``resources`` then holds
    #: one NOT_PLANNED entry, so that it counts like a drift).
    planned: bool = True


#: The action of the one entry of a stack that has no plan.
NOT_PLANNED = "not planned"


class StackDrifts(list):
    """The stacks read (``read_plans``), by name; ``expected`` is the stack list given
    (a matrix), None without one."""

    expected: list[str] | None = None


def stack_list(doc: Any) -> list[str] | None:
    """The stacks a ``changed --format matrix`` (``{"include": [{"stacks": [...]}]}``) or
    ``changed --format json`` (``apply_order``) document names; None for anything else."""
    if not isinstance(doc, dict) or "format_version" in doc:
        return None
    include, order = doc.get("include"), doc.get("apply_order")
    if isinstance(include, list) and all(isinstance(s, dict) and isinstance(s.get("stacks"), list)
                                         for s in include):
        names = [n for s in include for n in s["stacks"]]
    elif isinstance(order, list):
        names = order
    else:
        return None
    return names if all(isinstance(n, str) and n for n in names) else None


def stack_name(path: Path) -> str:
    """``<stack>.plan.json`` / ``<stack>.tfplan.json`` / ``<stack>.json`` -> ``<stack>``;
    ``plan.json`` and the like -> the folder's name."""
    stem = path.name.removesuffix(".json")
    for suffix in (".plan", ".tfplan", ".drift"):
        stem = stem.removesuffix(suffix)
    if stem.lower() in _GENERIC_NAMES or not stem:
        return path.resolve().parent.name
    return stem


def expand(paths: list[str], empty_ok: bool = False) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.json") if p.is_file())
            if not found and not empty_ok:
                raise DriftInputError(path, "a folder without plan JSON (*.json) files")
            files += found
        elif not path.exists():
            raise DriftInputError(path, "no such file")
        else:
            files.append(path)
    return files


def _messages(path: Path, text: str) -> tuple[dict | None, list[dict]]:
    """(the ``show -json`` document, or None; the streamed log's messages)."""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and "type" not in doc:
        if stack_list(doc) is not None:
            return doc, []
        if not {"format_version", "resource_drift", "resource_changes", "planned_values",
                "prior_state"} & set(doc):
            raise DriftInputError(path, "not Terraform plan JSON (neither `terraform show -json "
                                        "PLAN` nor `terraform plan -json` output)")
        return doc, []
    if doc is not None and not isinstance(doc, dict):
        raise DriftInputError(path, "not Terraform plan JSON (a JSON document that is not an "
                                    "object)")
    messages = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except ValueError:
            raise DriftInputError(path, f"line {n} is not JSON (expected `terraform show -json "
                                        "PLAN` or `terraform plan -json` output)") from None
        if not isinstance(message, dict) or "type" not in message:
            raise DriftInputError(path, f"line {n} is not a `terraform plan -json` message")
        messages.append(message)
    if not messages:
        raise DriftInputError(path, "empty")
    return None, messages


def _sensitive(marks: Any, key: str) -> bool:
    """Is ``key`` (or anything in it) marked sensitive in a ``*_sensitive`` structure?"""
    if marks is True:
        return True
    mark = marks.get(key) if isinstance(marks, dict) else None

    def any_true(m: Any) -> bool:
        return m is True or (isinstance(m, dict) and any(any_true(v) for v in m.values())) or (
            isinstance(m, list) and any(any_true(v) for v in m))

    return any_true(mark)


def _mask(value: Any, marks: Any) -> Any:
    """``value`` with what ``marks`` (a ``*_sensitive`` structure) marks replaced."""
    if marks is True:
        return SENSITIVE
    if isinstance(value, dict) and isinstance(marks, dict):
        return {k: _mask(v, marks.get(k)) for k, v in value.items()}
    if isinstance(value, list) and isinstance(marks, list):
        return [_mask(v, marks[i] if i < len(marks) else None) for i, v in enumerate(value)]
    return value


def _blank(value: Any) -> Any:
    """``value`` with every empty string, list and map as null: the provider writes an
    unset attribute as null after apply and reads it back from AWS as empty (an alarm's
    ``ok_actions``: null, then []), which is no difference."""
    if isinstance(value, dict):
        return {k: _blank(v) for k, v in value.items()} or None
    if isinstance(value, list):
        return [_blank(v) for v in value] or None
    return None if value == "" else value


def attribute_drift(before: dict, after: dict, before_sensitive: Any = None,
                    after_sensitive: Any = None) -> list[tuple[str, Any, Any]]:
    """(attribute path, value in AWS, value in main) for every path that differs between
    the prior state (``before``) and the refreshed state (``after``); null and empty are
    the same."""
    out: list[tuple[str, Any, Any]] = []
    before, after = _blank(before) or {}, _blank(after) or {}
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key), after.get(key)
        if b == a:
            continue
        if _sensitive(before_sensitive, key) or _sensitive(after_sensitive, key):
            out.append((key, SENSITIVE, SENSITIVE))
            continue
        if key in JSON_STRING_ATTRS:
            b, a = _blank(parse_json_string(b)), _blank(parse_json_string(a))
            if b == a:  # the same document, written differently
                continue
        out += [(c.path, c.after, c.before) for c in _walk(key, b, a)]
    # tags_all repeats the tags' drift (plus the provider's default tags): shown once.
    seen = {(p, x, y) for p, x, y in out if p.startswith("tags.")}
    return [(p, x, y) for p, x, y in out
            if not (p.startswith("tags_all.") and ("tags." + p[9:], x, y) in seen)]


def _resources(module: dict | None) -> dict[str, dict]:
    """{address: values} of a state's root module and its child modules."""
    out: dict[str, dict] = {}
    while module:
        for r in module.get("resources") or []:
            if isinstance(r, dict) and isinstance(r.get("values"), dict):
                out[r.get("address", "")] = r["values"]
        children = module.get("child_modules") or []
        module = children[0] if children else None
        for extra in children[1:]:
            out.update(_resources(extra))
    return out


def _provider(doc: dict) -> dict:
    """The AWS provider's region and allowed accounts from a plan's configuration."""
    config = ((doc.get("configuration") or {}).get("provider_config") or {}).get("aws") or {}
    expressions = config.get("expressions") or {}

    def constant(name: str) -> Any:
        value = expressions.get(name)
        value = value[0] if isinstance(value, list) and value else value
        return value.get("constant_value") if isinstance(value, dict) else None

    return {"region": constant("region"), "allowed_account_ids": constant("allowed_account_ids")}


def _planned(doc: dict) -> dict[str, set[str] | None]:
    """{address: the attribute paths the plan changes (None: the whole resource)} for every
    resource the plan acts on. A refresh also reports values the provider merely reads
    back differently (an alarm's metric_query ``period`` 0 for null, a role's
    ``inline_policy`` filled in by its separate aws_iam_role_policy, a topic's default
    policy): Terraform plans nothing for them, and neither are they drift. Measured on
    the emulator's lifecycle: every stack reported such values right after apply."""
    out: dict[str, set[str] | None] = {}
    for rc in doc.get("resource_changes") or []:
        if not isinstance(rc, dict) or rc.get("mode", "managed") != "managed":
            continue
        change = rc.get("change") or {}
        actions = change.get("actions") or []
        if actions in (["no-op"], ["read"], []):
            continue
        before, after = change.get("before"), change.get("after")
        if actions == ["update"] and isinstance(before, dict) and isinstance(after, dict):
            out[rc.get("address", "")] = {p for p, _x, _y in attribute_drift(before, after)}
        else:  # created again (deleted in AWS), replaced or deleted: the whole resource
            out[rc.get("address", "")] = None
    return out


def read_input(path: Path) -> StackDrift | list[str]:
    """A plan file read (``read_plan``), or the stack names of a stack list (a matrix)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DriftInputError(path, f"cannot be read ({type(err).__name__})") from None
    if not text.strip():
        raise DriftInputError(path, "empty")
    doc, messages = _messages(path, text)
    names = stack_list(doc)
    return names if names is not None else _read_plan(path, doc, messages)


def read_plan(path: Path) -> StackDrift:
    found = read_input(path)
    if isinstance(found, list):
        raise DriftInputError(path, "a list of stacks (a matrix), not a plan")
    return found


def _read_plan(path: Path, doc: dict | None, messages: list[dict]) -> StackDrift:
    result = StackDrift(stack_name(path), str(path))
    if doc is None:
        result.streamed = True
        for m in messages:
            if m.get("@level") == "error" or (m.get("type") == "diagnostic" and
                                              (m.get("diagnostic") or {}).get("severity") == "error"):
                summary = (m.get("diagnostic") or {}).get("summary") or m.get("@message", "")
                raise DriftInputError(path, f"the plan failed: {' '.join(str(summary).split())}")
            if m.get("type") != "resource_drift":
                continue
            resource = (m.get("change") or {}).get("resource") or {}
            address = resource.get("addr") or ""
            rtype = resource.get("resource_type") or (address.split(".")[-2] if "." in address
                                                      else "")
            result.resources.append(Drifted(address, rtype, "", None, None,
                                            (m.get("change") or {}).get("action") or "update"))
        result.identity = identify(result.stack, {})
        return result
    drift = doc.get("resource_drift") or []
    if not isinstance(drift, list):
        raise DriftInputError(path, "resource_drift is not a list")
    planned = _planned(doc)
    for entry in drift:
        if not isinstance(entry, dict) or not isinstance(entry.get("change"), dict):
            raise DriftInputError(path, "a resource_drift entry without its change")
        if entry.get("mode", "managed") != "managed":
            continue  # a data source is read, not managed: it cannot drift from main
        change = entry["change"]
        address, rtype = entry.get("address", ""), entry.get("type", "")
        before, after = change.get("before"), change.get("after")
        if address not in planned:
            continue  # refreshed values Terraform would not act on (see _planned)
        if after is None and isinstance(before, dict):  # deleted outside Terraform
            result.resources.append(Drifted(address, rtype, "", None,
                                            _mask(before, change.get("before_sensitive")),
                                            "delete"))
            continue
        if not isinstance(before, dict) or not isinstance(after, dict):
            continue
        for attribute, aws, main in attribute_drift(before, after, change.get("before_sensitive"),
                                                    change.get("after_sensitive")):
            if planned[address] is None or attribute in planned[address]:
                result.resources.append(Drifted(address, rtype, attribute, aws, main))
    state = _resources(((doc.get("prior_state") or {}).get("values") or {}).get("root_module"))
    result.identity = identify(result.stack, state or {e.get("address", ""): (
        (e.get("change") or {}).get("before") or {}) for e in drift if isinstance(e, dict)},
        _provider(doc))
    return result


def read_plans(paths: list[str]) -> StackDrifts:
    """Every plan of ``paths``, by stack name; with a stack list among them, every stack it
    names without a plan as not planned (``planned=False``)."""
    stacks: dict[str, StackDrift] = {}
    expected: list[str] | None = None
    for path in expand(paths, empty_ok=True):
        found = read_input(path)
        if isinstance(found, list):
            expected = [*(expected or []), *found]
            continue
        if found.stack in stacks:
            raise DriftInputError(path, f"a second plan for stack {found.stack} (the first: "
                                        f"{stacks[found.stack].path}); name files <stack>.json")
        stacks[found.stack] = found
    if expected is None:
        expand(paths)  # without a stack list, a folder without plans is an error
    else:
        for name in set(expected) - set(stacks):
            stacks[name] = StackDrift(name, "", [Drifted("", "", "", None, None, NOT_PLANNED)],
                                      identify(name, {}), planned=False)
    result = StackDrifts(stacks[name] for name in sorted(stacks))
    result.expected = None if expected is None else sorted(set(expected))
    return result


# The grouped report (JSON and Markdown) lives beside: drift_report.py.
from .drift_report import DriftGroup, group_drift, report, to_json, to_markdown  # noqa: E402,F401
