"""The review's checkov line: when `--checkov` ran, the comment and the JSON say so (version,
stacks, passed/failed/skipped with golden_path's skips, new failures), in one short line,
within the comment's limit (no checkov needed: its report is given)."""

from __future__ import annotations

import json

from golden_path.resolve.checkov_skips import SKIPS, skip_entries
from golden_path.review.checkov_scan import CheckovRun, ScanResult, apply_skips
from golden_path.review.findings import findings
from golden_path.review.report import COMMENT_LIMIT, ReviewModel, build, to_json, to_markdown
from golden_path.review.synth_diff import diff_synth


def _head(failed: int = 0, stale: int = 0) -> ScanResult:
    skipped = {(f"svc-{i}", "CKV_AWS_338", "aws_cloudwatch_log_group.logs"): SKIPS["CKV_AWS_338"]
               for i in range(84)}
    return ScanResult(failed={(f"svc-{i}", "CKV_AWS_24", "aws_security_group.sg")
                              for i in range(failed)},
                      skipped=skipped, passed=518, version="3.3.30", stacks=19,
                      stale={("svc-0", "CKV_AWS_60", "aws_iam_role.r") for _ in range(stale)})


def _line(text: str) -> str:
    (line,) = [x for x in text.splitlines() if x.startswith("checkov ")]
    return line


def test_a_clean_run_is_one_line_in_the_comment_and_in_the_json():
    review = build([], [], [], None, [], checkov=CheckovRun(_head()))
    text = to_markdown(review)
    assert _line(text) == (
        "checkov 3.3.30 ran on head's 19 stacks: 518 passed, 0 failed, 84 skipped (84 by "
        "golden_path's skips, each with its reason on the resource); 0 new failures.")
    assert len(_line(text)) < 200
    # Right under "What you must not miss", before the summary.
    assert text.index("### What you must not miss") < text.index("checkov 3.3.30") < text.index(
        "### Summary")
    back = ReviewModel.model_validate_json(to_json(review))
    assert back.checkov.model_dump() == {
        "version": "3.3.30", "stacks": 19, "passed": 518, "failed": 0, "skipped": 84,
        "golden_path_skips": 84, "stale_skips": 0, "new_failures": 0, "base_scanned": False}
    assert back.checkov_new_failures == []


def test_new_failures_are_counted_against_base_and_fire_the_rule():
    run = CheckovRun(_head(failed=2), base=ScanResult(failed={
        ("svc-0", "CKV_AWS_24", "aws_security_group.sg")}))
    review = build([], [], [], None, ["checkov-new-failures"], checkov=run)
    assert review.fired == ["checkov-new-failures"]
    line = _line(to_markdown(review))
    assert ", 2 failed, " in line and line.endswith("; **1 new failure**.")
    assert review.checkov.base_scanned and review.checkov_new_failures == [
        ["svc-1", "CKV_AWS_24", "aws_security_group.sg"]]
    alone = _line(to_markdown(build([], [], [], None, [], checkov=CheckovRun(_head(failed=1, stale=1)))))
    assert alone.endswith("; **1 new failure** (no base to compare with); 1 stale skip (the check "
                          "passes: drop it).")


def test_without_checkov_the_comment_says_nothing_of_it():
    review = build([], [], [], None, [])
    assert "checkov" not in to_markdown(review) and review.checkov is None


def test_the_line_fits_in_a_comment_that_is_full():
    """400 stacks with their own changes fill the comment; the line is still there and the
    comment within GitHub's limit."""
    big = {f"svc{i}": {f"aws_ssm_parameter.p{j}": {"value": "x" * 2000} for j in range(5)}
           for i in range(400)}
    head = {k: {a: {"value": f"{i}-{a}-" + "y" * 2000} for a in v}
            for i, (k, v) in enumerate(big.items())}
    diffs = diff_synth(big, head)
    text = to_markdown(build(diffs, [], findings(diffs), None, [], checkov=CheckovRun(_head())))
    assert len(text) <= COMMENT_LIMIT and "_… the rest left out" not in text
    assert _line(text).endswith("; 0 new failures.")


def test_a_checkov_report_with_its_own_skips_and_golden_path_skips(tmp_path):
    """apply_skips reads checkov's version, counts and failures from its JSON report."""
    d = tmp_path / "stacks" / "a-production"
    d.mkdir(parents=True)
    group = {"name": "/x", "//": {"checkov": {"skip": skip_entries("CKV_AWS_338")}}}
    d.joinpath("cdk.tf.json").write_text(json.dumps(
        {"resource": {"aws_cloudwatch_log_group": {"logs": group}}}))
    failed = [{"check_id": c, "file_path": "/a-production/cdk.tf.json",
               "resource": "resource.logs"} for c in ("CKV_AWS_338", "CKV_AWS_158")]
    report = {"check_type": "terraform_json", "results": {"failed_checks": failed},
              "summary": {"passed": 3, "failed": 2, "skipped": 1, "checkov_version": "3.3.30"}}
    result = apply_skips([report], tmp_path / "stacks")
    assert result.failed == {("a-production", "CKV_AWS_158", "aws_cloudwatch_log_group.logs")}
    assert set(result.skipped) == {("a-production", "CKV_AWS_338", "aws_cloudwatch_log_group.logs")}
    line = _line(to_markdown(build([], [], [], None, [], checkov=CheckovRun(result))))
    assert line == ("checkov 3.3.30 ran on head's 1 stack: 3 passed, 1 failed, 2 skipped (1 by "
                    "golden_path's skips, each with its reason on the resource; 1 by checkov's "
                    "own configuration); **1 new failure** (no base to compare with).")
