"""Discovered services -> fleet-form files: merged with the environments a file already
has, validated in memory, then written all at once (temporary files, then renamed).

Fields equal in every environment go to the top of the file, the rest under
``environments.<env>``; ``adopt:`` always stays under its environment. An environment a
file already has is never overwritten: that is a SpecError naming the file, and nothing
is written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem, SpecError
from ..load.provenance import merge
from ..spec.common import TODO
from .translate import Found, Skipped

#: Where validation puts a stand-in for what discover leaves TODO (restored after).
_TEAM_STANDIN = "discover-todo-team"
_SECRET_STANDIN = "arn:aws:secretsmanager:{region}:{account}:secret:discover-todo-AbCdEf"
_RUNBOOK_STANDIN = "https://discover.invalid/todo"
#: Keys that never go to the shared part of a file.
PER_ENVIRONMENT = ("adopt",)
HEADER = re.compile(r"^# discovered: ")


@dataclass
class Planned:
    path: Path
    name: str
    text: str
    merged: bool  # the file existed and gains an environment


def full_environments(data: dict) -> dict[str, dict]:
    """Each environment of a fleet-form file as one mapping (shared part + its override)."""
    shared = {k: v for k, v in data.items() if k != "environments"}
    return {env: merge(shared, {}, override or {}, {})[0]
            for env, override in (data.get("environments") or {}).items()}


def split(envs: dict[str, dict], top: bool = True) -> tuple[dict, dict[str, dict]]:
    """(shared, {env: override}): what every environment has alike is shared.

    A key whose value is null in some environment (``user: null``: the image's own) is
    shared as null and overridden where it is set: a null in an override would clear the
    key instead.
    """
    names = list(envs)
    shared: dict = {}
    overrides: dict[str, dict] = {e: {} for e in names}
    keys: list = []
    for d in envs.values():
        keys += [k for k in d if k not in keys]
    for key in keys:
        values = [envs[e].get(key, _ABSENT) for e in names]
        everywhere = all(v is not _ABSENT for v in values)
        if top and key in PER_ENVIRONMENT or not everywhere:
            for e, v in zip(names, values, strict=True):
                if v is not _ABSENT:
                    overrides[e][key] = v
        elif all(v == values[0] for v in values):
            shared[key] = values[0]
        elif all(isinstance(v, dict) for v in values):
            sub_shared, sub = split(dict(zip(names, values, strict=True)), top=False)
            if sub_shared:
                shared[key] = sub_shared
            for e in names:
                if sub[e]:
                    overrides[e][key] = sub[e]
        elif any(v is None for v in values):
            shared[key] = None
            for e, v in zip(names, values, strict=True):
                if v is not None:
                    overrides[e][key] = v
        else:
            for e, v in zip(names, values, strict=True):
                overrides[e][key] = v
    return shared, overrides


_ABSENT = object()


def file_data(envs: dict[str, dict]) -> dict:
    shared, overrides = split(envs)
    return {**shared, "environments": {e: overrides[e] for e in sorted(envs)}}


def plan(found: list[Found], out: Path, environment: str, header: str,
         schema: str | None) -> tuple[list[Planned], list[Problem]]:
    """The files to write (merged with existing ones); problems refuse the whole run."""
    planned: list[Planned] = []
    problems: list[Problem] = []
    for f in found:
        path = out / f"{f.name}.yaml"
        envs: dict[str, dict] = {}
        headers: list[str] = []
        existed = path.exists()
        if existed:
            try:
                text = path.read_text()
                data = yaml.safe_load(text)
            except (OSError, yaml.YAMLError) as err:
                problems.append(Problem((), str(path), f"cannot read it ({err}); fix or move it",
                                        str(path)))
                continue
            if not isinstance(data, dict) or not isinstance(data.get("environments"), dict):
                problems.append(Problem(("environments",), str(path),
                                        "not a fleet-form service file (environments:): move it "
                                        "out of --out, or discover into another folder", str(path)))
                continue
            if environment in data["environments"]:
                problems.append(Problem(("environments", environment), f.resource,
                                        f"the file already has environment {environment}: "
                                        "discover does not overwrite it; remove that environment "
                                        "from the file (or the file) to discover it again",
                                        str(path)))
                continue
            envs = full_environments(data)
            headers = [line for line in text.splitlines() if HEADER.match(line)]
        this = dict(f.data)
        envs[environment] = this
        teams = {d.get("team") for d in envs.values()} - {TODO, None}
        if len(teams) == 1:  # a TODO where another environment's run found the team
            team = teams.pop()
            envs = {e: {**d, "team": team} for e, d in envs.items()}
            this = envs[environment]
        headers.append(header.format(kind="function" if f.kind == "lambda" else "ECS service",
                                     resource=f.resource))
        text = render(file_data(envs), headers, schema, f if this["team"] == TODO else None)
        planned.append(Planned(path, f.name, text, existed))
    return planned, problems


def render(data: dict, headers: list[str], schema: str | None, todo_team: Found | None) -> str:
    lines = [f"# yaml-language-server: $schema={schema}"] if schema else []
    lines += headers
    lines.append("# Review it: docs/migration.md says what adopt: imports and what to check "
                 "before the first apply.")
    body = yaml.safe_dump(data, sort_keys=False, width=120, allow_unicode=True)
    out = []
    for line in body.splitlines():
        stripped = line.lstrip()
        if todo_team is not None and stripped == f"team: {TODO}":
            indent = line[:len(line) - len(stripped)]
            out.append(f"{indent}# TODO: {todo_team.resource} has no team tag: write the team "
                       "that owns it (teams.yaml)")
        out.append(line)
    return "\n".join(lines + out) + "\n"


def standins(value: Any) -> Any:
    """The data with TODO team, secrets and runbook replaced by stand-ins that validate."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k == "team" and v == TODO:
                out[k] = _TEAM_STANDIN
            elif k == "runbook" and v == TODO:
                out[k] = _RUNBOOK_STANDIN
            elif k == "secrets" and isinstance(v, dict):
                out[k] = {n: _SECRET_STANDIN if s == TODO else s for n, s in v.items()}
            else:
                out[k] = standins(v)
        return out
    if isinstance(value, list):
        return [standins(v) for v in value]
    return value


def check(data: dict, file: str, platform, teams=None) -> list[Problem]:
    """Problems of a fleet-form file's data (TODOs stood in), as validate finds them."""
    from ..fleet import resolve_located
    from ..load.service_file import expand

    try:
        for spec in expand(standins(data), {}, file, platform):
            resolve_located(spec, teams)
    except SpecError as err:
        return list(err.problems)
    return []


def check_found(found: list[Found], environment: str, platform) -> tuple[list[Found], list[Skipped]]:
    """Each discovered service validated alone; one that would not validate is skipped."""
    ok, skipped = [], []
    for f in found:
        problems = check(file_data({environment: f.data}), f"{f.name}.yaml", platform)
        if problems:
            why = "; ".join(f"{p.field}: {p.hint}" for p in problems[:3])
            skipped.append(Skipped("lambda" if f.kind == "lambda" else "ecs", f.resource,
                                   f"would not validate as a golden_path service: {why}"))
        else:
            ok.append(f)
    return ok, skipped


def write_all(planned: list[Planned], out: Path) -> None:
    """Write every file or none: temporary files first, renamed into place at the end."""
    out.mkdir(parents=True, exist_ok=True)
    temps: list[tuple[Path, Path]] = []
    try:
        for p in planned:
            tmp = p.path.with_name(f".{p.path.name}.discover-{os.getpid()}.tmp")
            tmp.write_text(p.text)
            temps.append((tmp, p.path))
    except OSError:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in temps:
        os.replace(tmp, path)


def header_line(environment: str, account: str, region: str) -> str:
    """``# discovered: ...`` (``{kind}`` and ``{resource}`` filled per file)."""
    return (f"# discovered: {environment} from account {account} ({region}) on "
            f"{date.today().isoformat()} by golden-path discover, {{kind}} {{resource}}")
