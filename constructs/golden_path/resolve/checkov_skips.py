"""The checkov checks golden_path does not pass on purpose, each with its one reason.

Every other check must pass. A skip is written into the synthesized JSON on the
resource it applies to, in the shape checkov reads from CDK metadata::

    "//": {"metadata": {...}, "checkov": {"skip": [{"id": "CKV_AWS_50", "comment": "..."}]}}

so a reviewer sees it next to the resource, and a pull request that adds one shows it
(``golden-path review --checkov``). checkov 3.3's ``terraform_json`` runner does not read
inline skips itself (bridgecrewio/checkov#4634): ``review/checkov_scan.py`` applies them to
checkov's report, and a skip whose check does not fail is reported as stale; and every
synth writes them, with their reasons, as checkov's baseline beside the stacks
(``cdktf.out/.checkov.baseline``, ``review/checkov_baseline.py``), which plain checkov
honours with ``--baseline``.

Pure Python (no cdktf import): the generated docs/reference/checkov-skips.md and the review
read it too.
"""

from __future__ import annotations

import re
from typing import Any

#: check id -> why golden_path does not pass it (docs/reference/checkov-skips.md lists it).
SKIPS: dict[str, str] = {
    "CKV_AWS_338": "log retention is chosen per environment for cost (profile: 7, 30 or 90 days, "
                   "or the service's log_retention_days), not one year everywhere",
    "CKV_AWS_158": "the platform gives no KMS key for logs in this environment "
                   "(platform.yaml logs_kms_key_arn); CloudWatch encrypts the group at rest "
                   "with its own key",
    "CKV2_AWS_34": "the parameter holds the rendered collector/router config, no secrets "
                   "(keys come from Secrets Manager); a String keeps it readable in the plan "
                   "the team reviews",
    "CKV_AWS_332": "the Fargate platform version is pinned (1.4.0) so a deploy is reproducible; "
                   "the platform team moves the pin",
    "CKV_AWS_378": "TLS ends at the shared ALB; targets in private subnets speak HTTP",
    "CKV_AWS_50": "functions are traced with OpenTelemetry (the collector layer), "
                  "not X-Ray active tracing",
    "CKV_AWS_116": "dead letters belong to the trigger: SQS queues have a redrive policy, "
                   "HTTP and function-URL calls are synchronous, scheduled runs alarm on errors",
    "CKV_AWS_173": "environment variables hold no secrets (only secret ARNs and OTEL_* settings); "
                   "Lambda encrypts them at rest with its service key",
    "CKV_AWS_272": "code signing is not enabled yet: artifacts come from the team's CI bucket "
                   "or ECR; a platform-wide signing profile is a later decision",
    "CKV_AWS_117": "the function reaches only AWS APIs and the telemetry vendor; it runs in a "
                   "VPC when the service file gives subnets",
    "CKV_AWS_115": "concurrency is shared from the account pool unless the service file sets "
                   "reserved_concurrency (reserving takes capacity from every other function)",
    "CKV_AWS_45": "a variable golden_path sets itself (the collector config's S3 URI) has a run "
                  "of 40 [A-Za-z0-9/+=] characters, which checkov's scan takes for an AWS "
                  "secret key; the team's own variables are not excused and still fail it",
}

# What checkov's CKV_AWS_45 takes for a credential in a Lambda variable (its AWS and general
# secret patterns): 40 characters of an AWS secret key's alphabet, an access key id, a
# 40-character key assignment, an account id assignment, a private key header.
_CREDENTIAL_LIKE = [re.compile(p) for p in (
    r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
    r"(A3T[A-Z0-9]|AKIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16}",
    r"(?i:(aws)?_?(secret)?_?(access)?_?key)[\"']?\s*(:|=>|=)\s*[\"']?[A-Za-z0-9/+=]{40}",
    r"(?i:(aws)?_?account_?(id)?)[\"']?\s*(:|=>|=)\s*[\"']?[0-9]{4}-?[0-9]{4}-?[0-9]{4}",
    r"^-----BEGIN (RSA|EC|DSA|GPP) PRIVATE KEY-----$",
)]


def looks_like_a_credential(value: str) -> bool:
    """Would checkov's Lambda-variable secret scan (CKV_AWS_45) flag this value?"""
    return any(p.search(value) for p in _CREDENTIAL_LIKE)


def own_variable_skips(environment: dict[str, str], team_keys) -> list[str]:
    """CKV_AWS_45 when one of golden_path's own variables (not the team's) trips the scan."""
    own = [v for k, v in environment.items() if k not in set(team_keys)]
    return ["CKV_AWS_45"] if any(looks_like_a_credential(v) for v in own) else []

#: Where the skip comment sits in a resource's JSON.
SKIP_PATH = "//.checkov.skip"


def skip_entries(*check_ids: str) -> list[dict[str, str]]:
    """The ``checkov.skip`` list for these checks, each with its reason from SKIPS."""
    unknown = [c for c in check_ids if c not in SKIPS]
    if unknown:
        raise KeyError(f"no reason for checkov skip {unknown}: add it to SKIPS with one")
    return [{"id": c, "comment": SKIPS[c]} for c in dict.fromkeys(check_ids)]


def skip(resource: Any, *check_ids: str) -> None:
    """Write the skips onto a cdktf resource (nothing when no id is given)."""
    if check_ids:
        resource.add_override(SKIP_PATH, skip_entries(*check_ids))


def skips_in(resource_json: dict) -> dict[str, str]:
    """check id -> reason, as written on one resource of a synthesized stack."""
    comment = resource_json.get("//")
    checkov = comment.get("checkov") if isinstance(comment, dict) else None
    entries = checkov.get("skip") if isinstance(checkov, dict) else None
    return {e["id"]: e.get("comment", "") for e in entries or () if isinstance(e, dict) and "id" in e}
