"""Who a stack is (its name, environment, service, team, account, region and kind), read
from the stack itself, and the normalization that takes those out of a value so that
the same change in 900 stacks reads as one change.

Nothing here assumes environment names: the environment is the ``environment`` tag the
stack's resources (or its provider's ``default_tags``) carry, whatever the platform
calls it; the account is the provider's ``allowed_account_ids``; the region its
``region``. A stack without those tags (a hand-written one) is normalized by its name
alone.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: Placeholders, in the order they are tried (the longest identity value wins anyway).
FIELDS = ("stack", "service", "team", "environment", "account", "region")
#: A value that is only a digest (a config's SHA-256, a Lambda source hash) differs in
#: every stack whatever the change: it is shown as this placeholder.
HASH = "{hash}"
_DIGEST = re.compile(r"[0-9a-f]{32,128}|[A-Za-z0-9+/]{43}=")
#: Known environment names in their usual rollout order; any other name sorts after
#: them, alphabetically (the review passes the real order where it knows it).
USUAL_ORDER = ("sandbox", "dev", "development", "test", "qa", "staging", "stage", "preprod",
               "pre-production", "production", "prod")


@dataclass(frozen=True)
class Identity:
    stack: str
    environment: str | None = None
    service: str | None = None
    team: str | None = None
    account: str | None = None
    region: str | None = None
    #: lambda, web, worker (ECS), team (a team's alert routes) or other
    kind: str = "other"
    _table_once: Any = field(default=None, compare=False, repr=False)  # values(), once

    def values(self) -> dict[str, str]:
        """{identity value: placeholder}, longest value first; a value two fields share
        (a service named like its team) keeps the first field's placeholder."""
        out: dict[str, str] = {}
        for name in FIELDS:
            value = getattr(self, name)
            if value and len(str(value)) >= 2 and str(value) not in out:
                out[str(value)] = "{" + name + "}"
        return dict(sorted(out.items(), key=lambda kv: -len(kv[0])))

    def normalize(self, value: Any) -> Any:
        """``value`` with this stack's own name, environment, service, team, account and
        region replaced by ``{stack}``, ``{environment}``, ... and digests by ``{hash}``.
        A name is replaced only where it stands alone (not inside a longer word)."""
        if isinstance(value, str):
            if _DIGEST.fullmatch(value):
                return HASH
            for name, placeholder in self._table():
                if name in value:
                    value = _replace_word(value, name, placeholder)
            return value
        if isinstance(value, dict):
            return {self.normalize(k): self.normalize(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.normalize(v) for v in value]
        return value

    def _table(self) -> list[tuple[str, str]]:
        if self._table_once is None:
            object.__setattr__(self, "_table_once", list(self.values().items()))
        return self._table_once


def _alnum(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _replace_word(text: str, name: str, placeholder: str) -> str:
    """``name`` replaced where it stands alone: not inside a longer word, nor a placeholder
    already put there (an environment called ``stack`` stays out of ``{stack}``)."""
    out, start, n = [], 0, len(name)
    i = text.find(name)
    while i >= 0:
        before = text[i - 1] if i else ""
        after = text[i + n] if i + n < len(text) else ""
        if not (_alnum(before) or _alnum(after) or (before == "{" and after == "}")):
            out += [text[start:i], placeholder]
            start = i + n
        i = text.find(name, i + n if start == i + n else i + 1)
    return "".join(out) + text[start:] if out else text


def kind_of(types: Iterable[str], service: str | None, team: str | None) -> str:
    types = set(types)
    if "aws_lambda_function" in types:
        return "lambda"
    if "aws_ecs_service" in types:
        return "web" if types & {"aws_lb_listener_rule", "aws_lb_target_group"} else "worker"
    if service is None and team is not None:
        return "team"
    return "other"


def provider_of(doc: dict) -> dict:
    """The stack's AWS provider block (the one without an alias), or {}."""
    providers = (doc.get("provider") or {}).get("aws") or []
    providers = providers if isinstance(providers, list) else [providers]
    return next((p for p in providers if isinstance(p, dict) and not p.get("alias")),
                providers[0] if providers and isinstance(providers[0], dict) else {})


def identify(name: str, resources: dict[str, dict], provider: dict | None = None) -> Identity:
    """The identity of stack ``name`` from its resources ({"type.name": attributes}) and its
    provider block: the most common ``environment``/``service``/``team`` tag values, the
    provider's first allowed account and its region."""
    provider = provider or {}
    tags: dict[str, Counter] = {"environment": Counter(), "service": Counter(), "team": Counter()}
    default = provider.get("default_tags") or [{}]
    default = (default[0] if isinstance(default, list) and default else default) or {}
    for key, value in (default.get("tags") or {}).items():
        if key in tags and isinstance(value, str):
            tags[key][value] += 1
    types = set()
    for address, attrs in resources.items():
        types.add(address.split(".", 1)[0])
        resource_tags = attrs.get("tags") if isinstance(attrs, dict) else None
        if isinstance(resource_tags, dict):
            for key in tags:
                value = resource_tags.get(key)
                if isinstance(value, str) and "${" not in value:
                    tags[key][value] += 1
    found = {k: (c.most_common(1)[0][0] if c else None) for k, c in tags.items()}
    accounts = provider.get("allowed_account_ids") or []
    account = accounts[0] if isinstance(accounts, list) and accounts else None
    region = provider.get("region") if isinstance(provider.get("region"), str) else None
    return Identity(name, found["environment"], found["service"], found["team"],
                    str(account) if account else None, region,
                    kind_of(types, found["service"], found["team"]))


def environment_order(environments: Iterable[str | None], rank: dict[str, int] | None = None
                      ) -> list[str]:
    """Environments in rollout order: ``rank`` (from the apply order) first, then the
    usual names in their usual order, then the others alphabetically."""
    rank = rank or {}
    usual = {name: i for i, name in enumerate(USUAL_ORDER)}
    return sorted({e for e in environments if e},
                  key=lambda e: (rank.get(e, len(rank)), usual.get(e, len(usual)), e))
