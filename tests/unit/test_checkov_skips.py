"""The checkov skip table: one reason per check, in the docs, and the review's
`checkov-skip-added` read from the synth output (no checkov needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from golden_path.cli import main
from golden_path.resolve.checkov_skips import SKIPS, skip_entries, skips_in
from golden_path.review.checkov_scan import skips_added

README = Path(__file__).parents[2] / "docs" / "reference" / "checkov-skips.md"  # generated


def test_every_skip_has_one_reason_and_the_readme_lists_the_table():
    section = README.read_text()
    rows = [line for line in section.splitlines() if line.startswith("| `")]
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


URI = ("s3://golden-path-config-444455556666-eu-west-1.s3.eu-west-1.amazonaws.com/golden-path/"
       "production/notifications/preference-cleanup/otel-collector.yaml")
CREDENTIAL_SAMPLES = [URI, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                      "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                      "account_id=1234-5678-9012", "-----BEGIN RSA PRIVATE KEY-----",
                      "service.version=preference-cleanup-3.2.0", "http://localhost:4318",
                      "s3://golden-path-config-1/golden-path/sandbox/pricing/price-api/c.yaml"]


def test_only_golden_paths_own_variables_are_excused_from_the_secret_scan():
    from golden_path.resolve.checkov_skips import looks_like_a_credential, own_variable_skips

    assert looks_like_a_credential(URI)  # "path/production/notifications/preference": 40
    assert own_variable_skips({"OPENTELEMETRY_COLLECTOR_CONFIG_URI": URI}, []) == ["CKV_AWS_45"]
    # The same value in a team variable is not excused: checkov still fails it.
    assert own_variable_skips({"EXPORT_URI": URI, "OTEL_SERVICE_NAME": "x"}, ["EXPORT_URI"]) == []
    assert own_variable_skips({"OTEL_SERVICE_NAME": "price-api"}, []) == []


def test_the_credential_patterns_agree_with_checkovs_own_scan():
    """Run checkov's detector (its own venv) on the samples and compare, value by value."""
    import subprocess

    from conftest import _require_tool
    from golden_path.resolve.checkov_skips import looks_like_a_credential

    python = Path(__file__).parents[2] / ".tools/checkov/bin/python"
    if not python.exists():
        _require_tool("checkov", "run `make test`, which installs it into .tools/checkov")
    script = ("import json, sys\nfrom checkov.common.util.secrets import string_has_secrets, AWS, "
              "GENERAL\nprint(json.dumps([string_has_secrets(s, AWS, GENERAL) "
              "for s in json.load(sys.stdin)]))")
    out = subprocess.run([str(python), "-c", script], input=json.dumps(CREDENTIAL_SAMPLES),
                         capture_output=True, text=True, check=True, timeout=120).stdout
    assert json.loads(out) == [looks_like_a_credential(s) for s in CREDENTIAL_SAMPLES]
