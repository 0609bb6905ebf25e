"""Every ARN a team writes stays in its environment's account and region, unless acknowledged.

A service spec is one environment's: its role, its queue, its secrets. An ARN in it that
names another account (a sandbox secret in the shared part of a fleet-form file, read by
production's role) or another region (a queue in eu-west-1 for a service in us-east-1) is
almost always a copy-paste slip that no plan would show. So every ARN in the spec is
checked, whatever field holds it (``secrets``, ``variables``, ``iam`` resources and
conditions, ``scaling.queue.arn``, alarm dimensions, and any field added later):

- its account must be the environment's (``network.cluster_arn``'s for a Fargate service,
  ``account_id`` for a function; in the fleet form both come from platform.yaml), unless
  ``cross_account`` lists it with a reason;
- its region must be the environment's, unless ``cross_region`` lists it with a reason.

Not checked: ARNs without an account or region (``arn:aws:s3:::bucket``, IAM's empty region,
AWS-managed ``arn:aws:iam::aws:policy/...``), wildcard or variable parts (``*``, ``${...}``),
``layers`` (AWS and vendors publish layers from their own accounts; the region rule, which
no acknowledgement lifts because Lambda refuses it, is in ``spec/lambda_.py``) and
container images, which are registry URLs, not ARNs, and normally live in a shared
tooling account that every environment pulls from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from ..errors import Path, Problem
from .base import _Model

_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:(?P<region>[^:]*):(?P<account>[^:]*):.+$")
_REGION = r"^[a-z]{2}(-gov)?-[a-z]+-\d$"
_ACCOUNT = r"^\d{12}$"
_IS_REGION = re.compile(_REGION)
_IS_ACCOUNT = re.compile(_ACCOUNT)
#: Fields not checked here: the one that defines the environment, and layers (see above).
_SKIPPED: tuple[Path, ...] = (("network", "cluster_arn"), ("layers",))
_REASON = ("say why this service uses resources of that {scope}, e.g. reason: \"{example}\" "
           "(what a reviewer reads)")


class CrossAccount(_Model):
    """Another AWS account whose resources this service uses on purpose."""

    MISSING_HINTS: ClassVar[dict[str, str]] = {"reason": _REASON.format(
        scope="account", example="the tooling account's shared artifact key")}

    account: str = Field(pattern=_ACCOUNT, description="The other account's id, quoted: "
                                                       "\"999988887777\".")
    reason: str = Field(min_length=10, description="Why this service uses that account's "
                                                   "resources (what a reviewer reads).")


class CrossRegion(_Model):
    """Another AWS region whose resources this service uses on purpose."""

    MISSING_HINTS: ClassVar[dict[str, str]] = {"reason": _REASON.format(
        scope="region", example="the payment provider's queue exists only in eu-west-1")}

    region: str = Field(pattern=_REGION, description="The other region, e.g. eu-west-1.")
    reason: str = Field(min_length=10, description="Why this service uses resources there "
                                                   "(what a reviewer reads).")


@dataclass(frozen=True)
class ScopeProblem(Problem):
    """An ARN outside the environment's account or region (merged across environments by
    the fleet-form loader, ``load/service_file.py``)."""

    scope: str = "account"  # or "region"
    written: str = ""  # the account or region the ARN names
    home: str = ""  # the environment's
    environment: str = ""


def home_of(spec: Any) -> tuple[str | None, str | None]:
    """The environment's account and region, as the spec itself states them."""
    account, region = getattr(spec, "account_id", None), getattr(spec, "region", None)
    network = getattr(spec, "network", None)
    if account is None and network is not None:
        m = _ARN.match(network.cluster_arn)
        account, region = (m["account"], m["region"]) if m else (None, None)
    return account, region


def written_arns(value: Any, path: Path = ()) -> Iterator[tuple[Path, str]]:
    """Every ARN in a spec (or any part of one), with its field path."""
    if path in _SKIPPED:
        return
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from written_arns(getattr(value, name), (*path, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from written_arns(item, (*path, key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from written_arns(item, (*path, i))
    elif isinstance(value, str) and value.startswith("arn:"):
        yield path, value


def scope_problems(spec: Any) -> list[Problem]:
    """ARNs of the spec outside its environment's account or region, not acknowledged."""
    account, region = home_of(spec)
    allowed = {"account": {a.account for a in spec.cross_account} | {account},
               "region": {r.region for r in spec.cross_region} | {region}}
    problems: list[Problem] = []
    for path, arn in written_arns(spec):
        m = _ARN.match(arn)
        if m is None:
            continue
        for scope, valid, home in (("account", _IS_ACCOUNT, account),
                                   ("region", _IS_REGION, region)):
            written = m[scope]
            if home is None or not valid.match(written) or written in allowed[scope]:
                continue
            problems.append(ScopeProblem(
                path, arn, _hint(scope, written, [(spec.environment, home)]),
                scope=scope, written=written, home=home, environment=spec.environment))
    return problems


def _hint(scope: str, written: str, homes: Sequence[tuple[str, str]], owner: str | None = None,
          fleet: bool = False, shared: bool = False) -> str:
    """What is wrong and the three ways out: the environment's own value, per environment,
    or an acknowledgement."""
    whose = f" ({owner}'s {scope})" if owner else ""
    text = f"names {scope} {written}{whose}, which is not the {scope} of {_environments(homes)}; "
    placeholder = "{" + scope + "}"
    if fleet:
        text += f"write {placeholder} in place of {written} (filled in per environment)"
        if shared and owner:
            text += f", or move the value into environments.{owner} and give the others their own"
    else:
        text += (f"use the environment's own (a fleet-form file writes {placeholder} in place "
                 f"of {written}, filled in per environment)")
    quoted = f'"{written}"' if scope == "account" else written
    return (text + f", or, if it is meant, acknowledge it: cross_{scope}: "
                   f"[{{{scope}: {quoted}, reason: <why>}}]")


def _environments(homes: Sequence[tuple[str, str]]) -> str:
    """``production (333333333333)``; ``sandbox, staging or production (us-east-1)``;
    ``staging (222222222222) or production (333333333333)``."""
    if len({home for _, home in homes}) == 1:
        return f"{_or([env for env, _ in homes])} ({homes[0][1]})"
    return _or([f"{env} ({home})" for env, home in homes])


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def merged(items: Sequence[tuple[ScopeProblem, bool, Any]],
           owners: dict[str, str]) -> list[Problem]:
    """One problem per ARN written once and wrong in several environments of a fleet-form
    file. ``items``: (problem, written in the shared part?, the value as written);
    ``owners``: account -> the platform environment it belongs to."""
    groups: dict[tuple, list[tuple[ScopeProblem, bool, Any]]] = {}
    for item in items:
        p = item[0]
        groups.setdefault((p.file, p.line, p.path, p.scope, p.written), []).append(item)
    out = []
    for (file, line, path, scope, written), group in groups.items():
        first, shared, raw = group[0]
        owner = owners.get(written) if scope == "account" else None
        homes = [(p.environment, p.home) for p, _, _ in group]
        out.append(Problem(path, raw if raw is not None else first.value,
                           _hint(scope, written, homes, owner, fleet=True, shared=shared),
                           file, line))
    return out
