"""Issue 20, items 4 and 5: validating one file checks it within the fleet around it (item 4:
`golden-path validate services/menu-web.yaml`, as `new` suggests, finds payment-webhook
beside it), and a service whose own file failed, such as a typo in `team:`, causes no
follow-on problems elsewhere (item 5)."""

from __future__ import annotations

import os

from test_first_hour_fleet import SERVICES, first_hour_fleet, function, line_of, run, web, worker

BAD_QUEUE = "arn:aws:sqs:eu-west-1:{account}:orders"


def test_validating_one_file_finds_the_services_it_calls(tmp_path, capsys):
    """What `golden-path new` suggests: `golden-path validate services/menu-web.yaml`."""
    root = first_hour_fleet(tmp_path)
    code, out, err = run(capsys, "validate", str(root / "services" / "menu-web.yaml"))
    assert (code, err) == (0, [])
    assert [line.split(":")[0] for line in out[:-1]] == [
        "ok  menu-web-sandbox", "ok  menu-web-staging", "ok  menu-web-production"]
    assert out[-1] == (f"fleet: 3 stacks (checked with the 9 stacks around them in {root}), "
                       "3 calls between services, 0 acknowledged loops; listener rules and "
                       "queues checked")


def test_validating_one_file_from_its_folder(tmp_path, capsys, monkeypatch):
    root = first_hour_fleet(tmp_path)
    monkeypatch.chdir(root)
    code, out, err = run(capsys, "validate", os.path.join("services", "menu-web.yaml"))
    assert (code, err) == (0, [])
    assert "around them in this folder" in out[-1]


def test_other_files_problems_are_one_note(tmp_path, capsys):
    root = first_hour_fleet(tmp_path, **{"orders-worker": worker(BAD_QUEUE)})
    code, _, err = run(capsys, "validate", str(root / "services" / "menu-web.yaml"))
    assert code == 0
    assert err == [f"golden-path: note: 1 other file of the fleet in {root} has problems not "
                   f"shown here ({root / 'services' / 'orders-worker.yaml'}): run golden-path "
                   f"validate {root}"]


def test_the_named_files_problems_and_the_note(tmp_path, capsys):
    root = first_hour_fleet(tmp_path, **{
        "orders-worker": worker(BAD_QUEUE),
        "menu-web": SERVICES["menu-web"].replace("payment-webhook", "payment-webhok")})
    file = root / "services" / "menu-web.yaml"
    code, _, err = run(capsys, "validate", str(file))
    assert code == 2
    assert err == [
        "golden-path: 1 problem:",
        f"  {file}:{line_of(file, 'payment-webhok')}: calls[0].service = 'payment-webhok': no "
        "service named 'payment-webhok' runs in sandbox, staging or production in this fleet; "
        "did you mean 'payment-webhook'?",
        f"golden-path: note: 1 other file of the fleet in {root} has problems not shown here "
        f"({root / 'services' / 'orders-worker.yaml'}): run golden-path validate {root}"]


def test_a_call_to_a_service_that_runs_elsewhere_says_where_it_runs(tmp_path, capsys):
    only_sandbox = function("payment-webhook", "payments").replace(
        "  staging: {}\n  production: {}\n", "")
    root = first_hour_fleet(tmp_path, **{"payment-webhook": only_sandbox})
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert code == 2 and len(err) == 2
    assert err[1].endswith("calls[0].service = 'payment-webhook': no service named "
                           "'payment-webhook' runs in staging or production in this fleet; it "
                           "runs only in sandbox")


def test_a_typo_in_team_is_the_only_problem(tmp_path, capsys):
    """Item 5: not three more 'no service named payment-webhook' from menu-web's calls."""
    typo = SERVICES["payment-webhook"].replace("team: payments", "team: paymnets")
    root = first_hour_fleet(tmp_path, **{"payment-webhook": typo})
    file = root / "services" / "payment-webhook.yaml"
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert code == 2
    assert err == ["golden-path: 1 problem:",
                   f"  {file}:{line_of(file, 'team:')}: team = 'paymnets': unknown team; "
                   "teams.yaml knows menu, orders, payments"]
    # Validating the caller alone: it is fine; the broken file is the note.
    code, _, err = run(capsys, "validate", str(root / "services" / "menu-web.yaml"))
    assert code == 0 and err == [
        f"golden-path: note: 1 other file of the fleet in {root} has problems not shown here "
        f"({file}): run golden-path validate {root}"]


def test_a_file_that_does_not_load_causes_no_follow_on_problems(tmp_path, capsys):
    """Item 5, for a file that is not even YAML."""
    root = first_hour_fleet(tmp_path, **{"payment-webhook": "name: payment-webhook\nteam: [\n"})
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert code == 2
    assert len(err) == 2 and "payment-webhook.yaml" in err[1] and "invalid YAML" in err[1]


def test_synth_of_one_file_is_checked_within_its_fleet(tmp_path, capsys):
    """Items 4 and 6: synth of one file is checked within its fleet too, so item 6's clash is
    refused before anything is synthesized (nothing imports cdktf here)."""
    root = first_hour_fleet(tmp_path, **{"menu-api": web("menu-api", 100)})
    os.utime(root / "services" / "menu-web.yaml", (1, 1))
    code, _, err = run(capsys, "synth", str(root / "services" / "menu-api.yaml"),
                       "--out", str(tmp_path / "out"))
    assert code == 2 and "menu-api.yaml" in err[1] and "has the same priority" in err[1]
    assert not (tmp_path / "out").exists()


def test_graph_of_one_file_knows_the_services_it_calls(capsys):
    """Item 4 for `golden-path graph services/x.yaml`: the callees are the fleet's around the
    file."""
    from pathlib import Path

    from golden_path.cli import main

    examples = Path(__file__).resolve().parents[2] / "examples"
    assert main(["graph", str(examples / "services" / "storefront.yaml")]) == 0
    out = capsys.readouterr().out
    assert "| `storefront-staging` | `price-api-staging` | http |" in out
