"""Telemetry volume and cost (``golden-path cost``): the model's arithmetic on hand-checked
cases, the calibration on known corpora (exact counts), bad input, the CLI and its JSON."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from golden_path import ServiceSpec, resolve
from golden_path.fleet import load_all
from golden_path.telemetry.cost.corpus import (
    calibrate,
    default_corpus,
    lambda_rules,
    load_corpus,
    router_rules,
)
from golden_path.telemetry.cost.model import policy_of, stack_costs
from golden_path.telemetry.cost.report import CostReport, build, to_markdown
from golden_path.telemetry.render import render_router_config
from pipeline import fluent_bit_lines

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GOLDEN_PATH = [str(ROOT / ".venv" / "bin" / "golden-path")] if (ROOT / ".venv/bin/golden-path").exists() \
    else [sys.executable, "-m", "golden_path.cli"]

#: A known corpus: each line's fate is written next to it (floor warn = production).
CORPUS = """\
# a comment, and a blank line below: both skipped

10.0.0.9 - - [25/Nov/2026:10:00:00 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "ELB-HealthChecker/2.0"
10.0.0.5 - - [25/Nov/2026:10:00:01 +0000] "GET /cart HTTP/1.1" 200 512 "-" "Mozilla/5.0"
10.0.0.5 - - [25/Nov/2026:10:00:02 +0000] "POST /cart/add HTTP/1.1" 302 0 "-" "Mozilla/5.0"
10.0.0.5 - - [25/Nov/2026:10:00:03 +0000] "POST /pay HTTP/1.1" 502 0 "-" "Mozilla/5.0"
{"levelname": "INFO", "message": "order 1 created"}
{"levelname": "DEBUG", "message": "SELECT 1"}
{"levelname": "WARNING", "message": "slow payment provider"}
{"levelname": "ERROR", "message": "payment failed"}
"""
PRICES = {"currency": "EUR", "logs_per_gb": 1.0, "spans_per_million": 2.0,
          "metric_points_per_million": 0.5}
SHAPE = {"log_lines_per_request": 2, "spans_per_request": 5, "metric_points_per_request": 1,
         "log_line_bytes": 500, "span_bytes": 1000, "metric_point_bytes": 100,
         "platform_line_bytes": 200, "error_span_share": 0.01}
WEB = {
    "name": "shop", "team": "checkout", "kind": "web",
    "image": "999988887777.dkr.ecr.eu-west-1.amazonaws.com/shop:1.0.0",
    "cpu": 256, "memory": 512, "port": 8000, "health_check_path": "/healthz",
    "load_balancer": {"listener": "public", "priority": 10, "hosts": ["shop.{environment}.example.com"]},
    "alerts": {"runbook": "https://runbooks.example.com/shop"},
    "telemetry": {"sample_logs": "corpus.txt"},
    "traffic": {"requests_per_second": 10, "health_check_share": 0.1, "success_share": 0.5},
    "environments": {"sandbox": {}, "staging": {}, "production": {}},
}
FUNCTION = {
    "name": "fn", "team": "checkout", "runtime": "lambda", "language": "python3.13",
    "handler": "app.handler",
    "code": {"s3": {"bucket": "artifacts-999988887777", "key": "fn/fn-1.0.0.zip",
                    "version": "Vq0xmTpX1o8Hc2b3pW9m4E1sR7u6yK5a"}},
    "alerts": {"runbook": "https://runbooks.example.com/fn"},
    "traffic": {"invocations_per_day": 1_000_000},
    "environments": {"sandbox": {}, "production": {}},
}


def write_fleet(root: Path, services: dict[str, dict], prices: dict | None = PRICES,
                shape: dict | None = SHAPE) -> Path:
    """examples/platform.yaml with these defaults.traffic and prices, plus service files."""
    platform = yaml.safe_load((EXAMPLES / "platform.yaml").read_text())
    for env in platform["environments"].values():
        env.pop("traffic", None)
    platform["defaults"].pop("traffic", None)
    platform["defaults"].pop("prices", None)
    if shape is not None:
        platform["defaults"]["traffic"] = shape
    if prices is not None:
        platform["defaults"]["prices"] = prices
    root.mkdir(parents=True, exist_ok=True)
    (root / "platform.yaml").write_text(yaml.safe_dump(platform, sort_keys=False))
    (root / "corpus.txt").write_text(CORPUS)
    for name, spec in services.items():
        (root / f"{name}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def costs(root: Path) -> dict:
    return {c.inputs.stack: c for c in stack_costs(load_all([root]))}


def signals(cost) -> dict:
    return {s.signal: s for s in cost.signals}


# ---- the model's arithmetic, checked by hand --------------------------------------------

def test_web_production_by_hand(tmp_path):
    cost = costs(write_fleet(tmp_path, {"shop": WEB}))["shop-production"]
    s = signals(cost)
    # 10 requests/s x 86,400 s = 864,000 requests a day.
    assert cost.inputs.units_per_day == 864_000
    # Logs: 2 lines each = 1,728,000 lines of 500 B = 0.864 GB at 1 EUR/GB.
    logs = s["logs"]
    assert (logs.all_count, logs.all_bytes) == (1_728_000, 864_000_000)
    assert logs.cost_all == pytest.approx(0.864)
    # Kept: health checks 10 % x 0/1 + success 50 % x 0/2 + other 40 % x 3/5 (502, WARNING,
    # ERROR kept; INFO and DEBUG under the warn floor) = 24 %.
    assert logs.kept_share == pytest.approx(0.24)
    assert logs.kept_count == pytest.approx(414_720)
    assert logs.cost_kept == pytest.approx(0.20736)
    # Traces: 5 spans each = 4,320,000 spans at 2 EUR/million; kept 1 % errors + 99 % x 0.1 %.
    traces = s["traces"]
    assert traces.all_count == 4_320_000 and traces.cost_all == pytest.approx(8.64)
    assert traces.kept_share == pytest.approx(0.01 + 0.99 * 0.001)
    assert traces.kept_count == pytest.approx(47_476.8)
    assert traces.cost_kept == pytest.approx(0.0949536)
    # Metrics: 1 point each, all kept, 0.5 EUR/million.
    assert s["metrics"].kept_count == s["metrics"].all_count == 864_000
    assert s["metrics"].cost_kept == pytest.approx(0.432)
    assert "platform_logs" not in s
    assert cost.total(kept=False) == pytest.approx(0.864 + 8.64 + 0.432)
    assert cost.total(kept=True) == pytest.approx(0.20736 + 0.0949536 + 0.432)


def test_web_staging_and_sandbox_by_hand(tmp_path):
    found = costs(write_fleet(tmp_path, {"shop": WEB}))
    staging, sandbox = signals(found["shop-staging"]), signals(found["shop-sandbox"])
    # Staging: floor info (only DEBUG dropped: other 4/5 kept), success lines dropped, 10 %.
    assert staging["logs"].kept_share == pytest.approx(0.4 * 0.8)
    assert staging["traces"].kept_share == pytest.approx(0.01 + 0.99 * 0.1)
    # Sandbox: floor debug, only health checks are noise: success lines and all other kept.
    assert sandbox["logs"].kept_share == pytest.approx(0.5 + 0.4)
    assert sandbox["traces"].kept_share == pytest.approx(1.0)


def test_lambda_platform_lines_follow_the_system_log_level(tmp_path):
    found = costs(write_fleet(tmp_path, {"fn": FUNCTION}))
    production, sandbox = signals(found["fn-production"]), signals(found["fn-sandbox"])
    # 1,000,000 invocations x 3 lines (START, END, REPORT) x 200 B = 0.6 GB.
    for s in (production, sandbox):
        assert s["platform_logs"].all_count == 3_000_000
        assert s["platform_logs"].cost_all == pytest.approx(0.6)
    assert production["platform_logs"].kept_count == 0  # system log level WARN
    assert sandbox["platform_logs"].kept_count == 3_000_000  # INFO keeps them
    # The default corpus's 40 Lambda lines: WARN drops 24 INFO and 10 DEBUG; a function's
    # stdout passes Lambda's application log level only (no noise filters), no mix applies.
    assert production["logs"].kept_share == pytest.approx(6 / 40)
    assert sandbox["logs"].kept_share == pytest.approx(1.0)
    assert found["fn-production"].mix["other"].value == 1.0


def test_shares_unset_are_measured_in_the_corpus(tmp_path):
    web = json.loads(json.dumps(WEB))
    del web["traffic"]["health_check_share"], web["traffic"]["success_share"]
    cost = costs(write_fleet(tmp_path, {"shop": web}))["shop-production"]
    assert {k: v.value for k, v in cost.mix.items()} == pytest.approx(
        {"health_check": 1 / 8, "success": 2 / 8, "other": 5 / 8})
    assert cost.mix["success"].origin == "measured in the corpus"
    assert signals(cost)["logs"].kept_share == pytest.approx(3 / 8)


def test_metrics_priced_per_gb(tmp_path):
    prices = {"currency": "EUR", "logs_per_gb": 1.0, "metrics_per_gb": 2.0}
    cost = costs(write_fleet(tmp_path, {"shop": WEB}, prices=prices))["shop-production"]
    # 864,000 points x 100 B = 0.0864 GB at 2 EUR/GB; spans have no price: not counted.
    assert signals(cost)["metrics"].cost_all == pytest.approx(0.1728)
    assert signals(cost)["traces"].cost_all is None
    assert cost.total(kept=False) == pytest.approx(0.864 + 0.1728)


def test_a_big_corpus_is_read_up_to_its_limit(tmp_path):
    (tmp_path / "big.txt").write_text(CORPUS)
    big = load_corpus(str(tmp_path / "big.txt"), limit=3)
    assert len(big.lines_for("web")) == 3 and big.truncated
    assert big.name.endswith("big.txt (its first 3 lines)")


def test_without_prices_volumes_only(tmp_path):
    cost = costs(write_fleet(tmp_path, {"shop": WEB}, prices=None))["shop-production"]
    assert cost.total(kept=True) is None
    assert all(s.cost_all is None for s in cost.signals)
    text = to_markdown(build([cost]))
    assert "no prices in platform.yaml: volumes only" in text


def test_assumptions_name_their_origin(tmp_path):
    cost = costs(write_fleet(tmp_path, {"shop": WEB}))["shop-production"]
    a = cost.inputs.assumptions
    shop, platform = tmp_path / "shop.yaml", tmp_path / "platform.yaml"
    assert a["requests_per_second"].origin == f"{shop}:{line_of(shop, 'requests_per_second')}"
    assert a["span_bytes"].origin == f"{platform}:{line_of(platform, 'span_bytes')} (platform defaults)"
    assert cost.inputs.shares["success"].origin == f"{shop}:{line_of(shop, 'success_share')}"
    assert cost.inputs.prices_origin == f"{platform}:{line_of(platform, 'prices:')} (platform defaults)"


# ---- calibration: exact counts ------------------------------------------------------------

def web_spec(web: dict, env: str, **telemetry) -> ServiceSpec:
    spec = {**web, "environment": env, "telemetry": {**web["telemetry"], **telemetry}}
    if env == "production":
        spec["scaling"] = {"min": 2}
    return ServiceSpec.parse(spec)


@pytest.mark.parametrize(("env", "counts"), [
    ("production", {"health_check": (1, 0, 1), "success": (2, 0, 2), "other": (5, 2, 0)}),
    ("staging", {"health_check": (1, 0, 1), "success": (2, 0, 2), "other": (5, 1, 0)}),
    ("sandbox", {"health_check": (1, 0, 1), "success": (2, 0, 0), "other": (5, 0, 0)}),
])
def test_calibration_on_a_known_corpus(web, tmp_path, env, counts):
    (tmp_path / "c.txt").write_text(CORPUS)
    corpus = load_corpus(str(tmp_path / "c.txt"))
    svc = resolve(web_spec(web, env))
    cal = calibrate(policy_of(svc).rules, corpus, "web", "/healthz")
    assert cal.lines == 8
    assert {k: (v.lines, v.floor, v.noise) for k, v in cal.classes.items()} == counts


def test_calibration_on_the_default_corpus(web):
    """The shipped corpus, production's rules: exact counts per kind of service, as
    (lines, dropped by the floor, dropped as noise, lines kept, records kept).

    A python web service reads the 101 web lines and the 12 of its language: 12 health
    checks, 40 success lines, and 61 other: the floor (warn) drops 18 INFO + 14 DEBUG JSON
    lines and the 40 KB INFO line (joined from its 3 partial records, then parsed: 33);
    kept are 6 access lines 4xx/5xx, 5 WARNING, 2 ERROR, 3 gunicorn lines and the gunicorn
    error with its traceback (12 lines), in 6 + 5 + 2 + 3 + 2 = 18 records."""
    corpus = default_corpus()
    assert corpus.default and "templates/telemetry/sample-logs.txt" in corpus.name
    svc = resolve(web_spec(web, "production"))
    cal = calibrate(policy_of(svc).rules, corpus, "web", "/healthz")
    assert {k: (v.lines, v.floor, v.noise, v.kept, v.records) for k, v in cal.classes.items()} == {
        "health_check": (12, 0, 12, 0, 0), "success": (40, 0, 40, 0, 0),
        "other": (61, 33, 0, 28, 18)}
    # The team's drop pattern takes the two favicon warnings too.
    svc = resolve(web_spec(web, "production", drop_patterns=["Not Found: /favicon\\.ico"]))
    cal = calibrate(policy_of(svc).rules, corpus, "web", "/healthz")
    assert cal.classes["other"].noise == 2
    # Worker, python: 60 lines and 14 of its language. The floor drops 18 'received' +
    # 10 INFO + 8 DEBUG; kept 3 WARNING, 1 ERROR, 2 plain lines and the Celery failure with
    # its traceback (14 lines), in 3 + 1 + 2 + 2 = 8 records.
    worker = calibrate(policy_of(svc).rules, corpus, "worker")
    assert {k: (v.lines, v.floor, v.noise, v.records) for k, v in worker.classes.items()} == {
        "health_check": (0, 0, 0, 0), "success": (18, 18, 0, 0), "other": (56, 36, 0, 8)}
    fn = calibrate(lambda_rules("WARN"), corpus, "lambda")
    assert {k: (v.lines, v.floor, v.records) for k, v in fn.classes.items()} == {
        "health_check": (0, 0, 0), "success": (0, 0, 0), "other": (40, 34, 6)}


@pytest.mark.parametrize(("language", "lines", "other"), [
    # node: the 101 web lines and the 10 of the Node.js error (one record)
    ("node", 111, (59, 33, 0, 26, 17)),
    # java, go, other: no lines of their language in the default corpus
    ("java", 101, (49, 33, 0, 16, 16)),
    ("other", 101, (49, 33, 0, 16, 16)),
])
def test_calibration_reads_the_lines_of_the_services_language(web, language, lines, other):
    svc = resolve(web_spec({**web, "language": language}, "production"))
    cal = calibrate(policy_of(svc).rules, default_corpus(), "web", "/healthz")
    assert cal.lines == lines
    c = cal.classes["other"]
    assert (c.lines, c.floor, c.noise, c.kept, c.records) == other


def _without_joins(rules):
    """The same rules without the multiline filters: the router as it was."""
    return dataclasses.replace(rules, router=tuple(f for f in rules.router if f[0] != "multiline"))


@pytest.mark.parametrize(("env", "before", "after"), [
    # production (floor warn), before: the 28 lines kept after, one record each, and the
    # 40 KB INFO line's 3 pieces, not JSON, escaping the floor (1 line: its first piece
    # carries it); after: 28 lines in 18 records, the 40 KB line parsed and dropped.
    ("production", (29, 31), (28, 18)),
    # sandbox (floor debug): 101 lines kept (all but the health checks) in 103 records
    # before (the 40 KB line in 3), 91 after (traceback 12 -> 2, 40 KB line 3 -> 1).
    ("sandbox", (101, 103), (101, 91)),
])
def test_joined_records_cost_less_per_record_and_the_same_per_line(web, env, before, after):
    """(lines kept, records kept) on the python web lines, before and after the joins:
    the traceback's 12 lines go from 12 records to 2, the 40 KB line from 3 to 1; the lines
    (the bytes) stay, but a split JSON line no longer escapes the floor."""
    rules = policy_of(resolve(web_spec(web, env))).rules
    corpus = default_corpus()

    def kept(r):
        cal = calibrate(r, corpus, "web", "/healthz", "python")
        return (sum(c.kept for c in cal.classes.values()), sum(c.records for c in cal.classes.values()))

    assert kept(_without_joins(rules)) == before
    assert kept(rules) == after


@pytest.mark.parametrize("language", ["python", "node", "other"])
@pytest.mark.parametrize("env", ["sandbox", "staging", "production"])
def test_replay_agrees_with_the_tests_runner_record_by_record(web, env, language):
    """The cost model's replay (telemetry/cost/replay.py) and tests/pipeline.py, written
    apart, run the same rendered rules over the same lines: the same records, bodies and
    fates, one by one."""
    from golden_path.telemetry.cost.corpus import _Program

    spec = web_spec({**web, "language": language}, env,
                    drop_patterns=["^cache (hit|miss) for", "Not Found: /wp-"])
    router = render_router_config(resolve(spec))
    program = _Program(router_rules(router))
    corpus = default_corpus()
    for kind in ("web", "worker"):
        lines = list(corpus.lines_for(kind, language))
        mine = program.run_lines(lines)
        theirs = fluent_bit_lines(router, lines)
        assert len(mine) == len(theirs)
        for (dropped, message, _), (record, kept) in zip(mine, theirs, strict=True):
            assert message == record.get("message", "")
            assert (dropped is None) is kept, message[:80]


# ---- bad input: clean errors with file and line, exit 2 -----------------------------------

def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*GOLDEN_PATH, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(("change", "line", "where", "message"), [
    ({"traffic": {"requests_per_second": -1}}, "requests_per_second",
     "traffic.requests_per_second = -1", "greater than or equal to 0"),
    ({"traffic": {"requests_per_second": 1, "success_share": 1.5}}, "success_share",
     "traffic.success_share = 1.5", "less than or equal to 1"),
    ({"traffic": {"requests_per_second": 1, "success_share": 0.7, "health_check_share": 0.4}},
     "traffic:", "traffic = ", "together at most 1"),
    ({"traffic": {"invocations_per_day": 5}}, "invocations_per_day",
     "traffic.invocations_per_day = 5", "a web service's rate is requests_per_second; "
     "invocations_per_day is for Lambda functions"),
    ({"telemetry": {"sample_logs": "missing.txt"}}, "sample_logs", "telemetry.sample_logs",
     "cannot read the sample log corpus"),
])
def test_bad_service_input_is_a_clean_error(tmp_path, change, line, where, message):
    root = write_fleet(tmp_path / "fleet", {"shop": {**WEB, **change}})
    proc = run("cost", str(root))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    shop = root / "shop.yaml"
    assert f"{shop}:{line_of(shop, line)}: {where}" in proc.stderr
    assert message in proc.stderr


@pytest.mark.parametrize(("prices", "shape", "message"), [
    ({**PRICES, "currency": "EUX"}, SHAPE, "prices.currency = 'EUX': unknown currency; use an ISO 4217"),
    ({**PRICES, "logs_per_gb": -0.5}, SHAPE, "prices.logs_per_gb = -0.5"),
    ({**PRICES, "metrics_per_gb": 1}, SHAPE, "metric_points_per_million or metrics_per_gb, not both"),
    (PRICES, {**SHAPE, "error_span_share": 2}, "traffic.error_span_share = 2"),
    (PRICES, None, "golden-path cost needs log_lines_per_request, spans_per_request"),
])
def test_bad_platform_input_is_a_clean_error(tmp_path, prices, shape, message):
    root = write_fleet(tmp_path / "fleet", {"shop": WEB}, prices=prices, shape=shape)
    proc = run("cost", str(root))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr
    assert "platform.yaml:" in proc.stderr or "shop.yaml:" in proc.stderr


def test_one_fleet_one_currency(tmp_path):
    root = write_fleet(tmp_path, {"shop": WEB})
    platform = yaml.safe_load((root / "platform.yaml").read_text())
    platform["environments"]["sandbox"]["prices"] = {**PRICES, "currency": "USD"}
    (root / "platform.yaml").write_text(yaml.safe_dump(platform, sort_keys=False))
    proc = run("cost", str(root))
    assert proc.returncode == 2 and "one fleet, one currency" in proc.stderr


# ---- the CLI on the examples, and its JSON schema ------------------------------------------

def test_cost_of_the_examples_prints_the_table():
    proc = run("cost", "examples/")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "| signal | everything kept | after the policy | saved |" in out
    assert "| `storefront-production` | traces 0.1 %, logs >= info |" in out
    assert "templates/telemetry/sample-logs.txt (golden_path's default)" in out
    assert "prices in USD from examples/platform.yaml:" in out
    # price-api in production: 18 M invocations a day, 54 M START/END/REPORT lines, dropped.
    assert "| `price-api-production` | traces 0.1 %, logs >= warn, system WARN |" in out
    assert "| 54 M -> 0 |" in out
    assert "### Top 4 services by cost after the policy, per month" in out
    production = run("cost", "examples/", "--environment", "production").stdout
    assert "storefront-staging" not in production and "storefront-production" in production


def test_cost_json_follows_its_schema():
    proc = run("cost", "examples/", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    jsonschema.validate(doc, CostReport.model_json_schema())
    report = CostReport.model_validate(doc)
    assert report.currency == "USD" and len(report.stacks) == 12
    total = report.fleet[-1]
    assert total.signal == "total"
    assert total.cost_kept_per_day == pytest.approx(sum(s.cost_kept_per_day for s in report.stacks))
    assert total.kept_bytes_per_day == pytest.approx(
        sum(x.kept_bytes_per_day for s in report.stacks for x in s.signals))
    assert [t.service for t in report.top][:2] == ["storefront", "price-api"]
    storefront = next(s for s in report.stacks if s.stack == "storefront-production")
    assert storefront.assumptions["requests_per_second"].origin.startswith(
        "examples/services/storefront.yaml:")
    assert storefront.corpus.classes["success"].dropped_by_noise == 40


def test_cost_environment_with_no_service_is_a_clean_error(tmp_path):
    root = write_fleet(tmp_path, {"fn": FUNCTION})
    proc = run("cost", str(root), "--environment", "staging")
    assert proc.returncode == 2 and "no service of these files runs in this environment" in proc.stderr


def test_readme_shows_the_current_example_table(capsys):
    """README "What the policy saves" quotes `golden-path cost examples/`: keep it true."""
    from golden_path.cli import main

    assert main(["cost", "examples/"]) == 0
    out = capsys.readouterr().out
    section = (ROOT / "docs" / "cost.md").read_text()
    rows = [line for line in section.splitlines() if line.startswith("| ") and " USD" in line]
    assert len(rows) >= 14
    for row in rows:
        assert row in out, row
