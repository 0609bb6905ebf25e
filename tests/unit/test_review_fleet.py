"""The review of a fleet-wide change: a generated fleet of 300 services (900 service
stacks and 36 team-route stacks, one per team and environment: the real synth makes 24,
leaving out the routes nothing publishes to), one line changed in the shared exporter
template, and a second e-mail for every team's alerts: 936 changed stacks. It reads as a
few changes, each once, with where it is; the comment always fits GitHub's limit; nothing
is left out without saying how much and where to read it.

The stacks are built here without cdktf (unit tests never import it) from the fleet's
real resolved services and its collector configs rendered from the real templates,
base and head, in the synthesized shape and with the construct addresses `golden-path
synth` writes; `benchmarks/review_fleet.py` runs the same change through a real synth
(924 stacks).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import time

import pytest

from conftest import ROOT
from golden_path.alerts.registry import TeamRegistry
from golden_path.cli import main
from golden_path.fleet import load_all
from golden_path.resolve import ResolvedService
from golden_path.review.findings import findings
from golden_path.review.group import where
from golden_path.review.identity import HASH, Identity, identify
from golden_path.review.report import COMMENT_LIMIT, ReviewModel, build, to_markdown
from golden_path.review.synth_diff import diff_synth
from golden_path.telemetry import render

sys.path.insert(0, str(ROOT / "benchmarks"))
from fleet_gen import generate_fleet  # noqa: E402

CONFIG_SSM = "aws_ssm_parameter.service_collector_config_parameter_7168A8F7"
TASK = "aws_ecs_task_definition.service_task_definition_FDD741E0"
CONFIG_S3 = "aws_s3_object.service_collector_config_object_6A9D77A8"
FUNCTION = "aws_lambda_function.service_function_D439E3B5"
TASK_POLICY = "aws_iam_role_policy.service_task_role_policy_73023229"
NOTIFY = "aws_sns_topic.routes_notify_28E87449"


def _rendered(services, templates) -> dict[str, str]:
    """Every service's collector config, rendered from ``templates``."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(render, "templates_dir", lambda: templates)
        render._env.cache_clear()
        render.render_collector_config.cache_clear()
        try:
            return {s.stack_name: render.render_collector_config(s) for s in services}
        finally:
            render._env.cache_clear()
            render.render_collector_config.cache_clear()


def _service_doc(service, config: str, statements: list[dict]) -> dict:
    env, name, team = service.spec.environment, service.spec.name, service.spec.team
    tags = {"environment": env, "managed-by": "golden-path", "service": name, "team": team}
    digest = hashlib.sha256(config.encode()).hexdigest()
    policy = {"name": f"{service.stack_name}-task-policy", "role": "${aws_iam_role.task.name}",
              "policy": json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)}
    if isinstance(service, ResolvedService):
        resources = {
            "aws_ssm_parameter": {CONFIG_SSM.split(".")[1]: {
                "name": f"/golden-path/{env}/{team}/{name}/otel-collector-config",
                "type": "String", "tier": "Advanced", "value": config.replace("${", "$${"),
                "tags": tags}},
            "aws_ecs_task_definition": {TASK.split(".")[1]: {
                "family": service.stack_name, "tags": tags,
                "container_definitions": json.dumps([{"name": "otel-collector", "environment": [
                    {"name": "OTELCOL_CONFIG_SHA256", "value": digest}]}])}},
            "aws_ecs_service": {"service_DB87BDF4": {"name": service.stack_name, "tags": tags}},
        }
        if service.spec.kind == "web":
            resources["aws_lb_target_group"] = {"service_target_group_6C2E5F0B": {"tags": tags}}
    else:
        resources = {
            "aws_s3_object": {CONFIG_S3.split(".")[1]: {
                "bucket": f"golden-path-config-{service.account}-{service.region}",
                "key": f"golden-path/{env}/{team}/{name}/otel-collector.yaml",
                "content": config.replace("${", "$${"), "tags": tags}},
            "aws_lambda_function": {FUNCTION.split(".")[1]: {
                "function_name": service.stack_name, "tags": tags,
                "environment": {"variables": {"OTELCOL_CONFIG_SHA256": digest}}}},
        }
    resources["aws_iam_role_policy"] = {TASK_POLICY.split(".")[1]: policy}
    return {"provider": {"aws": [{"allowed_account_ids": [service.account],
                                  "region": service.region}]}, "resource": resources}


def _team_doc(team: str, env: str, account: str, emails: list[str]) -> dict:
    tags = {"environment": env, "managed-by": "golden-path", "team": team}
    subscriptions = {f"routes_email_{i}_{hashlib.md5(str(i).encode()).hexdigest()[:8].upper()}": {
        "endpoint": e, "protocol": "email", "topic_arn": f"${{{NOTIFY}.arn}}"}
        for i, e in enumerate(emails)}
    return {"provider": {"aws": [{"allowed_account_ids": [account], "region": "eu-west-1"}]},
            "resource": {"aws_sns_topic": {NOTIFY.split(".")[1]: {
                "name": f"golden-path-{team}-{env}-notify", "tags": tags}},
                "aws_sns_topic_subscription": subscriptions}}


def _write(out, docs: dict[str, dict]) -> None:
    for name, doc in docs.items():
        (out / "stacks" / name).mkdir(parents=True, exist_ok=True)
        (out / "stacks" / name / "cdk.tf.json").write_text(json.dumps(doc, indent=2))


def _read_images(service) -> dict:
    return {"Sid": "ReadImages", "Effect": "Allow", "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{service.spec.name}-images-{service.spec.environment}/*"]}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Base and head synth outputs (cdktf.out shape) of the generated fleet: head changes
    the exporter's compression and timeout in templates/_exporter.yaml.j2 and adds a
    second e-mail to every team's alerts."""
    root = tmp_path_factory.mktemp("review-fleet")
    generate_fleet(root / "fleet", 300, seed=0)
    services = load_all([root / "fleet"], TeamRegistry.load(root / "fleet" / "teams.yaml"))
    templates = root / "templates-head"
    shutil.copytree(render.templates_dir(), templates)
    exporter = templates / "_exporter.yaml.j2"
    text = exporter.read_text()
    assert "    compression: gzip" in text and "    timeout: 10s" in text
    exporter.write_text(text.replace("    compression: gzip", "    compression: zstd")
                        .replace("    timeout: 10s", "    timeout: 15s"))
    base_configs = _rendered(services, render.templates_dir())
    head_configs = _rendered(services, templates)
    docs = {}
    for side, configs in (("base", base_configs), ("head", head_configs)):
        docs[side] = {s.stack_name: _service_doc(s, configs[s.stack_name], [_read_images(s)])
                      for s in services}
        routes = {(s.spec.team, s.spec.environment, s.account) for s in services}
        for team, env, account in routes:
            emails = [f"{team}-oncall@example.com"] + ([f"{team}-leads@example.com"]
                                                        if side == "head" else [])
            docs[side][f"team-{team}-{env}-{account}-eu-west-1"] = _team_doc(team, env, account,
                                                                             emails)
        _write(root / side, docs[side])
    return root, services, docs


def test_a_template_change_in_936_stacks_reads_as_a_few_changes(fleet, capsys):
    root, services, docs = fleet
    start = time.perf_counter()
    code = main(["review", "--base", str(root / "base"), "--head", str(root / "head"),
                 "--json-out", str(root / "review.json")])
    seconds = time.perf_counter() - start
    text = capsys.readouterr().out
    assert code == 0
    assert len(text) <= COMMENT_LIMIT
    assert "**936 stacks change** (936 changed, 0 added, 0 removed; 0 unchanged)" in text
    assert "- by environment: sandbox 312, staging 312, production 312" in text
    assert "- by kind: lambda 810, web 45, worker 45, team 36" in text
    # Each change once, with the stacks counted and said where they are.
    assert text.count("-    compression: gzip\n+    compression: zstd") == 1  # Lambda
    assert text.count("-    compression: gzip\n-    timeout: 10s\n+    compression: zstd\n"
                      "+    timeout: 15s") == 1  # ECS (Lambda's timeout is computed)
    assert "#### 1. 810 stacks: 270 services × 3 environments (sandbox, staging, production)" in text
    assert "#### 2. 90 stacks: 30 services × 3 environments (sandbox, staging, production)" in text
    assert "36 stacks: 12 teams' alert routes × 3 environments" in text
    assert ("- added `aws_sns_topic_subscription.routes_email_1_C4CA4238`: "
            '{"endpoint": "{team}-leads@example.com"') in text
    assert f"- `{FUNCTION}` `environment.variables.OTELCOL_CONFIG_SHA256`: {HASH} → {HASH} " \
           "(a digest: differs in every stack)" in text
    # What the comment shortens, the JSON report has in full.
    assert "see the JSON report, `" in text or "more" not in text
    review = ReviewModel.model_validate_json((root / "review.json").read_text())
    assert len(review.stacks) == 936
    assert sorted(len(g.stacks) for g in review.changes) == [36, 90, 90, 810, 810]
    assert seconds < 60  # benchmarks/review_fleet.py measures it (4 to 5 s on 2 cores)


def test_the_same_finding_in_three_environments_is_one_line(fleet):
    """Five services widen their task role in every environment (15 findings): each
    statement is one line naming the service and its environments; none left out."""
    _, services, docs = fleet
    widened = sorted({s.spec.name for s in services if isinstance(s, ResolvedService)})[:5]
    head = {}
    for s in services:
        statements = [_read_images(s)]
        if s.spec.name in widened:  # a bucket of each service's own, per environment
            bucket = f"media-{widened.index(s.spec.name)}-{s.spec.environment}"
            statements.append({"Sid": "WriteMedia", "Effect": "Allow", "Action": ["s3:PutObject"],
                               "Resource": [f"arn:aws:s3:::{bucket}/*"]})
        head[s.stack_name] = json.loads(json.dumps(docs["base"][s.stack_name]))
        head[s.stack_name]["resource"]["aws_iam_role_policy"][TASK_POLICY.split(".")[1]][
            "policy"] = json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)
    from golden_path.review.identity import provider_of
    from golden_path.review.synth_diff import resources_of

    names = list(head)
    diffs = diff_synth({n: resources_of(docs["base"][n]) for n in names},
                       {n: resources_of(head[n]) for n in names},
                       {n: provider_of(head[n]) for n in names})
    found = findings(diffs)
    assert sum(f.rule == "iam-widened" for f in found) == 15
    text = to_markdown(build(diffs, [], found, None, []))
    assert "- **iam-widened** (15: 5 distinct)" in text
    for i, name in enumerate(widened):
        assert (f"  - `{TASK_POLICY}`: allows s3:PutObject on arn:aws:s3:::media-{i}-"
                f"{{environment}}/* — {name} in sandbox, staging, production (3 stacks)") in text
    assert "… and" not in text.split("### Summary")[0]


def _more(text: str) -> int:
    return sum(int(n) for n in re.findall(r"… and (\d+) more", text))


@pytest.mark.parametrize("limit", [8_000, 20_000, COMMENT_LIMIT])
def test_one_stack_whose_diff_alone_passes_the_limit(limit):
    """One stack: 1,500 new statements on its role (a finding each), 2,000 changed
    parameters. The comment keeps to the limit, and says how many it leaves out."""
    base = {"storefront-production": {
        TASK_POLICY: {"policy": json.dumps({"Statement": []})},
        **{f"aws_ssm_parameter.p{i}": {"name": f"/p/{i}", "value": f"v{i}-" + "x" * 300}
           for i in range(2000)}}}
    statements = [{"Sid": f"S{i}", "Effect": "Allow", "Action": [f"s3:Get{i}"],
                   "Resource": [f"arn:aws:s3:::bucket-{i}/*"]} for i in range(1500)]
    head = {"storefront-production": {
        TASK_POLICY: {"policy": json.dumps({"Statement": statements})},
        **{f"aws_ssm_parameter.p{i}": {"name": f"/p/{i}", "value": f"w{i}-" + "y" * 300}
           for i in range(2000)}}}
    diffs = diff_synth(base, head)
    found = findings(diffs)
    text = to_markdown(build(diffs, [], found, None, []), limit)
    assert len(text) <= limit
    must = text.split("### Summary")[0]
    shown = must.count("  - `storefront-production`")
    assert shown + _more(must) == 1500  # every finding shown or counted
    assert "(see the JSON report: `golden-path review … --format json` or `--json-out FILE`)" in text
    changes = text.split("### Changes")[1]
    assert changes.count("\n- `") + _more(changes) == 3500  # 1,500 statements, 2,000 values


def test_any_limit_every_finding_and_change_is_shown_or_counted():
    """Many stacks, each with its own change and finding: at any limit the comment fits,
    and what it shows plus what it counts is everything."""
    base, head = {}, {}
    for i in range(400):
        env = ("sandbox", "staging", "production")[i % 3]
        tags = {"environment": env, "service": f"svc{i // 3}", "team": "t"}
        base[f"svc{i // 3}-{env}"] = {"aws_sqs_queue.q": {"name": "q", "tags": tags},
                                      "aws_ssm_parameter.p": {"value": "a", "tags": tags}}
        head[f"svc{i // 3}-{env}"] = {"aws_ssm_parameter.p": {"value": f"b{i}", "tags": tags}}
    diffs = diff_synth(base, head)
    review = build(diffs, [], findings(diffs), None, ["destroy"])
    for limit in (3_000, 12_000, COMMENT_LIMIT):
        text = to_markdown(review, limit)
        assert len(text) <= limit
        destroy = text.split("- **destroy**")[1].split("\n- **")[0].split("### Summary")[0]
        # The same queue destroyed everywhere: one line, 400 stacks.
        assert "(400 stacks)" in destroy and _more(destroy) == 0
        assert "Policy gate failed: `destroy`" in text


def test_identity_is_read_from_the_stack_whatever_the_environment_is_called():
    resources = {"aws_sqs_queue.q": {"name": "menu-web-prod-eu-jobs", "tags": {
        "environment": "prod-eu", "service": "menu-web", "team": "catalog"}},
        "aws_ecs_service.s": {"name": "menu-web-prod-eu"},
        "aws_lb_target_group.t": {"name": "menu-web"}}
    ident = identify("menu-web-prod-eu", resources, {"allowed_account_ids": ["123456789012"],
                                                     "region": "ap-southeast-2"})
    assert (ident.environment, ident.service, ident.team, ident.account, ident.region,
            ident.kind) == ("prod-eu", "menu-web", "catalog", "123456789012", "ap-southeast-2",
                            "web")
    assert ident.normalize("arn:aws:sqs:ap-southeast-2:123456789012:menu-web-prod-eu-jobs") == \
        "arn:aws:sqs:{region}:{account}:{stack}-jobs"
    assert ident.normalize("/golden-path/prod-eu/catalog/menu-web/x") == \
        "/golden-path/{environment}/{team}/{service}/x"
    # Only where the name stands alone: not inside a longer word.
    assert ident.normalize("menu-webhook catalogue") == "menu-webhook catalogue"
    assert ident.normalize("0f" * 32) == HASH
    assert identify("team-a-dev-1-r", {"aws_sns_topic.t": {"tags": {
        "environment": "dev", "team": "a"}}}).kind == "team"


def test_where_says_services_and_environments():
    ids = {f"{s}-{e}": Identity(f"{s}-{e}", e, s, "t")
           for s in ("a", "b", "c", "d") for e in ("dev", "live")}
    ids["x-live"] = Identity("x-live", "live", "x", "t")
    assert where(["a-dev", "a-live"], ids) == "a in dev, live"
    assert where(list(ids)[:8], ids) == "4 services × 2 environments (dev, live)"
    assert where(list(ids), ids) == "4 services × 2 environments (dev, live); x in live"
    assert where(["a-dev", "a-live"], ids, {"live": 0, "dev": 1}) == "a in live, dev"
    assert where(["hand-made"], {}) == "`hand-made`"


def test_json_out_is_named_where_the_comment_shortens(tmp_path, capsys):
    base, head = tmp_path / "base", tmp_path / "head"
    docs = {f"s{i}-production": {"resource": {"aws_ssm_parameter": {"p": {
        "value": f"v{i}", "tags": {"environment": "production", "service": f"s{i}"}}}}}
        for i in range(1000)}
    _write(base, docs)
    for doc in docs.values():
        doc["resource"]["aws_ssm_parameter"]["p"]["value"] += "-new"
    _write(head, docs)
    out = tmp_path / "review.json"
    assert main(["review", "--base", str(base), "--head", str(head), "--json-out", str(out)]) == 0
    text = capsys.readouterr().out
    assert len(text) <= COMMENT_LIMIT
    assert f"more (see the JSON report, `{out}`)" in text
    assert len(ReviewModel.model_validate_json(out.read_text()).stacks) == 1000


def test_shortened_summary_counts_say_where_the_rest_is(tmp_path, capsys):
    """25 teams change: the summary's "by team" shows 20 counts, then how many more and
    that the JSON report has them (it does: all 25)."""
    docs = {f"s{i}-production": {"resource": {"aws_ssm_parameter": {"p": {
        "value": f"v{i}", "tags": {"environment": "production", "service": f"s{i}",
                                   "team": f"team{i:02d}"}}}}} for i in range(25)}
    _write(tmp_path / "base", docs)
    for doc in docs.values():
        doc["resource"]["aws_ssm_parameter"]["p"]["value"] += "-new"
    _write(tmp_path / "head", docs)
    out = tmp_path / "review.json"
    assert main(["review", "--base", str(tmp_path / "base"), "--head", str(tmp_path / "head"),
                 "--json-out", str(out)]) == 0
    (line,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("- by team: ")]
    assert line == ("- by team: " + ", ".join(f"team{i:02d} 1" for i in range(20))
                    + f" … and 5 more (see the JSON report, `{out}`)")
    assert len(ReviewModel.model_validate_json(out.read_text()).summary.by_team) == 25
