"""The Python API in a team's own cdktf app (issue 20, item 9): examples/python-app runs
under the real cdktf CLI, and a service in a stack of the team's own gets what a
ServiceStack gets: the platform's backend (never an absolute local path), the account pin
and the platform's default tags."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

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
