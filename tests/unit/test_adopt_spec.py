"""``adopt:``: what a service may adopt, the names it then keeps, the import ids it gets
(resolve/adopt.py), and its errors. No cdktf here."""

from __future__ import annotations

import pytest

from conftest import ACCOUNT
from golden_path.errors import SpecError
from golden_path.resolve.ecs import resolve
from golden_path.resolve.lambda_ import resolve_function
from golden_path.spec.ecs import ServiceSpec
from golden_path.spec.lambda_ import LambdaSpec

SHA = "q9V0h1oNtb5lVZRzLs1fOJ3Qwq9QhsAe2tE3mCqO8sk="
ADOPTED = {
    "function": "price-api-prd",
    "log_group": "/aws/lambda/price-api-prd",
    "role": f"arn:aws:iam::{ACCOUNT}:role/service-role/price-api-prd-role",
    "queue": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/prices",
    "dead_letter_queue": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:prices-dlq",
    "event_source_mapping": "0a1b2c3d-1111-2222-3333-444455556666",
}


def _adopted(fn: dict, **adopt) -> dict:
    fn["adopt"] = {**ADOPTED, **adopt}
    return fn


def test_an_adopted_function_keeps_its_names_and_gets_an_import_for_each(fn):
    fn["triggers"]["schedules"] = [{"expression": "rate(5 minutes)"}]
    r = resolve_function(LambdaSpec.parse(_adopted(
        fn, schedules=[{"rule": "prices-refresh", "target_id": "refresh"}])))
    n = r.names
    assert (n.function, n.role, n.log_group) == (
        "price-api-prd", "price-api-prd-role", "/aws/lambda/price-api-prd")
    assert (n.queue, n.dead_letter_queue, n.schedule_rules) == (
        "prices", "prices-dlq", ("prices-refresh",))
    # The stack (state key, dashboard) keeps golden_path's name.
    assert r.stack_name == "price-api-staging"
    assert r.state.settings["path"] == "terraform.price-api-staging.tfstate"
    assert r.adoption.imports == {
        "function": "price-api-prd", "log_group": "/aws/lambda/price-api-prd",
        "role": "price-api-prd-role",
        "queue": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/prices",
        "dead_letter_queue": f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/prices-dlq",
        "event_source_mapping": "0a1b2c3d-1111-2222-3333-444455556666",
        "schedule_rule_0": "prices-refresh", "schedule_target_0": "prices-refresh/refresh"}
    assert r.adoption.role_path("role") == "/service-role/"
    assert r.adoption.target_ids == {0: "refresh"}


def test_what_is_not_adopted_keeps_golden_paths_name(fn):
    r = resolve_function(LambdaSpec.parse({**fn, "adopt": {"function": "price-api-prd"}}))
    assert r.names.function == "price-api-prd"
    # Not Lambda's implicit /aws/lambda/price-api-prd, which may already exist.
    assert r.names.log_group == "/aws/lambda/price-api-staging"
    assert r.names.role == "price-api-staging-function"
    assert r.names.queue == "price-api-staging"
    assert set(r.adoption.imports) == {"function"} and r.adoption.role_path("role") is None


def test_an_unadopted_function_has_no_imports(fn):
    r = resolve_function(LambdaSpec.parse(fn))
    assert not r.adoption and r.adoption.imports == {}
    assert r.names.function == r.stack_name == "price-api-staging"


def test_the_deployed_package_is_kept_and_names_the_version(fn):
    fn["code"] = {"deployed": SHA}
    r = resolve_function(LambdaSpec.parse({**fn, "adopt": {"function": "price-api-prd"}}))
    assert r.layers is not None  # a zip package gets golden_path's layers
    assert r.telemetry.resource_attributes["service.version"] == "sha256-abd574875a0d"


@pytest.mark.parametrize(("adopt", "triggers", "field", "hint"), [
    ({"queue": ADOPTED["queue"]}, {}, "adopt.queue", "needs triggers.sqs"),
    ({"event_source_mapping": ADOPTED["event_source_mapping"]}, None, "adopt.queue",
     "reads an adopted queue"),
    ({"dead_letter_queue": ADOPTED["dead_letter_queue"]}, None, "adopt.queue",
     "comes with its queue"),
    ({"queue": f"arn:aws:sqs:us-east-1:{ACCOUNT}:prices"}, None, "adopt.queue",
     "own account and region"),
    ({"queue": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:prices.fifo"}, None, "adopt.queue",
     "FIFO cannot change in place"),
    ({"schedules": [{"rule": "a", "target_id": "1"}]}, None, "adopt.schedules",
     "1 adopted rules for 0 triggers.schedules"),
    ({"function_url": True}, None, "adopt.function_url", "needs triggers.http.function_url"),
    ({"http_route": {"integration_id": "abc1234", "route_id": "def5678"}}, None,
     "adopt.http_route", "needs triggers.http.api"),
])
def test_an_adopt_block_that_does_not_fit_is_refused(fn, adopt, triggers, field, hint):
    if triggers is not None:
        fn["triggers"] = triggers
    with pytest.raises(SpecError) as caught:
        LambdaSpec.parse({**fn, "adopt": {"function": "price-api-prd", **adopt}})
    found = [(p.field, p.hint) for p in caught.value.problems]
    assert any(f == field and hint in h for f, h in found), found


@pytest.mark.parametrize(("adopt", "field", "hint"), [
    ({"role": "not a role!"}, "adopt.role", "expected an IAM role name"),
    ({"queue": "https://example.com/q"}, "adopt.queue", "expected an SQS queue URL"),
    ({"function": "x" * 65}, "adopt.function", "{1,64}"),
    ({"event_source_mapping": "123"}, "adopt.event_source_mapping", "pattern"),
])
def test_a_malformed_adopt_value_names_the_field(fn, adopt, field, hint):
    with pytest.raises(SpecError) as caught:
        LambdaSpec.parse(_adopted(fn, **adopt))
    found = [(p.field, p.hint) for p in caught.value.problems]
    assert any(f == field and hint in h for f, h in found), found


def test_code_deployed_needs_an_adopted_function(fn):
    fn["code"] = {"deployed": SHA}
    with pytest.raises(SpecError) as caught:
        LambdaSpec.parse(fn)
    assert [p.field for p in caught.value.problems] == ["code.deployed"]
    assert "without adopt.function" in caught.value.problems[0].hint


def test_discovers_todo_values_have_their_own_errors(fn):
    fn.update(team="TODO", secrets={"DB_PASSWORD": "TODO"})
    with pytest.raises(SpecError) as caught:
        LambdaSpec.parse(fn)
    hints = {p.field: p.hint for p in caught.value.problems}
    assert "left for you to fill by golden-path discover" in hints["team"]
    assert "looks like a secret" in hints["secrets.DB_PASSWORD"]


def test_an_adopted_web_service_keeps_service_cluster_roles_and_target_group(web):
    tg = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:targetgroup/billing/0123456789abcdef"
    rule = (f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:listener-rule/app/edge/"
            "50dc6c495c0c9188/f2f7dc8efc522ab2/1234567890abcdef")
    web["adopt"] = {"service": "billing", "cluster": "legacy", "task_role": "billing-task",
                    "execution_role": f"arn:aws:iam::{ACCOUNT}:role/ecs/billing-exec",
                    "target_group": tg, "listener_rule": rule}
    r = resolve(ServiceSpec.parse(web))
    assert (r.names.service, r.names.task_role, r.names.execution_role, r.names.target_group) \
        == ("billing", "billing-task", "billing-exec", "billing")
    assert r.cluster_name == "legacy"
    assert r.spec.network.cluster_arn == f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/legacy"
    assert r.stack_name == "billing-api-staging" and r.names.family == "billing-api-staging"
    assert r.adoption.imports == {"service": "legacy/billing", "task_role": "billing-task",
                                  "execution_role": "billing-exec", "target_group": tg,
                                  "listener_rule": rule}
    assert r.adoption.role_path("execution_role") == "/ecs/"


def test_a_worker_adopts_its_queue_only_when_golden_path_manages_it(worker):
    worker["adopt"] = {"service": "billing-worker",
                       "queue": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:invoices"}
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(worker)
    assert "needs scaling.queue.create: true" in caught.value.problems[0].hint
    worker["scaling"] = {"queue": {"create": True}}
    r = resolve(ServiceSpec.parse(worker))
    assert (r.queue.name, r.queue.dead_letter_name) == ("invoices", "billing-worker-staging-dlq")
    assert r.adoption.imports["queue"] == f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/invoices"


def test_adopt_in_the_shared_part_of_a_fleet_file_is_refused(tmp_path, capsys):
    import shutil

    from conftest import EXAMPLES
    from golden_path.cli import main

    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLES, fleet, ignore=shutil.ignore_patterns("python-app", "ci"))
    path = fleet / "services" / "price-api.yaml"
    path.write_text(path.read_text() + "adopt: {function: price-api-prd}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "adopt: names the live resources of one environment; move it under " \
           "environments.<environment>" in err


def test_one_live_function_adopted_by_two_services_is_a_fleet_problem(tmp_path, capsys):
    import shutil

    from conftest import EXAMPLES
    from golden_path.cli import main

    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLES, fleet, ignore=shutil.ignore_patterns("python-app", "ci"))
    for name in ("price-api", "invoice-consumer"):
        path = fleet / "services" / f"{name}.yaml"
        text = path.read_text().replace("\n  sandbox:\n", "\n  sandbox:\n    adopt: "
                                        "{function: legacy-prices}\n", 1)
        assert "legacy-prices" in text
        path.write_text(text)
    assert main(["validate", str(fleet / "services")]) == 2
    err = capsys.readouterr().err
    assert "adopts legacy-prices too; a live resource belongs to one service" in err
    assert err.count("adopts legacy-prices too") == 1
