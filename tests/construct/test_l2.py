"""L2 constructs used alone, and their own guards."""

from __future__ import annotations

import json

import pytest

from tfjson import one

pytestmark = pytest.mark.synth


@pytest.fixture
def stack():
    from golden_path.cdk import AwsProvider, TerraformStack, Testing

    s = TerraformStack(Testing.app(), "l2")
    AwsProvider(s, "aws", region="eu-west-1")
    return s


def synth(stack) -> dict:
    from golden_path.cdk import Testing

    return json.loads(Testing.synth(stack))


def test_log_group_alone(stack):
    from golden_path.l2.logs import LogGroup

    LogGroup(stack, "logs", name="/x/app", retention_days=14)
    assert one(synth(stack), "aws_cloudwatch_log_group")["retention_in_days"] == 14


def test_role_refuses_wildcards_without_reason(stack):
    from golden_path.l2.iam import ServiceRole

    statements = [{"Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}]
    with pytest.raises(ValueError, match=r"wildcard actions \['s3:\*'\]"):
        ServiceRole(stack, "role", name="r", trust_policy={}, statements=statements)
    ServiceRole(stack, "ok", name="r", trust_policy={}, statements=statements,
                wildcard_reason="test")


def test_role_name_limit(stack):
    from golden_path.l2.iam import ServiceRole

    with pytest.raises(ValueError, match="the limit is 64"):
        ServiceRole(stack, "role", name="r" * 65, trust_policy={}, statements=[])


def test_target_group_name_limit(stack):
    from golden_path.l2.load_balancing import LoadBalancerTarget

    with pytest.raises(ValueError, match="limit 32"):
        LoadBalancerTarget(stack, "lb", name="t" * 33, vpc_id="vpc-1", port=80,
                           health_check_path="/", listener_arn="arn", priority=1, hosts=["a"])


@pytest.mark.parametrize(("size", "tier"), [(4096, "Standard"), (4097, "Advanced"),
                                            (8192, "Advanced")])
def test_parameter_tier_by_size(size, tier):
    from golden_path.l2.config import parameter_tier

    assert parameter_tier("x" * size) == tier


def test_parameter_too_large():
    from golden_path.l2.config import parameter_tier

    with pytest.raises(ValueError, match="at most 8192"):
        parameter_tier("x" * 8193)


def test_advanced_tier_in_synth(stack):
    from golden_path.l2.config import ConfigParameter

    ConfigParameter(stack, "cfg", name="/x/config", text="# pad\n" * 800, description="test")
    assert one(synth(stack), "aws_ssm_parameter")["tier"] == "Advanced"
