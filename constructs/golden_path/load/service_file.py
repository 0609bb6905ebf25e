"""Read service files in both forms, keeping the origin of every value.

- **Single-environment form** (``environment: production``): the file holds every
  field; it is validated as written (the form golden_path started with).
- **Fleet form** (``environments:``): shared fields at the top, one override per
  environment the service runs in, and the platform's values (account, region,
  cluster, network, listener, telemetry vendor) filled in from platform.yaml.
  A team cannot set what the platform owns; it names it (``listener: public``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path as FsPath
from typing import Any

from ..errors import MISSING, Path, Problem, SpecError
from ..spec import RUNTIMES, AnySpec
from ..spec.arn_scope import ScopeProblem
from ..spec.arn_scope import merged as merged_scope
from ..spec.ecs import ServiceSpec
from ..spec.lambda_ import LambdaSpec
from .platform import LoadedPlatform, PlatformContext
from .provenance import Origin, Origins, merge, origins_of
from .yaml_source import read_yaml

#: Fields of the effective spec that platform.yaml sets in the fleet form, by runtime,
#: with the platform field each comes from.
PLATFORM_OWNED: dict[str, dict[Path, tuple[str, ...]]] = {
    "ecs": {
        ("network", "cluster_arn"): ("ecs_cluster",),
        ("network", "vpc_id"): ("vpc_id",),
        ("network", "subnet_ids"): ("subnet_ids",),
        ("load_balancer", "listener_arn"): ("listeners",),
        ("load_balancer", "security_group_id"): ("listeners",),
        ("telemetry", "endpoint"): ("telemetry", "endpoint"),
        ("telemetry", "api_key_secret_arn"): ("telemetry", "api_key_secret_arn"),
        ("telemetry", "api_key_header"): ("telemetry", "api_key_header"),
        ("telemetry", "pseudonym_key_secret_arn"): ("telemetry", "pseudonym_key_secret_arn"),
        ("telemetry", "config_bucket"): ("telemetry", "config_bucket"),
    },
    "lambda": {
        ("account_id",): ("account",),
        ("region",): ("region",),
        ("telemetry", "endpoint"): ("telemetry", "endpoint"),
        ("telemetry", "api_key_secret_arn"): ("telemetry", "api_key_secret_arn"),
        ("telemetry", "api_key_header"): ("telemetry", "api_key_header"),
        ("telemetry", "pseudonym_key_secret_arn"): ("telemetry", "pseudonym_key_secret_arn"),
        ("telemetry", "config_bucket"): ("telemetry", "config_bucket"),
    },
}


def parse_service(data: Any, environments: Sequence[str] | None = None) -> AnySpec:
    """Validate parsed YAML or Python arguments for any runtime; raise SpecError.

    ``environments``: the platform's environment names a fleet-form spec may be in
    (default: a profile name, as in a single-environment file).
    """
    if isinstance(data, (ServiceSpec, LambdaSpec)):
        return data
    if not isinstance(data, dict):
        raise SpecError(Problem((), type(data).__name__,
                                "a service.yaml is a mapping of fields (name: ..., team: ...)"))
    runtime = data.get("runtime", "ecs")
    if not isinstance(runtime, str) or runtime not in RUNTIMES:
        raise SpecError(Problem(("runtime",), runtime,
                                f"expected one of {', '.join(RUNTIMES)} (default: ecs)"))
    return RUNTIMES[runtime].parse(data, environments)


def load_service_file(path: str | os.PathLike, platform: LoadedPlatform | None = None,
                      environment: str | None = None) -> list[AnySpec]:
    """Every spec a service file defines: one per environment it lists (fleet form), or
    the one it holds (single-environment form). Errors carry file and line.

    A fleet-form file without ``platform`` uses the platform.yaml beside or above it.
    """
    from .platform import find_platform

    data, lines = read_yaml(path)
    if platform is None and isinstance(data, dict) and "environments" in data:
        platform = find_platform([path])
    return expand(data, lines, str(path), platform, environment)


def load_service(path: str | FsPath, environment: str | None = None,
                 platform: LoadedPlatform | str | os.PathLike | None = None) -> AnySpec:
    """Load and validate one service file; errors carry file and line.

    A fleet-form file needs ``environment`` and the platform (default: the
    platform.yaml beside or above the file).
    """
    from .platform import find_platform, load_platform

    data, lines = read_yaml(path)
    if isinstance(data, dict) and "environments" in data:
        if platform is None:
            platform = find_platform([path])
        elif not isinstance(platform, LoadedPlatform):
            platform = load_platform(platform)
        if environment is None:
            raise SpecError(Problem(("environments",), sorted(data["environments"] or {}),
                                    "this file deploys to several environments: pass environment=",
                                    str(path), lines.get(("environments",))))
    (spec,) = expand(data, lines, str(path), platform, environment) or [None]
    if spec is None:
        fleet = isinstance(data, dict) and "environments" in data
        key = ("environments",) if fleet else ("environment",)
        if fleet and platform is not None and environment not in platform.environments:
            raise SpecError(Problem(key, environment,
                                    f"{platform.file} defines no environment {environment} (it "
                                    f"has {', '.join(platform.environments)})",
                                    str(path), lines.get(key)))
        raise SpecError(Problem(key, environment,
                                "the service does not run in this environment" if fleet else
                                f"this file is for {data.get('environment')}; pass that or none",
                                str(path), lines.get(key)))
    return spec


def expand(data: Any, lines: dict[Path, int], file: str, platform: LoadedPlatform | None,
           only: str | None = None) -> list[AnySpec]:
    """The specs of a parsed service file (see the module docstring)."""
    if not (isinstance(data, dict) and "environments" in data):
        spec = _parse(data, origins_of(file, lines, "service"))
        if only is not None and spec.environment != only:
            return []
        return [spec]
    problems: list[Problem] = []
    at = _at(file, lines)
    if "environment" in data:
        problems.append(at(("environment",), data["environment"],
                           "give either environment (a single-environment file) or environments "
                           "(one override per environment), not both"))
    if platform is None:
        problems.append(at(("environments",), MISSING,
                           "a file with environments: takes the accounts, network and telemetry "
                           "from platform.yaml: put one beside or above it, or pass --platform FILE"))
    environments = data["environments"]
    if not isinstance(environments, dict) or not environments:
        names = ", ".join(platform.environments) if platform is not None else \
            "platform.yaml's environments"
        problems.append(at(("environments",), environments,
                           f"map each environment the service runs in ({names}) to its "
                           "overrides, e.g. 'production: {cpu: 1024}' or 'sandbox: {}'"))
    if "adopt" in data:
        problems.append(at(("adopt",), "...",
                           "adopt: names the live resources of one environment; move it under "
                           "environments.<environment>"))
    if problems:
        raise SpecError(problems)
    shared = {k: v for k, v in data.items() if k != "environments"}
    shared_origins = {p: o for p, o in origins_of(file, lines, "service").items()
                      if p[:1] != ("environments",)}
    specs: list[AnySpec] = []
    scope: list = []  # (ScopeProblem, written in the shared part?, value as written)
    for env, override in environments.items():
        if only is not None and env != only:
            continue
        where = ("environments", env)
        if env not in platform.environments:
            problems.append(at(where, MISSING,
                               f"{platform.file} defines no environment {env} (it has "
                               f"{', '.join(platform.environments)}); ask the platform team or "
                               "remove it"))
            continue
        if override is not None and not isinstance(override, dict):
            problems.append(at(where, override, "expected a mapping of overrides (or {} for none)"))
            continue
        merged, origins = merge(shared, shared_origins, override or {},
                                origins_of(file, lines, f"override:{env}", where))
        merged["environment"] = env
        origins[("environment",)] = Origin(file, lines.get(where), f"override:{env}")
        context = platform.context(env)
        merged = substitute(merged, {"account": context.environment.account,
                                     "region": context.environment.region, "environment": env})
        try:
            merged, origins = apply_platform(merged, origins, context)
            specs.append(_parse(merged, origins, context))
        except SpecError as err:
            for p in err.problems:
                if isinstance(p, ScopeProblem):  # merged across environments below
                    layer = _origin(origins, p.path)
                    raw = _get(shared if layer == "service" else override, p.path)
                    scope.append((p, layer == "service", None if raw is MISSING else raw))
                else:
                    problems.append(p)
    listed = {platform.environments[e].account: e for e in environments
              if e in platform.environments}  # "move it into environments.<the owner>"
    problems += merged_scope(scope, listed)
    if problems:
        raise SpecError(problems)
    return specs


def _origin(origins: Origins, path: Path) -> str | None:
    """The layer that set ``path`` (or its closest parent)."""
    while path and path not in origins:
        path = path[:-1]
    origin = origins.get(path)
    return origin.layer if origin else None


#: Placeholders a fleet-form file may use in any string value, filled per environment.
PLACEHOLDERS = ("{account}", "{region}", "{environment}")


def substitute(value: Any, values: dict[str, str]) -> Any:
    """``{account}``, ``{region}`` and ``{environment}`` in strings -> this environment's."""
    if isinstance(value, str):
        if "{" in value:
            for key, replacement in values.items():
                value = value.replace("{" + key + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: substitute(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, values) for v in value]
    return value


def _parse(data: Any, origins: Origins, context: PlatformContext | None = None) -> AnySpec:
    try:
        spec = parse_service(data, (context.name,) if context is not None else None)
        if context is not None:
            check_rules(spec, context)
    except SpecError as err:
        raise err.placed(origins) from None
    spec._source = origins
    spec._platform = context
    return spec


def apply_platform(data: dict, origins: Origins,
                   context: PlatformContext) -> tuple[dict, Origins]:
    """Fill in what the platform owns; refuse a team's own value for it."""
    env = context.environment
    problems: list[Problem] = []
    if env.state is None:
        problems.append(Problem(("environment",), context.name,
                                f"{context.file} sets no state backend for {context.name}: ask the "
                                f"platform team to add environments.{context.name}.state (or "
                                "defaults.state) with the S3 bucket that keeps the stacks' state"))
    runtime = data.get("runtime", "ecs")
    runtime = runtime if isinstance(runtime, str) and runtime in PLATFORM_OWNED else "ecs"
    for path, source in PLATFORM_OWNED[runtime].items():
        value = _get(data, path)
        if value is not MISSING and path[-1] not in ("listener_arn", "security_group_id"):
            problems.append(Problem(path, value, f"set by the platform for {context.name} "
                                    f"({context.origin(*source).where}); remove it from the service file"))
    if problems:  # placed at the team's lines, before the platform's values take their place
        problems = list(SpecError(problems).placed(origins).problems)
    data = {**data}
    origins = dict(origins)

    def put(path: Path, value: Any, source: tuple) -> None:
        node = data
        for depth, key in enumerate(path[:-1], 1):
            node[key] = dict(node[key]) if isinstance(node.get(key), dict) else {}
            node = node[key]
            origins.setdefault(path[:depth], context.origin(*source))
        node[path[-1]] = value
        origins[path] = context.origin(*source)
        if isinstance(value, list):
            for i in range(len(value)):
                origins[path + (i,)] = context.origin(*source, i)

    tel = env.telemetry
    put(("telemetry", "endpoint"), tel.endpoint, ("telemetry", "endpoint"))
    put(("telemetry", "api_key_secret_arn"), tel.api_key_secret_arn, ("telemetry", "api_key_secret_arn"))
    put(("telemetry", "api_key_header"), tel.api_key_header, ("telemetry", "api_key_header"))
    if tel.pseudonym_key_secret_arn:
        put(("telemetry", "pseudonym_key_secret_arn"), tel.pseudonym_key_secret_arn,
            ("telemetry", "pseudonym_key_secret_arn"))
    if runtime == "lambda":
        put(("account_id",), env.account, ("account",))
        put(("region",), env.region, ("region",))
        if tel.config_bucket is None:
            problems.append(Problem(("telemetry", "config_bucket"), MISSING,
                                    f"a Lambda function reads its collector config from S3, and "
                                    f"{context.file} sets no telemetry.config_bucket for "
                                    f"{context.name}; ask the platform team to add it"))
        else:
            put(("telemetry", "config_bucket"), tel.config_bucket, ("telemetry", "config_bucket"))
        vpc = data.get("vpc")
        if isinstance(vpc, dict) and "subnet_ids" not in vpc:
            put(("vpc", "subnet_ids"), list(env.subnet_ids), ("subnet_ids",))
    else:
        network = data.get("network")
        if network is not None and not isinstance(network, dict):
            problems.append(Problem(("network",), network,
                                    "only network.security_group_ids is yours; the rest is the platform's"))
        put(("network", "cluster_arn"), env.cluster_arn, ("ecs_cluster",))
        put(("network", "vpc_id"), env.vpc_id, ("vpc_id",))
        put(("network", "subnet_ids"), list(env.subnet_ids), ("subnet_ids",))
        lb = data.get("load_balancer")
        if isinstance(lb, dict):
            problems += _listener(data, lb, context, put)
    if problems:
        raise SpecError(problems).placed(origins)
    return data, origins


def _listener(data: dict, lb: dict, context: PlatformContext, put) -> list[Problem]:
    problems = []
    for key in ("listener_arn", "security_group_id"):
        if key in lb:
            problems.append(Problem(("load_balancer", key), lb[key],
                                    "the platform's listeners are named in platform.yaml: write "
                                    "'listener: <name>' instead"))
    listeners = context.environment.listeners
    name = lb.get("listener", MISSING)
    data["load_balancer"] = {k: v for k, v in lb.items() if k != "listener"}
    choices = ", ".join(listeners) or "none: ask the platform team to add one"
    if name is MISSING:
        problems.append(Problem(("load_balancer", "listener"), MISSING,
                                f"name the shared listener to attach to ({choices})"))
    elif not isinstance(name, str):
        problems.append(Problem(("load_balancer", "listener"), name,
                                f"expected the name of a shared listener ({choices}), e.g. "
                                f"'listener: {next(iter(listeners), 'public')}'"))
    elif name not in listeners:
        problems.append(Problem(("load_balancer", "listener"), name,
                                f"{context.file} defines no listener {name!r} in {context.name}; "
                                f"listeners there: {choices}"))
    else:
        listener = listeners[name]
        put(("load_balancer", "listener_arn"), listener.arn, ("listeners", name, "arn"))
        put(("load_balancer", "security_group_id"), listener.security_group_id,
            ("listeners", name, "security_group_id"))
    return problems


def check_rules(spec: AnySpec, context: PlatformContext) -> None:
    """The platform's org-wide rules (allowed languages and architectures)."""
    rules, problems = context.rules, []

    def origin(key: str) -> str:
        o = context.rules_origins.get((key,))
        return f" ({o.file}:{o.line})" if o else ""

    if isinstance(spec, LambdaSpec):
        if rules.lambda_languages is not None and spec.language not in rules.lambda_languages:
            problems.append(Problem(("language",), spec.language,
                                    "the platform allows Lambda languages "
                                    f"{', '.join(rules.lambda_languages)}{origin('lambda_languages')}"))
        if rules.lambda_architectures is not None and \
                spec.architecture not in rules.lambda_architectures:
            problems.append(Problem(("architecture",), spec.architecture,
                                    "the platform allows Lambda architectures "
                                    f"{', '.join(rules.lambda_architectures)}"
                                    f"{origin('lambda_architectures')}"))
    elif rules.ecs_architectures is not None and spec.architecture not in rules.ecs_architectures:
        problems.append(Problem(("architecture",), spec.architecture,
                                "the platform allows Fargate architectures "
                                f"{', '.join(rules.ecs_architectures)}{origin('ecs_architectures')}"))
    if problems:
        raise SpecError(problems)


def _get(data: Any, path: Path) -> Any:
    for key in path:
        if isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data):
            data = data[key]
        elif not isinstance(data, dict) or key not in data:
            return MISSING
        else:
            data = data[key]
    return data


def _at(file: str, lines: dict[Path, int]):
    def problem(path: Path, value: Any, hint: str) -> Problem:
        return Problem(path, value, hint, file, lines.get(path, 1))
    return problem


def source_of(spec: AnySpec) -> Origins | None:
    """Where each field of a spec came from, if it was loaded from YAML."""
    return spec._source


def platform_of(spec: AnySpec) -> PlatformContext | None:
    """The platform environment a fleet-form spec was deployed with, if any."""
    return spec._platform
