"""Decisions every runtime shares: AWS name limits, stable shortened names, secret ARNs."""

from __future__ import annotations

import hashlib

from ..errors import SpecError
from ..spec.common import ARN_PATTERNS

MANAGED_BY = "golden-path"
# AWS name limits enforced here (the provider would only fail at apply time).
TARGET_GROUP_NAME_MAX = 32
IAM_ROLE_NAME_MAX = 64
SECURITY_GROUP_NAME_MAX = 255
LOG_GROUP_NAME_MAX = 512


def shorten(name: str, limit: int) -> str:
    """``name`` if it fits, else a prefix plus a stable 6-hex hash of the full name."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: limit - 7].rstrip('-')}-{digest}"



def platform_settings(spec) -> dict:
    """What platform.yaml adds to a fleet-form service: the roles' permissions boundary
    and the provider's default tags (nothing for a single-environment file)."""
    context = spec._platform
    if context is None:
        return {}
    env = context.environment
    return {"permissions_boundary": env.permissions_boundary, "default_tags": dict(env.default_tags)}


def secret_base(arn: str) -> str:
    """A Secrets Manager ARN without ECS's ':json-key:stage:version' suffix (for IAM)."""
    match = ARN_PATTERNS["secret"].match(arn)
    if not match:
        raise SpecError.at("secrets", arn, "not a Secrets Manager ARN")
    return arn[: match.end("name")]
