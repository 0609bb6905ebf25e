"""Plain checkov, as a team runs it in its own CI, agrees with golden_path: every synth
writes ``cdktf.out/.checkov.baseline`` from the skips on the resources, and
``checkov -d cdktf.out --framework terraform_json --baseline cdktf.out/.checkov.baseline``
fails exactly what ``golden-path review --checkov`` fails (the real checkov 3.3.30, on the
real synth output, from a checkout at another path)."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES, add_open_ssh_rule

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def binary(checkov_bin) -> str:
    return checkov_bin


def _checkov(binary: str, args: list[str], cwd: Path) -> tuple[dict, float]:
    """checkov's JSON report (one framework) and its wall time, run as a team runs it."""
    start = time.perf_counter()
    result = subprocess.run([binary, *args, "--skip-download", "-o", "json"], cwd=cwd,
                            capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - start
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return json.loads(result.stdout), seconds


def _failed(report: dict) -> set[tuple[str, str, str]]:
    """(stack, check, resource name) of every failed check in a checkov report."""
    return {(c["file_path"].strip("/").split("/")[1], c["check_id"], c["resource"].split(".", 1)[1])
            for c in report["results"]["failed_checks"]}


def test_plain_checkov_with_the_baseline_fails_only_what_golden_path_fails(examples_out, binary,
                                                                         tmp_path):
    from golden_path.review.checkov_baseline import COMMAND
    from golden_path.review.checkov_scan import apply_skips

    # A CI checkout somewhere else: the synth output as it was written, plus one real
    # failure a pull request adds (SSH open to the world), checkov run from the checkout
    # with relative paths.
    checkout = tmp_path / "ci" / "checkout"
    out = checkout / "cdktf.out"
    shutil.copytree(examples_out, out)
    add_open_ssh_rule(out)

    command = shlex.split(COMMAND)
    assert command[:6] == ["checkov", "-d", "cdktf.out", "--framework", "terraform_json",
                           "--baseline"]
    plain, plain_s = _checkov(binary, command[1:5], checkout)
    golden = apply_skips([plain], out / "stacks")  # what golden-path review --checkov says
    with_baseline, baseline_s = _checkov(binary, command[1:], checkout)

    assert golden.failed and {s for s, _, _ in golden.failed} == {"storefront-sandbox"}
    golden_failed = {(s, c, r.split(".", 1)[1]) for s, c, r in golden.failed}
    # Without the baseline: every golden_path skip fails too.
    assert len(_failed(plain)) == len(golden.skipped) + len(golden.failed)
    # With it: exactly golden_path's failures; the skips are reported as skipped.
    assert _failed(with_baseline) == golden_failed
    assert with_baseline["summary"]["skipped"] == len(golden.skipped) > 0
    assert {c["check_result"]["suppress_comment"] for c in with_baseline["results"]["skipped_checks"]
            } == {"baseline-skipped"}
    print(f"\nplain checkov on {golden.stacks} example stacks (+1 injected failure): "
          f"{len(_failed(plain))} failed without the baseline ({plain_s:.1f} s), "
          f"{len(_failed(with_baseline))} with it ({baseline_s:.1f} s); golden_path: "
          f"{len(golden.failed)} failed, {len(golden.skipped)} skipped")


def test_the_baseline_is_derived_from_the_stacks_and_keeps_the_reasons(examples_out):
    """The cdktf CLI path (`make synth`) wrote it; it lists each skip with its reason, in
    checkov's own baseline format, with paths relative to the scanned directory."""
    from golden_path.resolve.checkov_skips import SKIPS
    from golden_path.review.checkov_baseline import BASELINE_FILE, baseline_text, read_docs

    path = examples_out / BASELINE_FILE
    text = path.read_text()
    assert text == baseline_text(read_docs(examples_out))
    doc = json.loads(text)
    skipped = {c for entry in doc["failed_checks"] for f in entry["findings"] for c in f["check_ids"]}
    assert skipped and doc["reasons"] == {c: SKIPS[c] for c in sorted(skipped)}
    files = [entry["file"] for entry in doc["failed_checks"]]
    assert all(f.startswith("/stacks/") and (examples_out / f.lstrip("/")).is_file() for f in files)
    function = {f["resource"]: f for entry in doc["failed_checks"] for f in entry["findings"]
                if f["resource"].startswith("aws_lambda_function.")}
    (entry,) = function.values()
    # price-api and invoice-consumer reserve concurrency in production only: 4 of 6 stacks.
    assert entry["stacks"]["CKV_AWS_115"] == 4 and entry["stacks"]["CKV_AWS_50"] == 6
    # Each resource under both names checkov uses (Python checks, graph checks).
    assert "resource." + next(iter(function)).split(".", 1)[1] in {
        f["resource"] for e in doc["failed_checks"] for f in e["findings"]}


def test_the_baseline_follows_the_stacks_through_the_synth_cache(examples_out, tmp_path):
    """Synth from the cache writes the same baseline; a change to one service rebuilds its
    stacks only, and the baseline follows them."""
    from golden_path.cli import main
    from golden_path.review.checkov_baseline import BASELINE_FILE, baseline, read_docs

    cached = tmp_path / "cached"
    assert main(["synth", str(EXAMPLES), "--out", str(cached)]) == 0
    assert (cached / BASELINE_FILE).read_bytes() == (examples_out / BASELINE_FILE).read_bytes()

    work = tmp_path / "examples"
    shutil.copytree(EXAMPLES, work, ignore=shutil.ignore_patterns("ci"))
    path = work / "services" / "price-api.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["environments"]["sandbox"]["reserved_concurrency"] = 5
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    changed = tmp_path / "changed"
    assert main(["synth", str(work), "--out", str(changed)]) == 0
    doc = json.loads((changed / BASELINE_FILE).read_text())
    assert doc == baseline(read_docs(changed))
    counts = {f["resource"]: f["stacks"] for e in doc["failed_checks"] for f in e["findings"]}
    function = next(v for k, v in counts.items() if k.startswith("aws_lambda_function."))
    assert function["CKV_AWS_115"] == 3  # price-api-sandbox reserves concurrency now
    assert not list(tmp_path.glob(".changed.*"))  # written in the temporary directory, swapped in
