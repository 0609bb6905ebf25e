"""Issue 20, item 1: an ARN naming another environment's account, or another region, is an
error at its line naming both, unless acknowledged (``cross_account`` / ``cross_region``)."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from test_first_hour_fleet import first_hour_fleet, function, line_of, run, web, worker

from conftest import ACCOUNT, VALID_WEB
from golden_path.errors import SpecError
from golden_path.load.service_file import parse_service
from golden_path.spec import ServiceSpec

SANDBOX_SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:menu/db-AbCdEf"
SHARED_SECRET = f"secrets:\n  DATABASE_URL: {SANDBOX_SECRET}\n"


def test_a_shared_sandbox_secret_is_refused_once_naming_both_accounts(tmp_path, capsys):
    """What the user did: the sandbox ARN in the shared part; production's role would read it."""
    root = first_hour_fleet(tmp_path, **{"menu-web": web(extra=SHARED_SECRET)})
    file = root / "services" / "menu-web.yaml"
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert code == 2
    assert err == [
        "golden-path: 1 problem:",
        f"  {file}:{line_of(file, 'DATABASE_URL')}: secrets.DATABASE_URL = '{SANDBOX_SECRET}': "
        "names account 111111111111 (sandbox's account), which is not the account of staging "
        "(222222222222) or production (333333333333); write {account} in place of 111111111111 "
        "(filled in per environment), or move the value into environments.sandbox and give the "
        "others their own, or, if it is meant, acknowledge it: cross_account: [{account: "
        "\"111111111111\", reason: <why>}]"]


def test_a_queue_in_another_region_is_refused(tmp_path, capsys):
    queue = "arn:aws:sqs:eu-west-1:{account}:orders"
    root = first_hour_fleet(tmp_path, **{"orders-worker": worker(queue)})
    file = root / "services" / "orders-worker.yaml"
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert code == 2
    assert err == [
        "golden-path: 1 problem:",
        f"  {file}:{line_of(file, 'queue:')}: scaling.queue.arn = '{queue}': names region "
        "eu-west-1, which is not the region of sandbox, staging or production (us-east-1); write "
        "{region} in place of eu-west-1 (filled in per environment), or, if it is meant, "
        "acknowledge it: cross_region: [{region: eu-west-1, reason: <why>}]"]


def test_acknowledged_references_pass(tmp_path, capsys):
    ack = ('cross_account: [{account: "111111111111", reason: "the one shared menu database"}]\n'
           "cross_region: [{region: eu-west-1, reason: the order feed is only in eu-west-1}]\n")
    root = first_hour_fleet(tmp_path, **{
        "menu-web": web(extra=SHARED_SECRET + ack),
        "orders-worker": worker("arn:aws:sqs:eu-west-1:{account}:orders").replace(
            "scaling:", ack + "scaling:")})
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert (code, err) == (0, [])


def test_an_acknowledgement_per_environment_covers_only_that_environment(tmp_path, capsys):
    extra = SHARED_SECRET
    text = web(extra=extra).replace(
        "  production: {}",
        '  production: {cross_account: [{account: "111111111111", reason: "read-only replica"}]}')
    root = first_hour_fleet(tmp_path, **{"menu-web": text})
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert code == 2 and len(err) == 2
    assert "which is not the account of staging (222222222222); write {account}" in err[1]


def test_an_acknowledgement_needs_a_reason(tmp_path, capsys):
    root = first_hour_fleet(tmp_path, **{"menu-web": web(
        extra=SHARED_SECRET + 'cross_account: [{account: "111111111111"}]\n')})
    file = root / "services" / "menu-web.yaml"
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert code == 2
    assert err == [
        "golden-path: 1 problem:",
        f"  {file}:{line_of(file, 'cross_account')}: cross_account[0].reason: required field "
        "is missing; add it: say why this service uses resources of that account, e.g. "
        "reason: \"the tooling account's shared artifact key\" (what a reviewer reads)"]


def test_an_unquoted_account_says_to_quote_it(tmp_path, capsys):
    root = first_hour_fleet(tmp_path, **{"menu-web": web(
        extra=SHARED_SECRET + "cross_account: [{account: 111111111111, reason: shared database}]\n")})
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert code == 2 and err[1].endswith(
        "cross_account[0].account = 111111111111: expected a string (quote it in YAML)")


IAM = """\
iam:
  - actions: ["sts:AssumeRole"]
    resources: ["arn:aws:iam::{account}:role/menu-reader", "arn:aws:iam::999988887777:role/x"]
  - actions: ["s3:GetObject"]
    resources: ["arn:aws:s3:::menu-media/*"]
  - actions: ["sqs:SendMessage"]
    resources: ["arn:aws:sqs:*:{account}:menu-*"]
variables:
  TOPIC_ARN: arn:aws:sns:us-west-2:{account}:menu-events
"""


def test_iam_resources_and_variables_are_checked_and_arns_without_account_or_region_are_not(
        tmp_path, capsys):
    root = first_hour_fleet(tmp_path, **{"menu-web": web(extra=IAM)})
    file = root / "services" / "menu-web.yaml"
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert code == 2
    assert [line.split(": ", 2)[:2] for line in err[1:]] == [
        [f"  {file}:{line_of(file, 'TOPIC_ARN')}", "variables.TOPIC_ARN = "
         "'arn:aws:sns:us-west-2:{account}:menu-events'"],
        [f"  {file}:{line_of(file, 'sts:AssumeRole') + 1}", "iam[0].resources[1] = "
         "'arn:aws:iam::999988887777:role/x'"]]
    assert "names region us-west-2, which is not the region of" in err[1]
    assert "names account 999988887777, which is not the account of sandbox (111111111111), " \
           "staging (222222222222) or production (333333333333)" in err[2]


def test_a_lambda_layer_may_be_in_another_account_but_not_another_region(tmp_path, capsys):
    vendor = "arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Node22-x:120"
    root = first_hour_fleet(tmp_path, **{"orders-consumer": function(
        "orders-consumer", "orders", f"layers: [\"{vendor}\"]\n")})
    assert run(capsys, "validate", str(root / "services"))[0] == 0
    other = vendor.replace("us-east-1", "eu-west-1")
    (root / "services" / "orders-consumer.yaml").write_text(function(
        "orders-consumer", "orders",
        f"layers: [\"{other}\"]\ncross_region: [{{region: eu-west-1, reason: vendor layer}}]\n"))
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert code == 2 and len(err) == 2
    assert err[1].endswith(f"layers[0] = '{other}': a layer must be in the function's region "
                           "(us-east-1), not eu-west-1: Lambda cannot use a layer from another "
                           "region (cross_region does not change that); use the layer's "
                           "us-east-1 version (a fleet-form file may write {region} in place "
                           "of the region)")


def test_the_single_environment_form_checks_against_its_cluster(tmp_path, capsys):
    spec = copy.deepcopy(VALID_WEB)
    spec["secrets"]["DATABASE_URL"] = SANDBOX_SECRET
    path = tmp_path / "billing-api.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    line = line_of(path, "DATABASE_URL")
    assert err[1:] == [
        f"  {path}:{line}: secrets.DATABASE_URL = '{SANDBOX_SECRET}': names account "
        f"111111111111, which is not the account of staging ({ACCOUNT}); use the environment's "
        "own (a fleet-form file writes {account} in place of 111111111111, filled in per "
        "environment), or, if it is meant, acknowledge it: cross_account: [{account: "
        "\"111111111111\", reason: <why>}]",
        f"  {path}:{line}: secrets.DATABASE_URL = '{SANDBOX_SECRET}': names region us-east-1, "
        "which is not the region of staging (eu-west-1); use the environment's own (a "
        "fleet-form file writes {region} in place of us-east-1, filled in per environment), or, "
        "if it is meant, acknowledge it: cross_region: [{region: us-east-1, reason: <why>}]"]


def test_the_python_api_checks_every_runtime(fn):
    spec = copy.deepcopy(VALID_WEB)
    spec["scaling"] = {"min": 1}
    spec["iam"][0]["resources"].append("arn:aws:s3:eu-west-1:999988887777:accesspoint/media/object/*")
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(spec)
    assert [(p.field, p.hint.split(",")[0]) for p in caught.value.problems] == [
        ("iam[0].resources[1]", "names account 999988887777")]
    fn["secrets"] = {"DB": SANDBOX_SECRET.replace("111111111111", fn["account_id"])}
    with pytest.raises(SpecError) as caught:
        parse_service(fn)
    assert caught.value.field == "secrets.DB"
    assert caught.value.hint.startswith(
        f"names region us-east-1, which is not the region of {fn['environment']} "
        f"({fn['region']})")


def test_the_schema_offers_the_acknowledgements_in_both_forms(capsys):
    code, out, _ = run(capsys, "schema")
    doc = json.loads("\n".join(out))
    assert code == 0
    for model in ("ServiceSpec", "LambdaSpec", "FleetServiceSpec", "FleetLambdaSpec"):
        props = doc["$defs"][model]["properties"]
        assert {"cross_account", "cross_region"} <= set(props), model
    assert doc["$defs"]["CrossAccount"]["required"] == ["account", "reason"]
    assert doc["$defs"]["CrossRegion"]["required"] == ["region", "reason"]
