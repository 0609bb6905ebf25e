"""IAM lint (spec/iam_lint.py): the team's statements fail validation with file:line on an
unknown action or a resource its action cannot take; golden_path's own documents, for the
examples and a generated 300-service fleet, have no finding at all. No cdktf."""

from __future__ import annotations

import shutil
import sys
from datetime import date

import pytest

from conftest import EXAMPLES, ROOT
from golden_path import ServiceSpec, SpecError, resolve
from golden_path.alerts.registry import TeamRegistry
from golden_path.fleet import load_all
from golden_path.load.service_file import load_service_file, parse_service
from golden_path.resolve import ResolvedService
from golden_path.resolve import policies as P
from golden_path.resolve.lambda_ import resolve_function
from golden_path.spec.iam_lint import lint_document, lint_statement

sys.path.insert(0, str(ROOT / "benchmarks"))
from fleet_gen import generate_fleet  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "iam-lint"
ACCT = "123456789012"
BUCKET, OBJECTS = "arn:aws:s3:::invoices", "arn:aws:s3:::invoices/*"
QUEUE = f"arn:aws:sqs:eu-west-1:{ACCT}:jobs"
TABLE = f"arn:aws:dynamodb:eu-west-1:{ACCT}:table/prices"


def documents(service) -> dict[str, dict]:
    """Every policy document golden_path builds for one resolved service."""
    if isinstance(service, ResolvedService):
        return {"trust": P.ecs_tasks_trust(service),
                "execution": P.document(P.execution_role_statements(service)),
                "task": P.document(P.task_role_statements(service))}
    return {"trust": P.lambda_trust(service),
            "function": P.document(P.function_role_statements(service))}


def issues(actions, resources, effect="Allow") -> list[tuple]:
    found = lint_statement({"Effect": effect, "Action": actions, "Resource": resources})
    return [(f.issue, *f.path) for f in found]


# ---- the team's statements: file and line --------------------------------------------------


def test_unknown_action_names_file_line_value_and_the_fix():
    with pytest.raises(SpecError) as err:
        load_service_file(FIXTURES / "unknown-action.yaml")
    (problem,) = err.value.problems
    assert (problem.file, problem.line) == (str(FIXTURES / "unknown-action.yaml"), 17)
    assert problem.path == ("iam", 0, "actions", 1)
    assert str(problem).endswith(
        "unknown-action.yaml:17: iam[0].actions[1] = 's3:GetObjekt': "
        "unknown action for service s3 (did you mean s3:GetObject?)")


def test_resource_mismatch_points_at_the_action_or_the_resource():
    with pytest.raises(SpecError) as err:
        load_service_file(FIXTURES / "resource-mismatch.yaml")
    found = {(p.field, p.line): p for p in err.value.problems}
    assert set(found) == {("iam[0].resources[1]", 19), ("iam[1].actions[0]", 21)}
    topic = found["iam[0].resources[1]", 19]
    assert topic.value == "arn:aws:sns:eu-west-1:111122223333:fulfilment"
    assert "none of this statement's actions (sqs:ReceiveMessage, sqs:DeleteMessage)" in topic.hint
    listing = found["iam[1].actions[0]", 21]
    assert listing.value == "s3:ListBucket"
    assert "bucket (arn:${Partition}:s3:::${BucketName})" in listing.hint
    assert "change the resources" in listing.hint


def test_fleet_form_error_is_placed_once_at_the_line_every_environment_shares(tmp_path):
    shutil.copy(EXAMPLES / "platform.yaml", tmp_path / "platform.yaml")
    text = (EXAMPLES / "services" / "storefront.yaml").read_text(encoding="utf-8")
    assert 'actions: ["s3:GetObject"]' in text
    line = text[:text.index('actions: ["s3:GetObject"]')].count("\n") + 1
    path = tmp_path / "storefront.yaml"
    path.write_text(text.replace('actions: ["s3:GetObject"]', 'actions: ["s3:GetObjects"]'),
                    encoding="utf-8")
    with pytest.raises(SpecError) as err:
        load_service_file(path)
    (problem,) = err.value.problems  # sandbox, staging and production: one mistake, one line
    assert (problem.file, problem.line, problem.field) == (str(path), line, "iam[0].actions[0]")
    assert "did you mean s3:GetObject?" in problem.hint


def test_python_arguments_get_the_same_error(web):
    web["iam"] = [{"actions": ["s3:GetObject"], "resources": [BUCKET]}]
    with pytest.raises(SpecError) as err:
        ServiceSpec.parse(web)
    assert err.value.field == "iam[0].actions[0]"
    assert "object (arn:${Partition}:s3:::${BucketName}/${ObjectName})" in err.value.hint


def test_wildcard_action_with_its_reason_must_still_name_real_actions(web):
    web["iam"] = [{"actions": ["s3:Get*"], "resources": [OBJECTS], "wildcard_reason": "all reads"}]
    ServiceSpec.parse(web)
    web["iam"][0]["actions"] = ["s3:Gett*"]
    with pytest.raises(SpecError, match=r"iam\[0\]\.actions\[0\] = 's3:Gett\*': unknown action"):
        ServiceSpec.parse(web)


# ---- the rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(("actions", "resources", "expected"), [
    (["s3:GetObject", "s3:ListBucket"], [BUCKET, OBJECTS], []),  # each action has its resource
    (["s3:getobject"], [OBJECTS], []),  # IAM actions are case-insensitive
    (["s3:GetObject"], ["arn:aws:s3:::*"], []),  # '*' in an ARN also spans '/'
    (["s3:GetObject"], ["arn:aws:s3:::invoices/${aws:username}/*"], []),  # policy variable
    (["s3:ListBucket"], [OBJECTS], [("RESOURCE_MISMATCH", "Action", 0)]),
    (["s3:GetObject"], [BUCKET], [("RESOURCE_MISMATCH", "Action", 0)]),
    (["s4:GetObject"], [OBJECTS], [("UNKNOWN_PREFIX", "Action", 0)]),
    (["sqs:SendMessage", "sqs:SendMesage"], [QUEUE], [("UNKNOWN_ACTION", "Action", 1)]),
    (["sqs:ReceiveMessage"], ["arn:aws:sqs:*:*:jobs-*"], []),
    (["sqs:SendMessage"], [QUEUE, f"arn:aws:sns:eu-west-1:{ACCT}:jobs"],
     [("RESOURCE_MISMATCH", "Resource", 1)]),
    (["dynamodb:Query"], [f"{TABLE}/index/*"], []),
    (["dynamodb:GetItem"], [f"{TABLE}/index/*"], [("RESOURCE_MISMATCH", "Action", 0)]),
    (["dynamodb:GetItem"], [f"arn:aws:dynamodb:eu-west-1:{ACCT}:table/*"], []),
    (["kms:Decrypt"], [f"arn:aws:kms:eu-west-1:{ACCT}:alias/app"], [("RESOURCE_MISMATCH", "Action", 0)]),
    (["lambda:InvokeFunction"], [f"arn:aws:lambda:eu-west-1:{ACCT}:function:f:*"], []),  # aliases
    (["lambda:PutFunctionRecursionConfig"], [f"arn:aws:lambda:eu-west-1:{ACCT}:function:f"], []),
    (["logs:PutLogEvents"], [f"arn:aws:logs:eu-west-1:{ACCT}:log-group:/a/b:log-stream:*"], []),
    (["logs:PutLogEvents"], [f"arn:aws:logs:eu-west-1:{ACCT}:log-group:/a/b"],
     [("RESOURCE_MISMATCH", "Action", 0)]),  # a log group is no log stream
    (["cloudwatch:PutMetricData", "xray:PutTraceSegments"], ["*"], []),  # only '*' exists
    (["xray:PutTraceSegments"], [f"arn:aws:xray:eu-west-1:{ACCT}:group/g"],
     [("RESOURCE_MISMATCH", "Action", 0)]),
    (["s3:GetObject"], ["arn:aws:s3"], [("INVALID_ARN", "Resource", 0)]),
    (["s3:GetObject"], ["*"], [("RESOURCE_STAR", "Action", 0)]),  # own documents only
])
def test_rules(actions, resources, expected):
    assert issues(actions, resources) == expected


def test_deny_with_star_is_no_finding_and_its_resources_are_still_checked():
    assert issues(["s3:DeleteObject"], ["*"], effect="Deny") == []
    assert issues(["s3:DeleteObject"], [BUCKET], effect="Deny") == [("RESOURCE_MISMATCH", "Action", 0)]


def test_documents_grammar():
    trust = P.document([{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                         "Action": "sts:AssumeRole"}])
    assert lint_document(trust) == []
    assert lint_document("{not json")[0].issue == "MALFORMED"
    bad = {"Version": "2008-10-17", "Statement": [
        {"Sid": "A", "Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [QUEUE]},
        {"Sid": "A", "Effect": "allow", "Action": ["sqs:SendMessage"], "Resource": [QUEUE],
         "Principals": "*"},
        {"Effect": "Allow", "Action": ["sqs:SendMessage"]},
    ]}
    assert [(f.issue, *f.path) for f in lint_document(bad)] == [
        ("MALFORMED", "Version"), ("MALFORMED", "Statement"),
        ("MALFORMED", "Statement", 1, "Principals"), ("MALFORMED", "Statement", 1, "Effect"),
        ("MALFORMED", "Statement", 2)]


def test_a_huge_glob_is_linted_quickly():
    assert issues(["s3:ListBucket"], ["arn:aws:s3:::" + "a*" * 1000]) == []


# ---- golden_path's own documents -----------------------------------------------------------


def test_lambda_vpc_access_is_scoped_to_its_network_interfaces_subnets_and_groups(fn):
    fn["vpc"] = {"subnet_ids": ["subnet-0123456789abcdef0"], "security_group_ids": ["sg-0123456789abcdef0"]}
    function = resolve_function(parse_service(fn), today=date(2026, 11, 25))
    st = {s["Sid"]: s for s in P.function_role_statements(function)}
    assert st["VpcAccess"]["Resource"] == [
        f"arn:aws:ec2:eu-west-1:{ACCT}:network-interface/*",
        "arn:aws:ec2:eu-west-1:*:subnet/subnet-0123456789abcdef0",
        "arn:aws:ec2:eu-west-1:*:security-group/sg-0123456789abcdef0"]
    assert st["VpcDescribe"] == {"Sid": "VpcDescribe", "Effect": "Allow",
                                 "Action": ["ec2:DescribeNetworkInterfaces"], "Resource": ["*"]}
    assert lint_document(P.document(list(st.values()))) == []


def test_own_documents_of_a_web_service_have_no_finding(web):
    for name, doc in documents(resolve(ServiceSpec.parse(web))).items():
        assert lint_document(doc) == [], name


def test_own_documents_of_the_examples_have_no_finding():
    services = load_all([EXAMPLES / "services"], TeamRegistry.load(EXAMPLES / "teams.yaml"))
    found = [f"{s.stack_name} {name}: {f}" for s in services
             for name, doc in documents(s).items() for f in lint_document(doc)]
    assert found == []


@pytest.fixture(scope="module")
def fleet_services(tmp_path_factory):
    out = tmp_path_factory.mktemp("iam-lint") / "fleet"
    generate_fleet(out, 300, seed=0)
    return load_all([out], TeamRegistry.load(out / "teams.yaml"))  # the team lint ran here


def test_own_documents_of_a_generated_300_service_fleet_have_no_finding(fleet_services):
    assert len(fleet_services) == 900
    found = [f"{s.stack_name} {name}: {f}" for s in fleet_services
             for name, doc in documents(s).items() for f in lint_document(doc)]
    assert found == []
