"""Team stacks only for routes an alarm publishes to (issue 20, item 7): a sandbox where
no service asks to be notified gets no KMS key, topic or e-mail subscription."""

from __future__ import annotations

from pathlib import Path

import pytest

from golden_path.alerts.registry import route_plan
from golden_path.synth import find_teams, load_all, plan_stacks

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def plans():
    teams = find_teams([EXAMPLES])
    return {p.name: p for p in plan_stacks(load_all([EXAMPLES], teams), teams)}


def test_a_route_nothing_publishes_to_gets_no_stack(plans):
    team_stacks = sorted(n for n in plans if n.startswith("team-"))
    # billing (invoice-consumer) and checkout's worker stay quiet in sandbox; storefront
    # sets notify_in_sandbox, so checkout's sandbox route exists, for notify only.
    assert team_stacks == [
        "team-billing-production-444455556666-eu-west-1",
        "team-billing-staging-222233334444-eu-west-1",
        "team-checkout-production-444455556666-eu-west-1",
        "team-checkout-sandbox-111122223333-eu-west-1",
        "team-checkout-staging-222233334444-eu-west-1",
        # pricing notifies through its existing topic: only production's page route is new
        "team-pricing-production-444455556666-eu-west-1",
    ]
    assert plans["team-checkout-sandbox-111122223333-eu-west-1"].uses == ("notify",)
    assert plans["team-checkout-production-444455556666-eu-west-1"].uses == ("notify", "page")


def test_route_plan_creates_only_the_topics_in_use():
    teams = find_teams([EXAMPLES])
    notify_only = route_plan("checkout", "production", teams, "production", ["notify"])
    assert notify_only.page_topic is None and notify_only.notify_topic
    unused = route_plan("billing", "sandbox", teams, "sandbox", [])
    assert unused.empty and unused.emails == []
