"""IAM lint on every policy document in every synthesized example stack (cdk.tf.json):
role trust policies, role policies, topic and key policies, wherever a JSON policy sits.
golden_path's own documents must have no finding (spec/iam_lint.py; README "IAM lint")."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from golden_path.spec.iam_lint import lint_document

pytestmark = pytest.mark.synth

#: Attributes that hold a policy document as a JSON string (aws_iam_role_policy.policy,
#: aws_iam_role.assume_role_policy, aws_sns_topic_policy.policy, aws_kms_key.policy, ...).
POLICY_KEYS = {"policy", "assume_role_policy"}

#: A whole-string Terraform reference ``${<type>.<name>.arn}`` in Resource is replaced by a
#: well-formed ARN of the referenced type, so the resource-type check still runs on it.
#: A reference to a type missing here fails the test: add the type, never skip it.
REFERENCE_ARNS = {
    "aws_sns_topic": "arn:aws:sns:eu-west-1:123456789012:referenced",
    "aws_sqs_queue": "arn:aws:sqs:eu-west-1:123456789012:referenced",
    "aws_kms_key": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "aws_cloudwatch_log_group": "arn:aws:logs:eu-west-1:123456789012:log-group:referenced",
    "aws_lambda_function": "arn:aws:lambda:eu-west-1:123456789012:function:referenced",
    "aws_iam_role": "arn:aws:iam::123456789012:role/referenced",
    "aws_s3_bucket": "arn:aws:s3:::referenced",
    "aws_ssm_parameter": "arn:aws:ssm:eu-west-1:123456789012:parameter/referenced",
    "aws_ecs_cluster": "arn:aws:ecs:eu-west-1:123456789012:cluster/referenced",
}
#: References inside an ARN (``arn:aws:logs:${data.aws_region.r.name}:...``), by attribute.
REFERENCE_PARTS = {"account_id": "123456789012", "region": "eu-west-1", "name": "eu-west-1",
                   "partition": "aws"}
_REFERENCE = re.compile(r"\$\{([^}]*)\}")

#: Findings accepted in golden_path's own documents: (issue, action or resource) -> why it is
#: the library's false positive. Empty: every finding so far was fixed (README "IAM lint").
ALLOWED: dict[tuple[str, str], str] = {}


def _resolve_reference(value: str, where: str) -> str:
    whole = re.fullmatch(r"\$\{([a-z0-9_]+)\.[A-Za-z0-9_-]+\.arn\}", value)
    if whole:
        assert whole[1] in REFERENCE_ARNS, f"{where}: add {whole[1]} to REFERENCE_ARNS"
        return REFERENCE_ARNS[whole[1]]

    def part(match: re.Match) -> str:
        attribute = match[1].rsplit(".", 1)[-1]
        assert attribute in REFERENCE_PARTS, f"{where}: teach this test ${{{match[1]}}}"
        return REFERENCE_PARTS[attribute]

    return _REFERENCE.sub(part, value)


def _with_references_resolved(document: dict[str, Any], where: str) -> dict[str, Any]:
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        for key in ("Resource", "NotResource"):
            if isinstance(statement.get(key), str):
                statement[key] = _resolve_reference(statement[key], where)
            elif isinstance(statement.get(key), list):
                statement[key] = [_resolve_reference(r, where) for r in statement[key]]
    return document


def _documents(node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON policy document below ``node``: under a policy key, or any JSON string
    with a Statement (an inline_policy block, a bucket policy...)."""
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{where}.{key}"
            if key == "policy_document":
                continue  # a CloudWatch Logs data protection policy, not IAM
            if isinstance(value, str) and (key in POLICY_KEYS or '"Statement"' in value):
                assert not value.startswith("${"), f"{here}: a policy built by Terraform " \
                    "(jsonencode/data source) cannot be linted here; build it as JSON in resolve"
                yield here, _with_references_resolved(json.loads(value), here)
            else:
                yield from _documents(value, here)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _documents(value, f"{where}[{i}]")


@pytest.fixture(scope="module")
def documents(example_stacks) -> dict[str, dict[str, Any]]:
    found = {}
    for stack, tf in example_stacks.items():
        assert "aws_iam_policy_document" not in tf.get("data", {}), \
            f"{stack}: policy documents as data sources are not linted; build them as JSON"
        for rtype, resources in tf.get("resource", {}).items():
            for name, resource in resources.items():
                found.update(_documents(resource, f"{stack} {rtype}.{name}"))
    return found


def test_every_role_and_topic_policy_is_found(example_stacks, documents):
    roles = sum(len(tf["resource"].get("aws_iam_role", {})) for tf in example_stacks.values())
    role_policies = sum(len(tf["resource"].get("aws_iam_role_policy", {}))
                        for tf in example_stacks.values())
    topic_policies = sum(len(tf["resource"].get("aws_sns_topic_policy", {}))
                         for tf in example_stacks.values())
    assert roles >= 18 and role_policies >= 18 and topic_policies >= 1
    kinds = [where.rsplit(".", 1)[-1] for where in documents]
    assert kinds.count("assume_role_policy") == roles
    assert len(documents) >= roles + role_policies + topic_policies


def test_every_synthesized_policy_document_has_no_finding(documents):
    found = [f"{where}: {f}" for where, doc in documents.items() for f in lint_document(doc)
             if (f.issue, f.value) not in ALLOWED]
    assert found == []


def test_references_become_arns_of_their_type():
    doc = _with_references_resolved({"Statement": [
        {"Resource": "${aws_sns_topic.routes_notify_28E87449.arn}"},
        {"Resource": ["arn:aws:logs:${data.aws_region.r.name}:${data.aws_caller_identity.c.account_id}"
                      ":log-group:x"]}]}, "test")
    assert doc["Statement"][0]["Resource"] == REFERENCE_ARNS["aws_sns_topic"]
    assert doc["Statement"][1]["Resource"] == ["arn:aws:logs:eu-west-1:123456789012:log-group:x"]
    with pytest.raises(AssertionError, match="add aws_unknown_thing to REFERENCE_ARNS"):
        _resolve_reference("${aws_unknown_thing.x.arn}", "test")
