"""The GitHub Actions recipe: its shape, and its shell steps run for real on `changed` output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_changed import service_stack, team_stack, write

CI = Path(__file__).resolve().parents[2] / "examples" / "ci"


def workflow(name: str) -> dict:
    doc = yaml.safe_load((CI / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def step(doc: dict, job: str, name: str) -> dict:
    return next(s for s in doc["jobs"][job]["steps"] if s.get("name") == name)


def run_step(script: str, cwd: Path) -> dict[str, str]:
    """Run a step's shell with the real golden-path; return what it wrote to GITHUB_OUTPUT."""
    if shutil.which("jq") is None:
        from conftest import _require_tool

        _require_tool("jq", "the CI recipe's steps use jq (apt-get install jq)")
    output = cwd / "github_output"
    output.write_text("")
    golden_path = str(Path(sys.executable).with_name("golden-path"))
    script = script.replace(".venv/bin/golden-path", golden_path)
    result = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, capture_output=True,
                            text=True, env={**os.environ, "GITHUB_OUTPUT": str(output)})
    assert result.returncode == 0, result.stdout + result.stderr
    return dict(line.split("=", 1) for line in output.read_text().splitlines())


@pytest.fixture
def outs(tmp_path) -> Path:
    """base.out and cdktf.out where one team stack and two services change, one is removed."""
    write(tmp_path / "base.out", {
        "team-checkout-sandbox": team_stack("checkout"), "shop-sandbox": service_stack("checkout"),
        "blog-sandbox": service_stack("checkout"), "old-sandbox": service_stack("checkout")})
    write(tmp_path / "cdktf.out", {
        "team-checkout-sandbox": team_stack("checkout", extra="x"),
        "shop-sandbox": service_stack("checkout", 9), "blog-sandbox": service_stack("checkout"),
        "api-sandbox": service_stack("checkout")})
    return tmp_path


def test_pull_request_plans_only_changed_stacks_one_job_each(outs):
    doc = workflow("pull-request.yml")
    assert set(doc["on"]) == {"pull_request"}
    outputs = run_step(step(doc, "changed", "Changed stacks")["run"], outs)
    stacks = json.loads(outputs["stacks"])
    assert [s["name"] for s in stacks] == ["team-checkout-sandbox", "api-sandbox", "shop-sandbox"]
    assert stacks[1] == {"name": "api-sandbox", "status": "added", "depends_on": ["team-checkout-sandbox"],
                         "account": "111122223333", "region": "eu-west-1"}
    assert outputs["count"] == "3"
    plan = doc["jobs"]["plan"]
    assert plan["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.changed.outputs.stacks) }}"
    assert plan["if"] == "needs.changed.outputs.count != '0'"
    run = step(doc, "plan", "terraform plan")["run"]
    assert "-lock=false" in run and "terraform show -json plan.out" in run
    review = step(doc, "review", "Review")["run"]
    assert "--plan" in review and "golden-path review" in review
    assert "--services examples" in review and "--checkov" in review


def test_apply_runs_waves_in_order_and_never_destroys(outs):
    doc = workflow("apply.yml")
    assert doc["on"] == {"push": {"branches": ["main"]}}
    outputs = run_step(step(doc, "changed", "Changed stacks, in waves")["run"], outs)
    assert [s["name"] for s in json.loads(outputs["wave1"])] == ["team-checkout-sandbox"]
    assert [s["name"] for s in json.loads(outputs["wave2"])] == ["api-sandbox", "shop-sandbox"]
    assert doc["jobs"]["apply-wave-2"]["needs"] == ["changed", "apply-wave-1"]
    runs = [st.get("run", "") for n in ("apply.yml", "apply-stack.yml")
            for job in workflow(n)["jobs"].values() for st in job.get("steps", [])]
    assert runs and not any("destroy" in r and "destroy.yml" not in r for r in runs)
    stack_job = workflow("apply-stack.yml")["jobs"]["apply"]
    assert stack_job["strategy"]["matrix"]["stack"] == "${{ fromJSON(inputs.stacks) }}"
    assert "-lock-timeout=10m" in stack_job["steps"][-1]["run"]


def test_destroy_is_explicit_and_confirmed():
    doc = workflow("destroy.yml")
    assert set(doc["on"]) == {"workflow_dispatch"}
    assert set(doc["on"]["workflow_dispatch"]["inputs"]) == {"stack", "confirm", "ref"}
    job = doc["jobs"]["destroy"]
    assert job["if"] == "inputs.stack == inputs.confirm" and job["environment"] == "destroy"
    assert "still defined on main" in step(doc, "destroy", "Refuse a stack that still exists on main")["run"]
