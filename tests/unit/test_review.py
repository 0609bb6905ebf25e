"""Review rules on small hand-made synth outputs and plan JSON (no cdktf)."""

from __future__ import annotations

import json

import pytest

from golden_path.cli import main
from golden_path.review.findings import ALL_RULES, RULES, before_after, findings
from golden_path.review.plan import summarise_plan
from golden_path.review.report import COMMENT_LIMIT, MUST_NOT_MISS, ReviewModel, build, to_markdown
from golden_path.review.synth_diff import diff_synth

POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": ["arn:aws:s3:::b/*"]}]}


def stack(**resources) -> dict:
    return {"svc": {k.replace("__", "."): v for k, v in resources.items()}}


def rules(base, head) -> set[str]:
    return {f.rule for f in findings(diff_synth(base, head))}


def test_widened_and_wildcard_iam():
    widened = json.loads(json.dumps(POLICY))
    widened["Statement"].append({"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]})
    base = stack(aws_iam_role_policy__p={"policy": json.dumps(POLICY)})
    head = stack(aws_iam_role_policy__p={"policy": json.dumps(widened)})
    found = findings(diff_synth(base, head))
    assert {(f.rule, f.detail) for f in found} == {
        ("wildcard-iam", "wildcard action s3:*"), ("iam-widened", "allows s3:* on *")}


def test_new_trust_principal():
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                            "Action": "sts:AssumeRole"}]}
    wider = json.loads(json.dumps(trust))
    wider["Statement"][0]["Principal"]["AWS"] = "arn:aws:iam::999999999999:root"
    found = findings(diff_synth(stack(aws_iam_role__r={"assume_role_policy": json.dumps(trust)}),
                                stack(aws_iam_role__r={"assume_role_policy": json.dumps(wider)})))
    assert [f.detail for f in found] == ["new principal AWS: arn:aws:iam::999999999999:root"]


def test_public_ingress_and_listener_rule():
    head = stack(aws_vpc_security_group_ingress_rule__i={"cidr_ipv4": "0.0.0.0/0", "from_port": 22},
                 aws_lb_listener_rule__r={"priority": 5})
    assert rules(stack(), head) == {"public-ingress", "new-listener-rule"}


def test_paging_alarm_silenced_removed_and_changed():
    page = {"alarm_name": "a", "alarm_actions": ["arn:aws:sns:r:1:t-production-page"],
            "threshold": 5, "tags": {"severity": "critical"}}
    silenced = {**page, "alarm_actions": ["arn:aws:sns:r:1:t-production-notify"],
                "tags": {"severity": "warning"}}
    assert rules(stack(aws_cloudwatch_metric_alarm__a=page),
                 stack(aws_cloudwatch_metric_alarm__a=silenced)) == {
        "paging-alarm-removed", "alarm-changed"}
    assert rules(stack(aws_cloudwatch_metric_alarm__a=page), stack()) == {
        "paging-alarm-removed", "destroy"}


def test_stateful_destroy():
    assert rules(stack(aws_sqs_queue__q={"name": "q"}), stack()) == {"destroy", "stateful-destroy"}


def collector(sampling: float, statements: list[str]) -> str:
    return json.dumps({"processors": {
        "probabilistic_sampler": {"sampling_percentage": sampling},
        "filter/noise": {"logs": {"log_record": ["a"]}},
        "transform/mask": {"log_statements": [{"context": "log", "statements": statements}]}}})


def test_telemetry_changes_in_the_collector_config():
    base = stack(aws_ssm_parameter__c={"name": "/x/otel-collector-config",
                                       "value": collector(0.1, ["m1", "m2"])})
    head = stack(aws_ssm_parameter__c={"name": "/x/otel-collector-config",
                                       "value": collector(5, ["m1"])})
    found = {f.rule: f.detail for f in findings(diff_synth(base, head))}
    assert found == {"sampling-changed": "traces kept: 0.1 % -> 5 %",
                     "masking-removed": "1 masking statement(s) removed: m2"}


def test_telemetry_changes_in_the_0_159_shapes():
    """log_conditions (log.-prefixed) and log masking in transform/mask_logs, as rendered
    since collector 0.159, are read like the old shapes."""
    def config(conditions, body_keys):
        return json.dumps({"processors": {
            "filter/noise": {"log_conditions": conditions},
            "transform/mask_logs": {"log_statements": [{"context": "log", "statements": [
                f'delete_matching_keys(body, "(?i)^({body_keys})$$") where IsMap(body)']}]}}})

    base = stack(aws_ssm_parameter__c={"name": "/x/otel-collector-self-config",
                                       "value": config(['IsMatch(log.body, "a")'], "password|pin")})
    head = stack(aws_ssm_parameter__c={"name": "/x/otel-collector-self-config",
                                       "value": config([], "password")})
    found = {f.rule: f.detail for f in findings(diff_synth(base, head))}
    assert set(found) == {"log-filters-changed", "masking-removed"}
    assert "pin" in found["masking-removed"]


REGISTRY = "444455556666.dkr.ecr.eu-west-1.amazonaws.com"


def task(image: str) -> dict:
    return {"container_definitions": json.dumps([{"name": "app", "image": image}])}


@pytest.mark.parametrize(("new", "detail"), [
    ("storefront:2024.12.0", "app: …/storefront:2024.11.3 -> …/storefront:2024.12.0"),
    ("storefront@sha256:" + "0f" * 32,
     "app: …/storefront:2024.11.3 -> …/storefront@sha256:" + "0f" * 32),
], ids=["tag", "digest"])
def test_image_change_shows_the_new_tag_or_digest(new, detail):
    base = stack(aws_ecs_task_definition__t=task(f"{REGISTRY}/storefront:2024.11.3"))
    head = stack(aws_ecs_task_definition__t=task(f"{REGISTRY}/{new}"))
    diffs = diff_synth(base, head)
    (found,) = findings(diffs)
    assert (found.rule, found.detail) == ("image-changed", detail)
    # The comment line is never cut, however long the digest.
    assert f"`aws_ecs_task_definition.t`: {detail}\n" in to_markdown(build(diffs, [], [found], None, []))


def test_function_artifact_change_cuts_only_the_shared_parts():
    key = "golden-path-artifacts/production/checkout/price-api/{}/lambda-function-bundle.zip"
    found = findings(diff_synth(stack(aws_lambda_function__f={"s3_key": key.format("2024.11.3")}),
                                stack(aws_lambda_function__f={"s3_key": key.format("2024.12.0")})))
    assert [(f.rule, f.detail) for f in found] == [
        ("image-changed", "s3_key: …/2024.11.3/lambda-function-bundle.zip -> "
                          "…/2024.12.0/lambda-function-bundle.zip")]
    # Short enough: nothing is cut.
    assert before_after("s3_key: ", "f/a/1.zip", "f/a/2.zip") == "s3_key: f/a/1.zip -> f/a/2.zip"


@pytest.mark.parametrize(("before", "after"), [
    ("x" * 80 + "/a/" + "y" * 40, "x" * 80 + "/b/" + "y" * 40),
    ("x" * 80 + "/a", "x" * 80 + "/a/b"),
    ("x" * 80 + "/a/b", "x" * 80 + "/a"),
    ("p" * 90, "q" * 90),
    (None, "z" * 120),
])
def test_before_after_never_cuts_the_changed_part(before, after):
    text = before_after("k: ", before, after)
    shown = text.removeprefix("k: ").split(" -> ")
    b, a = str(before), str(after)
    p = 0
    while p < min(len(b), len(a)) and b[p] == a[p]:
        p += 1
    s = 0
    while s < min(len(b), len(a)) - p and b[-1 - s] == a[-1 - s]:
        s += 1
    for full, seen in zip((b, a), shown, strict=True):
        assert full[p:len(full) - s] in seen and seen.strip("…") in full
    assert len(text) <= 100 or len(text) <= len(f"k: {b} -> {a}")


PAGE = "arn:aws:sns:eu-west-1:1:golden-path-checkout-production-page"
NOTIFY = "arn:aws:sns:eu-west-1:1:golden-path-checkout-production-notify"


def test_alarms_added_and_removed_name_whom_they_page_or_notify():
    paging = {"alarm_name": "production-checkout-storefront-http-5xx-rate",
              "alarm_actions": [PAGE, NOTIFY]}
    notifying = {"alarm_name": "production-checkout-storefront-cpu-high", "alarm_actions": [NOTIFY]}
    found = findings(diff_synth(stack(aws_cloudwatch_metric_alarm__a=paging,
                                      aws_cloudwatch_metric_alarm__b=notifying), stack()))
    assert {(f.rule, f.detail) for f in found if f.rule != "destroy"} == {
        ("paging-alarm-removed", "production-checkout-storefront-http-5xx-rate removed (paged "
                                 "golden-path-checkout-production-page, notified "
                                 "golden-path-checkout-production-notify)"),
        ("alarm-removed", "production-checkout-storefront-cpu-high removed (notified "
                          "golden-path-checkout-production-notify)")}
    token = {**notifying, "alarm_actions": ["${aws_sns_topic.pager.arn}"]}
    found = findings(diff_synth(stack(), stack(aws_cloudwatch_metric_alarm__a=paging,
                                                aws_cloudwatch_metric_alarm__b=token)))
    assert sorted((f.rule, f.detail) for f in found) == [
        ("alarm-added", "production-checkout-storefront-cpu-high added (notifies pager)"),
        ("alarm-added", "production-checkout-storefront-http-5xx-rate added (pages "
                        "golden-path-checkout-production-page, notifies "
                        "golden-path-checkout-production-notify)")]
    assert {"alarm-added", "alarm-removed"} <= set(MUST_NOT_MISS)


def test_alarm_routing_change_names_the_topics():
    alarm = {"alarm_name": "a", "alarm_actions": [PAGE, NOTIFY]}
    found = findings(diff_synth(stack(aws_cloudwatch_metric_alarm__a=alarm),
                                stack(aws_cloudwatch_metric_alarm__a={**alarm,
                                                                      "alarm_actions": [NOTIFY]})))
    assert [(f.rule, f.detail) for f in found] == [
        ("paging-alarm-removed", "a no longer pages (notifies golden-path-checkout-production-notify)"),
        ("alarm-changed", "a: pages golden-path-checkout-production-page, notifies "
                          "golden-path-checkout-production-notify -> notifies "
                          "golden-path-checkout-production-notify")]


FLUENT_BIT = """# Fluent Bit config for s.
# Log floor: {floor}.
[FILTER]
    Name          grep
    Match         app-firelens-*
    Exclude       level (?i)^({levels})$
{excludes}
"""


def fluent_bit(floor: str, levels: str, excludes: list[str]) -> dict:
    return {"name": "/x/fluent-bit-config", "value": FLUENT_BIT.format(
        floor=floor, levels=levels, excludes="\n".join(f"    Exclude       message {e}" for e in excludes))}


def test_fluent_bit_floor_and_noise_changes_show_old_and_new():
    noise = ["ELB-HealthChecker/", "GET /healthz/"]
    base = stack(aws_ssm_parameter__f=fluent_bit("info", "trace|debug", noise))
    head = stack(aws_ssm_parameter__f=fluent_bit("warn", "trace|debug|info", ["GET /healthz/", "favicon"]))
    found = [(f.rule, f.detail) for f in findings(diff_synth(base, head))]
    assert found == [
        ("log-filters-changed", "log floor: info -> warn"),
        ("log-filters-changed", "Fluent Bit noise excludes; added message favicon; "
                                "removed message ELB-HealthChecker/")]
    # The same floor with a new level exclude is a noise change.
    head = stack(aws_ssm_parameter__f=fluent_bit("info", "trace", noise))
    assert [f.detail for f in findings(diff_synth(base, head))] == [
        "Fluent Bit noise excludes; added level (?i)^(trace)$; removed level (?i)^(trace|debug)$"]


def otel(floor: str, conditions: list[str], statements: list[str]) -> dict:
    return {"name": "/x/otel-collector-config", "value": f"# Log floor: {floor}.\n" + json.dumps({
        "processors": {"filter/noise": {"logs": {"log_record": conditions}},
                       "transform/mask": {"log_statements": [{"context": "log",
                                                              "statements": statements}]}}})}


def test_collector_floor_filters_and_masking_show_what_went():
    keys = 'delete_matching_keys(attributes, "(?i)^(password|set\\\\-cookie|user\\\\.email)$$")'
    fewer = 'delete_matching_keys(attributes, "(?i)^(password)$$")'
    bearer = ('replace_pattern(body, "(?i)(bearer\\\\s+)[A-Za-z0-9._~+/=-]+", "$${1}****") '
              'where IsString(body)')
    severity = "severity_number < SEVERITY_NUMBER_{}"
    elb = 'IsString(body) and IsMatch(body, "ELB-HealthChecker/")'
    base = stack(aws_ssm_parameter__c=otel("info", [severity.format("INFO"), elb],
                                           [keys, bearer]))
    head = stack(aws_ssm_parameter__c=otel("warn", [severity.format("WARN"),
                                                     'IsString(body) and IsMatch(body, "favicon")'],
                                           [fewer]))
    found = [(f.rule, f.detail) for f in findings(diff_synth(base, head))]
    assert found == [
        ("log-filters-changed", "log floor: info -> warn"),
        ("log-filters-changed", 'log filters: 1 -> 1 conditions; added IsMatch(body, "favicon"); '
                                'removed IsMatch(body, "ELB-HealthChecker/")'),
        ("masking-removed", "masked keys removed: set-cookie, user.email; 1 masking statement(s) "
                            'removed: replace_pattern(body, "(?i)(bearer\\\\s+)[A-Za-z0-9._~+/=-]+"…')]


def test_fail_on_rules_are_listed_in_help_and_readme(capsys):
    with pytest.raises(SystemExit):
        main(["review", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert set(ALL_RULES) == {*RULES, "checkov-new-failures", "checkov-skip-added"} == set(
        MUST_NOT_MISS)
    from pathlib import Path

    readme = Path(__file__).parents[2].joinpath("docs", "reference", "fail-on-rules.md").read_text()
    section = readme  # generated from ALL_RULES (golden_path/reference)
    for rule, meaning in ALL_RULES.items():
        assert rule in text.split("(exit 1):")[1].split("(meanings below)")[0]
        assert f"{rule} {' '.join(meaning.split())}" in text
        assert f"| `{rule}` | {meaning} |" in section


def test_recursion_guard_changed_or_removed():
    guard = {"function_name": "${aws_lambda_function.f.function_name}", "recursive_loop": "Terminate"}
    allow = {**guard, "recursive_loop": "Allow"}
    found = findings(diff_synth(stack(aws_lambda_function_recursion_config__g=guard),
                                stack(aws_lambda_function_recursion_config__g=allow)))
    assert [(f.rule, f.detail) for f in found] == [
        ("recursion-guard-changed",
         "recursive_loop Terminate -> Allow: Lambda no longer stops detected loops")]
    removed = rules(stack(aws_lambda_function_recursion_config__g=guard), stack())
    assert removed == {"recursion-guard-changed", "destroy"}
    # A new function with its guard on is not a finding.
    assert rules(stack(), stack(aws_lambda_function_recursion_config__g=guard)) == set()


def test_permissions_boundary_removed():
    role = {"name": "r", "permissions_boundary": "arn:aws:iam::111122223333:policy/boundary"}
    found = findings(diff_synth(stack(aws_iam_role__r=role),
                                stack(aws_iam_role__r={"name": "r"})))
    assert [(f.rule, f.detail) for f in found] == [
        ("boundary-changed", "permissions boundary arn:aws:iam::111122223333:policy/boundary -> None")]


def test_attribute_diff_parses_json_strings():
    base = stack(aws_ecs_task_definition__t={"container_definitions": json.dumps(
        [{"name": "app", "image": "repo/app:1", "cpu": 256}])})
    head = stack(aws_ecs_task_definition__t={"container_definitions": json.dumps(
        [{"name": "app", "image": "repo/app:2", "cpu": 256}])})
    (d,) = diff_synth(base, head)
    (change,) = d.changed
    assert [(c.path, c.before, c.after) for c in change.changes] == [
        ("container_definitions[app].image", "repo/app:1", "repo/app:2")]
    assert rules(base, head) == {"image-changed"}


PLAN = {"resource_changes": [
    {"address": "aws_ecs_service.s", "type": "aws_ecs_service",
     "change": {"actions": ["update"]}},
    {"address": "aws_lb_target_group.t", "type": "aws_lb_target_group",
     "action_reason": "replace_because_cannot_update",
     "change": {"actions": ["delete", "create"], "replace_paths": [["name"]]}},
    {"address": "aws_sqs_queue.q", "type": "aws_sqs_queue", "change": {"actions": ["delete"]}},
    {"address": "aws_iam_role.r", "type": "aws_iam_role", "change": {"actions": ["create"]}},
]}


def test_plan_summary(tmp_path):
    path = tmp_path / "storefront-production.json"
    path.write_text(json.dumps(PLAN))
    summary, found = summarise_plan(path)
    assert (summary.create, summary.update, summary.delete, summary.replace) == (1, 1, 1, 1)
    assert summary.replacements == [{"address": "aws_lb_target_group.t",
                                     "replace_paths": [["name"]],
                                     "action_reason": "replace_because_cannot_update"}]
    assert {(f.rule, f.resource) for f in found} == {
        ("destroy", "aws_lb_target_group.t"), ("destroy", "aws_sqs_queue.q"),
        ("stateful-destroy", "aws_sqs_queue.q")}


def test_fail_on_sets_the_exit_code(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PLAN))
    assert main(["review", "--plan", str(path), "--fail-on", "wildcard-iam"]) == 0
    assert main(["review", "--plan", str(path), "--fail-on", "destroy,wildcard-iam"]) == 1
    assert "Policy gate failed: `destroy`" in capsys.readouterr().out
    assert main(["review", "--plan", str(path), "--fail-on", "everything"]) == 2


def test_json_form_follows_the_schema(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(PLAN))
    main(["review", "--plan", str(path), "--format", "json"])
    review = ReviewModel.model_validate_json(capsys.readouterr().out)
    assert review.plans[0].replace == 1
    schema = ReviewModel.model_json_schema()
    assert set(schema["required"]) == {"stacks", "plans", "findings", "checkov_new_failures",
                                       "fired"}


def test_markdown_stays_under_the_comment_limit():
    """400 stacks, each with its own 5 changes: the comment fits, and says how many
    groups of stacks it leaves out and where to read them."""
    big = {f"svc{i}": {f"aws_ssm_parameter.p{j}": {"value": "x" * 2000} for j in range(5)}
           for i in range(400)}
    head = {k: {a: {"value": f"{i}-{a}-" + "y" * 2000} for a in v}
            for i, (k, v) in enumerate(big.items())}
    diffs = diff_synth(big, head)
    text = to_markdown(build(diffs, [], findings(diffs), None, []))
    assert len(text) <= COMMENT_LIMIT
    assert "more group(s) of stacks (see the JSON report: `golden-path review … --format json` " \
           "or `--json-out FILE`)" in text


def test_identical_changes_are_grouped_in_the_json_form():
    tags = {"environment": "production"}
    base = {f"svc{i}-production": {"aws_sqs_queue.q": {
        "name": f"svc{i}-production-jobs", "tags": {**tags, "service": f"svc{i}"}}} for i in range(5)}
    head = {k: {"aws_sqs_queue.q": {**v["aws_sqs_queue.q"], "name": f"{k}-tasks"}}
            for k, v in base.items()}
    review = build(diff_synth(base, head), [], [], None, [])
    (group,) = review.changes
    assert (group.path, group.before, group.after) == ("name", "{stack}-jobs", "{stack}-tasks")
    assert group.where == "5 services in production"
    assert review.summary.by_environment == {"production": 5}


@pytest.fixture
def fixed_review():
    base = stack(aws_iam_role_policy__p={"policy": json.dumps(POLICY)},
                 aws_sqs_queue__q={"name": "q"})
    widened = json.loads(json.dumps(POLICY))
    widened["Statement"].append({"Effect": "Allow", "Action": ["kms:Decrypt"],
                                 "Resource": ["arn:aws:kms:eu-west-1:1:key/k"]})
    head = stack(aws_iam_role_policy__p={"policy": json.dumps(widened)},
                 aws_lb_listener_rule__r={"priority": 7})
    diffs = diff_synth(base, head)
    return build(diffs, [], findings(diffs), None, ["destroy"])


def test_markdown_of_a_fixed_fixture(fixed_review, snapshot):
    assert to_markdown(fixed_review) == snapshot


def _fleet_stack(service: str, env: str, account: str, *, timeout: str, put: bool) -> dict:
    tags = {"environment": env, "service": service, "team": "catalog"}
    statements = [{"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"],
                   "Resource": [f"arn:aws:s3:::menu-images-{env}/*"]}]
    if put:
        statements.append({"Sid": "Write", "Effect": "Allow", "Action": ["s3:PutObject"],
                           "Resource": [f"arn:aws:s3:::menu-images-{env}/*"]})
    config = (f"# Collector for {service} ({env}).\nexporters:\n  otlp_http/vendor:\n"
              f"    endpoint: https://otlp.example.com\n    timeout: {timeout}\n"
              f"    # {service}-{env} in {account}\n")
    return {
        "aws_iam_role_policy.service_task_role_policy_73023229": {
            "name": f"{service}-{env}-task-policy", "tags": tags,
            "policy": json.dumps({"Version": "2012-10-17", "Statement": statements})},
        "aws_ssm_parameter.service_collector_config_parameter_7168A8F7": {
            "name": f"/golden-path/{env}/catalog/{service}/otel-collector-config",
            "value": config, "tags": tags},
    }


def test_markdown_of_a_grouped_fleet_change(snapshot):
    """Two services in three environments (their own accounts): one template line changed
    everywhere, and menu-web's task role widened in every environment. Each change once."""
    accounts = {"sandbox": "111122223333", "staging": "222233334444",
                "production": "444455556666"}
    base, head, providers = {}, {}, {}
    for service in ("menu-web", "price-api"):
        for env, account in accounts.items():
            name = f"{service}-{env}"
            base[name] = _fleet_stack(service, env, account, timeout="10s", put=False)
            head[name] = _fleet_stack(service, env, account, timeout="15s",
                                      put=service == "menu-web")
            providers[name] = {"allowed_account_ids": [account], "region": "eu-west-1"}
    diffs = diff_synth(base, head, providers)
    text = to_markdown(build(diffs, [], findings(diffs), None, []))
    assert ("allows s3:PutObject on arn:aws:s3:::menu-images-{environment}/* — menu-web in "
            "sandbox, staging, production (3 stacks)") in text
    assert text.count("+    timeout: 15s") == 1
    assert text == snapshot
