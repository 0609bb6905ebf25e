"""``golden-path new``: write a fleet-form service file that validates as written.

The file is rendered from ``templates/scaffold/<kind>.yaml.j2`` with one entry per
environment of platform.yaml, loaded and resolved exactly as ``golden-path
validate`` would, and only then moved into place. It never overwrites a file.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import secrets
import typing
from collections.abc import Sequence
from typing import Any

import jinja2
from pydantic import TypeAdapter, ValidationError

from .errors import MISSING, Problem, SpecError
from .fleet import resolve_located
from .fleet.graph import where
from .fleet.listeners import (  # noqa: F401  (the priorities `new` tries: re-exported)
    FIRST_PRIORITY,
    MAX_PRIORITY,
    PRIORITY_STEP,
    free_priority,
)
from .load.platform import LoadedPlatform
from .load.service_file import expand
from .load.yaml_source import read_yaml
from .spec.common import ServiceName, TeamName
from .spec.environments import profile
from .spec.lambda_ import LanguageRuntime, language_family
from .telemetry.render import templates_dir

KINDS: tuple[str, ...] = ("web", "worker", "lambda")
#: The language of a new function when the platform does not restrict them.
DEFAULT_LANGUAGE = "nodejs22.x"
#: What a new web service or worker writes as its ``language`` (the log router joins its
#: stack traces: docs/log-router.md): golden_path's scaffolds are Django and Celery apps.
ECS_LANGUAGE = "python"
VERSION = "0.1.0"
#: Placeholder registry account of the image (the team replaces the image anyway).
REGISTRY_ACCOUNT = "123456789012"
#: The smallest Fargate size that leaves the app enough room next to the sidecars.
ECS_CPU, ECS_MEMORY = 256, 512
PORT = 8000
_HANDLERS = {
    "nodejs": "index.handler",
    "python": "{module}.handler.handle",
    "java": "com.example.Handler::handleRequest",
}


def new_service(name: str, *, team: str, kind: str, platform: LoadedPlatform,
                out_dir: str | os.PathLike = ".", language: str | None = None,
                existing: list | None = None) -> pathlib.Path:
    """Write ``<out_dir>/<name>.yaml`` for a new service and return its path.

    ``existing`` is the fleet already there (``golden_path.fleet.load_all``); the
    listener rule priority of a web service is chosen free among it. Raises
    SpecError naming the argument for bad input; nothing is written then.
    """
    _check_arguments(name, team, kind, language, platform)
    _check_platform(kind, platform)
    existing = list(existing or [])
    out = pathlib.Path(out_dir)
    target = out / f"{name}.yaml"
    if out.exists() and not out.is_dir():
        raise SpecError(Problem(("--out",), str(out), "not a directory; give the folder the file goes in"))
    if target.exists():
        raise _exists(target)
    for service in existing:
        if service.spec.name == name:
            file, line = where(service, ("name",))
            place = f"{file}:{line}" if file and line else file or "the fleet"
            raise SpecError(Problem(("name",), name, f"{place} already defines a service with this "
                                    "name; pick another name"))
    context = {"web": _web, "worker": _worker, "lambda": _lambda}[kind](
        name, team, platform, language, existing)
    text = _render(kind, context)
    _write_validated(text, target, platform, len(context["listed"]))
    return target


def _check_arguments(name: str, team: str, kind: str, language: str | None,
                     platform: LoadedPlatform) -> None:
    problems = [p for p in (_problem(("name",), name, ServiceName),
                            _problem(("--team",), team, TeamName)) if p]
    if kind not in KINDS:
        problems.append(Problem(("--kind",), kind, f"expected one of {', '.join(KINDS)}"))
    elif language is not None and kind != "lambda":
        problems.append(Problem(("--language",), language,
                                f"--language is for --kind lambda; a {kind} service runs whatever its "
                                "image holds: remove --language"))
    elif language is not None:
        allowed = _languages(platform)
        if language not in allowed:
            rule = "the platform allows" if platform.platform.rules.lambda_languages else "supported:"
            problems.append(Problem(("--language",), language, f"{rule} {', '.join(allowed)}"))
    if problems:
        raise SpecError(problems)


def _check_platform(kind: str, platform: LoadedPlatform) -> None:
    """What platform.yaml must give before a new service can deploy anywhere: the
    platform.yaml field to add, at its line, before anything is written."""
    _, lines = read_yaml(platform.file)
    envs = platform.environments
    missing = [env for env, e in envs.items() if e.state is None]
    bucket = "{bucket: <the S3 bucket that keeps the stacks' state>}"
    if missing and len(missing) == len(envs):
        problems = [Problem(("defaults", "state"), MISSING,
                            f"no environment sets the Terraform state backend its stacks need: "
                            f"add defaults.state: {bucket} (or environments.<name>.state each); "
                            "golden-path new writes nothing until then", platform.file,
                            lines.get(("defaults",), lines.get(("environments",), 1)))]
    else:
        problems = [Problem(("environments", env, "state"), MISSING,
                            f"{env} sets no Terraform state backend, which the stacks of a new "
                            f"service need there: add environments.{env}.state: {bucket} (or "
                            "defaults.state for every environment); golden-path new writes "
                            "nothing until then", platform.file, lines.get(("environments", env)))
                    for env in missing]
    if kind == "lambda" and all(e.telemetry.config_bucket is None for e in envs.values()):
        problems.append(Problem(("defaults", "telemetry", "config_bucket"), MISSING,
                                "no environment sets telemetry.config_bucket, the S3 bucket a "
                                "Lambda function's collector layer reads its config from: add "
                                "it under defaults.telemetry (or environments.<name>.telemetry), "
                                "or use --kind web or worker", platform.file,
                                lines.get(("defaults",), lines.get(("environments",), 1))))
    if problems:
        raise SpecError(problems)


def _problem(path: tuple, value: Any, type_: Any) -> Problem | None:
    """The spec's own validator (ServiceName, TeamName) applied to a command-line argument."""
    try:
        TypeAdapter(type_).validate_python(value)
    except ValidationError as exc:
        return Problem(path, value, exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, "))
    return None


def _languages(platform: LoadedPlatform) -> list[str]:
    return list(platform.platform.rules.lambda_languages or typing.get_args(LanguageRuntime))


def _first_allowed(preferred: str, allowed: Sequence[str] | None) -> str:
    return preferred if not allowed or preferred in allowed else allowed[0]


def _common(name: str, team: str, platform: LoadedPlatform) -> dict[str, Any]:
    first = next(iter(platform.environments.values()))
    return {
        "name": name,
        "team": team,
        "module": name.replace("-", "_"),
        "image": f"{REGISTRY_ACCOUNT}.dkr.ecr.{first.region}.amazonaws.com/{name}:{VERSION}",
        "runbook": f"https://runbooks.example.com/{team}/{name}",
        "architecture": _first_allowed("x86_64", platform.platform.rules.ecs_architectures),
        "cpu": ECS_CPU,
        "memory": ECS_MEMORY,
    }


def _environments(platform: LoadedPlatform, omit: dict[str, str]) -> list[dict[str, Any]]:
    """One entry per platform environment, in order; ``omitted`` says why one is left out."""
    profiles = {env: profile(platform.platform.profile_of(env)) for env in platform.environments}
    return [{"name": env, "omitted": omit.get(env), "min_floor": profiles[env].web_min_floor,
             "min_tasks": profiles[env].min_tasks, "max_tasks": profiles[env].max_tasks}
            for env in platform.environments]


def _web(name: str, team: str, platform: LoadedPlatform, language: str | None,
         existing: list) -> dict[str, Any]:
    with_listeners = [env for env, e in platform.environments.items() if e.listeners]
    if not with_listeners:
        raise SpecError(Problem(("--kind",), "web",
                                f"{platform.file} defines no listener in any environment, and a web "
                                "service attaches to one: ask the platform team to add one, or use "
                                "--kind worker"))
    listener = next(iter(platform.environments[with_listeners[0]].listeners))
    environments = _environments(platform, {env: "platform.yaml defines no listener there"
                                            for env in platform.environments if env not in with_listeners})
    arns = set()
    for entry in environments:
        if entry["omitted"]:
            continue
        listeners = platform.environments[entry["name"]].listeners
        own = listener if listener in listeners else next(iter(listeners))
        entry["listener"] = None if own == listener else own
        arns.add(listeners[own].arn)
        domain = listeners[own].domain
        entry["hosts"] = [f"{name}.{domain}"] if domain else []
        entry["paths"] = [] if domain else [f"/{name}/*"]
    return {**_common(name, team, platform), "stack_language": ECS_LANGUAGE, "port": PORT,
            "listener": listener,
            "priority": _free_priority(arns, existing), "environments": environments,
            "listed": [e for e in environments if not e["omitted"]]}


def _free_priority(arns: set[str], existing: list) -> int:
    priority = free_priority(arns, existing)
    if priority is None:
        raise SpecError(Problem(("--kind",), "web",
                                "no free listener rule priority left on the listener"))
    return priority


def _worker(name: str, team: str, platform: LoadedPlatform, language: str | None,
            existing: list) -> dict[str, Any]:
    environments = _environments(platform, {})
    return {**_common(name, team, platform), "stack_language": ECS_LANGUAGE,
            "environments": environments, "listed": environments}


def _lambda(name: str, team: str, platform: LoadedPlatform, language: str | None,
            existing: list) -> dict[str, Any]:
    rules = platform.platform.rules
    language = language or _first_allowed(DEFAULT_LANGUAGE, rules.lambda_languages)
    family = language_family(language)
    handler = _HANDLERS[family].format(module=name.replace("-", "_"))  # see HANDLER_FORMATS
    omit = {env: "platform.yaml sets no telemetry.config_bucket there (the collector layer reads "
                 "its config from it)"
            for env, e in platform.environments.items() if e.telemetry.config_bucket is None}
    environments = _environments(platform, omit)
    extension = "jar" if family == "java" else "zip"
    return {**_common(name, team, platform), "language": language, "handler": handler,
            "architecture": _first_allowed("arm64", rules.lambda_architectures),
            "bucket": f"{team}-artifacts", "key": f"{name}/{name}-{VERSION}.{extension}",
            "lambda_memory": 512 if family == "java" else 256,
            "environments": environments, "listed": [e for e in environments if not e["omitted"]]}


def _render(kind: str, context: dict[str, Any]) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir() / "scaffold"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # YAML
    )
    env.filters["flow"] = lambda value: json.dumps(value)
    return env.get_template(f"{kind}.yaml.j2").render(**context)


def _write_validated(text: str, target: pathlib.Path, platform: LoadedPlatform, expected: int) -> None:
    """Write ``text`` to ``target`` only if it loads and resolves in every environment."""
    folder = target.parent
    created = [p for p in (folder, *folder.parents) if not p.exists()]  # deepest first
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{target.stem}.{secrets.token_hex(4)}.tmp"
    # os.open, not mkstemp: the file gets the usual permissions (0666 minus the umask).
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            data, lines = read_yaml(tmp)
            specs = expand(data, lines, str(target), platform)
            for spec in specs:
                resolve_located(spec)
        except SpecError as err:
            mine = [p for p in err.problems if p.file == str(platform.file)]
            if mine:  # platform.yaml's, not the scaffold's: the user can fix that
                raise SpecError(mine) from None
            raise RuntimeError(f"golden_path bug: the scaffold for {target.name} does not validate:\n"
                               f"{err}\n--- generated ---\n{text}") from err
        if len(specs) != expected:
            raise RuntimeError(f"golden_path bug: the scaffold for {target.name} defines {len(specs)} "
                               f"environments, expected {expected}")
        try:
            os.link(tmp, target)  # fails if the target appeared meanwhile: never overwrite
        except FileExistsError:
            raise _exists(target) from None
        except OSError:  # no hard links on this filesystem
            if target.exists():
                raise _exists(target) from None
            os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if not target.exists():
            for made in created:
                with contextlib.suppress(OSError):  # not empty: someone else's files
                    made.rmdir()


def _exists(target: pathlib.Path) -> SpecError:
    return SpecError(Problem(("name",), target.stem, "the file exists; refusing to overwrite it: pick "
                             "another name, or delete the file first", str(target)))
