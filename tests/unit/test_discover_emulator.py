"""``golden-path discover`` against a legacy fleet in the local AWS emulator (moto server).

One emulator for the module: the platform of production (444455556666) and of staging
(another account), a legacy fleet seeded in each (tests/legacy_fleet.py), discovered into
one folder, then validated as golden_path's fleet after the TODO teams are filled.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

pytest.importorskip("moto.server")

import emulated_platform as ep  # noqa: E402
import emulator as em  # noqa: E402
from golden_path.cli import main  # noqa: E402
from golden_path.load.platform import load_platform  # noqa: E402
from golden_path.load.service_file import load_service_file  # noqa: E402
from legacy_fleet import TEAM_TAGGED, LegacyFleet, seed_legacy_fleet  # noqa: E402

STAGING_ACCOUNT = "222233334444"
#: The platform's runbook wiki (without it, discover leaves runbook: TODO to fill).
RUNBOOK = "https://runbooks.example.com/{team}/{name}"


class World:
    def __init__(self, root: Path, emu: em.Emulator, prod: ep.EmulatedPlatform,
                 staging: ep.EmulatedPlatform, fleet: LegacyFleet, staging_fleet: LegacyFleet):
        self.root, self.emu, self.prod, self.staging = root, emu, prod, staging
        self.fleet, self.staging_fleet = fleet, staging_fleet
        self.services = root / "services"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("discover")
    emu = em.start_emulator(root)
    try:
        prod = ep.build_platform(emu)
        staging = ep.build_platform(emu, environment="staging", account=STAGING_ACCOUNT)
        fleet = seed_legacy_fleet(emu, prod, functions=20)
        staging_fleet = seed_legacy_fleet(emu, staging, functions=4, services=False,
                                          suffix="staging")
        platform = prod.platform_yaml()
        platform["environments"].update(staging.platform_yaml()["environments"])
        (root / "platform.yaml").write_text(yaml.safe_dump(platform, sort_keys=False))
        (root / "teams.yaml").write_text(yaml.safe_dump({"teams": {TEAM_TAGGED: {
            "notify": {"emails": ["checkout-oncall@example.com"]},
            "pagerduty": {"integration_url_secret": prod.pagerduty_secret_name}}}}))
        yield World(root, emu, prod, staging, fleet, staging_fleet)
    finally:
        emu.stop()


def discover(world: World, env: str, account: str, monkeypatch, *extra: str) -> int:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in world.emu.credentials(account).items():
        monkeypatch.setenv(key, value)
    return main(["discover", "--environment", env, "--endpoint-url", world.emu.url,
                 "--out", str(world.services), "--runbook", RUNBOOK, *extra])


def fill_teams(folder: Path) -> None:
    for f in folder.glob("*.yaml"):
        f.write_text(f.read_text().replace("team: TODO", f"team: {TEAM_TAGGED}"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_discover_writes_files_that_validate_and_adopt_everything(world, monkeypatch, capsys):
    assert discover(world, "production", world.prod.account, monkeypatch, "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    counts = report["counts"]
    assert counts["functions_found"] == 20 and counts["services_found"] == 2
    assert counts["written"] == 22 and counts["skipped"] == 0, report["skipped"]
    assert counts["todo_teams"] == len(world.fleet.no_team_tag) >= 2
    assert any("legacy-lambda-logging" in n for w in report["written"] for n in w["notes"])
    files = sorted(world.services.glob("*.yaml"))
    assert all("# TODO: " in f.read_text() for f in files
               if any(f"{n} has no team tag" in f.read_text() for n in world.fleet.no_team_tag))
    fill_teams(world.services)
    assert main(["validate", str(world.services)]) == 0
    capsys.readouterr()

    platform = load_platform(world.root / "platform.yaml")
    adopted: dict[str, set] = {}
    urls = []
    for f in files:
        for spec in load_service_file(f, platform):
            a = spec.adopt.model_dump(exclude_none=True)
            if a.pop("function_url", False):
                urls.append(a["function"])
            for key, value in a.items():
                values = value if isinstance(value, list) else [value]
                adopted.setdefault(key, set()).update(
                    v["rule"] if isinstance(v, dict) and "rule" in v else
                    json.dumps(v) if isinstance(v, dict) else v for v in values)
    fleet = world.fleet
    assert adopted["function"] == set(fleet.functions)
    assert adopted["log_group"] == set(fleet.log_groups)
    assert {r.rsplit("/", 1)[-1] for r in adopted["role"] | adopted["task_role"]
            | adopted["execution_role"]} == set(fleet.roles)
    assert {q.rsplit(":", 1)[-1] for q in adopted["queue"]} == \
        {u.rsplit("/", 1)[-1] for u in fleet.queues}
    assert {q.rsplit(":", 1)[-1] for q in adopted["dead_letter_queue"]} == \
        {u.rsplit("/", 1)[-1] for u in fleet.dead_letter_queues}
    assert adopted["event_source_mapping"] == set(fleet.event_source_mappings.values())
    assert adopted["schedules"] == set(fleet.schedules)
    assert urls == list(fleet.function_urls)
    assert adopted["service"] == {s.split("/")[1] for s in fleet.services}
    assert adopted["target_group"] == set(fleet.target_groups)
    assert adopted["listener_rule"] == set(fleet.listener_rules)


def test_a_second_discover_of_an_environment_changes_nothing(world, monkeypatch, capsys):
    before = snapshot(world.services)
    assert discover(world, "production", world.prod.account, monkeypatch) == 2
    err = capsys.readouterr().err
    assert "already has environment production" in err and "billing-sync.yaml" in err
    assert snapshot(world.services) == before


def test_the_wrong_account_is_refused(world, monkeypatch, capsys):
    before = snapshot(world.services)
    assert discover(world, "production", STAGING_ACCOUNT, monkeypatch) == 2
    assert f"credentials are for account {STAGING_ACCOUNT}" in capsys.readouterr().err
    assert snapshot(world.services) == before


def test_a_second_environment_merges_into_the_same_files(world, monkeypatch, capsys):
    assert discover(world, "staging", STAGING_ACCOUNT, monkeypatch) == 0
    assert "4 service files (4 merged" in capsys.readouterr().out
    fill_teams(world.services)
    data = yaml.safe_load((world.services / "billing-sync.yaml").read_text())
    assert set(data["environments"]) == {"production", "staging"}
    assert data["environments"]["staging"]["adopt"]["function"] == "billing-sync-staging"
    assert data["runtime"] == "lambda" and "adopt" not in data
    assert main(["validate", str(world.services)]) == 0


def test_without_a_runbook_discover_leaves_it_to_fill(world, monkeypatch, capsys, tmp_path):
    """No runbook tag and no --runbook: ``runbook: TODO``, which validate names."""
    out = tmp_path / "services"
    for key, value in world.emu.credentials(world.prod.account).items():
        monkeypatch.setenv(key, value)
    assert main(["discover", "-e", "production", "--endpoint-url", world.emu.url, "--out",
                 str(out), "--platform", str(world.root / "platform.yaml"), "--only", "ecs"]) == 0
    capsys.readouterr()
    fill_teams(out)
    for f in out.glob("*.yaml"):
        assert yaml.safe_load(f.read_text())["alerts"]["runbook"] == "TODO"
    assert main(["validate", str(out), "--platform", str(world.root / "platform.yaml"),
                 "--teams", str(world.root / "teams.yaml")]) == 2
    err = capsys.readouterr().err
    assert "alerts.runbook = 'TODO': left for you to fill by golden-path discover" in err
