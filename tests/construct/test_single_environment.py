"""The single-environment form still synthesizes as it did before the fleet form.

The files under tests/fixtures/single-environment are the examples as they were (one
file per service and environment, no platform.yaml). Their snapshots were started from
the old examples' snapshots; the only change since is the Lambda recursion guard
(``aws_lambda_function_recursion_config``) every function now gets.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfjson import normalized, resources

pytestmark = pytest.mark.synth

SERVICE_STACKS = {
    "storefront-sandbox", "storefront-production",
    "order-fulfilment-worker-sandbox", "order-fulfilment-worker-production",
    "price-api-sandbox", "price-api-production",
    "invoice-consumer-sandbox", "invoice-consumer-production",
}
TEAM_STACKS = {
    "team-checkout-sandbox-111122223333-eu-west-1", "team-checkout-production-444455556666-eu-west-1",
    "team-billing-production-444455556666-eu-west-1",
    # pricing's sandbox route needs nothing: its notify topic exists and sandbox never pages;
    # billing's sandbox alarms notify no one, so no topic and no stack.
    "team-pricing-production-444455556666-eu-west-1",
}
STACKS = SERVICE_STACKS | TEAM_STACKS
LAMBDA_STACKS = sorted(s for s in SERVICE_STACKS if s.startswith(("price-api", "invoice-consumer")))


@pytest.fixture(scope="module")
def single_env_stacks(tmp_path_factory) -> dict[str, dict]:
    """The single-environment files synthesized once, in-process (as `golden-path synth`)."""
    from conftest import SINGLE_ENV
    from golden_path.fleet import load_all
    from golden_path.load.discover import find_teams
    from golden_path.synth import synth

    out = tmp_path_factory.mktemp("single-environment") / "cdktf.out"
    teams = find_teams([SINGLE_ENV])
    assert teams is not None, "tests/fixtures/single-environment/teams.yaml is missing"
    names = synth(load_all([SINGLE_ENV], teams), out, teams)
    stacks = {d.name: json.loads((d / "cdk.tf.json").read_text())
              for d in sorted(Path(out, "stacks").iterdir())}
    assert set(names) == set(stacks)
    return stacks


def test_state_is_a_relative_local_file_without_a_platform(single_env_stacks):
    for name, stack in single_env_stacks.items():
        assert stack["terraform"]["backend"] == {"local": {"path": f"terraform.{name}.tfstate"}}


def test_one_stack_per_file_and_team_route(single_env_stacks):
    assert set(single_env_stacks) == STACKS


# Same test name and ids as the old examples' snapshots (test_examples.ambr before the
# fleet form), so test_single_environment.ambr diffs against them line by line.
@pytest.mark.parametrize("name", sorted(STACKS))
def test_example_snapshot(single_env_stacks, name, snapshot):
    assert normalized(single_env_stacks[name]) == snapshot


@pytest.mark.parametrize("name", LAMBDA_STACKS)
def test_every_function_has_one_recursion_guard(single_env_stacks, name):
    stack = single_env_stacks[name]
    functions = stack["resource"]["aws_lambda_function"]
    guards = resources(stack, "aws_lambda_function_recursion_config")
    assert functions and len(guards) == len(functions)
    guarded = [g["function_name"] for g in guards]
    for key in functions:
        ref = f"${{aws_lambda_function.{key}.function_name}}"
        assert guarded.count(ref) == 1, f"{key}: {guarded}"
    assert {g["recursive_loop"] for g in guards} == {"Terminate"}


@pytest.mark.parametrize("name", sorted(SERVICE_STACKS))
def test_no_platform_no_boundary_no_default_tags(single_env_stacks, name):
    """Without platform.yaml there is no permissions boundary and no provider default tags."""
    stack = single_env_stacks[name]
    roles = resources(stack, "aws_iam_role")
    assert roles
    assert all("permissions_boundary" not in r for r in roles)
    (provider,) = stack["provider"]["aws"]
    assert "default_tags" not in provider


@pytest.mark.parametrize("name", sorted(TEAM_STACKS))
def test_team_stacks_have_no_default_tags(single_env_stacks, name):
    (provider,) = single_env_stacks[name]["provider"]["aws"]
    assert "default_tags" not in provider
