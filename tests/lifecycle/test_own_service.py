"""`make apply-local SERVICE=...` (issue 20, item 8): a user's own fleet-form service file,
from their own platform (another region, an environment named by the platform with a
sandbox profile, code in a build bucket the emulator does not have), goes through the
whole lifecycle on the emulator: init, apply, lock, plan with no changes, destroy, nothing
left."""

from __future__ import annotations

import apply_local as al
import pytest
import yaml

import emulator as em
from conftest import MIRROR_CANDIDATES, _require_tool

pytestmark = [pytest.mark.synth, pytest.mark.terraform]

ACCOUNT = "123412341234"


def _own_fleet(root):
    (root / "services").mkdir(parents=True)
    (root / "platform.yaml").write_text(yaml.safe_dump({
        "defaults": {"region": "us-east-1", "ecs_cluster": "main",
                     "telemetry": {"endpoint": "https://otlp.vendor.example.com",
                                   "api_key_header": "api-key"}},
        "environments": {"dev": {
            "profile": "sandbox", "account": ACCOUNT, "vpc_id": "vpc-0a1b2c3d4e5f60718",
            "subnet_ids": ["subnet-0a1b2c3d4e5f60001"],
            "telemetry": {"api_key_secret_arn":
                          f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:otlp-Zx81Qw",
                          "config_bucket": f"cfg-{ACCOUNT}"},
            "state": {"bucket": f"tfstate-{ACCOUNT}"}}}}))
    (root / "teams.yaml").write_text(yaml.safe_dump(
        {"teams": {"payments": {"notify": {"emails": ["pay@example.com"]}}}}))
    service = root / "services" / "payment-webhook.yaml"
    service.write_text(yaml.safe_dump({
        "name": "payment-webhook", "team": "payments", "runtime": "lambda",
        "language": "nodejs22.x", "handler": "dist/handler.handle", "architecture": "arm64",
        "code": {"s3": {"bucket": "payments-builds", "key": "webhook/1.0.0.zip"}},
        "memory": 256, "timeout": 10, "triggers": {"http": {"function_url": {"auth": "AWS_IAM"}}},
        "calls": [{"service": "orders-api"}],
        "alerts": {"runbook": "https://runbooks.example.com/payments/webhook"},
        "environments": {"dev": {"variables": {"STAGE": "{environment}"}}}}))
    return service


def test_your_own_service_through_the_emulator(tmp_path, capsys):
    for what, hint in em.missing_tools(MIRROR_CANDIDATES):
        _require_tool(what, hint)
    service = _own_fleet(tmp_path / "fleet")
    code = al.main(["--service", str(service)])
    out = capsys.readouterr().out
    assert code == 0, out[-8000:]
    assert f"platform: dev (profile sandbox) in account {ACCOUNT} (us-east-1), team payments" in out
    assert "replaced for the emulator: code: the harness's Node.js artifact" in out
    assert "replaced for the emulator: calls: dropped" in out
    # the platform's settings are the emulator's, and each one that differs is said
    assert (f"replaced for the emulator: platform state.bucket: golden-path-state-{ACCOUNT} "
            f"(yours: tfstate-{ACCOUNT})") in out
    assert "(refused, as it must be: the state is locked)" in out
    assert "synth: payment-webhook-dev from" in out  # a sandbox profile: no team route stack
    assert "[payment-webhook-dev] after destroy: " in out and "LEFT BEHIND" not in out
    assert "apply-local: ok" in out


def test_a_mistake_in_your_file_is_reported_before_anything_starts(tmp_path, capsys):
    service = _own_fleet(tmp_path / "fleet")
    service.write_text(service.read_text().replace("memory: 256", "memory: 100000"))
    assert al.main(["--service", str(service)]) == 2
    out = capsys.readouterr().out
    assert f"{service}:" in out and "memory" in out and "working in" not in out
    assert al.main(["--service", str(service), "--environment", "prod"]) == 2
    assert "does not run in 'prod'; it runs in dev" in capsys.readouterr().out
