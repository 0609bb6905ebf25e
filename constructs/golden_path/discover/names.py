"""Names, teams and secrets: the judgement calls of discover, pure and small.

- ``service_name``: the ``service`` tag, else the resource's name without the
  environment's suffix (``billing-sync-prod`` -> ``billing-sync``), sanitized to the
  spec's name rule (``^[a-z][a-z0-9-]*[a-z0-9]$``, at most 40 characters).
- ``split_variables``: plain variables stay; what looks like a secret is never copied:
  an ARN of Secrets Manager or SSM becomes a ``secrets:`` entry, any other secret-looking
  value ``secrets: {NAME: TODO}`` (the spec explains TODO when it is loaded).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from ..spec.common import ARN_PATTERNS, TODO

NAME_MAX = 40
TEAM_MAX = 32
_NAME = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")

#: Suffixes an environment's resources carry, by profile (plus the environment's own name).
ENV_SUFFIXES: dict[str, tuple[str, ...]] = {
    "production": ("production", "prod", "prd", "live"),
    "staging": ("staging", "stage", "stg", "preprod"),
    "sandbox": ("sandbox", "sbx", "dev", "development", "test"),
}

#: Variables golden_path sets itself (telemetry): dropped, golden_path writes its own.
OWN_VARIABLE = re.compile(r"^(OTEL_|OPENTELEMETRY_|AWS_LAMBDA_EXEC_WRAPPER$|GOLDEN_PATH_)")
_SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|"
                          r"CREDENTIAL|SIGNING_?KEY|CLIENT_?SECRET|AUTH_?KEY", re.I)
_SECRET_VALUE = [
    re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}"),                       # AWS access key id
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),                    # GitHub
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),                  # Slack
    re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),      # Stripe
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\."),  # a JWT
    re.compile(r"://[^/\s:@]+:[^/\s@]+@"),                          # a URL with a password
]
_HARMLESS = re.compile(r"^(\d{1,6}|true|false|yes|no|on|off|enabled|disabled|none|)$", re.I)


def sanitize(value: str, max_len: int = NAME_MAX) -> str | None:
    """``value`` in the spec's name rule, or None if nothing is left."""
    s = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    s = re.sub(r"^[^a-z]+", "", s)
    s = s[:max_len].rstrip("-")
    return s if _NAME.match(s) else None


def strip_environment(name: str, environment: str, profile: str) -> str:
    """``billing-sync-prod`` -> ``billing-sync`` (suffix, else prefix, of the environment)."""
    words = (environment, *ENV_SUFFIXES.get(profile, ()))
    for word in sorted(set(words), key=len, reverse=True):
        m = re.match(rf"^(.+?)[-_.]{re.escape(word)}$", name, re.I)
        if m:
            return m[1]
    for word in sorted(set(words), key=len, reverse=True):
        m = re.match(rf"^{re.escape(word)}[-_.](.+)$", name, re.I)
        if m:
            return m[1]
    return name


def service_name(physical: str, tags: dict[str, str], name_tag: str, environment: str,
                 profile: str) -> tuple[str | None, str]:
    """(name, how it was found) or (None, why not)."""
    tagged = tags.get(name_tag)
    if tagged:
        name = sanitize(tagged)
        if name is None:
            return None, f"its {name_tag} tag {tagged!r} has nothing usable as a service name"
        return name, f"tag {name_tag}" + ("" if name == tagged else f" ({tagged!r} sanitized)")
    name = sanitize(strip_environment(physical, environment, profile))
    if name is None:
        return None, (f"{physical!r} gives no service name (lowercase letters, digits, '-'): "
                      f"tag it with {name_tag}=<name>")
    return name, "derived from the resource's name"


def team_name(tags: dict[str, str], team_tag: str) -> str:
    """The team tag, sanitized; TODO when there is none (the spec explains TODO)."""
    tagged = tags.get(team_tag)
    return (sanitize(tagged, TEAM_MAX) if tagged else None) or TODO


def is_secret_arn(value: str) -> bool:
    return bool(ARN_PATTERNS["secret"].match(value) or ARN_PATTERNS["ssm-parameter"].match(value))


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(c / len(value) * math.log2(c / len(value)) for c in counts.values())


def looks_like_secret_value(value: str) -> bool:
    if any(p.search(value) for p in _SECRET_VALUE):
        return True
    # A long random-looking token: letters of both cases and digits, no spaces or separators
    # a URL, ARN or path would have.
    return (len(value) >= 32 and re.fullmatch(r"[A-Za-z0-9+/=_-]+", value) is not None
            and re.search(r"[a-z]", value) is not None and re.search(r"[A-Z]", value) is not None
            and re.search(r"\d", value) is not None and _entropy(value) >= 4.0)


def looks_like_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


@dataclass
class Variables:
    variables: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    #: variable name -> what happened to it (for the report)
    notes: list[str] = field(default_factory=list)


def split_variables(env: dict[str, str], runtime: str) -> Variables:
    """Plain variables and secrets (``runtime``: lambda or ecs, whose secrets differ:
    a function gets ``X_SECRET_ARN``, a task the secret's value in ``X``)."""
    out = Variables()
    for name, value in sorted(env.items()):
        if OWN_VARIABLE.match(name):
            out.notes.append(f"variable {name} dropped: golden_path sets its telemetry "
                             "variables itself")
        elif is_secret_arn(value):
            if runtime == "lambda" and name.endswith("_SECRET_ARN") and len(name) > 11:
                out.secrets[name.removesuffix("_SECRET_ARN")] = value  # same variable as before
            else:
                out.secrets[name] = value
                now = f"{name}_SECRET_ARN" if runtime == "lambda" else name
                what = "its ARN" if runtime == "lambda" else "the secret's value"
                out.notes.append(f"variable {name} held a secret's ARN: now in secrets:, so the "
                                 f"app gets {what} in {now}; check the code reads that")
        elif (looks_like_secret_name(name) and not _HARMLESS.match(value)) or \
                looks_like_secret_value(value):
            out.secrets[name] = TODO
            out.notes.append(f"variable {name} looks like a secret and was not copied: store it "
                             f"in Secrets Manager and write the ARN in secrets.{name}")
        else:
            out.variables[name] = value
    return out
