"""Environments are the platform's: any names in platform.yaml, each with a profile (the
behaviour) and a place in the rollout (docs/environments.md)."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, VALID_WEB
from golden_path import SpecError
from golden_path.alerts.registry import TeamRegistry
from golden_path.cli import main
from golden_path.errors import MISSING
from golden_path.fleet import load_all
from golden_path.fleet.rollout_config import (
    Canary,
    RolloutEnvironment,
    environment_of_stack,
    rollout_environments,
)
from golden_path.load.explain import explain
from golden_path.load.platform import load_platform
from golden_path.load.service_file import load_service, load_service_file, parse_service
from golden_path.scaffold import new_service
from golden_path.spec.environments import profile_of, rollout_rank
from golden_path.synth import plan_stacks

FIXTURE = ROOT / "tests" / "fixtures" / "custom-environments"
PLATFORM = FIXTURE / "platform.yaml"
ENVIRONMENTS = ["dev", "qa", "prod-eu", "prod-us"]  # in rollout order


@pytest.fixture(scope="module")
def platform():
    return load_platform(PLATFORM)


@pytest.fixture(scope="module")
def teams():
    return TeamRegistry.load(FIXTURE / "teams.yaml")


@pytest.fixture(scope="module")
def fleet(platform, teams):
    return {s.stack_name: s for s in load_all([FIXTURE / "services"], teams, platform)}


def line_of(path: Path, text: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if text in t)


def variant(tmp_path: Path, change) -> Path:
    """The fixture's platform.yaml with ``change(data)`` applied, in tmp_path."""
    data = copy.deepcopy(yaml.safe_load(PLATFORM.read_text()))
    change(data)
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems_of(path: Path) -> list:
    with pytest.raises(SpecError) as caught:
        load_platform(path)
    return list(caught.value.problems)


# ---- loading and profiles ---------------------------------------------------------------

def test_platform_names_its_environments_with_profiles(platform):
    assert list(platform.environments) == ["dev", "qa", "prod-eu", "prod-us"]
    assert {n: e.profile for n, e in platform.environments.items()} == {
        "dev": "sandbox", "qa": "staging", "prod-eu": "production", "prod-us": "production"}
    assert platform.context("prod-us").profile == "production"
    assert platform.platform.profile_of("dev") == "sandbox"


def test_without_profile_the_name_is_the_profile():
    examples = load_platform(ROOT / "examples" / "platform.yaml")
    assert {n: examples.context(n).profile for n in examples.environments} == {
        "sandbox": "sandbox", "staging": "staging", "production": "production"}


def test_fleet_resolves_with_each_environments_profile(fleet):
    assert sorted(fleet) == sorted(
        [f"shop-{e}" for e in ENVIRONMENTS] + [f"quotes-{e}" for e in ENVIRONMENTS]
        + ["packer-dev", "packer-prod-eu", "packer-prod-us"])
    dev, qa, eu, us = (fleet[f"shop-{e}"] for e in ENVIRONMENTS)
    # sandbox: everything kept, 7 days of logs, nobody paged
    assert (dev.profile.name, dev.log_retention_days, dev.telemetry.sampling_percent) == (
        "sandbox", 7, 100)
    assert dev.ecs_exec and not dev.deletion_protection
    assert fleet["quotes-dev"].log_retention_days == 7
    assert fleet["quotes-dev"].system_log_level == "INFO"  # sandbox keeps START/END/REPORT
    # staging
    assert (qa.profile.name, qa.log_retention_days, qa.telemetry.sampling_percent) == (
        "staging", 30, 10)
    # production: 0.1 % of traces, 90 days, two tasks at least, critical alarms page
    for prod in (eu, us):
        assert (prod.profile.name, prod.log_retention_days, prod.telemetry.sampling_percent) == (
            "production", 90, 0.1)
        assert prod.telemetry.log_level == "warn" and not prod.ecs_exec and prod.deletion_protection
    assert (eu.scaling.min, us.scaling.min) == (3, 2)
    assert fleet["quotes-prod-eu"].system_log_level == "WARN"
    assert fleet["packer-prod-eu"].scaling.min == 2


def test_paging_follows_the_profile(fleet, teams):
    from golden_path.alerts.resolve import resolve_alarms

    def paging(stack):
        return [a.signal for a in resolve_alarms(fleet[stack], teams) if a.pages]

    assert paging("shop-dev") == paging("shop-qa") == []
    assert paging("shop-prod-eu") and paging("shop-prod-eu") == paging("shop-prod-us")
    page = next(a for a in resolve_alarms(fleet["shop-prod-eu"], teams) if a.pages)
    assert any(arn.endswith(":golden-path-checkout-prod-eu-page") for arn in page.actions)
    assert page.name.startswith("prod-eu-checkout-shop-")


def test_names_and_tags_carry_the_environment_name(fleet):
    eu = fleet["shop-prod-eu"]
    assert eu.tags["environment"] == "prod-eu"
    assert eu.names.router_log_group == "/golden-path/prod-eu/checkout/shop/log-router"
    assert eu.app_environment["SHOP_ENV"] == "prod-eu"
    assert fleet["quotes-prod-us"].names.function == "quotes-prod-us"
    assert fleet["quotes-prod-us"].region == "us-east-1"
    assert eu.telemetry.resource_attributes["deployment.environment.name"] == "prod-eu"


def test_team_route_stacks_page_by_profile(fleet, teams):
    plans = {p.name: p for p in plan_stacks(list(fleet.values()), teams) if p.team_route}
    assert set(plans) == {
        "team-checkout-prod-eu-333300003333-eu-west-1",
        "team-checkout-prod-us-444400004444-us-east-1",
        "team-pricing-prod-eu-333300003333-eu-west-1", "team-pricing-prod-us-444400004444-us-east-1",
        # checkout in qa: its notify topic; dev (a sandbox profile) notifies no one; pricing
        # in dev and qa: existing topic, no paging
        "team-checkout-qa-222200002222-eu-west-1"}
    assert plans["team-pricing-prod-eu-333300003333-eu-west-1"].profile == "production"
    assert plans["team-checkout-qa-222200002222-eu-west-1"].uses == ("notify",)


def test_validate_and_explain(fleet, capsys):
    assert main(["validate", str(FIXTURE / "services")]) == 0
    out = capsys.readouterr().out
    assert "ok  shop-prod-eu: web of team checkout" in out and "traces 0.1 %" in out
    assert explain(fleet["shop-prod-eu"]).startswith(
        "# shop-prod-eu: shop of team checkout in prod-eu (profile production)\n")
    assert explain(fleet["shop-dev"]).splitlines()[0].endswith("in dev (profile sandbox)")


def test_limits_say_which_environment_and_profile(platform, tmp_path):
    path = tmp_path / "shop.yaml"
    text = (FIXTURE / "services" / "shop.yaml").read_text()
    path.write_text(text.replace("scaling: {min: 3, max: 12}",
                                 "scaling: {min: 1}\n    telemetry: {sampling_percent: 50}"))
    (shop,) = [s for s in load_service_file(path, platform) if s.environment == "prod-eu"]
    from golden_path.fleet import resolve_located

    with pytest.raises(SpecError) as caught:
        resolve_located(shop)
    hints = {p.field: p.hint for p in caught.value.problems}
    assert hints["scaling.min"].startswith("a web service in prod-eu (profile production) runs at "
                                           "least 2 tasks")
    assert hints["telemetry.sampling_percent"].startswith(
        "in prod-eu (profile production) sampling is 0.01..10 %")


def test_cost_and_rollout_rank_sort_by_rollout_order(fleet):
    specs = [fleet[f"quotes-{e}"].spec for e in reversed(ENVIRONMENTS)]
    assert [s.environment for s in sorted(specs, key=rollout_rank)] == ENVIRONMENTS
    assert [profile_of(s).name for s in specs] == ["production", "production", "staging", "sandbox"]


def test_new_scaffolds_every_platform_environment(platform, tmp_path):
    path = new_service("fresh", team="checkout", kind="web", platform=platform,
                       out_dir=tmp_path / "services")
    data = yaml.safe_load(path.read_text())
    assert list(data["environments"]) == ["dev", "qa", "prod-eu", "prod-us"]
    # production-profile environments: the web floor of two tasks is mentioned
    text = path.read_text()
    assert text.count("web runs >= 2 tasks here") == 2


# ---- service files against the platform's names -------------------------------------------

def test_fleet_file_with_an_environment_the_platform_lacks(platform, tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text((FIXTURE / "services" / "shop.yaml").read_text().replace(
        "  qa:\n", "  production:\n"))
    with pytest.raises(SpecError) as caught:
        load_service_file(path, platform)
    (problem,) = caught.value.problems
    assert (problem.field, problem.file, problem.line) == (
        "environments.production", str(path), line_of(path, "  production:"))
    assert "defines no environment production (it has dev, qa, prod-eu, prod-us)" in problem.hint
    with pytest.raises(SpecError) as caught:
        load_service(path, "staging", platform)
    assert "defines no environment staging (it has dev, qa, prod-eu, prod-us)" in caught.value.hint


def test_single_environment_form_keeps_the_profile_names():
    spec = dict(VALID_WEB, environment="dev")
    with pytest.raises(SpecError) as caught:
        parse_service(spec)
    assert (caught.value.field, caught.value.value, caught.value.hint) == (
        "environment", "dev", "Input should be 'sandbox', 'staging' or 'production'")
    assert parse_service(dict(VALID_WEB, environment="production")).environment == "production"


# ---- rollout order, bake, canary ----------------------------------------------------------

def test_rollout_environments(platform):
    assert rollout_environments(platform) == [
        RolloutEnvironment("dev", "sandbox", 1, 0, None),
        RolloutEnvironment("qa", "staging", 2, 45, None),
        RolloutEnvironment("prod-eu", "production", 3, 30,
                           Canary(services=("shop",), share=10, bake_minutes=20)),
        RolloutEnvironment("prod-us", "production", 4, 60, None),
    ]
    assert rollout_environments(platform.platform) == rollout_environments(platform)


def test_rollout_defaults_by_profile_ties_by_name(tmp_path):
    def change(data):
        for env in data["environments"].values():
            env.pop("rollout", None)
        data["environments"]["prod-eu"]["rollout"] = {"canary": {"share": 5}}
        data["environments"] = dict(reversed(list(data["environments"].items())))

    envs = rollout_environments(load_platform(variant(tmp_path, change)))
    assert [(e.name, e.order, e.bake_minutes) for e in envs] == [
        ("dev", 1, 0), ("qa", 2, 15), ("prod-eu", 3, 30), ("prod-us", 3, 30)]
    assert envs[2].canary == Canary(services=(), share=5, bake_minutes=30)  # the env's bake


def test_examples_roll_out_sandbox_staging_production():
    examples = load_platform(ROOT / "examples" / "platform.yaml")
    assert [(e.name, e.profile, e.order, e.bake_minutes, e.canary)
            for e in rollout_environments(examples)] == [
        ("sandbox", "sandbox", 1, 0, None), ("staging", "staging", 2, 15, None),
        ("production", "production", 3, 30, None)]


@pytest.mark.parametrize(("stack", "expected"), [
    ("shop-prod-eu", "prod-eu"),
    ("shop-dev", "dev"),
    ("order-fulfilment-worker-qa", "qa"),
    ("team-checkout-prod-us-444400004444-us-east-1", "prod-us"),
    ("team-pricing-dev-111100001111-eu-west-1", "dev"),
    ("shop-staging", None),
    ("prod-eu", None),  # an environment's name alone is no stack
])
def test_environment_of_stack(platform, stack, expected):
    assert environment_of_stack(stack, platform.environments) == expected


def test_environment_of_stack_longest_name_first():
    names = ["eu", "prod-eu", "prod"]
    assert environment_of_stack("api-prod-eu", names) == "prod-eu"
    assert environment_of_stack("api-eu", names) == "eu"
    assert environment_of_stack("team-a-prod-eu-123456789012-eu-west-1", names) == "prod-eu"
    assert environment_of_stack("team-a-prod-123456789012-eu-west-1", names) == "prod"


def test_environment_of_stack_returns_the_rollout_environment(platform):
    envs = rollout_environments(platform)
    found = environment_of_stack("quotes-prod-eu", envs)
    assert isinstance(found, RolloutEnvironment) and found.canary.services == ("shop",)


# ---- platform.yaml errors, each at its field and line -------------------------------------

def _at(problems, field):
    return next(p for p in problems if p.field == field)


def test_unknown_profile(tmp_path):
    path = variant(tmp_path, lambda d: d["environments"]["qa"].update(profile="prod"))
    problem = _at(problems_of(path), "environments.qa.profile")
    assert (problem.value, problem.line) == ("prod", line_of(path, "profile: prod"))
    assert "'sandbox', 'staging' or 'production'" in problem.hint


def test_a_name_that_is_no_profile_needs_one(tmp_path):
    path = variant(tmp_path, lambda d: d["environments"]["dev"].pop("profile"))
    (problem,) = problems_of(path)
    assert (problem.field, problem.value, problem.file) == ("environments.dev.profile", MISSING, str(path))
    assert problem.line == line_of(path, "  dev:")
    assert problem.hint.startswith("dev is not a profile name, so it needs profile: one of "
                                   "sandbox, staging, production")


def test_canary_only_in_production(tmp_path):
    path = variant(tmp_path, lambda d: d["environments"]["qa"]["rollout"].update(
        canary={"services": ["shop"]}))
    (problem,) = problems_of(path)
    assert problem.field == "environments.qa.rollout.canary"
    assert problem.line == line_of(path, "canary:")
    assert "production-profile environment; qa has profile staging" in problem.hint


def test_empty_canary(tmp_path):
    path = variant(tmp_path, lambda d: d["environments"]["prod-us"]["rollout"].update(
        canary={"bake_minutes": 5}))
    (problem,) = problems_of(path)
    assert problem.field == "environments.prod-us.rollout.canary"
    assert "names services (services: [...]) and/or a share" in problem.hint


@pytest.mark.parametrize("share", [0, 51, 2.5, "ten"])
def test_bad_share(tmp_path, share):
    path = variant(tmp_path, lambda d: d["environments"]["prod-eu"]["rollout"]["canary"].update(
        share=share))
    (problem,) = problems_of(path)
    assert (problem.field, problem.value) == ("environments.prod-eu.rollout.canary.share", share)
    assert problem.line == line_of(path, "share:")


def test_duplicate_order(tmp_path):
    path = variant(tmp_path, lambda d: d["environments"]["prod-us"]["rollout"].update(order=3))
    (problem,) = problems_of(path)
    assert (problem.field, problem.value) == ("environments.prod-us.rollout.order", 3)
    lines = path.read_text().splitlines()
    assert lines[problem.line - 1].strip() == "order: 3"
    assert problem.hint.startswith(f"environment prod-eu has order 3 too ({path}:")


@pytest.mark.parametrize(("name", "hint"), [
    ("Prod_EU", "environment must be lowercase letters, digits and '-', starting with a letter "
                "and not ending with '-', e.g. 'prod-eu'"),
    ("production-europe-west", "environment is 22 characters; use at most 20"),
])
def test_bad_environment_names(tmp_path, name, hint):
    path = variant(tmp_path, lambda d: d["environments"].update({name: d["environments"].pop("qa")}))
    (problem,) = problems_of(path)
    assert (problem.field, problem.value) == (f"environments.{name}", name)
    assert problem.hint.startswith(hint)
    assert problem.line == line_of(path, f"{name}:")


def test_profile_and_rollout_are_per_environment(tmp_path):
    def change(data):
        data["defaults"]["profile"] = "production"
        data["defaults"]["rollout"] = {"bake_minutes": 5}

    problems = problems_of(variant(tmp_path, change))
    assert {p.field for p in problems} == {"defaults.profile", "defaults.rollout"}
    assert all("set per environment" in p.hint for p in problems)


def test_every_problem_at_once(tmp_path):
    text = PLATFORM.read_text().replace("    profile: staging\n", "    profile: stage\n")
    text = text.replace("        share: 10\n", "        share: 80\n")
    path = tmp_path / "platform.yaml"
    path.write_text(textwrap.dedent(text))
    assert {p.field for p in problems_of(path)} == {
        "environments.qa.profile", "environments.prod-eu.rollout.canary.share"}


def test_cost_lists_environments_in_rollout_order(tmp_path, teams):
    from golden_path.telemetry.cost.model import stack_costs
    from golden_path.telemetry.cost.report import build, to_markdown

    def change(data):
        data["defaults"]["traffic"] = {
            "requests_per_second": 1, "messages_per_day": 1000, "invocations_per_day": 1000,
            "log_lines_per_request": 4, "spans_per_request": 6, "metric_points_per_request": 0.5,
            "log_line_bytes": 400, "span_bytes": 700, "metric_point_bytes": 60,
            "platform_line_bytes": 250, "error_span_share": 0.005}
        data["environments"] = dict(reversed(list(data["environments"].items())))

    platform = load_platform(variant(tmp_path, change))
    report = build(stack_costs(load_all([FIXTURE / "services"], teams, platform)))
    assert [s.stack for s in report.stacks if s.service == "shop"] == [
        f"shop-{e}" for e in ENVIRONMENTS]
    assert "11 stacks (dev, qa, prod-eu, prod-us)" in to_markdown(report)
