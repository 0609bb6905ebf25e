"""`golden-path drift` on plan JSON in the shapes Terraform 1.x writes: `terraform show
-json PLAN` (a `resource_drift` array, each change with the prior state in `before` and
the state refreshed from AWS in `after`) and `terraform plan -json` (streamed
`resource_drift` messages, no values)."""

from __future__ import annotations

import copy
import json

import pytest

from golden_path.cli import main
from golden_path.review.drift import SENSITIVE, read_plans, stack_name, to_markdown
from golden_path.review.report import COMMENT_LIMIT

PROVIDER = "registry.terraform.io/hashicorp/aws"
ACCOUNTS = {"sandbox": "111122223333", "staging": "222233334444", "production": "444455556666"}
SERVICE = "aws_ecs_service.service_DB87BDF4"
POLICY = "aws_iam_role_policy.service_task_role_policy_73023229"
ALARM = "aws_cloudwatch_metric_alarm.service_alarm_cpu-high_alarm_16AA6E17"
SECRET = "aws_ssm_parameter.service_api_key_7D1E3C2A"


def tags(env: str, extra: dict | None = None) -> dict:
    return {"environment": env, "managed-by": "golden-path", "service": "storefront",
            "team": "checkout", **(extra or {})}


def service_state(env: str, desired: int = 2, extra_tags: dict | None = None) -> dict:
    account = ACCOUNTS[env]
    t = tags(env, extra_tags)
    return {"cluster": f"arn:aws:ecs:eu-west-1:{account}:cluster/main", "desired_count": desired,
            "id": f"arn:aws:ecs:eu-west-1:{account}:service/main/storefront-{env}",
            "launch_type": "FARGATE", "name": f"storefront-{env}", "tags": t,
            "tags_all": {**t, "cost-center": "product-engineering", "owner": "platform-team"}}


def policy_state(env: str, statements: list[dict], indent: int | None = None) -> dict:
    doc = {"Version": "2012-10-17", "Statement": statements}
    return {"id": f"storefront-{env}-task:storefront-{env}-task-policy",
            "name": f"storefront-{env}-task-policy", "role": f"storefront-{env}-task",
            "policy": json.dumps(doc, indent=indent)}


def read_images(env: str) -> dict:
    return {"Sid": "ReadProductImages", "Effect": "Allow", "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::product-images-{env}/*"]}


def drift_entry(address: str, before: dict | None, after: dict | None, *,
                sensitive: dict | None = None) -> dict:
    rtype, name = address.split(".", 1)
    return {"address": address, "mode": "managed", "type": rtype, "name": name,
            "provider_name": PROVIDER,
            "change": {"actions": ["update"] if after is not None else ["delete"],
                       "before": before, "after": after, "after_unknown": {},
                       "before_sensitive": sensitive or {}, "after_sensitive": sensitive or {}}}


def planned_changes(drift: list[dict]) -> list[dict]:
    """The resource_changes Terraform plans for ``drift``: back to main's values (an
    update), or created again where the resource was deleted in AWS."""
    return [{"address": d["address"], "mode": "managed", "type": d["type"], "name": d["name"],
             "provider_name": PROVIDER,
             "change": {"actions": ["update"] if d["change"]["after"] is not None else ["create"],
                        "before": d["change"]["after"], "after": d["change"]["before"],
                        "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}}
            for d in drift]


def show_json(env: str, drift: list[dict]) -> dict:
    """`terraform show -json plan.out` of storefront in ``env`` (abridged to what matters:
    the top-level keys Terraform 1.9 writes, the prior state, the provider config)."""
    state = [{"address": SERVICE, "mode": "managed", "type": "aws_ecs_service",
              "name": "service_DB87BDF4", "provider_name": PROVIDER, "schema_version": 1,
              "values": service_state(env), "sensitive_values": {"tags": {}, "tags_all": {}}}]
    return {
        "format_version": "1.2", "terraform_version": "1.9.8",
        "planned_values": {"root_module": {"resources": []}},
        "resource_drift": drift,
        "resource_changes": planned_changes(drift),
        "prior_state": {"format_version": "1.0", "terraform_version": "1.9.8",
                        "values": {"root_module": {"resources": state}}},
        "configuration": {"provider_config": {"aws": {
            "name": "aws", "full_name": PROVIDER, "version_constraint": "6.25.0",
            "expressions": {"allowed_account_ids": {"constant_value": [ACCOUNTS[env]]},
                            "region": {"constant_value": "eu-west-1"}}}},
            "root_module": {}},
        "timestamp": "2026-11-26T08:00:00Z", "applyable": True, "complete": True,
        "errored": False,
    }


def write(tmp_path, name: str, doc) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return str(path)


@pytest.fixture
def fleet_plans(tmp_path):
    """storefront in three environments: someone scaled staging and production by hand
    (6 tasks) and tagged both; production also lost an alarm, and its policy gained a
    statement in the console; sandbox is clean."""
    hotfix = {"hotfix": "INC-4711"}
    plans = []
    for env in ("staging", "production"):
        drift = [drift_entry(SERVICE, service_state(env), service_state(env, 6, hotfix))]
        if env == "production":
            wide = {"Sid": "Console", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
            drift.append(drift_entry(POLICY, policy_state(env, [read_images(env)]),
                                     policy_state(env, [read_images(env), wide], indent=None)))
            drift.append(drift_entry(ALARM, {"alarm_name": "production-checkout-storefront-cpu-high",
                                             "threshold": 80}, None))
        plans.append(write(tmp_path, f"storefront-{env}.plan.json", show_json(env, drift)))
    plans.append(write(tmp_path, "storefront-sandbox.json", show_json("sandbox", [])))
    return plans


def test_drift_json_contract_and_grouping(fleet_plans, capsys):
    assert main(["drift", *fleet_plans, "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"stacks", "groups", "drifted_stacks"}
    assert out["drifted_stacks"] == 2
    assert [s["stack"] for s in out["stacks"]] == ["storefront-production", "storefront-staging"]
    for s in out["stacks"]:
        for r in s["resources"]:
            assert set(r) == {"address", "type", "attribute", "aws", "main"}
    staging = {(r["address"], r["attribute"]): (r["aws"], r["main"])
               for r in out["stacks"][1]["resources"]}
    assert staging == {(SERVICE, "desired_count"): (6, 2),
                       (SERVICE, "tags.hotfix"): ("INC-4711", None)}  # tags_all: shown once
    production = {(r["address"], r["attribute"]): (r["aws"], r["main"])
                  for r in out["stacks"][0]["resources"]}
    assert production[(POLICY, "policy.Statement[Console]")] == (
        {"Sid": "Console", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}, None)
    # Deleted in AWS: the whole resource, as main has it.
    assert production[(ALARM, "")] == (None, {"alarm_name": "production-checkout-storefront-cpu-high",
                                              "threshold": 80})
    # The same drift in two environments is one group.
    (desired,) = [g for g in out["groups"] if g["attribute"] == "desired_count"]
    assert desired["stacks"] == ["storefront-production", "storefront-staging"]
    assert desired["where"] == "storefront in staging, production"
    assert (desired["aws"], desired["main"], desired["type"]) == (6, 2, "aws_ecs_service")


def test_drift_markdown(fleet_plans, capsys):
    assert main(["drift", *fleet_plans]) == 1
    text = capsys.readouterr().out
    assert "**2 of 3 stack(s) differ from main**" in text
    assert (f"- `{SERVICE}` `desired_count`: AWS 6, main 2 — storefront in staging, production "
            "(2 stacks)") in text
    assert f"- `{ALARM}` deleted in AWS — `storefront-production`" in text


def test_a_policy_written_differently_is_not_drift(tmp_path):
    before = policy_state("staging", [read_images("staging")])
    after = policy_state("staging", [read_images("staging")], indent=4)  # AWS's formatting
    path = write(tmp_path, "storefront-staging.json",
                 show_json("staging", [drift_entry(POLICY, before, after)]))
    (stack,) = read_plans([path])
    assert stack.resources == []


def test_sensitive_values_are_never_printed(tmp_path, capsys):
    before = {"name": "/storefront/api-key", "type": "SecureString", "value": "old-secret-1"}
    after = {**before, "value": "new-secret-2"}
    path = write(tmp_path, "storefront-staging.json", show_json("staging", [
        drift_entry(SECRET, before, after, sensitive={"value": True})]))
    for fmt in ("json", "markdown"):
        assert main(["drift", path, "--format", fmt]) == 1
        text = capsys.readouterr().out
        assert "secret-1" not in text and "secret-2" not in text
    (stack,) = read_plans([path])
    assert [(r.attribute, r.aws, r.main) for r in stack.resources] == [
        ("value", SENSITIVE, SENSITIVE)]


STREAMED = [
    {"@level": "info", "@message": "Terraform 1.9.8", "@module": "terraform.ui",
     "@timestamp": "2026-11-26T08:00:00.000000Z", "terraform": "1.9.8", "type": "version",
     "ui": "1.2"},
    {"@level": "info", "@message": f"{SERVICE}: Refreshing state... [id=storefront-staging]",
     "@module": "terraform.ui", "@timestamp": "2026-11-26T08:00:01.000000Z",
     "hook": {"resource": {"addr": SERVICE, "module": "", "resource": SERVICE,
                           "implied_provider": "aws", "resource_type": "aws_ecs_service",
                           "resource_name": "service_DB87BDF4", "resource_key": None},
              "id_key": "id", "id_value": "storefront-staging"}, "type": "refresh_start"},
    {"@level": "info", "@message": f"{SERVICE}: Drift detected (update)",
     "@module": "terraform.ui", "@timestamp": "2026-11-26T08:00:02.000000Z",
     "change": {"resource": {"addr": SERVICE, "module": "", "resource": SERVICE,
                             "implied_provider": "aws", "resource_type": "aws_ecs_service",
                             "resource_name": "service_DB87BDF4", "resource_key": None},
                "action": "update"}, "type": "resource_drift"},
    {"@level": "info", "@message": "Plan: 0 to add, 1 to change, 0 to destroy.",
     "@module": "terraform.ui", "@timestamp": "2026-11-26T08:00:03.000000Z",
     "changes": {"add": 0, "change": 1, "import": 0, "remove": 0, "operation": "plan"},
     "type": "change_summary"},
]


def test_streamed_plan_log_names_the_resource(tmp_path, capsys):
    path = write(tmp_path, "storefront-staging/plan.json",
                 "\n".join(json.dumps(m) for m in STREAMED) + "\n")
    assert main(["drift", path, "--format", "json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["stacks"] == [{"stack": "storefront-staging", "resources": [
        {"address": SERVICE, "type": "aws_ecs_service", "attribute": "", "aws": None,
         "main": None}]}]
    assert main(["drift", path]) == 1
    assert "Terraform streams no values" in capsys.readouterr().out


def test_no_drift_exits_0(tmp_path, capsys):
    clean = [m for m in STREAMED if m["type"] != "resource_drift"]
    paths = [write(tmp_path, "a.json", "\n".join(json.dumps(m) for m in clean)),
             write(tmp_path, "b.json", show_json("sandbox", []))]
    assert main(["drift", *paths]) == 0
    assert "No drift" in capsys.readouterr().out
    assert main(["drift", *paths, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"stacks": [], "groups": [],
                                                   "drifted_stacks": 0}


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("s.json", "not json at all\n", "line 1 is not JSON"),
    ("s.json", "", "empty"),
    ("s.json", json.dumps({"resource": {"aws_sqs_queue": {}}}), "not Terraform plan JSON"),
    ("s.json", json.dumps([1, 2]), "not an object"),
    ("s.json", json.dumps({"format_version": "1.2", "resource_drift": {"a": 1}}),
     "resource_drift is not a list"),
    ("s.json", json.dumps({"@level": "error", "@message": "Error: No valid credential sources",
                           "type": "diagnostic", "diagnostic": {
                               "severity": "error", "summary": "No valid credential sources"}}),
     "the plan failed: No valid credential sources"),
], ids=["text", "empty", "synth-output", "list", "bad-drift", "plan-error"])
def test_bad_input_is_one_line_naming_the_file(tmp_path, capsys, name, content, reason):
    path = write(tmp_path, name, content)
    assert main(["drift", path]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and path in err and reason in err


def test_missing_file_and_two_plans_of_one_stack(tmp_path, capsys):
    assert main(["drift", str(tmp_path / "nope.json")]) == 2
    assert "nope.json: no such file" in capsys.readouterr().err
    a = write(tmp_path, "x/storefront-staging.json", show_json("staging", []))
    b = write(tmp_path, "storefront-staging/plan.json", show_json("staging", []))
    assert main(["drift", a, b]) == 2
    assert "a second plan for stack storefront-staging" in capsys.readouterr().err


def test_stack_names(tmp_path):
    from pathlib import Path

    assert stack_name(Path("plans/storefront-production.plan.json")) == "storefront-production"
    assert stack_name(Path("plans/storefront-production.tfplan.json")) == "storefront-production"
    assert stack_name(Path("plans/storefront-production.json")) == "storefront-production"
    assert stack_name(tmp_path / "storefront-staging" / "plan.json") == "storefront-staging"
    assert stack_name(tmp_path / "storefront-staging" / "tfplan.json") == "storefront-staging"


def test_a_folder_of_plans(fleet_plans, tmp_path, capsys):
    assert main(["drift", str(tmp_path), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["drifted_stacks"] == 2


def test_markdown_of_a_fleet_wide_drift_fits_the_comment_limit(tmp_path):
    """900 stacks, each with its own drift (a value only it has): every line is distinct,
    and the comment says how many it leaves out."""
    paths = []
    for i in range(900):
        env = ("sandbox", "staging", "production")[i % 3]
        before = service_state(env)
        doc = show_json(env, [drift_entry(SERVICE, before, {**copy.deepcopy(before),
                                                             "desired_count": 100 + i})])
        paths.append(write(tmp_path, f"svc{i:03}-{env}.json", doc))
    stacks = read_plans(paths)
    text = to_markdown(stacks)
    assert len(text) <= COMMENT_LIMIT
    assert "more (see the JSON report: `golden-path drift … --format json`)" in text
#: The resource_drift of `terraform show -json` (Terraform 1.11.4, hashicorp/aws 5.100.0) after
#: a queue's visibility timeout and tags and a SecureString's value were changed behind
#: Terraform's back (in the local AWS emulator); verbatim but for the emulator's port.
REAL_DRIFT = json.loads(
    '[{"address": "aws_sqs_queue.q", "mode": "managed", "type": "aws_sqs_queue", "name": "q", '
    '"provider_name": "registry.terraform.io/hashicorp/aws", "change": {"actions": ["update"], '
    '"before": {"arn": "arn:aws:sqs:eu-west-1:444455556666:svc-a-production-jobs", '
    '"content_based_deduplication": false, "deduplication_scope": "", "delay_seconds": 0, '
    '"fifo_queue": false, "fifo_throughput_limit": "", "id": '
    '"http://127.0.0.1:4566/444455556666/svc-a-production-jobs", '
    '"kms_data_key_reuse_period_seconds": 300, "kms_master_key_id": "", "max_message_size": '
    '262144, "message_retention_seconds": 345600, "name": "svc-a-production-jobs", "name_prefix":'
    ' "", "policy": "", "receive_wait_time_seconds": 0, "redrive_allow_policy": "", '
    '"redrive_policy": "", "sqs_managed_sse_enabled": true, "tags": {"environment": "production",'
    ' "service": "svc-a", "team": "t"}, "tags_all": {"environment": "production", "owner": '
    '"platform-team", "service": "svc-a", "team": "t"}, "timeouts": null, "url": '
    '"http://127.0.0.1:4566/444455556666/svc-a-production-jobs", "visibility_timeout_seconds": '
    '30}, "after": {"arn": "arn:aws:sqs:eu-west-1:444455556666:svc-a-production-jobs", '
    '"content_based_deduplication": false, "deduplication_scope": "", "delay_seconds": 0, '
    '"fifo_queue": false, "fifo_throughput_limit": "", "id": '
    '"http://127.0.0.1:4566/444455556666/svc-a-production-jobs", '
    '"kms_data_key_reuse_period_seconds": 300, "kms_master_key_id": "", "max_message_size": '
    '262144, "message_retention_seconds": 345600, "name": "svc-a-production-jobs", "name_prefix":'
    ' "", "policy": "", "receive_wait_time_seconds": 0, "redrive_allow_policy": "", '
    '"redrive_policy": "", "sqs_managed_sse_enabled": true, "tags": {"environment": "production",'
    ' "hotfix": "INC-1", "service": "svc-a", "team": "t"}, "tags_all": {"environment": '
    '"production", "hotfix": "INC-1", "owner": "platform-team", "service": "svc-a", "team": "t"},'
    ' "timeouts": null, "url": "http://127.0.0.1:4566/444455556666/svc-a-production-jobs", '
    '"visibility_timeout_seconds": 90}, "after_unknown": {}, "before_sensitive": {"tags": {}, '
    '"tags_all": {}}, "after_sensitive": {"tags": {}, "tags_all": {}}}}, {"address": '
    '"aws_ssm_parameter.p", "mode": "managed", "type": "aws_ssm_parameter", "name": "p", '
    '"provider_name": "registry.terraform.io/hashicorp/aws", "change": {"actions": ["update"], '
    '"before": {"allowed_pattern": "", "arn": '
    '"arn:aws:ssm:eu-west-1:444455556666:parameter/svc-a/production/key", "data_type": "text", '
    '"description": "", "has_value_wo": null, "id": "/svc-a/production/key", "insecure_value": '
    'null, "key_id": "alias/aws/ssm", "name": "/svc-a/production/key", "overwrite": null, "tags":'
    ' {"environment": "production", "service": "svc-a", "team": "t"}, "tags_all": {"environment":'
    ' "production", "owner": "platform-team", "service": "svc-a", "team": "t"}, "tier": '
    '"Standard", "type": "SecureString", "value": "s3cret-old", "value_wo": null, '
    '"value_wo_version": null, "version": 1}, "after": {"allowed_pattern": "", "arn": '
    '"arn:aws:ssm:eu-west-1:444455556666:parameter/svc-a/production/key", "data_type": "text", '
    '"description": "", "has_value_wo": null, "id": "/svc-a/production/key", "insecure_value": '
    'null, "key_id": "alias/aws/ssm", "name": "/svc-a/production/key", "overwrite": null, "tags":'
    ' {"environment": "production", "service": "svc-a", "team": "t"}, "tags_all": {"environment":'
    ' "production", "owner": "platform-team", "service": "svc-a", "team": "t"}, "tier": '
    '"Standard", "type": "SecureString", "value": "s3cret-new", "value_wo": null, '
    '"value_wo_version": null, "version": 2}, "after_unknown": {}, "before_sensitive": {"tags": '
    '{}, "tags_all": {}, "value": true, "value_wo": true}, "after_sensitive": {"tags": {}, '
    '"tags_all": {}, "value": true, "value_wo": true}}}]')


def test_real_terraform_show_json(tmp_path, capsys):
    """What Terraform itself wrote: the values, the secret kept out, tags_all once."""
    doc = {"format_version": "1.2", "terraform_version": "1.11.4",
           "planned_values": {"root_module": {}}, "resource_drift": REAL_DRIFT,
           "resource_changes": planned_changes(REAL_DRIFT),
           "prior_state": {"format_version": "1.0",
                                                   "values": {"root_module": {"resources": []}}},
           "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {
               "allowed_account_ids": {"constant_value": ["444455556666"]},
               "region": {"constant_value": "eu-west-1"}}}}},
           "timestamp": "2026-12-02T15:04:44Z", "applyable": True, "complete": True,
           "errored": False}
    path = write(tmp_path, "svc-a-production.plan.json", doc)
    assert main(["drift", path, "--format", "json"]) == 1
    text = capsys.readouterr().out
    assert "s3cret" not in text
    (stack,) = json.loads(text)["stacks"]
    assert [(r["address"], r["attribute"], r["aws"], r["main"]) for r in stack["resources"]] == [
        ("aws_sqs_queue.q", "tags.hotfix", "INC-1", None),
        ("aws_sqs_queue.q", "visibility_timeout_seconds", 90, 30),
        ("aws_ssm_parameter.p", "value", SENSITIVE, SENSITIVE),
        ("aws_ssm_parameter.p", "version", 2, 1)]
    (only,) = read_plans([path])
    assert (only.identity.environment, only.identity.service, only.identity.account) == (
        "production", "svc-a", "444455556666")


def test_null_and_empty_are_no_drift(tmp_path):
    """After apply the provider writes an alarm's unset actions as null and reads them
    back from AWS as [] (seen with hashicorp/aws 5.100 in the emulator): no drift."""
    before = {"alarm_name": "a", "alarm_actions": None, "ok_actions": None, "threshold": 0,
              "dimensions": {"FunctionName": "f"}, "alarm_description": ""}
    after = {**before, "alarm_actions": [], "ok_actions": [], "alarm_description": None}
    path = write(tmp_path, "svc-production.json", show_json("production", [
        drift_entry(ALARM, before, after), drift_entry(ALARM, before, {**after, "threshold": 5})]))
    (stack,) = read_plans([path])
    assert [(r.attribute, r.aws, r.main) for r in stack.resources] == [("threshold", 5, 0)]


def test_values_read_back_differently_are_no_drift_unless_terraform_acts_on_them(tmp_path):
    """Seen on the emulator right after apply: a refresh reads an alarm's metric_query
    period back as 0 (null in state) and a role's inline_policy filled in by its separate
    role policy; Terraform plans nothing for them (no-op), so neither is drift. The
    threshold changed in AWS is planned back to main's value: drift."""
    query = [{"id": "m", "period": None, "expression": ""}]
    before = {"alarm_name": "a", "threshold": 0, "metric_query": query}
    after = {**before, "metric_query": [{**query[0], "period": 0}]}
    noisy = drift_entry(ALARM, before, after)
    role = drift_entry("aws_iam_role.service_role_7219DDCB", {"name": "r", "inline_policy": []},
                       {"name": "r", "inline_policy": [{"name": "p", "policy": "{}"}]})
    doc = show_json("production", [noisy, role])
    doc["resource_changes"] = [{**rc, "change": {**rc["change"], "actions": ["no-op"]}}
                               for rc in doc["resource_changes"]]
    path = write(tmp_path, "svc-production.json", doc)
    (stack,) = read_plans([path])
    assert stack.resources == []
    changed = drift_entry(ALARM, before, {**after, "threshold": 5})
    doc = show_json("production", [changed])
    # The planned value keeps what the provider reads back (period 0): only the threshold.
    doc["resource_changes"][0]["change"]["after"] = {**after, "threshold": 0}
    path = write(tmp_path, "svc-production.json", doc)
    (stack,) = read_plans([path])
    assert [(r.attribute, r.aws, r.main) for r in stack.resources] == [("threshold", 5, 0)]

