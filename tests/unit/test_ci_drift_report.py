"""drift.yml's report step, run for real: the real `golden-path changed` matrix and
`golden-path drift` on plan JSON, with a stand-in `gh` on PATH that records its calls.
The issue is closed only when every stack of the matrix was planned and none drifted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_changed import service_stack, team_stack, write
from test_ci_recipe import run_step, step, workflow
from test_drift import SERVICE, drift_entry, service_state, show_json
from test_drift import write as write_plan

STACKS = ["api-sandbox", "blog-sandbox", "shop-sandbox", "team-checkout-sandbox"]


@pytest.fixture
def nightly(tmp_path) -> dict:
    """main's synth output and the matrix drift.yml's `stacks` job computes from it."""
    write(tmp_path / "cdktf.out", {"team-checkout-sandbox": team_stack("checkout"),
                                   **{n: service_stack("checkout", name=n.split("-")[0])
                                      for n in STACKS if not n.startswith("team-")}})
    outputs = run_step(step(workflow("drift.yml"), "stacks", "Every stack, in shards")["run"],
                       tmp_path, {"SHARDS": "2"})
    matrix = json.loads(outputs["matrix"])
    assert sorted(n for s in matrix["include"] for n in s["stacks"]) == STACKS
    return {"cwd": tmp_path, "matrix": outputs["matrix"]}


def plans(cwd: Path, stacks: list[str], drifted: str = "") -> None:
    """What the plan jobs uploaded: one `terraform show -json` per stack planned;
    ``drifted``: that stack's service was scaled by hand."""
    folder = cwd / "plans"
    folder.mkdir()
    for name in stacks:
        drift = ([drift_entry(SERVICE, service_state("sandbox"), service_state("sandbox", 6))]
                 if name == drifted else [])
        (folder / f"{name}.plan.json").write_text(json.dumps(show_json("sandbox", drift)))


def report(nightly: dict, *, open_issue: str = "7", plan_jobs: str = "success",
           returncode: int = 0) -> list[str]:
    """Run the report step with a stand-in `gh`; its calls, one line each."""
    cwd = nightly["cwd"]
    bin_dir = cwd / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text("""#!/bin/sh
echo "$*" >> "$GH_LOG"
if [ "$1 $2" = "issue list" ]; then printf '%s\\n' "$GH_OPEN_ISSUE"; fi
previous=""
for arg in "$@"; do
  if [ "$previous" = "--body-file" ]; then cp "$arg" "$GH_BODY"; fi
  previous=$arg
done
""")
    gh.chmod(0o755)
    run = step(workflow("drift.yml"), "report", "Drift report, kept in one issue")["run"]
    run_step(run, cwd, {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                        "GH_LOG": str(cwd / "gh.log"), "GH_BODY": str(cwd / "issue.md"),
                        "GH_OPEN_ISSUE": open_issue, "MATRIX": nightly["matrix"],
                        "PLANS": plan_jobs, "GH_TOKEN": "x"}, returncode=returncode)
    log = cwd / "gh.log"
    return log.read_text().splitlines() if log.exists() else []


def test_the_report_job_knows_every_stack_and_runs_after_failed_plans():
    job = workflow("drift.yml")["jobs"]["report"]
    assert job["needs"] == ["stacks", "plan"]
    assert job["if"] == "always() && needs.stacks.result == 'success'"
    assert job["env"]["MATRIX"] == "${{ needs.stacks.outputs.matrix }}"
    assert job["env"]["PLANS"] == "${{ needs.plan.result }}"
    assert job["steps"][-1]["if"] == "always()"  # the report is kept when the run fails


def test_drift_updates_the_issue_and_fails(nightly):
    plans(nightly["cwd"], STACKS, drifted="shop-sandbox")
    calls = report(nightly, returncode=1)
    assert calls == ["issue list --label drift --state open --json number --jq .[0].number",
                     "issue edit 7 --body-file drift.md"]
    body = (nightly["cwd"] / "issue.md").read_text()
    assert "**1 of 4 stack(s) differ from main**" in body
    assert f"`{SERVICE}` `desired_count`: AWS 6, main 2 — `shop-sandbox`" in body
    assert "no plan" not in body
    doc = json.loads((nightly["cwd"] / "drift.json").read_text())
    assert (doc["drifted_stacks"], doc["expected_stacks"], doc["not_planned"]) == (1, 4, [])


def test_drift_without_an_open_issue_opens_one(nightly):
    plans(nightly["cwd"], STACKS, drifted="api-sandbox")
    calls = report(nightly, open_issue="", returncode=1)
    assert calls[1] == "issue create --title Infrastructure drift --label drift --body-file drift.md"
    assert "`api-sandbox`" in (nightly["cwd"] / "issue.md").read_text()


def test_no_drift_and_every_plan_closes_the_issue(nightly):
    plans(nightly["cwd"], STACKS)
    calls = report(nightly)
    assert len(calls) == 2 and calls[1].startswith("issue close 7 --comment No drift in the run of ")
    assert calls[1].endswith("every stack was planned and matches main.")
    assert "No drift: the real resources of all 4 stack(s) match main." in (
        nightly["cwd"] / "drift.md").read_text()
    assert report(nightly, open_issue="")[-1].startswith("issue list")  # nothing to close


def test_a_missing_plan_keeps_the_issue_open_and_fails(nightly):
    """The bug: a shard's plan failed, its stacks had no plan JSON, and with no drift left
    in the others the issue was closed as if every stack matched main."""
    plans(nightly["cwd"], ["api-sandbox", "shop-sandbox"])  # blog and team: their shard failed
    calls = report(nightly, plan_jobs="failure", returncode=1)
    assert calls == ["issue list --label drift --state open --json number --jq .[0].number",
                     "issue edit 7 --body-file drift.md"]
    body = (nightly["cwd"] / "issue.md").read_text()
    assert ("**2 of 4 stack(s) have no plan**: their plan failed or never ran (the plan "
            "jobs' logs say why), so whether AWS matches main there is unknown: "
            "`blog-sandbox`, `team-checkout-sandbox`.") in body
    assert "No drift in the 2 stack(s) planned." in body and "match main." not in body
    doc = json.loads((nightly["cwd"] / "drift.json").read_text())
    assert doc["not_planned"] == ["blog-sandbox", "team-checkout-sandbox"]
    assert doc["drifted_stacks"] == 0 and doc["stacks"] == []


def test_no_plan_at_all_lists_every_stack(nightly):
    (nightly["cwd"] / "plans").mkdir()  # every shard failed: nothing was uploaded
    report(nightly, open_issue="", plan_jobs="failure", returncode=1)
    body = (nightly["cwd"] / "issue.md").read_text()
    assert "**4 of 4 stack(s) have no plan**" in body
    assert all(f"`{n}`" in body for n in STACKS)


def test_failed_plan_jobs_never_close_the_issue(nightly):
    """Every stack has its plan and none drifted, yet the plan jobs failed (an upload, say):
    the issue is left as it is and the run fails."""
    plans(nightly["cwd"], STACKS)
    calls = report(nightly, plan_jobs="failure", returncode=1)
    assert calls == []


def test_unreadable_plan_stops_before_the_issue(nightly):
    plans(nightly["cwd"], STACKS)
    (nightly["cwd"] / "plans" / "shop-sandbox.plan.json").write_text("{not json")
    assert report(nightly, returncode=2) == []


def test_the_stack_list_from_changed_json_and_without_one(tmp_path, capsys):
    """`changed --format json` names the stacks too (apply_order); without a list, a
    folder without plans is still an error (exit 2), with one it means none was planned."""
    from golden_path.cli import main

    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "shop-sandbox.plan.json").write_text(json.dumps(show_json("sandbox", [])))
    listed = tmp_path / "changed.json"
    listed.write_text(json.dumps({"apply_order": ["shop-sandbox", "blog-sandbox"], "stacks": []}))
    assert main(["drift", str(listed), str(tmp_path / "plans"), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert (doc["not_planned"], doc["expected_stacks"], doc["drifted_stacks"]) == (["blog-sandbox"], 2, 0)
    assert main(["drift", str(tmp_path / "plans")]) == 0  # every plan given, no list: no drift
    capsys.readouterr()
    (tmp_path / "empty").mkdir()
    assert main(["drift", str(tmp_path / "empty")]) == 2
    assert "a folder without plan JSON" in capsys.readouterr().err
    assert main(["drift", str(listed), str(tmp_path / "empty")]) == 1
    assert "**2 of 2 stack(s) have no plan**" in capsys.readouterr().out


def test_expect_names_the_stacks_that_must_have_a_plan(tmp_path, capsys):
    """`--expect` takes `changed`'s stack list: a stack on it without a plan exits 1; a
    file that is not a stack list is one line naming it, exit 2."""
    from golden_path.cli import main

    plan = write_plan(tmp_path, "shop-sandbox.json", show_json("sandbox", []))
    listed = write_plan(tmp_path, "expected.json", json.dumps(
        {"include": [{"shard": 1, "stacks": ["shop-sandbox", "api-sandbox"]}]}))
    assert main(["drift", "--expect", listed, plan, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert (doc["expected_stacks"], doc["not_planned"]) == (2, ["api-sandbox"])
    assert main(["drift", "--expect", plan, plan]) == 2
    err = capsys.readouterr().err
    assert "shop-sandbox.json" in err and "--expect takes" in err and len(err.splitlines()) == 1
