"""Security scan of synth output with checkov (offline), with golden_path's documented skips.

Every skip is written on its resource in the synthesized JSON
(``"//": {"checkov": {"skip": [{"id", "comment"}]}}``, see ``resolve/checkov_skips.py``).
checkov 3.3's ``terraform_json`` runner does not read those itself
(bridgecrewio/checkov#4634), so :func:`scan` applies them to checkov's report: a failed
check with a skip on its resource becomes *skipped, with the reason*; a skip whose check
did not fail is *stale* (the resource was fixed; drop the skip). A team that runs plain
checkov gets the same skips from the baseline every synth writes (``checkov_baseline.py``);
the review keeps applying them per stack (a baseline entry is matched by resource address
only, in every stack), with the reasons and the stale skips.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..resolve.checkov_skips import SKIPS, skips_in

#: (stack, check id, resource as "type.name")
Finding = tuple[str, str, str]


@dataclass
class ScanResult:
    """What checkov found under one synth output, after golden_path's skips."""

    failed: set[Finding] = field(default_factory=set)
    #: finding -> the reason written on the resource
    skipped: dict[Finding, str] = field(default_factory=dict)
    #: skips on a resource whose check passed
    stale: set[Finding] = field(default_factory=set)
    passed: int = 0
    #: checks checkov skipped itself (its own config: ``--skip-check``, ``.checkov.yaml``)
    checkov_skipped: int = 0
    #: checkov's version, as its report gives it, and the stacks it scanned
    version: str = ""
    stacks: int = 0


def checkov_binary() -> str | None:
    for candidate in (shutil.which("checkov"),
                      str(Path(__file__).resolve().parents[3] / ".tools/checkov/bin/checkov")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def written_skips(stacks: Path) -> tuple[dict[Finding, str], dict[tuple[str, str], str]]:
    """Every skip written in the stacks, and where each resource name lives
    ((stack, name) -> "type.name"; checkov names some resources "resource.<name>")."""
    return docs_skips({p.parent.name: json.loads(p.read_text())
                       for p in sorted(stacks.glob("*/cdk.tf.json"))})


def docs_skips(docs: dict[str, dict]) -> tuple[dict[Finding, str], dict[tuple[str, str], str]]:
    """:func:`written_skips` of documents already parsed ({stack: cdk.tf.json})."""
    skips: dict[Finding, str] = {}
    where: dict[tuple[str, str], str] = {}
    for stack, doc in docs.items():
        for rtype, blocks in (doc.get("resource") or {}).items():
            for name, body in blocks.items():
                where[(stack, name)] = f"{rtype}.{name}"
                if "//" in body:
                    for check, reason in skips_in(body).items():
                        skips[(stack, check, f"{rtype}.{name}")] = reason
    return skips, where


def run_checkov(stacks: Path, binary: str) -> list[dict]:
    """checkov's JSON report blocks for every stack under ``stacks``."""
    result = subprocess.run(
        [binary, "-d", str(stacks), "--framework", "terraform_json", "--skip-download",
         "--quiet", "--compact", "-o", "json"],
        capture_output=True, text=True, timeout=900)
    if result.returncode not in (0, 1) or not result.stdout.strip():
        raise RuntimeError(f"checkov failed ({result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    return report if isinstance(report, list) else [report]


def scan(outdir: str | Path, binary: str) -> ScanResult:
    """checkov on ``outdir``/stacks with the skips written in the JSON applied."""
    stacks = Path(outdir) / "stacks"
    return apply_skips(run_checkov(stacks, binary), stacks)


def apply_skips(blocks: list[dict], stacks: Path) -> ScanResult:
    """checkov's report ``blocks`` of the stacks under ``stacks``, with the skips written
    in their JSON applied."""
    skips, where = written_skips(stacks)
    out = ScanResult(stacks=len(list(stacks.glob("*/cdk.tf.json"))))
    used: set[Finding] = set()
    for block in blocks:
        results = block.get("results") or {}
        summary = block.get("summary") or {}
        out.passed += summary.get("passed", 0)
        out.checkov_skipped += summary.get("skipped", 0)
        out.version = out.version or summary.get("checkov_version", "")
        for check in results.get("failed_checks", []):
            # file_path is relative to the scanned directory: "/<stack>/cdk.tf.json" when
            # that is stacks/, "/stacks/<stack>/cdk.tf.json" when it is the synth output.
            stack = Path(check.get("file_path", "")).parent.name
            name = check.get("resource", "").split(".", 1)[-1]
            finding = (stack, check["check_id"], where.get((stack, name), check.get("resource", "")))
            if finding in skips:
                out.skipped[finding] = skips[finding]
                used.add(finding)
            else:
                out.failed.add(finding)
    out.stale = set(skips) - used
    return out


@dataclass
class CheckovRun:
    """checkov in a review: head scanned, and base where head fails something."""

    head: ScanResult
    #: None when base was not scanned: no base output, or nothing fails in head (then
    #: nothing can be new, and the second scan is saved).
    base: ScanResult | None = None

    @property
    def new(self) -> set[Finding]:
        """Failures in head that base does not have (all of head's without a base)."""
        return self.head.failed - (self.base.failed if self.base else set())


def review_scan(head: str | Path, base: str | Path | None, binary: str) -> CheckovRun:
    """checkov on head, then on base only if head fails a check (``golden-path review
    --checkov``)."""
    run = CheckovRun(scan(head, binary))
    if run.head.failed and base and Path(base, "stacks").is_dir():
        run.base = scan(base, binary)
    return run


def unexplained(result: ScanResult) -> list[str]:
    """Lines for everything that must not be there: failures, skips without a reason
    from the table, stale skips."""
    lines = [f"{s}: {c} fails on {r}" for s, c, r in sorted(result.failed)]
    lines += [f"{s}: {c} skipped on {r} without the reason from SKIPS"
              for (s, c, r), reason in sorted(result.skipped.items()) if reason != SKIPS.get(c)]
    lines += [f"{s}: {c} skipped on {r} but the check passes: drop the skip"
              for s, c, r in sorted(result.stale)]
    return lines


def skips_added(base: str | Path | None, head: str | Path, *, base_docs: dict | None = None,
                head_docs: dict | None = None) -> list[tuple[str, str, str, str]]:
    """(stack, check, resource, reason) for every skip in head's JSON that base lacks:
    the skips a pull request adds (read from the synth output; checkov need not run).
    ``base_docs``/``head_docs``: the documents already parsed (then not read again)."""
    if base_docs is not None:
        before = docs_skips(base_docs)[0]
    else:
        before = (written_skips(Path(base) / "stacks")[0] if base and Path(base, "stacks").is_dir()
                  else {})
    after = docs_skips(head_docs)[0] if head_docs is not None else written_skips(
        Path(head) / "stacks")[0]
    return [(*key, reason) for key, reason in sorted(after.items()) if key not in before]
