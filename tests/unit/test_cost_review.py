"""The review's telemetry volume and cost line, on a fixture pull request that adds an
incident override (base and head synth outputs written from the rendered configs, no cdktf)."""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from golden_path.cli import main
from golden_path.fleet import load_all
from golden_path.review.findings import findings
from golden_path.review.report import ReviewModel
from golden_path.review.synth_diff import diff_synth, load_synth
from golden_path.telemetry.cost.model import stack_costs
from golden_path.telemetry.cost.review import cost_changes, policy_from_stack
from golden_path.telemetry.render import render_collector_config, render_router_config

ROOT = Path(__file__).resolve().parents[2]
TODAY = date.today()
EXPIRES = TODAY + timedelta(days=2)
FLOOR_LINE = "      log_level: info               # production's default floor is warn\n"


def tf(text: str) -> str:
    """Text as Terraform JSON holds it (``${`` escaped)."""
    return text.replace("${", "$${")


def synth_like(services, out: Path) -> Path:
    """The telemetry resources of each stack, shaped as in cdktf.out/stacks/*/cdk.tf.json."""
    for s in services:
        if s.kind == "lambda":
            resource = {
                "aws_lambda_function": {"fn": {"function_name": s.names.function, "logging_config": {
                    "application_log_level": s.application_log_level, "log_format": "JSON",
                    "system_log_level": s.system_log_level}}},
                "aws_s3_object": {"config": {"key": s.names.config_key,
                                             "content": tf(render_collector_config(s))}}}
        else:
            resource = {"aws_ssm_parameter": {
                "collector": {"name": s.names.collector_config_parameter,
                              "value": tf(render_collector_config(s))},
                "router": {"name": s.names.router_config_parameter,
                           "value": tf(render_router_config(s))}}}
            if s.spec.kind == "web":
                resource["aws_lb_target_group"] = {"tg": {"port": s.spec.port}}
        stack = out / "stacks" / s.stack_name
        stack.mkdir(parents=True)
        (stack / "cdk.tf.json").write_text(json.dumps({"resource": resource}))
    return out


@pytest.fixture(scope="module")
def pull_request(tmp_path_factory):
    """examples/ as base; head adds an incident override to storefront in production."""
    work = tmp_path_factory.mktemp("pr")
    shutil.copytree(ROOT / "examples", work / "base", ignore=shutil.ignore_patterns("ci"))
    shutil.copytree(ROOT / "examples", work / "head", ignore=shutil.ignore_patterns("ci"))
    path = work / "head" / "services" / "storefront.yaml"
    text = path.read_text()
    assert FLOOR_LINE in text
    path.write_text(text.replace(FLOOR_LINE, FLOOR_LINE + (
        "      incident: {sampling_percent: 100, log_level: debug, reason: INC-4711 checkout 5xx, "
        f"expires: {EXPIRES.isoformat()}}}\n")))
    base, head = load_all([work / "base"]), load_all([work / "head"])
    return {"base": base, "head": head, "head_dir": work / "head",
            "base_out": synth_like(base, work / "base-out"),
            "head_out": synth_like(head, work / "head-out")}


def test_policy_is_read_back_from_the_synth_output(pull_request):
    stacks = load_synth(pull_request["head_out"])
    kind, policy = policy_from_stack(stacks["storefront-production"])
    assert kind == "web"
    assert (policy.sampling_percent, policy.log_level) == (100.0, "debug")
    assert policy.incident == f"INC-4711 checkout 5xx (until {EXPIRES.isoformat()})"
    assert policy.incident_until == EXPIRES
    kind, policy = policy_from_stack(stacks["price-api-production"])
    assert (kind, policy.system_log_level, policy.sampling_percent) == ("lambda", "WARN", 0.1)
    assert policy.rules.lambda_dropped_levels == ("trace", "debug", "info")
    assert policy_from_stack(stacks["order-fulfilment-worker-production"])[0] == "worker"


def test_incident_override_costs_per_day_and_in_total(pull_request):
    diffs = diff_synth(load_synth(pull_request["base_out"]), load_synth(pull_request["head_out"]))
    assert {d.name for d in diffs if not d.empty} == {"storefront-production"}
    found = findings(diffs)
    assert ("log-filters-changed", "log floor: info -> debug") in {(f.rule, f.detail) for f in found}
    services = {s.stack_name: s for s in pull_request["head"]}
    (line,) = cost_changes(diffs, found, services, today=TODAY)
    # The same numbers as `golden-path cost` on base and on head.
    before = next(c for c in stack_costs(pull_request["base"]) if c.inputs.stack == line.stack)
    after = next(c for c in stack_costs(pull_request["head"]) if c.inputs.stack == line.stack)
    per_day = after.total(kept=True) - before.total(kept=True)
    assert line.per_day == pytest.approx(per_day) and per_day > 0
    assert (line.days, line.currency) == (3, "USD")
    assert line.total == pytest.approx(3 * per_day)
    assert line.detail.startswith("logs 16.1 M -> 22.5 M lines/day; traces 373 k -> 62.2 M spans/day; ")
    assert (f"+{per_day:,.2f} USD/day while the incident override lasts (INC-4711 checkout 5xx, "
            f"until {EXPIRES.isoformat()}: 3 days from {TODAY.isoformat()}, "
            f"+{3 * per_day:,.2f} USD in total)") in line.detail


def test_review_shows_the_cost_line_in_must_not_miss(pull_request, capsys):
    args = ["review", "--base", str(pull_request["base_out"]), "--head", str(pull_request["head_out"]),
            "--services", str(pull_request["head_dir"])]
    assert main(args) == 0
    text = capsys.readouterr().out
    must = text.split("### What you must not miss")[1].split("### Summary")[0]
    assert "- **telemetry volume and cost** (1): per day after the policy" in must
    assert must.index("**log-filters-changed**") < must.index("**telemetry volume and cost**")
    assert "  - `storefront-production`: logs 16.1 M -> 22.5 M lines/day" in must
    assert "USD in total)" in must
    assert main([*args, "--format", "json"]) == 0
    review = ReviewModel.model_validate_json(capsys.readouterr().out)
    (cost,) = review.cost
    # The command counts from the day it runs (a run that crosses midnight counts one less).
    days = (EXPIRES - date.today()).days + 1
    assert (cost.stack, cost.days, cost.currency) == ("storefront-production", days, "USD")


def test_without_service_files_the_line_gives_kept_shares(pull_request, capsys):
    assert main(["review", "--base", str(pull_request["base_out"]),
                 "--head", str(pull_request["head_out"])]) == 0
    text = capsys.readouterr().out
    assert ("`storefront-production`: log lines kept 39.8 % -> 52.2 % (measured on "
            "templates/telemetry/sample-logs.txt (golden_path's default)); traces sampled "
            "0.1 % -> 100 % (+ every error span) (pass --services with the service files for "
            "volumes and cost per day)") in text


def test_a_lasting_sampling_change_shows_per_day_and_month(pull_request, tmp_path):
    head_dir = tmp_path / "examples"
    shutil.copytree(ROOT / "examples", head_dir, ignore=shutil.ignore_patterns("ci"))
    path = head_dir / "services" / "price-api.yaml"
    text = path.read_text().replace("    reserved_concurrency: 200",
                                    "    telemetry: {sampling_percent: 1}\n    reserved_concurrency: 200")
    path.write_text(text)
    head = load_all([head_dir])
    diffs = diff_synth(load_synth(pull_request["base_out"]), load_synth(synth_like(head, tmp_path / "o")))
    assert {d.name for d in diffs if not d.empty} == {"price-api-production"}
    (line,) = cost_changes(diffs, findings(diffs), {s.stack_name: s for s in head})
    # 18 M invocations x 3 spans: kept 0.5 % + 99.5 % x 0.1 % -> 0.5 % + 99.5 % x 1 %.
    spans = 18e6 * 3
    delta = spans * 0.995 * (0.01 - 0.001) * 1.00 / 1e6
    assert line.per_day == pytest.approx(delta)
    assert line.detail == (f"traces 324 k -> 807 k spans/day; +{spans * 0.995 * 0.009 * 700 / 1e6:.3g} "
                           f"MB/day, +{delta:,.2f} USD/day, +{delta * 30:,.2f} USD/month")
