"""The Python API in a team's own cdktf app (issue 20, item 9): examples/python-app runs
under the real cdktf CLI, and a service in a stack of the team's own gets what a
ServiceStack gets: the platform's backend (never an absolute local path), the account pin
and the platform's default tags."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from conftest import CDKTF_CLI, ROOT, _require_tool
from golden_path import SpecError, load_service

pytestmark = pytest.mark.synth

APP = ROOT / "examples" / "python-app"
EXAMPLES = ROOT / "examples"


def test_the_example_app_synthesizes_what_make_synth_does(tmp_path, example_stacks):
    if not CDKTF_CLI.exists():
        _require_tool("the cdktf CLI", "run `make test`, which installs it into .tools/")
    env = {**os.environ, "CHECKPOINT_DISABLE": "1",
           "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run([str(CDKTF_CLI), "synth", "--output", str(tmp_path / "out")],
                            cwd=APP, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    stacks = {d.name: json.loads((d / "cdk.tf.json").read_text())
              for d in (tmp_path / "out" / "stacks").iterdir()}
    assert sorted(stacks) == sorted(example_stacks)
    # price-api sits in the app's own TerraformStack with its own AwsProvider: the same
    # configuration as the ServiceStack that `make synth` makes, backend and tags included.
    for name in ("price-api-sandbox", "price-api-production"):
        assert stacks[name] == example_stacks[name], name
        assert stacks[name]["terraform"]["backend"]["s3"]["bucket"].startswith("golden-path-state-")
        assert stacks[name]["provider"]["aws"][0]["default_tags"][0]["tags"]["owner"] == "platform-team"
    assert stacks["storefront-staging"] == example_stacks["storefront-staging"]


def _own_stack(spec, *, provider: dict | None = None):
    from golden_path import ApplicationService
    from golden_path.cdk import AwsProvider, TerraformStack, Testing

    stack = TerraformStack(Testing.app(), "own-stack")
    if provider is not None:
        AwsProvider(stack, "aws", **provider)
    ApplicationService(stack, "service", spec)
    return json.loads(Testing.synth(stack))


def test_a_dict_spec_without_platform_state_gets_a_relative_local_backend(web):
    synthesized = _own_stack(web, provider={"region": "eu-west-1"})
    # relative to the stack directory, never cdktf's absolute default
    assert synthesized["terraform"]["backend"] == {
        "local": {"path": "terraform.billing-api-staging.tfstate"}}
    assert synthesized["provider"]["aws"][0]["allowed_account_ids"] == ["123456789012"]


def test_the_providers_own_settings_are_kept():
    spec = load_service(EXAMPLES / "services" / "storefront.yaml", "staging")
    synthesized = _own_stack(spec, provider={"region": "eu-west-1", "default_tags": [
        {"tags": {"owner": "checkout"}}], "allowed_account_ids": ["222233334444"]})
    assert synthesized["provider"]["aws"][0]["default_tags"] == [{"tags": {"owner": "checkout"}}]
    assert synthesized["terraform"]["backend"]["s3"]["key"].endswith("storefront.tfstate")


def test_a_stack_without_provider_or_in_another_region_is_an_error(web):
    with pytest.raises(SpecError) as caught:
        _own_stack(web)
    assert "has no AWS provider" in str(caught.value)
    assert 'AwsProvider(stack, "aws", region="eu-west-1")' in str(caught.value)
    with pytest.raises(SpecError) as caught:
        _own_stack(web, provider={"region": "us-east-1"})
    assert "provider is in us-east-1, the service billing-api-staging in eu-west-1" in str(caught.value)


# ---- on its own: a team's stack with one fleet-form service, written by a real App -------

PLATFORM = yaml.safe_load((EXAMPLES / "platform.yaml").read_text())


def _written_by_an_app(tmp_path, service, region: str, teams=None) -> dict:
    """What a team's own app writes for one service: its TerraformStack with an AwsProvider
    in the service's region and nothing else set, then ApplicationService; synthesized by a
    real App into tmp_path (where cdktf's default backend would write an absolute path)."""
    from golden_path import ApplicationService
    from golden_path.cdk import App, AwsProvider, TerraformStack

    app = App(outdir=str(tmp_path / "cdktf.out"))
    stack = TerraformStack(app, "own-stack")
    AwsProvider(stack, "aws", region=region)
    ApplicationService(stack, "service", service, teams=teams)
    app.synth()
    return json.loads((tmp_path / "cdktf.out" / "stacks" / "own-stack" / "cdk.tf.json").read_text())


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _fleet_services():
    from golden_path.synth import find_teams, load_all

    teams = find_teams([EXAMPLES])
    return teams, {s.stack_name: s for s in load_all([EXAMPLES / "services"], teams)}


@pytest.mark.parametrize("stack_name", ["storefront-production", "order-fulfilment-worker-staging",
                                        "price-api-sandbox"])
@pytest.mark.parametrize("form", ["load_all", "load_service"])
def test_application_service_in_a_teams_own_stack_gets_the_platforms_settings(
        tmp_path, monkeypatch, stack_name, form):
    """Issue 20, item 9, on its own: the permissions boundary on every role, the default
    tags, the account pin, and the platform's S3 backend with no absolute path, whether the
    service comes from load_all (as examples/python-app) or load_service(path, environment),
    for a web service, a worker and a function."""
    teams, services = _fleet_services()
    resolved = services[stack_name]
    env = resolved.spec.environment
    service = resolved if form == "load_all" else load_service(
        EXAMPLES / "services" / f"{resolved.spec.name}.yaml", env)
    monkeypatch.chdir(tmp_path)  # cdktf's default path would be this folder's
    stack = _written_by_an_app(tmp_path, service, resolved.region,
                               teams if form == "load_all" else None)
    platform_env = PLATFORM["environments"][env]

    roles = stack["resource"]["aws_iam_role"]
    assert roles and {r.get("permissions_boundary") for r in roles.values()} == {
        platform_env["permissions_boundary"]}, stack_name
    provider = stack["provider"]["aws"][0]
    assert provider["default_tags"] == [{"tags": PLATFORM["defaults"]["default_tags"]}]
    assert provider["allowed_account_ids"] == [platform_env["account"]]

    backend = stack["terraform"]["backend"]
    assert list(backend) == ["s3"] and backend["s3"]["bucket"] == platform_env["state"]["bucket"]
    assert backend["s3"]["use_lockfile"] is True
    assert backend["s3"]["key"] == f"golden-path/{env}/{resolved.spec.team}/{resolved.spec.name}.tfstate"
    absolute = [s for s in _strings(stack["terraform"]) if s.startswith("/") or str(tmp_path) in s]
    assert absolute == []


def test_a_dict_in_a_teams_own_stack_written_by_an_app_has_a_relative_backend(
        tmp_path, monkeypatch, web):
    """The single-environment dict has no platform: no S3 state, so a local file, relative to
    the stack's folder, as the app writes it (cdktf's default would be an absolute path)."""
    from golden_path.l3.application_service import as_resolved

    monkeypatch.chdir(tmp_path)
    stack = _written_by_an_app(tmp_path, as_resolved(web), "eu-west-1")
    assert stack["terraform"]["backend"] == {
        "local": {"path": "terraform.billing-api-staging.tfstate"}}
    assert not [s for s in _strings(stack["terraform"]) if str(tmp_path) in s]


def test_a_fleet_form_mapping_is_one_error_that_says_how_to_load_it():
    """A fleet-form file read as a dict lacks platform.yaml: one error, not a list of
    missing accounts and networks."""
    import yaml

    from conftest import EXAMPLES
    from golden_path.l3.application_service import as_resolved

    data = yaml.safe_load((EXAMPLES / "services" / "storefront.yaml").read_text())
    with pytest.raises(SpecError) as caught:
        as_resolved(data)
    [problem] = caught.value.problems
    assert problem.field == "environments" and problem.value == ["production", "sandbox", "staging"]
    assert "load_service(path, environment)" in problem.hint and "platform.yaml" in problem.hint
