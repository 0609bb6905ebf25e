"""`golden-path review` on real output: base/head synthesized from two versions of an
example, checkov on both, and a real offline `terraform plan` turned into plan JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import add_open_ssh_rule
from golden_path.cli import main
from golden_path.review.checkov_scan import checkov_binary, scan
from golden_path.review.findings import findings
from golden_path.review.report import ReviewModel
from golden_path.review.synth_diff import diff_synth, load_synth
from tfjson import role_policy, statements_by_sid

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def head_out(tmp_path_factory, examples_out) -> Path:
    """The examples with one pull request applied to storefront's production override."""
    from conftest import EXAMPLES
    from golden_path.synth import find_teams, load_all, synth

    work = tmp_path_factory.mktemp("head")
    shutil.copytree(EXAMPLES, work / "examples")
    path = work / "examples" / "services" / "storefront.yaml"
    spec = yaml.safe_load(path.read_text())
    production = spec["environments"]["production"]
    # An image override for production only (the shared image stays in sandbox and staging).
    production["image"] = spec["image"].replace(":2024.11.3", ":2024.12.0")
    # A list in an override replaces the shared one: keep the shared statements.
    production["iam"] = [*spec["iam"], {"sid": "ReadAllBuckets", "actions": ["s3:*"],
                                        "resources": ["*"], "wildcard_reason": "debugging an incident"}]
    production["telemetry"]["sampling_percent"] = 5
    # A paging alarm turned off (the example's 5xx alarm notifies: its SLO pages instead).
    production["alerts"]["overrides"]["running-tasks"] = {"disabled": True,
                                                          "reason": "noisy during the migration"}
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    teams = find_teams([work / "examples"])
    synth(load_all([work / "examples"], teams), work / "cdktf.out", teams)
    return work / "cdktf.out"


def test_every_finding_of_the_pull_request(examples_out, head_out):
    diffs = diff_synth(load_synth(examples_out), load_synth(head_out))
    changed = {d.name for d in diffs if not d.empty}
    assert changed == {"storefront-production"}
    found = {(f.rule, f.detail) for f in findings(diffs)}
    assert ("wildcard-iam", "wildcard action s3:*") in found
    assert ("iam-widened", "allows s3:* on *") in found
    assert ("sampling-changed", "traces kept: 0.1 % -> 5 %") in found
    assert ("paging-alarm-removed",
            "production-checkout-storefront-running-tasks removed (paged "
            "golden-path-checkout-production-page, notified golden-path-checkout-production-notify)") in found
    assert ("image-changed", "app: …/storefront:2024.11.3 -> …/storefront:2024.12.0") in found
    assert {r for r, _ in found} >= {"destroy"}
    # Only the new statement widens the role, and the platform's boundary is untouched.
    assert {d for r, d in found if r in ("iam-widened", "wildcard-iam")} == {
        "allows s3:* on *", "wildcard action s3:*"}
    assert not {r for r, _ in found} & {"boundary-changed", "recursion-guard-changed"}
    # The shared statements were repeated in the override's list, so they are still there.
    task = statements_by_sid(role_policy(
        json.loads((head_out / "stacks" / "storefront-production" / "cdk.tf.json").read_text()), "task"))
    assert {"ReadProductImages", "QueueFulfilment", "ReadAllBuckets"} <= set(task)


@pytest.mark.parametrize(("change", "detail"), [
    ("Allow", "recursive_loop Terminate -> Allow: Lambda no longer stops detected loops"),
    (None, "recursion guard removed: Lambda falls back to its default"),
], ids=["allow", "removed"])
def test_recursion_guard_change_is_flagged(examples_out, tmp_path, change, detail):
    """Nothing in a service file turns the guard off; a hand edit of the output (or a
    construct change) does, and review flags it."""
    head = tmp_path / "cdktf.out"
    shutil.copytree(examples_out, head)
    stack_file = head / "stacks" / "price-api-production" / "cdk.tf.json"
    doc = json.loads(stack_file.read_text())
    guards = doc["resource"]["aws_lambda_function_recursion_config"]
    (key,) = guards
    if change is None:
        del doc["resource"]["aws_lambda_function_recursion_config"]
    else:
        guards[key]["recursive_loop"] = change
    stack_file.write_text(json.dumps(doc))
    diffs = diff_synth(load_synth(examples_out), load_synth(head))
    assert {d.name for d in diffs if not d.empty} == {"price-api-production"}
    flagged = [f for f in findings(diffs) if f.rule == "recursion-guard-changed"]
    assert [(f.stack, f.resource, f.detail) for f in flagged] == [
        ("price-api-production", f"aws_lambda_function_recursion_config.{key}", detail)]


def test_review_comment_and_gate(examples_out, head_out, capsys):
    code = main(["review", "--base", str(examples_out), "--head", str(head_out),
                 "--fail-on", "wildcard-iam,paging-alarm-removed,public-ingress"])
    text = capsys.readouterr().out
    assert code == 1
    assert "Policy gate failed: `paging-alarm-removed`, `wildcard-iam`" in text
    assert "- **sampling-changed** (1)" in text
    assert "<details><summary><code>storefront-production</code></summary>" in text
    # Config texts are diffed line by line.
    assert "-    sampling_percentage: 0.1\n+    sampling_percentage: 5" in text
    main(["review", "--base", str(examples_out), "--head", str(head_out), "--format", "json"])
    review = ReviewModel.model_validate_json(capsys.readouterr().out)
    assert review.stacks[0].name == "storefront-production"


def _require(what: str, found) -> None:
    from conftest import _require_tool

    if not found:
        _require_tool(what, "run `make test`, which installs it")


def test_checkov_reports_new_failures_only(examples_out, tmp_path):
    binary = checkov_binary()
    _require("checkov", binary)
    head = tmp_path / "cdktf.out"
    shutil.copytree(examples_out, head)
    add_open_ssh_rule(head)
    base, after = scan(examples_out, binary), scan(head, binary)
    new = after.failed - base.failed
    assert {(s, c) for s, c, _ in new} >= {("storefront-sandbox", "CKV_AWS_24")}
    assert all(s == "storefront-sandbox" for s, _, _ in new)
    # Documented skips never show up as failures; they are reported with their reason.
    assert not base.failed and base.skipped == after.skipped


@pytest.mark.terraform
def test_review_of_a_real_offline_plan(terraform_bin, example_stacks, tmp_path, capsys):
    from conftest import MIRROR_CANDIDATES

    mirror = next((m for m in MIRROR_CANDIDATES
                   if m and (Path(m) / "registry.terraform.io/hashicorp/aws").is_dir()), None)
    _require("a local mirror of hashicorp/aws", mirror)
    (tmp_path / "cli.tfrc").write_text(
        f'provider_installation {{\n filesystem_mirror {{\n path = "{mirror}"\n'
        ' include = ["registry.terraform.io/hashicorp/aws"]\n }\n direct {\n'
        ' exclude = ["registry.terraform.io/hashicorp/aws"]\n }\n}\n')
    stack = json.loads(json.dumps(example_stacks["storefront-sandbox"]))
    stack["terraform"]["required_providers"]["aws"] = {"source": "hashicorp/aws",
                                                       "version": ">= 5.0"}
    stack["terraform"].pop("backend", None)
    provider = stack["provider"]["aws"][0]
    provider.pop("allowed_account_ids")  # needs an account lookup; nothing reaches AWS here
    provider.update(access_key="AKIAFAKEFAKEFAKEFAKE", secret_key="fake",
                    skip_credentials_validation=True, skip_requesting_account_id=True,
                    skip_metadata_api_check=True, skip_region_validation=True)
    (tmp_path / "main.tf.json").write_text(json.dumps(stack))
    env = {**os.environ, "TF_CLI_CONFIG_FILE": str(tmp_path / "cli.tfrc"),
           "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}

    def tf(*args):
        result = subprocess.run([terraform_bin, *args, "-no-color"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    tf("init", "-backend=false", "-input=false")
    tf("plan", "-refresh=false", "-input=false", "-out=plan.out")
    plan_json = tmp_path / "storefront-sandbox.json"
    plan_json.write_text(tf("show", "-json", "plan.out").replace("\n", "", 0))
    count = sum(len(v) for v in stack["resource"].values())
    assert main(["review", "--plan", str(plan_json), "--format", "json",
                 "--fail-on", "destroy"]) == 0
    review = ReviewModel.model_validate_json(capsys.readouterr().out)
    assert (review.plans[0].create, review.plans[0].update, review.plans[0].delete) == (
        count, 0, 0)
