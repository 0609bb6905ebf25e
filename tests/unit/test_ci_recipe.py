"""The GitHub Actions recipe: its shape, and its shell steps run for real on `changed` output
(with a stand-in `terraform` where they would plan or apply), down to a generated fleet's
924 stacks, 900 of them changed by one line of a shared template."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from test_changed import ACCOUNTS, service_stack, team_name, team_stack, write

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "examples" / "ci"


def workflow(name: str) -> dict:
    doc = yaml.safe_load((CI / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the key `on` as true
    return doc


def step(doc: dict, job: str, name: str) -> dict:
    return next(s for s in doc["jobs"][job]["steps"] if s.get("name") == name)


def run_step(script: str, cwd: Path, env: dict[str, str] | None = None,
             returncode: int = 0) -> dict[str, str]:
    """Run a step's shell (``bash -e``, as GitHub does) with the real golden-path and
    ``env``; return what it wrote to GITHUB_OUTPUT."""
    if shutil.which("jq") is None:
        from conftest import _require_tool

        _require_tool("jq", "the CI recipe's steps use jq (apt-get install jq)")
    output = cwd / "github_output"
    output.write_text("")
    golden_path = str(Path(sys.executable).with_name("golden-path"))
    script = script.replace(".venv/bin/golden-path", golden_path)
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=cwd, capture_output=True,
                            text=True, env={**os.environ, "GITHUB_OUTPUT": str(output),
                                            "GITHUB_STEP_SUMMARY": str(cwd / "summary.md"),
                                            "GITHUB_WORKSPACE": str(cwd), **(env or {})})
    assert result.returncode == returncode, result.stdout + result.stderr
    return dict(line.split("=", 1) for line in output.read_text().splitlines())


def fake_terraform(cwd: Path, fail: str = "") -> dict[str, str]:
    """A stand-in `terraform` on PATH that logs each call (and its stack) and fails
    ``init``, ``plan`` and ``apply`` in the stack ``fail``."""
    bin_dir = cwd / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "terraform").write_text("""#!/bin/sh
stack=$(basename "$PWD")
echo "$stack $1 cache=$TF_PLUGIN_CACHE_DIR" >> "$TERRAFORM_LOG"
if [ "$stack" = "$FAIL" ] && [ "$1" != init ]; then exit 1; fi
if [ "$1" = show ]; then echo '{"stack": "'"$stack"'"}'; fi
""")
    (bin_dir / "terraform").chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "FAIL": fail,
            "TERRAFORM_LOG": str(cwd / "terraform.log"), "TF_PLUGIN_CACHE_DIR": str(cwd / "plugins")}


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


def test_pull_request_plans_changed_stacks_in_shards(outs):
    doc = workflow("pull-request.yml")
    assert set(doc["on"]) == {"pull_request"}
    shards = int(doc["env"]["SHARDS"])
    assert 1 <= shards <= 256
    outputs = run_step(step(doc, "changed", "Changed stacks")["run"], outs, {"SHARDS": "2"})
    matrix = json.loads(outputs["matrix"])
    # 3 stacks of one account in 2 shards: each a list planned one after another.
    assert matrix == {"include": [
        {"shard": 1, "account": "111122223333", "region": "eu-west-1",
         "stacks": ["api-sandbox", "team-checkout-sandbox"], "count": 2},
        {"shard": 2, "account": "111122223333", "region": "eu-west-1",
         "stacks": ["shop-sandbox"], "count": 1}]}
    assert outputs["count"] == "3"
    plan = doc["jobs"]["plan"]
    assert plan["strategy"]["matrix"] == "${{ fromJSON(needs.changed.outputs.matrix) }}"
    assert plan["if"] == "needs.changed.outputs.count != '0'"
    assert plan["env"]["STACKS"] == "${{ join(matrix.stacks, ' ') }}"
    assert plan["env"]["TF_PLUGIN_CACHE_DIR"] == "${{ github.workspace }}/.terraform-plugins"
    assert plan["env"]["TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE"] == "true"  # no lock file
    assert "${{ matrix.account }}:role/golden-path-plan" in str(plan["steps"])
    run = step(doc, "plan", "terraform plan, stack after stack")["run"]
    assert "-lock=false" in run and "terraform show -json plan.out" in run
    upload = plan["steps"][-1]
    assert upload["with"]["name"] == "plan-shard-${{ matrix.shard }}" and upload["if"] == "always()"
    review = step(doc, "review", "Review")["run"]
    assert "--plan" in review and "golden-path review" in review
    assert "--services examples" in review and "--checkov" in review
    downloads = [st["with"] for st in doc["jobs"]["review"]["steps"]
                 if st.get("uses", "").startswith("actions/download-artifact")]
    assert {"pattern": "plan-*", "merge-multiple": True, "path": "plans"} in downloads


def test_plan_shard_plans_each_stack_in_turn_and_keeps_going(outs):
    run = step(workflow("pull-request.yml"), "plan", "terraform plan, stack after stack")["run"]
    env = fake_terraform(outs, fail="api-sandbox")
    run_step(run, outs, {**env, "STACKS": "team-checkout-sandbox api-sandbox shop-sandbox"},
             returncode=1)
    # One plan JSON per stack that planned; the failed one is reported, the rest still planned.
    assert sorted(p.name for p in (outs / "plans").iterdir()) == [
        "shop-sandbox.plan.json", "team-checkout-sandbox.plan.json"]
    log = (outs / "terraform.log").read_text().splitlines()
    assert [line.split()[:2] for line in log] == [
        ["team-checkout-sandbox", "init"], ["team-checkout-sandbox", "plan"],
        ["team-checkout-sandbox", "show"], ["api-sandbox", "init"], ["api-sandbox", "plan"],
        ["shop-sandbox", "init"], ["shop-sandbox", "plan"], ["shop-sandbox", "show"]]
    assert all(line.endswith(f"cache={outs / 'plugins'}") for line in log)  # one shared cache


@pytest.fixture
def rollout_outs(tmp_path) -> Path:
    """A change to one service in three environments and to production's team route."""
    base, head = {}, {}
    for env in ACCOUNTS:
        base[team_name("checkout", env)] = team_stack("checkout", env=env)
        head[team_name("checkout", env)] = team_stack("checkout", "x" if env == "production" else "",
                                                      env=env)
        for name in ("shop", "blog"):
            base[f"{name}-{env}"] = service_stack("checkout", env=env, name=name)
            head[f"{name}-{env}"] = service_stack("checkout", 9, env=env, name=name)
    write(tmp_path / "base.out", base)
    write(tmp_path / "cdktf.out", head)
    return tmp_path


def apply_waves(doc: dict, cwd: Path, from_wave: str = "1", shards: str = "20") -> dict[str, str]:
    changed = step(doc, "changed", "Changed stacks, in rollout waves")
    return run_step(changed["run"], cwd, {"SHARDS": shards, "FROM_WAVE": from_wave,
                                          "SLOTS": str(changed["env"]["SLOTS"])})


def test_apply_rolls_out_wave_by_wave_and_never_destroys(rollout_outs):
    doc = workflow("apply.yml")
    assert set(doc["on"]) == {"push", "workflow_dispatch"} and doc["on"]["push"] == {"branches": ["main"]}
    assert set(doc["on"]["workflow_dispatch"]["inputs"]) == {"from_wave", "base", "ignore_alarms"}
    outputs = apply_waves(doc, rollout_outs)
    assert outputs["count"] == "3"
    waves = [json.loads(outputs[f"wave{k}"]) for k in range(1, 4)]
    assert [(w["number"], w["environment"], w["kind"], w["bake_minutes"]) for w in waves] == [
        (1, "sandbox", "main", 0), (2, "staging", "main", 15), (3, "production", "main", 30)]
    # Production: its team route first, then the services that publish to it.
    production = waves[2]
    assert [s["stacks"] for s in production["first"]] == [[team_name("checkout", "production")]]
    assert [s["stacks"] for s in production["then"]] == [["blog-production"], ["shop-production"]]
    assert production["then_count"] == 2 and waves[0]["then_count"] == 0
    assert production["gates"] == [{"account": "444455556666", "region": "eu-west-1", "stacks": [
        team_name("checkout", "production"), "blog-production", "shop-production"]}]
    assert json.loads(outputs["wave4"]) == {} and len([k for k in outputs if k.startswith("wave")]) == 6
    # Resume from wave 3: slot 1 holds it.
    resumed = apply_waves(doc, rollout_outs, from_wave="3")
    assert resumed["count"] == "1" and json.loads(resumed["wave1"]) == production
    # Each wave waits for the one before it (success() is implied by an `if` without one).
    jobs = doc["jobs"]
    assert jobs["wave-1"]["needs"] == "changed" and jobs["wave-1"]["if"] == "needs.changed.outputs.count >= 1"
    for k in range(2, 7):
        assert jobs[f"wave-{k}"]["needs"] == ["changed", f"wave-{k - 1}"]
        assert jobs[f"wave-{k}"]["if"] == f"needs.changed.outputs.count >= {k}"
        assert jobs[f"wave-{k}"]["with"]["wave"] == f"${{{{ needs.changed.outputs.wave{k} }}}}"
    assert len([j for j in jobs if j.startswith("wave-")]) == int(
        step(doc, "changed", "Changed stacks, in rollout waves")["env"]["SLOTS"])
    runs = [st.get("run", "") for n in ("apply.yml", "apply-stack.yml")
            for job in workflow(n)["jobs"].values() for st in job.get("steps", [])]
    assert runs and not any("destroy" in r and "destroy.yml" not in r for r in runs)


def test_apply_wave_applies_shards_then_bakes_and_gates():
    doc = workflow("apply-stack.yml")
    jobs = doc["jobs"]
    assert jobs["first"]["strategy"]["matrix"]["shard"] == "${{ fromJSON(inputs.wave).first }}"
    assert jobs["then"]["strategy"]["matrix"]["shard"] == "${{ fromJSON(inputs.wave).then }}"
    assert jobs["then"]["needs"] == "first" and jobs["then"]["if"] == "fromJSON(inputs.wave).then_count > 0"
    assert jobs["then"]["steps"] == jobs["first"]["steps"]  # one YAML anchor
    assert not jobs["first"]["strategy"]["fail-fast"]  # never cancel an apply half way
    assert "-lock-timeout=10m" in jobs["first"]["steps"][-1]["run"]
    assert "golden-path-apply" in str(jobs["first"]["steps"])
    gate = jobs["gate"]
    assert gate["needs"] == ["first", "then"] and "needs.first.result == 'success'" in gate["if"]
    assert gate["strategy"]["matrix"]["target"] == "${{ fromJSON(inputs.wave).gates }}"
    assert "golden-path-plan" in str(gate["steps"])  # read-only: DescribeAlarms
    run = step(doc, "gate", "Bake, then the alarm gate")["run"]
    assert '.venv/bin/golden-path gate "${args[@]}"' in run
    assert '--bake-minutes "$BAKE" --wave "$WAVE"' in run


def test_apply_shard_stops_at_its_first_failure(rollout_outs):
    run = step(workflow("apply-stack.yml"), "first", "terraform apply, stack after stack")["run"]
    env = fake_terraform(rollout_outs, fail="blog-production")
    run_step(run, rollout_outs, {**env, "STACKS": "shop-sandbox blog-production shop-production"},
             returncode=1)
    log = [line.split()[:2] for line in (rollout_outs / "terraform.log").read_text().splitlines()]
    assert log == [["shop-sandbox", "init"], ["shop-sandbox", "apply"],
                   ["blog-production", "init"], ["blog-production", "apply"]]  # shop-production: never
    assert (rollout_outs / "summary.md").read_text() == (
        "apply failed: blog-production\napplied: shop-sandbox\nnot applied: shop-production\n")
    (rollout_outs / "terraform.log").unlink()
    run_step(run, rollout_outs, {**env, "FAIL": "", "STACKS": "shop-sandbox shop-production"})
    assert len((rollout_outs / "terraform.log").read_text().splitlines()) == 4


# ---- a generated fleet: 924 stacks, a one-line change in a shared template ---------------

N_SERVICES = 300


def _fleet_key() -> str:
    """The synthesized fleet depends on golden_path's code and the generator, nothing else."""
    import hashlib

    from golden_path.fleet.cache import code_fingerprint

    generator = b"".join((ROOT / "benchmarks" / f).read_bytes()
                         for f in ("fleet_gen.py", "fleet_vocabulary.py", "fleet_yaml.py"))
    return hashlib.sha256(code_fingerprint().encode() + generator).hexdigest()[:16]


@pytest.fixture(scope="module")
def fleet_change(tmp_path_factory) -> Path:
    """base.out: a generated fleet of 300 services (924 stacks) synthesized in-process;
    cdktf.out: the same with the exporter's `compression` rendered differently, as a
    one-line change of templates/_exporter.yaml.j2 would (900 service stacks change, the
    24 team routes do not). The synthesis (about a minute) is kept in the temporary
    directory for the next session while golden_path's code and the generator stay the same."""
    import tempfile

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from changed_fleet import synth_fleet
    from fleet_gen import generate_fleet

    cache = Path(tempfile.gettempdir()) / f"golden-path-fleet-{N_SERVICES}-{_fleet_key()}"
    if not (cache / "stacks").is_dir():
        work = tmp_path_factory.mktemp("fleet")
        generate_fleet(work / "fleet", N_SERVICES, seed=0)
        synth_fleet(work / "fleet", work / "base.out")
        for old in cache.parent.glob(f"golden-path-fleet-{N_SERVICES}-*"):  # other code's
            if time.time() - old.stat().st_mtime > 3600:  # not one a running session reads
                shutil.rmtree(old, ignore_errors=True)
        with contextlib.suppress(OSError):  # another session got there first
            (work / "base.out").rename(cache)
    root = tmp_path_factory.mktemp("change")
    shutil.copytree(cache, root / "base.out")
    shutil.copytree(cache, root / "cdktf.out")
    for path in (root / "cdktf.out" / "stacks").glob("*/cdk.tf.json"):
        text = path.read_text()
        if "compression: gzip" in text:
            path.write_text(text.replace("compression: gzip", "compression: zstd"))
    return root


@pytest.mark.synth
def test_fleet_change_plans_in_at_most_shards_jobs(fleet_change):
    doc = workflow("pull-request.yml")
    shards = int(doc["env"]["SHARDS"])
    outputs = run_step(step(doc, "changed", "Changed stacks")["run"], fleet_change,
                       {"SHARDS": str(shards)})
    assert outputs["count"] == "900"
    include = json.loads(outputs["matrix"])["include"]
    assert len(include) == shards <= 256
    planned = [n for s in include for n in s["stacks"]]
    assert len(planned) == len(set(planned)) == 900
    assert all(n.startswith("team-") is False for n in planned)
    for s in include:  # one account each, and balanced within it
        assert len({n.rsplit("-", 1)[1] for n in s["stacks"]}) == 1 and s["count"] == len(s["stacks"])
    assert max(s["count"] for s in include) <= -(-300 // (shards // 3))  # 300 per account
    # Apply: sandbox, staging, production, each in at most `shards` jobs.
    outputs = apply_waves(workflow("apply.yml"), fleet_change, shards=str(shards))
    waves = [json.loads(outputs[f"wave{k}"]) for k in range(1, int(outputs["count"]) + 1)]
    assert [(w["environment"], w["kind"]) for w in waves] == [
        ("sandbox", "main"), ("staging", "main"), ("production", "main")]
    for w in waves:
        assert len(w["first"]) == shards and w["then_count"] == 0
        assert sum(s["count"] for s in w["first"]) == 300
        assert len(w["gates"]) == 1 and len(w["gates"][0]["stacks"]) == 300


@pytest.mark.synth
def test_fleet_change_with_a_canary(fleet_change, capsys):
    import yaml as _yaml

    from golden_path.cli import main

    doc = _yaml.safe_load((ROOT / "examples" / "platform.yaml").read_text())
    doc["environments"]["production"]["rollout"] = {"canary": {"share": 5, "bake_minutes": 60}}
    platform = fleet_change / "platform.yaml"  # in the project, above cdktf.out: found by default
    platform.write_text(_yaml.safe_dump(doc, sort_keys=False))
    args = ["changed", "--base", str(fleet_change / "base.out"), "--head", str(fleet_change / "cdktf.out")]
    try:
        assert main(args) == 0
    finally:
        platform.unlink()
    text = capsys.readouterr().out
    heads = [line for line in text.splitlines() if not line.startswith("  ")]
    assert heads == [
        "900 stack(s) to plan and apply in 4 wave(s), 0 removed, 24 unchanged",
        "wave 1: sandbox, 300 stack(s); bake 0 min, then the alarm gate",
        "wave 2: staging, 300 stack(s); bake 15 min, then the alarm gate",
        "wave 3: production canary, 15 stack(s); bake 60 min, then the alarm gate",
        "wave 4: production, 285 stack(s); bake 30 min, then the alarm gate"]

def test_destroy_is_explicit_and_confirmed():
    doc = workflow("destroy.yml")
    assert set(doc["on"]) == {"workflow_dispatch"}
    assert set(doc["on"]["workflow_dispatch"]["inputs"]) == {"stack", "confirm", "ref"}
    job = doc["jobs"]["destroy"]
    assert job["if"] == "inputs.stack == inputs.confirm" and job["environment"] == "destroy"
    assert "still defined on main" in step(doc, "destroy", "Refuse a stack that still exists on main")["run"]


def test_nightly_drift_plans_every_stack_in_shards_and_keeps_one_issue(outs):
    """drift.yml: every stack of main (an empty base makes them all 'added') in at most
    SHARDS plan jobs, each writing <stack>.plan.json from a saved plan, then one report."""
    doc = workflow("drift.yml")
    assert "schedule" in doc["on"] and "workflow_dispatch" in doc["on"]
    assert 1 <= int(doc["env"]["SHARDS"]) <= 256
    outputs = run_step(step(doc, "stacks", "Every stack, in shards")["run"], outs, {"SHARDS": "2"})
    matrix = json.loads(outputs["matrix"])
    planned = [s for shard in matrix["include"] for s in shard["stacks"]]
    assert sorted(planned) == ["api-sandbox", "blog-sandbox", "shop-sandbox",
                               "team-checkout-sandbox"]
    assert len(matrix["include"]) <= 2
    run = step(doc, "plan", "terraform plan, stack after stack")["run"]
    env = fake_terraform(outs)
    run_step(run, outs, {**env, "STACKS": "shop-sandbox blog-sandbox"})
    assert sorted(p.name for p in (outs / "plans").iterdir()) == [
        "blog-sandbox.plan.json", "shop-sandbox.plan.json"]
    report = step(doc, "report", "Drift report, kept in one issue")["run"]
    assert "golden-path drift --expect expected-stacks.json plans/" in report and "--label drift" in report
    assert "gh issue close" in report and "gh issue edit" in report
