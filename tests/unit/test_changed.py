"""`golden-path changed`: stacks added, changed and removed, in dependency order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from golden_path import SpecError
from golden_path.cli import main
from golden_path.fleet.changed import changed_stacks

TOPIC = "arn:aws:sns:eu-west-1:111122223333:golden-path-{team}-sandbox-notify"


def team_stack(team: str, extra: str = "") -> dict:
    return {"//": {"metadata": {"version": "0.21.0"}}, "resource": {"aws_sns_topic": {
        "notify": {"name": f"golden-path-{team}-sandbox-notify", "tags": {"x": extra}}}}}


def service_stack(team: str, threshold: int = 5) -> dict:
    return {"//": {"metadata": {"stackName": "s"}},
            "provider": {"aws": [{"region": "eu-west-1", "allowed_account_ids": ["111122223333"]}]},
            "resource": {"aws_cloudwatch_metric_alarm": {
        "a": {"threshold": threshold, "alarm_actions": [TOPIC.format(team=team)],
              "ok_actions": [TOPIC.format(team=team)]}}}}


def write(out: Path, stacks: dict[str, dict]) -> Path:
    for name, stack in stacks.items():
        (out / "stacks" / name).mkdir(parents=True)
        (out / "stacks" / name / "cdk.tf.json").write_text(json.dumps(stack))
    return out


@pytest.fixture
def base(tmp_path) -> Path:
    return write(tmp_path / "base", {
        "team-checkout-sandbox": team_stack("checkout"), "shop-sandbox": service_stack("checkout"),
        "blog-sandbox": service_stack("checkout"), "old-sandbox": service_stack("billing"),
        "team-billing-sandbox": team_stack("billing")})


def test_added_changed_removed_in_dependency_order(tmp_path, base):
    head = write(tmp_path / "head", {
        "team-checkout-sandbox": team_stack("checkout", extra="new tag"),
        "shop-sandbox": service_stack("checkout", threshold=9),
        "blog-sandbox": {**service_stack("checkout"), "//": {"metadata": {"other": 1}}},
        "api-sandbox": service_stack("checkout")})
    result = changed_stacks(base, head)
    assert (result.added, result.changed, result.removed) == (
        ["api-sandbox"], ["shop-sandbox", "team-checkout-sandbox"],
        ["old-sandbox", "team-billing-sandbox"])
    # A metadata-only difference is no change; the team stack comes before its services.
    assert result.unchanged == 1
    assert result.apply_order == ["team-checkout-sandbox", "api-sandbox", "shop-sandbox"]
    assert result.waves == [["team-checkout-sandbox"], ["api-sandbox", "shop-sandbox"]]
    # Destroy: the service before the team stack it published to.
    assert result.destroy_order == ["old-sandbox", "team-billing-sandbox"]
    deps = {s.name: s.depends_on for s in result.stacks}
    assert deps["shop-sandbox"] == ("team-checkout-sandbox",) and deps["team-checkout-sandbox"] == ()


def test_cli_text_and_json(tmp_path, base, capsys):
    head = write(tmp_path / "head", {
        "team-checkout-sandbox": team_stack("checkout"), "shop-sandbox": service_stack("checkout", 7),
        "blog-sandbox": service_stack("checkout"), "old-sandbox": service_stack("billing"),
        "team-billing-sandbox": team_stack("billing")})
    assert main(["changed", "--base", str(base), "--head", str(head)]) == 0
    assert capsys.readouterr().out == ("1 stack(s) to plan and apply, 0 removed, 4 unchanged\n"
                                       "  changed  shop-sandbox (after team-checkout-sandbox)\n")
    assert main(["changed", "--base", str(base), "--head", str(head), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["apply_order"] == ["shop-sandbox"] and doc["removed"] == []
    # Dependencies are listed whether or not they change (they must exist first).
    assert doc["stacks"] == [{"name": "shop-sandbox", "status": "changed",
                              "depends_on": ["team-checkout-sandbox"], "account": "111122223333",
                              "region": "eu-west-1"}]
    assert doc["waves"] == [["shop-sandbox"]]


def test_first_synth_has_no_base_stacks(tmp_path, base):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = changed_stacks(empty, base)
    assert result.apply_order[:2] == ["team-billing-sandbox", "team-checkout-sandbox"]
    assert len(result.added) == 5


def test_missing_output_is_an_error(tmp_path, base, capsys):
    with pytest.raises(SpecError) as caught:
        changed_stacks(tmp_path / "nope", base)
    assert "no such synth output" in caught.value.hint
    assert main(["changed", "--base", str(tmp_path / "nope"), "--head", str(base)]) == 2
