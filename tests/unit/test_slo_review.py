"""The review's SLO findings: an objective lowered or removed, an SLO alert removed or
moved off paging; each is a must-not-miss finding and a --fail-on rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from golden_path.cli import main
from golden_path.review.findings import ALL_RULES
from golden_path.review.report import MUST_NOT_MISS

PAGE = "arn:aws:sns:eu-west-1:444455556666:golden-path-billing-production-page"
NOTIFY = "arn:aws:sns:eu-west-1:444455556666:golden-path-billing-production-notify"
NAME = "production-billing-billing-api-slo-{kind}-{severity}"


def composite(kind: str, severity: str, objective: str, actions: list[str]) -> dict:
    return {"alarm_name": NAME.format(kind=kind, severity=severity), "alarm_rule": "...",
            "alarm_actions": actions, "ok_actions": actions,
            "tags": {"service": "billing-api", "environment": "production",
                     "slo-objective": objective}}


def out(root: Path, composites: dict[str, dict]) -> Path:
    stack = root / "stacks" / "billing-api-production"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps(
        {"resource": {"aws_cloudwatch_composite_alarm": composites}} if composites else {}))
    return root


BASE = {"availability_page": composite("availability", "page", "99.9", [PAGE, NOTIFY]),
        "availability_ticket": composite("availability", "ticket", "99.9", [NOTIFY]),
        "latency_page": composite("latency", "page", "99", [PAGE, NOTIFY])}


def review(tmp_path, head: dict, capsys) -> tuple[int, dict]:
    base = out(tmp_path / "base", BASE)
    new = out(tmp_path / "head", head)
    code = main(["review", "--base", str(base), "--head", str(new), "--format", "json",
                 "--fail-on", "slo-lowered,slo-removed,slo-alert-off-paging"])
    report = json.loads(capsys.readouterr().out)
    return code, {(f["rule"], f["detail"]) for f in report["findings"]}


def test_rules_are_in_fail_on_and_must_not_miss():
    for rule in ("slo-lowered", "slo-removed", "slo-alert-off-paging"):
        assert rule in ALL_RULES and rule in MUST_NOT_MISS


def test_an_objective_lowered(tmp_path, capsys):
    head = {k: dict(v) for k, v in BASE.items()}
    for key in ("availability_page", "availability_ticket"):
        head[key] = composite("availability", key.split("_")[1], "99.5",
                              BASE[key]["alarm_actions"])
    code, found = review(tmp_path, head, capsys)
    assert code == 1
    lowered = {d for r, d in found if r == "slo-lowered"}
    assert lowered == {"availability objective 99.9 % -> 99.5 %"}


def test_an_objective_removed_with_its_paging_alert(tmp_path, capsys):
    head = {k: v for k, v in BASE.items() if not k.startswith("latency")}
    code, found = review(tmp_path, head, capsys)
    assert code == 1
    assert ("slo-removed", "the latency objective (99 %) is removed") in found
    assert any(r == "slo-alert-off-paging" and "removed (paged" in d for r, d in found)


def test_an_slo_alert_moved_off_paging(tmp_path, capsys):
    head = dict(BASE, availability_page=composite("availability", "page", "99.9", [NOTIFY]))
    code, found = review(tmp_path, head, capsys)
    assert code == 1
    assert [r for r, _ in found if r.startswith("slo-")] == ["slo-alert-off-paging"]


@pytest.mark.parametrize("objective", ["99.9", "99.95"])
def test_the_same_or_a_higher_objective_is_no_finding(tmp_path, capsys, objective):
    head = dict(BASE, availability_page=composite("availability", "page", objective,
                                                  [PAGE, NOTIFY]))
    code, found = review(tmp_path, head, capsys)
    assert code == 0 and not [r for r, _ in found if r.startswith("slo-")]


def test_the_slo_command_lists_objectives_budgets_and_what_pages(capsys):
    from conftest import EXAMPLES

    assert main(["slo", str(EXAMPLES / "services"), "-e", "production", "--format", "json"]) == 0
    rows = {(r["stack"], r["objective"]): r for r in json.loads(capsys.readouterr().out)[
        "objectives"]}
    shop = rows[("storefront-production", "latency 99.5 % within 500 ms")]
    assert shop["budget_minutes"] == 216.0  # 30 days x 1440 min x 0.5 %
    # The example's traffic: 30 days of its requests per second x 0.5 %.
    assert shop["unit"] == "request" and shop["budget_requests"] > 0
    assert "slo-latency-page" in shop["paging"]
    # golden_signals: notify: the 5xx and p99 defaults no longer page, the SLO does.
    assert "http-5xx-rate" not in shop["paging"] and "latency-p99" not in shop["paging"]
    invoices = rows[("invoice-consumer-production", "availability 99.5 %")]
    assert invoices["budget_minutes"] == 216.0
    # A queue consumer has no latency objective unless its file sets one.
    assert ("invoice-consumer-production", "latency 99 % within 300 ms") not in rows
    assert main(["slo", str(EXAMPLES / "services"), "-e", "production"]) == 0
    text = capsys.readouterr().out
    assert "| `storefront-production` | latency 99.5 % within 500 ms |" in text
