"""A platform with its own environment names (dev, qa, prod-eu, prod-us) synthesizes:
stacks named after the environments, behaviour after their profiles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tfjson import resources

pytestmark = pytest.mark.synth

SERVICE_STACKS = ({f"shop-{e}" for e in ("dev", "qa", "prod-eu", "prod-us")}
                  | {f"quotes-{e}" for e in ("dev", "qa", "prod-eu", "prod-us")}
                  | {"packer-dev", "packer-prod-eu", "packer-prod-us"})
TEAM_STACKS = {
    "team-checkout-qa-222200002222-eu-west-1",
    "team-checkout-prod-eu-333300003333-eu-west-1", "team-checkout-prod-us-444400004444-us-east-1",
    # pricing's dev and qa routes need nothing: an existing topic, and no paging there;
    # checkout's dev (a sandbox profile) notifies no one.
    "team-pricing-prod-eu-333300003333-eu-west-1", "team-pricing-prod-us-444400004444-us-east-1",
}


@pytest.fixture(scope="module")
def stacks(tmp_path_factory) -> dict[str, dict]:
    from conftest import ROOT
    from golden_path.fleet import load_all
    from golden_path.load.discover import find_teams
    from golden_path.synth import synth

    fixture = ROOT / "tests" / "fixtures" / "custom-environments"
    out = tmp_path_factory.mktemp("custom-environments") / "cdktf.out"
    teams = find_teams([fixture / "services"])
    names = synth(load_all([fixture / "services"], teams), out, teams, cache=False)
    found = {d.name: json.loads((d / "cdk.tf.json").read_text())
             for d in sorted(Path(out, "stacks").iterdir())}
    assert set(names) == set(found)
    return found


def test_stack_names_carry_the_platforms_environment_names(stacks):
    assert set(stacks) == SERVICE_STACKS | TEAM_STACKS


@pytest.mark.parametrize(("stack", "retention"), [
    ("shop-dev", 7), ("shop-qa", 30), ("shop-prod-eu", 90), ("quotes-dev", 7), ("quotes-prod-us", 90)])
def test_log_retention_by_profile(stacks, stack, retention):
    groups = resources(stacks[stack], "aws_cloudwatch_log_group")
    assert groups and {g["retention_in_days"] for g in groups} == {retention}


def test_production_profile_samples_and_pages(stacks):
    eu = stacks["shop-prod-eu"]
    (provider,) = eu["provider"]["aws"]
    assert (provider["region"], provider["allowed_account_ids"]) == ("eu-west-1", ["333300003333"])
    assert eu["terraform"]["backend"]["s3"]["key"] == "golden-path/prod-eu/checkout/shop.tfstate"
    configs = [p["value"] for p in resources(eu, "aws_ssm_parameter")
               if "sampling_percentage" in p.get("value", "")]
    assert configs and all(re.search(r"sampling_percentage: 0\.1\b", c) for c in configs)
    page = "arn:aws:sns:eu-west-1:333300003333:golden-path-checkout-prod-eu-page"
    paging = [a["alarm_name"] for a in resources(eu, "aws_cloudwatch_metric_alarm")
              if page in a.get("alarm_actions", [])]
    assert paging and all(n.startswith("prod-eu-checkout-shop-") for n in paging)
    dev_actions = {arn for a in resources(stacks["shop-dev"], "aws_cloudwatch_metric_alarm")
                   for arn in a.get("alarm_actions", [])}
    assert not any(arn.endswith("-page") for arn in dev_actions)


def test_team_topics_follow_the_profile(stacks):
    def topics(stack):
        return sorted(t["name"] for t in resources(stacks[stack], "aws_sns_topic"))

    assert topics("team-checkout-prod-eu-333300003333-eu-west-1") == [
        "golden-path-checkout-prod-eu-notify", "golden-path-checkout-prod-eu-page"]
    assert topics("team-checkout-qa-222200002222-eu-west-1") == ["golden-path-checkout-qa-notify"]


def test_a_function_in_another_region(stacks):
    us = stacks["quotes-prod-us"]
    (provider,) = us["provider"]["aws"]
    assert provider["region"] == "us-east-1"
    (fn,) = resources(us, "aws_lambda_function")
    assert fn["function_name"] == "quotes-prod-us"
    assert fn["tags"]["environment"] == "prod-us"
    assert fn["environment"]["variables"]["TABLE"] == "quotes-prod-us"  # {environment} filled
