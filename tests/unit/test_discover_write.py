"""discover's files: two environments merged into one, never overwritten, all or nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES
from golden_path.discover.report import Report, to_json, to_markdown, written
from golden_path.discover.translate import Found, Skipped
from golden_path.discover.write import check_found, header_line, plan, split, write_all
from golden_path.errors import SpecError
from golden_path.load.platform import load_platform
from golden_path.load.service_file import load_service_file
from golden_path.spec.common import TODO

ACCOUNTS = {"staging": "222233334444", "production": "444455556666"}


def found(env: str, memory: int = 256, team: str = "billing") -> Found:
    account = ACCOUNTS[env]
    return Found("billing-sync", "lambda", f"billing-sync-{env}", {
        "name": "billing-sync", "team": team, "runtime": "lambda", "language": "python3.13",
        "handler": "app.handler", "code": {"deployed": env[0] * 43 + "="},
        "architecture": "x86_64", "memory": memory, "timeout": 10,
        "variables": {"LOG_LEVEL": "info"}, "alerts": {"runbook": "https://runbooks.example.com/x"},
        "adopt": {"function": f"billing-sync-{env}", "log_group": f"/aws/lambda/billing-sync-{env}",
                  "role": f"arn:aws:iam::{account}:role/billing-sync-{env}"}})


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    shutil.copy(EXAMPLES / "platform.yaml", tmp_path / "platform.yaml")
    (tmp_path / "services").mkdir()
    return tmp_path


def discover_into(fleet: Path, env: str, f: Found) -> list:
    platform = load_platform(fleet / "platform.yaml")
    ok, skipped = check_found([f], env, platform)
    assert skipped == []
    planned, problems = plan(ok, fleet / "services", env, header_line(env, ACCOUNTS[env],
                                                                      "eu-west-1"), None)
    if problems:
        raise SpecError(problems)
    write_all(planned, fleet / "services")
    return planned


def test_split_shares_what_is_equal_and_keeps_adopt_per_environment():
    shared, per = split({"a": {"memory": 1, "x": {"p": 1, "q": 2}, "user": None, "adopt": {"f": 1}},
                         "b": {"memory": 1, "x": {"p": 1, "q": 3}, "user": "1000",
                               "adopt": {"f": 1}}})
    assert shared == {"memory": 1, "x": {"p": 1}, "user": None}
    assert per == {"a": {"x": {"q": 2}, "adopt": {"f": 1}},
                   "b": {"x": {"q": 3}, "user": "1000", "adopt": {"f": 1}}}


def test_two_environments_merge_into_one_file(fleet: Path):
    discover_into(fleet, "staging", found("staging", memory=256, team=TODO))
    (planned,) = discover_into(fleet, "production", found("production", memory=1024))
    assert planned.merged
    text = planned.path.read_text()
    data = yaml.safe_load(text)
    assert data["team"] == "billing"  # the TODO of the first run filled from the second
    assert "memory" not in data and data["environments"]["production"]["memory"] == 1024
    assert data["variables"] == {"LOG_LEVEL": "info"}
    assert set(data["environments"]) == {"staging", "production"}
    assert all("adopt" in o for o in data["environments"].values()) and "adopt" not in data
    assert text.count("# discovered: ") == 2
    specs = load_service_file(planned.path, load_platform(fleet / "platform.yaml"))
    assert {s.environment: s.memory for s in specs} == {"staging": 256, "production": 1024}


def test_an_environment_already_in_a_file_is_not_overwritten(fleet: Path):
    discover_into(fleet, "staging", found("staging"))
    before = {p: p.read_bytes() for p in (fleet / "services").iterdir()}
    other = Found("other", "lambda", "other-staging", {**found("staging").data, "name": "other"})
    platform = load_platform(fleet / "platform.yaml")
    planned, problems = plan([other, found("staging")], fleet / "services", "staging",
                             header_line("staging", ACCOUNTS["staging"], "eu-west-1"), None)
    assert len(problems) == 1 and "billing-sync.yaml" in problems[0].file
    assert "already has environment staging" in problems[0].hint
    assert {p: p.read_bytes() for p in (fleet / "services").iterdir()} == before
    assert platform is not None


def test_a_service_that_would_not_validate_is_skipped(fleet: Path):
    bad = found("staging")
    bad.data["handler"] = "not a handler"
    ok, skipped = check_found([bad], "staging", load_platform(fleet / "platform.yaml"))
    assert ok == [] and "handler" in skipped[0].reason


def test_the_report_counts_and_lists_skips():
    f = found("production", team=TODO)
    f.data["secrets"] = {"API_KEY": TODO}
    report = Report("production", ACCOUNTS["production"], "eu-west-1", 3, 1,
                    [written(f, "services/billing-sync.yaml", False)],
                    [Skipped("lambda", "old-prod", "runtime python3.8 is not one golden_path "
                                                    "supports")])
    md = to_markdown(report)
    assert "Found 3 Lambda functions and 1 ECS services" in md and "old-prod" in md
    assert "secrets API_KEY" in md and "team (no team tag on billing-sync-production)" in md
    counts = yaml.safe_load(to_json(report))["counts"]
    assert counts == {"functions_found": 3, "services_found": 1, "written": 1, "merged": 0,
                      "skipped": 1, "todo_teams": 1, "todo_secrets": 1}
