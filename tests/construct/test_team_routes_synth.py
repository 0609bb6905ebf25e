"""Issue 20, item 7, synthesized: the user's own fleet (teams menu, orders and payments in
three accounts in us-east-1; a Django web app, a Celery worker, a Node.js webhook function and
a Python queue consumer: tests/unit/test_first_hour_fleet.py) goes through the real cdktf
synth. No team-menu-sandbox or team-orders-sandbox stack is written, and every team stack
that is written holds only topics some alarm of a service stack publishes to, a KMS key only
for those topics, and subscriptions only on them."""

from __future__ import annotations

import json
import re
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "unit"))
from test_first_hour_fleet import first_hour_fleet  # noqa: E402

pytestmark = pytest.mark.synth

ALARMS = ("aws_cloudwatch_metric_alarm", "aws_cloudwatch_composite_alarm")
ACTIONS = ("alarm_actions", "ok_actions", "insufficient_data_actions")


@pytest.fixture(scope="module")
def stacks(tmp_path_factory) -> dict[str, dict]:
    from golden_path.cdk import App
    from golden_path.synth import build_stacks, find_teams, load_all, plan_stacks

    root = first_hour_fleet(tmp_path_factory.mktemp("first-hour"))
    teams = find_teams([root])
    out = tmp_path_factory.mktemp("cdktf.out")
    app = App(outdir=str(out))
    build_stacks(app, plan_stacks(load_all([root], teams), teams), teams)
    app.synth()
    return {d.name: json.loads((d / "cdk.tf.json").read_text())
            for d in sorted((out / "stacks").iterdir())}


def _published(stacks: dict[str, dict]) -> dict[str, set[str]]:
    """Topic ARN -> the service stacks whose alarms publish to it."""
    found: dict[str, set[str]] = {}
    for name, stack in stacks.items():
        for rtype in ALARMS:
            for alarm in stack.get("resource", {}).get(rtype, {}).values():
                for arn in (a for key in ACTIONS for a in alarm.get(key, [])):
                    found.setdefault(arn, set()).add(name)
    return found


def test_no_route_stack_nothing_publishes_to(stacks):
    teams = sorted(n for n in stacks if n.startswith("team-"))
    assert teams == [f"team-{team}-{env}-{account}-us-east-1"
                     for team in ("menu", "orders", "payments")
                     for env, account in (("production", "333333333333"),
                                          ("staging", "222222222222"))]
    # the user's two: not written at all
    assert not [n for n in stacks if n.startswith(("team-menu-sandbox", "team-orders-sandbox"))]
    # and nothing in sandbox would publish to them
    sandbox = {k: v for k, v in stacks.items() if k.endswith("-sandbox")}
    assert len(sandbox) == 4 and not _published(sandbox)


def test_every_route_stack_holds_only_what_alarms_use(stacks):
    published = _published(stacks)
    created = set()
    for name in (n for n in stacks if n.startswith("team-")):
        account, region = re.fullmatch(r"team-\w+-\w+-(\d{12})-(.+)", name).groups()
        resources = stacks[name]["resource"]
        topics = resources.get("aws_sns_topic", {})
        assert topics, f"{name} holds no topic"
        for topic in topics.values():
            arn = f"arn:aws:sns:{region}:{account}:{topic['name']}"
            assert published.get(arn), f"{name}: no alarm publishes to {topic['name']}"
            created.add(arn)
        # the KMS key is there for those topics, the subscriptions are on them
        keys = {f"${{aws_kms_key.{k}.arn}}" for k in resources.get("aws_kms_key", {})}
        assert keys and keys == {t["kms_master_key_id"] for t in topics.values()}, name
        on = {s["topic_arn"] for s in resources.get("aws_sns_topic_subscription", {}).values()}
        assert on <= {f"${{aws_sns_topic.{t}.arn}}" for t in topics}, name
    # every topic an alarm publishes to is one a route stack creates (no existing topics here)
    assert set(published) == created
