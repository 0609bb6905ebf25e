"""Review rules on small hand-made synth outputs and plan JSON (no cdktf)."""

from __future__ import annotations

import json

import pytest

from golden_path.cli import main
from golden_path.review.findings import findings
from golden_path.review.plan import summarise_plan
from golden_path.review.report import COMMENT_LIMIT, ReviewModel, build, to_markdown
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
                     "masking-removed": "1 masking statement(s) removed"}


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
    big = {f"svc{i}": {f"aws_ssm_parameter.p{j}": {"value": "x" * 2000} for j in range(5)}
           for i in range(40)}
    head = {k: {a: {"value": "y" * 2000} for a in v} for k, v in big.items()}
    diffs = diff_synth(big, head)
    text = to_markdown(build(diffs, [], findings(diffs), None, []))
    assert len(text) <= COMMENT_LIMIT
    assert "stack detail block(s) left out" in text


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
