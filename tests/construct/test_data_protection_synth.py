"""CloudWatch Logs data protection in the synthesized stacks: every log group golden_path
creates has exactly one policy, the one ``resolve/data_protection.py`` decided for it."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from conftest import EXAMPLES

pytestmark = pytest.mark.synth

POLICY = "aws_cloudwatch_log_data_protection_policy"


@pytest.fixture(scope="module")
def expected() -> dict[str, tuple[str, dict[str, str]]]:
    """stack -> (its resolved kind, {log group name: policy JSON}) from resolve alone."""
    from golden_path.alerts.registry import TeamRegistry
    from golden_path.fleet import load_all
    from golden_path.resolve import data_protection as dp

    services = load_all([EXAMPLES / "services"], TeamRegistry.load(EXAMPLES / "teams.yaml"))
    return {s.stack_name: (dp.log_groups(s), dp.log_group_policies(s)) for s in services}


def test_every_log_group_of_every_example_stack_has_its_one_policy(example_stacks, expected):
    kinds: Counter[str] = Counter()
    for name, tf in example_stacks.items():
        resources = tf.get("resource", {})
        groups = resources.get("aws_cloudwatch_log_group", {})
        policies = resources.get(POLICY, {})
        on = Counter(p["log_group_name"] for p in policies.values())
        assert len(policies) == len(groups), name
        if not groups:
            continue
        group_kinds, documents = expected[name]
        for gid, group in groups.items():
            ref = f"${{aws_cloudwatch_log_group.{gid}.name}}"
            assert on[ref] == 1, f"{name}: {group['name']} has {on[ref]} policies"
            (policy,) = [p for p in policies.values() if p["log_group_name"] == ref]
            assert json.loads(policy["policy_document"]) == json.loads(documents[group["name"]])
            kinds[group_kinds[group["name"]]] += 1
    assert kinds == {"router": 6, "collector": 6, "telemetry-metrics": 6, "function": 6}


def test_the_policies_mask_what_the_telemetry_policy_masks(example_stacks):
    from golden_path.resolve import data_protection as dp

    managed = [dp.MANAGED_ARN.format(i) for i in ("EmailAddress", "CreditCardNumber",
                                                    "AwsSecretKey")]
    storefront = example_stacks["storefront-production"]["resource"][POLICY]
    for policy in storefront.values():
        doc = json.loads(policy["policy_document"])
        assert dp.validate_document(policy["policy_document"]) == []
        ids = doc["Statement"][0]["DataIdentifier"]
        assert ids[:5] == [*managed, "AuthCredentials", "UrlCredentials"]
        regexes = "|".join(c["Regex"] for c in doc["Configuration"]["CustomDataIdentifier"])
        assert r"[Cc]ustomer\.iban" in regexes and r"[Cc]ustomer\.phone" in regexes
        assert doc["Statement"][0]["Operation"]["Audit"]["FindingsDestination"] == {
            "CloudWatchLogs": {"LogGroup": "/platform/data-protection-findings"}}


@pytest.fixture
def stack():
    from golden_path.cdk import AwsProvider, TerraformStack, Testing

    s = TerraformStack(Testing.app(), "l2")
    AwsProvider(s, "aws", region="eu-west-1")
    return s


def _synth(stack) -> dict:
    from golden_path.cdk import Testing

    return json.loads(Testing.synth(stack))["resource"]


def test_a_log_group_alone_gets_the_default_policy_or_none(stack):
    from golden_path.l2.logs import LogGroup
    from golden_path.resolve import data_protection as dp

    alone = LogGroup(stack, "alone", name="/x/alone", retention_days=14)
    LogGroup(stack, "bare", name="/x/bare", retention_days=14, data_protection=False)
    assert alone.data_protection_policy is not None
    (policy,) = _synth(stack)[POLICY].values()
    assert policy["log_group_name"].startswith("${aws_cloudwatch_log_group.alone_log_group_")
    assert policy["policy_document"] == dp.default_policy()


def test_a_log_group_refuses_a_document_aws_would_refuse(stack):
    from golden_path.l2.logs import LogGroup

    with pytest.raises(ValueError, match="needs exactly two statements"):
        LogGroup(stack, "bad", name="/x/bad", retention_days=14,
                 data_protection='{"Statement": []}')
