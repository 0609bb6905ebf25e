"""The checkov skip table: one reason per check, in the README, and the review's
`checkov-skip-added` read from the synth output (no checkov needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from golden_path.cli import main
from golden_path.resolve.checkov_skips import SKIPS, skip_entries, skips_in
from golden_path.review.checkov_scan import skips_added

README = Path(__file__).parents[2] / "README.md"


def test_every_skip_has_one_reason_and_the_readme_lists_the_table():
    section = README.read_text().split("### checkov: every finding fixed or explained")[1]
    rows = [line for line in section.split("\n\n| check |")[1].splitlines() if line.startswith("| `")]
    assert rows == [f"| `{check}` | {reason} |" for check, reason in SKIPS.items()]
    assert all(len(reason) > 30 for reason in SKIPS.values())


def test_skip_entries_carry_the_reason_and_refuse_an_unknown_check():
    assert skip_entries("CKV_AWS_50", "CKV_AWS_50") == [{"id": "CKV_AWS_50",
                                                          "comment": SKIPS["CKV_AWS_50"]}]
    with pytest.raises(KeyError, match="add it to SKIPS"):
        skip_entries("CKV_AWS_1")
    assert skips_in({"//": {"metadata": {}, "checkov": {"skip": skip_entries("CKV_AWS_338")}}}) == {
        "CKV_AWS_338": SKIPS["CKV_AWS_338"]}
    assert skips_in({"//": {"metadata": {}}}) == skips_in({}) == {}


def _out(root: Path, skips: dict[str, list[str]]) -> Path:
    """A minimal synth output: one stack, a log group with the given skips."""
    for stack, ids in skips.items():
        d = root / "stacks" / stack
        d.mkdir(parents=True)
        group = {"name": "/x", "//": {"checkov": {"skip": skip_entries(*ids)}}}
        d.joinpath("cdk.tf.json").write_text(json.dumps(
            {"resource": {"aws_cloudwatch_log_group": {"logs": group}}}))
    return root


def test_the_review_shows_the_skips_a_pull_request_adds(tmp_path, capsys):
    base = _out(tmp_path / "base", {"a-production": ["CKV_AWS_338"]})
    head = _out(tmp_path / "head", {"a-production": ["CKV_AWS_338", "CKV_AWS_158"]})
    assert skips_added(base, head) == [("a-production", "CKV_AWS_158",
                                        "aws_cloudwatch_log_group.logs", SKIPS["CKV_AWS_158"])]
    code = main(["review", "--base", str(base), "--head", str(head),
                 "--fail-on", "checkov-skip-added"])
    text = capsys.readouterr().out
    assert code == 1
    assert "- **checkov-skip-added** (1)" in text
    assert (f"  - CKV_AWS_158 on 1 resource(s), because {SKIPS['CKV_AWS_158']}: "
            "`a-production` `aws_cloudwatch_log_group.logs`") in text
    assert main(["review", "--base", str(head), "--head", str(head),
                 "--fail-on", "checkov-skip-added"]) == 0
