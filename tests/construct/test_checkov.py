"""checkov (the project's own 3.3.30, offline) on every synthesized stack: 0 failed, and
every skip written on its resource with the reason from the one table (SKIPS)."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest

from conftest import EXAMPLES, SINGLE_ENV

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def binary(checkov_bin) -> str:
    return checkov_bin


def _synth(paths: list[Path], out: Path, teams_file: Path | None = None) -> Path:
    from golden_path.alerts.registry import TeamRegistry
    from golden_path.fleet import load_all
    from golden_path.load.discover import find_teams
    from golden_path.synth import synth

    teams = TeamRegistry.load(teams_file) if teams_file else find_teams(paths)
    synth(load_all(paths, teams), out, teams)
    return out


def _assert_clean(result) -> None:
    from golden_path.review.checkov_scan import unexplained

    assert unexplained(result) == []
    assert result.passed > 0 and result.skipped
    from golden_path.resolve.checkov_skips import SKIPS

    assert all(reason == SKIPS[check] and reason for (_, check, _), reason in result.skipped.items())


def test_every_example_stack_passes_checkov(examples_out, binary):
    from golden_path.review.checkov_scan import scan

    result = scan(examples_out, binary)
    _assert_clean(result)
    stacks = {p.name for p in (examples_out / "stacks").iterdir()}
    assert {s for s, _, _ in result.skipped} <= stacks
    counts = Counter(c for _, c, _ in result.skipped)
    # The platform gives a logs key and topics have their own: those checks pass, not skipped.
    assert "CKV_AWS_158" not in counts and "CKV_AWS_26" not in counts
    print(f"\ncheckov on {len(stacks)} example stacks: {result.passed} passed, 0 failed, "
          f"{len(result.skipped)} skipped with a reason: {dict(sorted(counts.items()))}")


def test_the_review_says_that_checkov_ran(examples_out, binary, capsys, tmp_path):
    """`golden-path review --checkov` without new failures still says that checkov ran,
    on what and what it found, in one line of the comment and in the JSON."""
    from golden_path.cli import main
    from golden_path.review.report import ReviewModel

    report = tmp_path / "review.json"
    assert main(["review", "--base", str(examples_out), "--head", str(examples_out), "--checkov",
                 "--fail-on", "checkov-new-failures", "--json-out", str(report)]) == 0
    text = capsys.readouterr().out
    (line,) = [x for x in text.splitlines() if x.startswith("checkov ")]
    stacks = len(list((examples_out / "stacks").iterdir()))
    assert line.startswith(f"checkov 3.3.30 ran on head's {stacks} stacks: ")
    assert ", 0 failed, " in line and line.endswith("; 0 new failures.")
    passed, skipped, golden = (int(re.search(rf"(\d+) {word}", line).group(1)) for word in (
        "passed", "skipped", "by golden_path's skips"))
    assert passed > 0 and skipped == golden > 0
    checkov = ReviewModel.model_validate_json(report.read_text()).checkov
    assert checkov is not None and (checkov.version, checkov.stacks, checkov.failed) == (
        "3.3.30", stacks, 0)
    assert (checkov.passed, checkov.skipped, checkov.golden_path_skips, checkov.new_failures) == (
        passed, skipped, golden, 0)
    assert checkov.base_scanned is False  # nothing fails in head: base need not be scanned


def test_a_generated_fleet_and_the_single_environment_form_pass_checkov(tmp_path, binary):
    from golden_path.review.checkov_scan import scan

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from fleet_gen import generate_fleet

    root = tmp_path / "fleet"
    generate_fleet(root, 12, seed=3)
    fleet = scan(_synth([root / "services"], tmp_path / "fleet.out", root / "teams.yaml"), binary)
    _assert_clean(fleet)
    single = scan(_synth([SINGLE_ENV], tmp_path / "single.out"), binary)
    _assert_clean(single)
    # Without a platform there is no logs key: the skip says so on every log group.
    assert {c for _, c, r in single.skipped if r.startswith("aws_cloudwatch_log_group.")} == {
        "CKV_AWS_158", "CKV_AWS_338"}


def test_a_removed_skip_fails_and_a_needless_skip_is_stale(examples_out, binary, tmp_path):
    from golden_path.review.checkov_scan import scan, unexplained

    head = tmp_path / "cdktf.out"
    shutil.copytree(examples_out, head)
    path = head / "stacks" / "price-api-production" / "cdk.tf.json"
    doc = json.loads(path.read_text())
    fn_name, fn = next(iter(doc["resource"]["aws_lambda_function"].items()))
    fn["//"]["checkov"]["skip"] = [s for s in fn["//"]["checkov"]["skip"] if s["id"] != "CKV_AWS_50"]
    role_name, role = next(iter(doc["resource"]["aws_iam_role"].items()))
    role.setdefault("//", {})["checkov"] = {"skip": [{"id": "CKV_AWS_60", "comment": "x"}]}
    path.write_text(json.dumps(doc))
    result = scan(head, binary)
    assert result.failed == {("price-api-production", "CKV_AWS_50", f"aws_lambda_function.{fn_name}")}
    assert result.stale == {("price-api-production", "CKV_AWS_60", f"aws_iam_role.{role_name}")}
    assert len(unexplained(result)) == 2


def test_examples_without_the_platform_logs_key_skip_with_the_reason(tmp_path):
    """Dropping logs_kms_key_arn from platform.yaml swaps KMS for a skip on every group."""
    work = tmp_path / "examples"
    shutil.copytree(EXAMPLES, work, ignore=shutil.ignore_patterns("ci"))
    platform = work / "platform.yaml"
    platform.write_text("\n".join(line for line in platform.read_text().splitlines()
                                  if "logs_kms_key_arn" not in line) + "\n")
    out = _synth([work / "services"], tmp_path / "out", work / "teams.yaml")
    doc = json.loads((out / "stacks" / "storefront-production" / "cdk.tf.json").read_text())
    groups = doc["resource"]["aws_cloudwatch_log_group"].values()
    assert groups and all("kms_key_id" not in g for g in groups)
    assert all({s["id"] for s in g["//"]["checkov"]["skip"]} == {"CKV_AWS_158", "CKV_AWS_338"}
               for g in groups)


def test_alert_topics_and_log_groups_are_encrypted(example_stacks):
    from golden_path.l2.team_routes import alert_key_policy

    team = example_stacks["team-checkout-production-444455556666-eu-west-1"]["resource"]
    (key,) = team["aws_kms_key"].values()
    assert key["enable_key_rotation"] is True
    assert json.loads(key["policy"]) == alert_key_policy("444455556666")
    publish = json.loads(key["policy"])["Statement"][1]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": "444455556666"}}
    (alias,) = team["aws_kms_alias"].values()
    assert alias["name"] == "alias/golden-path-checkout-production-alerts"
    key_ref = "${aws_kms_key." + next(iter(team["aws_kms_key"])) + ".arn}"
    assert {t["kms_master_key_id"] for t in team["aws_sns_topic"].values()} == {key_ref}
    for name, stack in example_stacks.items():
        for group in stack["resource"].get("aws_cloudwatch_log_group", {}).values():
            account = name.rsplit("-", 1)[-1]
            assert group["kms_key_id"].startswith("arn:aws:kms:eu-west-1:"), name
            assert ("production" not in name) or ":444455556666:key/" in group["kms_key_id"], account
