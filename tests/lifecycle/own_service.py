"""Your own service file through the emulator lifecycle (``make apply-local SERVICE=...``).

The file is first loaded as golden_path loads it, against your own platform.yaml, so a
mistake is reported at its line before anything starts. Then the emulator gets a platform
built like yours for that one environment: the same environment name and profile, account,
region and team (a VPC, subnets, the shared listener, cluster, secrets, state bucket and
boundary, created by ``emulated_platform.build_platform``), and the service is written
again for it. What the emulator cannot hold as you wrote it is replaced, and each
replacement is said as it happens (``notes``):

- a Lambda function's ``code`` (your build bucket is not in the emulator): the harness's
  artifact for the same language;
- the listener it names: the emulated platform's only listener, ``public``;
- an HTTP API route's ``api_id`` and ``authorizer_id``: the emulated API's;
- ``calls:`` (other services of your fleet are not in the emulator): dropped; they create
  no resource.

Everything else (sizes, IAM, secrets' ARNs, triggers, scaling, alarms, telemetry) is
applied as written. Of your platform.yaml, only the environment's name, profile, account
and region (and the team) are kept: the rest (state bucket, cluster, network, vendor
endpoint, keys, boundary, tags) is the emulated platform's, and each value that differs
from yours is said too (``platform_notes``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

import emulated_platform as ep


@dataclass
class OwnService:
    """The service as golden_path loads it from your fleet, in one environment."""

    path: Path
    raw: dict
    name: str
    team: str
    environment: str
    profile: str
    account: str
    region: str
    runtime: str  # "lambda" or the ECS kind
    language: str | None
    #: Your platform.yaml's settings for the environment (defaults merged), as a dict.
    platform: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class NotAFleetFile(ValueError):
    pass


def read_own(path: Path, environment: str | None) -> OwnService:
    """Load ``path`` with your platform.yaml (SpecError with file:line on a mistake)."""
    from golden_path import load_service, resolve_service
    from golden_path.load.platform import find_platform

    raw = yaml.safe_load(path.read_text())
    if not isinstance(raw, dict) or not isinstance(raw.get("environments"), dict):
        raise NotAFleetFile(f"{path}: apply-local SERVICE= takes a fleet-form service file "
                            "(with `environments:`), as `golden-path new` writes")
    if environment is None:
        environment = next(iter(raw["environments"]))
    elif environment not in raw["environments"]:
        raise NotAFleetFile(f"{path}: the service does not run in {environment!r}; it runs in "
                            f"{', '.join(raw['environments'])} (ENVIRONMENT=...)")
    platform = find_platform([path])
    resolved = resolve_service(load_service(path, environment, platform))
    spec = resolved.spec
    return OwnService(path=path, raw=raw, name=spec.name, team=spec.team,
                      environment=environment, profile=resolved.profile.name,
                      account=resolved.account, region=resolved.region,
                      runtime="lambda" if resolved.kind == "lambda" else resolved.kind,
                      language=getattr(spec, "language", None),
                      platform=_settings(platform, environment))


def _settings(platform, environment: str) -> dict:
    return platform.environments[environment].model_dump(mode="json", exclude_none=True)


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_leaves(item, f"{path}.{key}" if path else str(key)))
        return out
    return {} if value in ({}, []) else {path: value}


#: Kept from your platform.yaml; everything else is the emulated platform's.
KEPT = ("account", "region", "profile", "rollout", "traffic", "prices")


def platform_notes(own: OwnService, emulated_platform_file: Path) -> list[str]:
    """Each platform setting of the environment where the emulator's value is not yours."""
    from golden_path.load.platform import load_platform

    mine = _leaves(own.platform)
    theirs = _leaves(_settings(load_platform(emulated_platform_file), own.environment))
    notes = []
    for key in sorted(set(mine) | set(theirs)):
        if key.split(".")[0] in KEPT or mine.get(key) == theirs.get(key):
            continue
        yours = "not set" if key not in mine else f"yours: {mine[key]}"
        notes.append(f"platform {key}: {theirs.get(key, 'not set')} ({yours})")
    return notes


def emulated_fleet(own: OwnService, p: ep.EmulatedPlatform, directory: Path) -> Path:
    """platform.yaml, teams.yaml and the service file, rewritten for the emulated platform."""
    platform = p.platform_yaml()
    block = platform["environments"][p.environment]
    if own.profile != own.environment:
        block["profile"] = own.profile
    services = directory / "services"
    services.mkdir(parents=True, exist_ok=True)
    (directory / "platform.yaml").write_text(yaml.safe_dump(platform, sort_keys=False))
    teams = {"teams": {own.team: {"notify": {"emails": [f"{own.team}-oncall@example.com"]},
                                  "pagerduty": {"integration_url_secret": p.pagerduty_secret_name}}}}
    (directory / "teams.yaml").write_text(yaml.safe_dump(teams, sort_keys=False))
    spec = {k: v for k, v in own.raw.items() if k != "environments"}
    override = dict(own.raw["environments"][own.environment] or {})
    for part in (spec, override):
        _rewrite(part, own, p)
    spec["environments"] = {own.environment: override}
    (services / f"{own.name}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return directory


def _rewrite(part: dict[str, Any], own: OwnService, p: ep.EmulatedPlatform) -> None:
    note = own.notes.append
    if part.pop("calls", None):
        note("calls: dropped (the services it calls are not in the emulator; no resource)")
    if "code" in part:
        artifact, kind = ((p.artifacts["node"], "Node.js") if (own.language or "").startswith("nodejs")
                          else (p.artifacts["python"], "Python"))
        part["code"] = {"s3": {"bucket": artifact.bucket, "key": artifact.key,
                               "version": artifact.version}}
        note(f"code: the harness's {kind} artifact s3://{artifact.bucket}/{artifact.key} "
             "(your build bucket is not in the emulator)")
    lb = part.get("load_balancer")
    if isinstance(lb, dict) and lb.get("listener") not in (None, "public"):
        note(f"load_balancer.listener: {lb['listener']} -> public (the emulated listener)")
        lb["listener"] = "public"
    api = ((part.get("triggers") or {}).get("http") or {}).get("api")
    if isinstance(api, dict):
        api["api_id"] = p.api_id
        if "authorizer_id" in api:
            api["authorizer_id"] = p.authorizer_id
        note("triggers.http.api: the emulated HTTP API and authorizer")
