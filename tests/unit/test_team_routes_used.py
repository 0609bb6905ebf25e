"""Team stacks only for routes an alarm publishes to (issue 20, item 7): a sandbox where
no service asks to be notified gets no KMS key, topic or e-mail subscription; in the example
fleet, and in the user's own (teams menu, orders and payments in three accounts in us-east-1,
tests/unit/test_first_hour_fleet.py). Synthesized: tests/construct/test_team_routes_synth.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_first_hour_fleet import first_hour_fleet, function

from golden_path.alerts.registry import route_plan
from golden_path.alerts.resolve import resolve_alarms
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


# ---- the user's own fleet (the issue's): menu, orders, payments in three accounts --------

FIRST_HOUR_ROUTES = [
    "team-menu-production-333333333333-us-east-1",
    "team-menu-staging-222222222222-us-east-1",
    "team-orders-production-333333333333-us-east-1",
    "team-orders-staging-222222222222-us-east-1",
    "team-payments-production-333333333333-us-east-1",
    "team-payments-staging-222222222222-us-east-1",
]


def _first_hour(root: Path, **services: str):
    teams = find_teams([first_hour_fleet(root, **services)])
    resolved = load_all([root], teams)
    return teams, resolved, plan_stacks(resolved, teams)


def _published(services, teams) -> set[str]:
    """The topic ARNs the services' alarms publish to (alarm and OK actions)."""
    return {action for s in services for alarm in resolve_alarms(s, teams)
            for action in alarm.actions}


def _topics(plan, teams) -> list[str]:
    """The ARNs of the topics a team stack creates."""
    team, env, account, region = plan.team_route
    route = route_plan(team, env, teams, plan.profile, plan.uses)
    return [f"arn:aws:sns:{region}:{account}:{name}"
            for name in (route.notify_topic, route.page_topic) if name]


def test_the_users_fleet_gets_no_sandbox_route_stacks(tmp_path):
    """What the user saw: team-menu-sandbox and team-orders-sandbox with a KMS key, a topic
    and an e-mail subscription that nothing publishes to. No service of theirs notifies in
    sandbox, so no team gets a sandbox route stack."""
    teams, services, plans = _first_hour(tmp_path)
    assert sorted(p.name for p in plans if p.team_route) == FIRST_HOUR_ROUTES
    assert not [a.name for s in services if s.spec.environment == "sandbox"
                for a in resolve_alarms(s, teams) if a.actions]
    assert sorted({s.spec.name for s in services}) == [
        "menu-web", "orders-consumer", "orders-worker", "payment-webhook"]


def test_every_route_stack_of_the_users_fleet_holds_only_topics_alarms_publish_to(tmp_path):
    teams, services, plans = _first_hour(tmp_path)
    published = _published(services, teams)
    created = set()
    for plan in (p for p in plans if p.team_route):
        topics = _topics(plan, teams)
        assert topics, f"{plan.name} creates no topic"
        assert set(topics) <= published, f"{plan.name}: {set(topics) - published} unused"
        created.update(topics)
    assert published == created  # and every alarm's topic is created by a route stack


def test_a_team_that_notifies_in_sandbox_gets_its_sandbox_route_only(tmp_path):
    """payments asks to hear about sandbox (alerts.notify_in_sandbox): its sandbox stack
    holds the notify topic its alarms publish to, and no page topic; menu and orders still
    get none in sandbox."""
    webhook = function("payment-webhook", "payments").replace(
        "alerts: {runbook: https://runbooks.example.com/first-hour}",
        "alerts: {runbook: https://runbooks.example.com/first-hour, notify_in_sandbox: true}")
    teams, services, plans = _first_hour(tmp_path, **{"payment-webhook": webhook})
    sandbox = "team-payments-sandbox-111111111111-us-east-1"
    assert sorted(p.name for p in plans if p.team_route) == sorted([*FIRST_HOUR_ROUTES, sandbox])
    plan = next(p for p in plans if p.name == sandbox)
    assert plan.uses == ("notify",)
    assert _topics(plan, teams) == [
        "arn:aws:sns:us-east-1:111111111111:golden-path-payments-sandbox-notify"]
    assert set(_topics(plan, teams)) <= _published(services, teams)
