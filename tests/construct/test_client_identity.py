"""Issue: finding the one flooding client. Every example service has a request-rate anomaly
alarm, and client identity reaches the collectors as a key *reference*: the sidecar's ECS
secret, the layer's Secrets Manager reference; never the key, never a data source."""

from __future__ import annotations

import json

import pytest

from tfjson import containers, resources

pytestmark = pytest.mark.synth

KEY = {env: f"arn:aws:secretsmanager:eu-west-1:{account}:secret:observability/pseudonym-key-{s}"
       for env, account, s in (("sandbox", "111122223333", "Hs42Lm"),
                               ("staging", "222233334444", "Qe73Vn"),
                               ("production", "444455556666", "Wz15Kc"))}
RATE_ALARM = {"storefront": "requests-anomaly", "order-fulfilment-worker": "intake-anomaly",
              "price-api": "invocations-anomaly", "invoice-consumer": "invocations-anomaly"}


def _services(example_stacks):
    for name, stack in example_stacks.items():
        if not name.startswith("team-"):
            service, env = name.rsplit("-", 1)
            yield service, env, stack


def test_every_service_has_its_request_rate_anomaly_alarm(example_stacks):
    for service, env, stack in _services(example_stacks):
        alarms = {a["alarm_name"]: a for a in resources(stack, "aws_cloudwatch_metric_alarm")}
        (alarm,) = [a for n, a in alarms.items() if n.endswith(f"-{RATE_ALARM[service]}")]
        assert alarm["threshold_metric_id"] == "band", (service, env)
        (band,) = [q for q in alarm["metric_query"] if q["id"] == "band"]
        assert band["expression"].startswith("ANOMALY_DETECTION_BAND(")
        assert band["expression"].endswith(", 3)")
        assert alarm["tags"]["severity"] == "warning"


def test_collectors_get_the_key_by_reference_only(example_stacks):
    for service, env, stack in _services(example_stacks):
        text = json.dumps(stack)
        assert KEY[env] in text, (service, env)
        assert not resources(stack, "aws_secretsmanager_secret_version")
        data = stack.get("data", {})
        assert all(KEY[env] not in json.dumps(v) for v in data.get(
            "aws_secretsmanager_secret_version", {}).values())
        if "aws_ecs_task_definition" in stack["resource"]:
            # telemetry-init reads the secret and writes its hex digest for the collector.
            init = containers(stack)["telemetry-init"]
            assert {"name": "PSEUDONYM_KEY", "valueFrom": KEY[env]} in init["secrets"]
            collector = containers(stack)["otel-collector"]
            assert KEY[env] not in json.dumps(collector)
            params = {p["name"]: p["value"] for p in resources(stack, "aws_ssm_parameter")}
            (second,) = [v for n, v in params.items() if n.endswith("otel-collector-self-config")]
            assert ('["${file:/opt/golden-path-key/pseudonym-key.yaml}", attributes'
                    in second.replace("$${", "${"))
        else:
            (config,) = [o["content"] for o in resources(stack, "aws_s3_object")]
            assert "${secretsmanager:" + KEY[env] + "}" in config.replace("$${", "${")
