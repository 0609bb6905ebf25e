"""Security scan of synth output with checkov (offline), base vs head."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

#: Checks skipped on purpose, with why (the README lists them too).
SKIPS = {
    "CKV_AWS_158": "log groups use CloudWatch's default encryption; a KMS key per group "
                   "costs more than it protects for telemetry sidecar logs",
    "CKV_AWS_338": "retention follows the environment profile (7/30/90 days), not 1 year",
    "CKV2_AWS_34": "SSM parameters hold configs without secrets (keys come from Secrets Manager)",
    "CKV_AWS_117": "functions run outside a VPC unless the spec gives one",
    "CKV_AWS_116": "SQS-triggered functions have a DLQ on the queue, not on the function",
    "CKV_AWS_173": "environment variables hold no secrets (only secret ARNs)",
    "CKV_AWS_272": "code signing is a later platform decision",
    "CKV_AWS_382": "tasks need egress to the registry, the vendor and their dependencies",
    "CKV_AWS_26": "alert topics are not encrypted: CloudWatch cannot publish to the AWS-managed key",
    "CKV_AWS_332": "the Fargate platform version is pinned (1.4.0) so a deploy is reproducible",
    "CKV_AWS_378": "TLS ends at the ALB; targets in private subnets speak HTTP",
    "CKV_AWS_50": "functions are traced with OpenTelemetry, not X-Ray active tracing",
}


def checkov_binary() -> str | None:
    for candidate in (shutil.which("checkov"),
                      str(Path(__file__).resolve().parents[3] / ".tools/checkov/bin/checkov")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def scan(outdir: str | Path, binary: str) -> set[tuple[str, str, str]]:
    """(stack, check id, resource) for every failed check under ``outdir``/stacks."""
    stacks = Path(outdir) / "stacks"
    result = subprocess.run(
        [binary, "-d", str(stacks), "--framework", "terraform_json", "--skip-download",
         "--quiet", "--compact", "-o", "json", "--skip-check", ",".join(SKIPS)],
        capture_output=True, text=True, timeout=900)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"checkov failed ({result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    failed = set()
    for block in report if isinstance(report, list) else [report]:
        for check in (block.get("results") or {}).get("failed_checks", []):
            stack = check.get("file_path", "").strip("/").split("/", 1)[0]
            failed.add((stack, check["check_id"], check.get("resource", "")))
    return failed
