"""Shared fixtures. Unit tests never import cdktf; construct tests share one import
and one real `cdktf synth` of the examples per session."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: The examples as they were before the fleet form: single-environment files (one per
#: service and environment), kept to show that form still synthesizes unchanged.
SINGLE_ENV = ROOT / "tests" / "fixtures" / "single-environment"
CDKTF_CLI = ROOT / ".tools" / "node_modules" / ".bin" / "cdktf"

os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
# The synth cache of this test session: never the developer's, never shared between runs.
os.environ["GOLDEN_PATH_CACHE"] = tempfile.mkdtemp(prefix="golden-path-test-cache-")
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

#: Where a filesystem mirror of hashicorp/aws may be (GOLDEN_PATH_TF_MIRROR first).
MIRROR_CANDIDATES = [os.environ.get("GOLDEN_PATH_TF_MIRROR", ""), "/opt/tf-plugins"]
ACCOUNT = "123456789012"
VALID_WEB: dict = {
    "name": "billing-api",
    "team": "payments",
    "environment": "staging",
    "kind": "web",
    "image": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/billing-api:1.4.2",
    "cpu": 512,
    "memory": 1024,
    "port": 8000,
    "health_check_path": "/healthz",
    "variables": {"DJANGO_SETTINGS_MODULE": "billing.settings"},
    "secrets": {
        "DATABASE_URL": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:billing/db-AbCdEf",
        "SIGNING_KEY": f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/billing/signing-key",
    },
    "iam": [{"sid": "ReadInvoices", "actions": ["s3:GetObject"],
             "resources": ["arn:aws:s3:::invoices/*"]}],
    "network": {
        "cluster_arn": f"arn:aws:ecs:eu-west-1:{ACCOUNT}:cluster/main",
        "vpc_id": "vpc-0123456789abcdef0",
        "subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    },
    "load_balancer": {
        "listener_arn": f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNT}:"
                        "listener/app/edge/50dc6c495c0c9188/f2f7dc8efc522ab2",
        "security_group_id": "sg-0123456789abcdef0",
        "hosts": ["billing.example.com"],
        "priority": 10,
    },
    "telemetry": {
        "endpoint": "https://otlp.vendor.example.com",
        "api_key_secret_arn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:otlp-key-AbCdEf",
    },
}


def _worker() -> dict:
    spec = copy.deepcopy(VALID_WEB)
    spec.update(name="billing-worker", kind="worker")
    for key in ("port", "load_balancer", "health_check_path"):
        spec.pop(key)
    spec["scaling"] = {"queue": {"arn": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:invoices",
                                 "messages_per_task": 20}}
    return spec


VALID_WORKER = _worker()


@pytest.fixture
def web() -> dict:
    """A fresh, valid web spec (as parsed YAML) to modify."""
    return copy.deepcopy(VALID_WEB)


@pytest.fixture
def worker() -> dict:
    return copy.deepcopy(VALID_WORKER)


# ---- construct tests: one cdktf import, synth helpers ------------------------------


@pytest.fixture(scope="session")
def synth_stack():
    """Synthesize a spec (dict/ServiceSpec) in-process; returns the parsed stack JSON."""
    from golden_path.cdk import Testing
    from golden_path.l3.stack import ServiceStack

    def synth(spec) -> dict:
        app = Testing.app()
        stack = ServiceStack(app, spec)
        return json.loads(Testing.synth(stack))

    return synth


def _require_tool(what: str, hint: str) -> None:
    """Missing tools skip locally but fail in CI (GOLDEN_PATH_REQUIRE_TERRAFORM / CI)."""
    message = f"{what} is not available: {hint}"
    if os.environ.get("CI") or os.environ.get("GOLDEN_PATH_REQUIRE_TERRAFORM"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def examples_out(tmp_path_factory) -> Path:
    """The examples synthesized once by the real cdktf CLI (as `make synth` does)."""
    if not CDKTF_CLI.exists():
        _require_tool("the cdktf CLI", "run `make test`, which installs it into .tools/")
    out = tmp_path_factory.mktemp("cdktf") / "cdktf.out"
    env = {**os.environ, "CHECKPOINT_DISABLE": "1"}
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        [str(CDKTF_CLI), "synth", "--output", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope="session")
def checkov_bin() -> str:
    """The checkov that `make setup` installs (.tools/checkov); missing: skip, or fail in CI."""
    from golden_path.review.checkov_scan import checkov_binary

    found = checkov_binary()
    if not found:
        _require_tool("checkov", "run `make test`, which installs it into .tools/checkov")
    return found


def add_open_ssh_rule(out: Path, stack: str = "storefront-sandbox") -> None:
    """One real checkov failure a pull request could add: SSH open to the world."""
    stack_file = out / "stacks" / stack / "cdk.tf.json"
    doc = json.loads(stack_file.read_text())
    doc["resource"].setdefault("aws_vpc_security_group_ingress_rule", {})["debug_ssh"] = {
        "security_group_id": "sg-0123456789abcdef0", "cidr_ipv4": "0.0.0.0/0",
        "ip_protocol": "tcp", "from_port": 22, "to_port": 22}
    stack_file.write_text(json.dumps(doc))


@pytest.fixture(scope="session")
def example_stacks(examples_out) -> dict[str, dict]:
    stacks = examples_out / "stacks"
    return {d.name: json.loads((d / "cdk.tf.json").read_text()) for d in sorted(stacks.iterdir())}


@pytest.fixture(scope="session")
def terraform_bin() -> str:
    found = shutil.which("terraform")
    if not found:
        _require_tool("terraform", "install the Terraform CLI to run offline validation")
    return found


VALID_LAMBDA: dict = {
    "name": "price-api",
    "team": "pricing",
    "environment": "staging",
    "runtime": "lambda",
    "account_id": ACCOUNT,
    "region": "eu-west-1",
    "language": "nodejs22.x",
    "handler": "dist/handler.getPrice",
    "code": {"s3": {"bucket": "artifacts-bucket", "key": "price-api/price-api-1.2.3.zip",
                    "version": "abc123"}},
    "memory": 512,
    "timeout": 10,
    "secrets": {"DB_PASSWORD": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:db-AbCdEf"},
    "triggers": {"sqs": {"batch_size": 10}},
    "iam": [{"sid": "ReadPrices", "actions": ["dynamodb:GetItem"],
             "resources": [f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/prices"]}],
    "telemetry": {
        "endpoint": "https://otlp.vendor.example.com",
        "api_key_secret_arn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:otlp-key-AbCdEf",
        "config_bucket": "golden-path-config",
    },
}


@pytest.fixture
def fn() -> dict:
    """A fresh, valid Lambda spec to modify."""
    return copy.deepcopy(VALID_LAMBDA)


@pytest.fixture
def teams(tmp_path):
    """teams.yaml of three teams: payments (e-mail, PagerDuty), pricing (an existing topic,
    PagerDuty) and quiet (e-mail, no pager)."""
    import yaml

    from golden_path.alerts.registry import TeamRegistry

    path = tmp_path / "teams.yaml"
    path.write_text(yaml.safe_dump({"teams": {
        "payments": {"notify": {"emails": ["pay@example.com"]},
                     "pagerduty": {"integration_url_secret": "pd/payments"}},
        "pricing": {"notify": {"existing_topic": "pricing-alerts"},
                    "pagerduty": {"integration_url_secret": "pd/pricing"}},
        "quiet": {"notify": {"emails": ["q@example.com"]}},
    }}))
    return TeamRegistry.load(path)
