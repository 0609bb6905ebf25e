"""ApplicationService with runtime: lambda, synthesized in-process."""

from __future__ import annotations

import copy
import json

import pytest

from tfjson import one, policy, resources

pytestmark = pytest.mark.synth


@pytest.fixture(scope="module")
def sqs_stack(synth_stack):
    from conftest import VALID_LAMBDA

    spec = copy.deepcopy(VALID_LAMBDA)
    spec["triggers"]["schedules"] = [{"expression": "rate(5 minutes)", "description": "warm"}]
    return synth_stack(spec)


@pytest.fixture(scope="module")
def http_stack(synth_stack):
    from conftest import VALID_LAMBDA

    spec = copy.deepcopy(VALID_LAMBDA)
    spec.update(environment="production", alerts={"runbook": "https://runbooks.example.com/p"},
                triggers={"http": {"api": {
        "api_id": "a1b2c3d4e5", "route": "GET /prices/{sku}", "authorization": "JWT",
        "authorizer_id": "abc123"}}})
    return synth_stack(spec)


def test_resources(sqs_stack, http_stack):
    assert {t: len(r) for t, r in sqs_stack["resource"].items()} == {
        "aws_cloudwatch_event_rule": 1, "aws_cloudwatch_event_target": 1,
        "aws_cloudwatch_log_group": 1, "aws_cloudwatch_log_data_protection_policy": 1,
        "aws_iam_role": 1, "aws_iam_role_policy": 1,
        "aws_lambda_event_source_mapping": 1, "aws_lambda_function": 1,
        "aws_lambda_function_recursion_config": 1,
        "aws_lambda_permission": 1, "aws_s3_object": 1, "aws_sqs_queue": 2,
        # 6 golden signals; availability's 8 windows and 2 composites (no latency objective:
        # a queue consumer); docs/slo.md
        "aws_cloudwatch_metric_alarm": 6 + 8, "aws_cloudwatch_composite_alarm": 2,
        "aws_cloudwatch_dashboard": 1}
    assert {t: len(r) for t, r in http_stack["resource"].items()} == {
        "aws_apigatewayv2_integration": 1, "aws_apigatewayv2_route": 1,
        "aws_cloudwatch_log_group": 1, "aws_cloudwatch_log_data_protection_policy": 1,
        "aws_iam_role": 1, "aws_iam_role_policy": 1,
        "aws_lambda_function": 1, "aws_lambda_function_recursion_config": 1,
        "aws_lambda_permission": 1, "aws_s3_object": 1,
        # behind HTTP: both objectives, 16 windows and 4 composites
        "aws_cloudwatch_metric_alarm": 4 + 16, "aws_cloudwatch_composite_alarm": 4,
        "aws_cloudwatch_dashboard": 1}


def test_function_logging_layers_and_sizes(http_stack):
    f = one(http_stack, "aws_lambda_function")
    assert f["function_name"] == "price-api-production"
    assert f["logging_config"] == {"log_format": "JSON", "log_group": "/aws/lambda/price-api-production",
                                   "application_log_level": "WARN", "system_log_level": "WARN"}
    assert f["layers"] == [
        "arn:aws:lambda:eu-west-1:184161586896:layer:opentelemetry-nodejs-0_23_0:1",
        "arn:aws:lambda:eu-west-1:184161586896:layer:opentelemetry-collector-arm64-0_23_0:1"]
    assert (f["memory_size"], f["timeout"], f["architectures"]) == (512, 10, ["arm64"])
    assert f["s3_object_version"] == "abc123"
    assert len(f["environment"]["variables"]["OTELCOL_CONFIG_SHA256"]) == 64


def test_log_group_created_by_us_with_retention(http_stack):
    group = one(http_stack, "aws_cloudwatch_log_group")
    assert (group["name"], group["retention_in_days"], group["skip_destroy"]) == (
        "/aws/lambda/price-api-production", 90, True)


def test_collector_config_object_is_readable(http_stack):
    obj = one(http_stack, "aws_s3_object")
    assert obj["bucket"] == "golden-path-config"
    assert obj["key"] == "golden-path/production/pricing/price-api/otel-collector.yaml"
    assert "    sampling_percentage: 0.1\n" in obj["content"]
    assert "$${secretsmanager:arn:aws:secretsmanager" in obj["content"]


def test_queue_dlq_and_partial_batch_failures(sqs_stack):
    queues = {q["name"]: q for q in resources(sqs_stack, "aws_sqs_queue")}
    assert set(queues) == {"price-api-staging", "price-api-staging-dlq"}
    main = queues["price-api-staging"]
    assert main["visibility_timeout_seconds"] == 60
    assert main["sqs_managed_sse_enabled"] is True
    redrive = json.loads(main["redrive_policy"])
    assert redrive["maxReceiveCount"] == 5
    assert redrive["deadLetterTargetArn"].startswith("${aws_sqs_queue.")
    mapping = one(sqs_stack, "aws_lambda_event_source_mapping")
    assert mapping["function_response_types"] == ["ReportBatchItemFailures"]
    assert mapping["batch_size"] == 10


def test_http_route_and_scoped_permission(http_stack):
    route = one(http_stack, "aws_apigatewayv2_route")
    assert (route["route_key"], route["authorization_type"], route["authorizer_id"]) == (
        "GET /prices/{sku}", "JWT", "abc123")
    permission = one(http_stack, "aws_lambda_permission")
    assert permission["principal"] == "apigateway.amazonaws.com"
    assert permission["source_arn"] == (
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/GET/prices/*")
    integration = one(http_stack, "aws_apigatewayv2_integration")
    assert integration["payload_format_version"] == "2.0"


def test_schedule(sqs_stack):
    rule = one(sqs_stack, "aws_cloudwatch_event_rule")
    assert (rule["name"], rule["schedule_expression"], rule["state"]) == (
        "price-api-staging-schedule-0", "rate(5 minutes)", "ENABLED")
    assert one(sqs_stack, "aws_lambda_permission")["principal"] == "events.amazonaws.com"


def test_role_policy(sqs_stack):
    doc = policy(one(sqs_stack, "aws_iam_role_policy"))
    assert {s["Sid"] for s in doc["Statement"]} == {
        "OwnLogGroup", "CollectorConfig", "ReadSecrets", "ConsumeOwnQueue", "ReadPrices"}


def test_public_function_url(synth_stack, fn):
    fn["triggers"] = {"http": {"function_url": {"auth": "NONE",
                                                "public_reason": "public price list"}}}
    stack = synth_stack(fn)
    assert one(stack, "aws_lambda_function_url")["authorization_type"] == "NONE"
    permission = one(stack, "aws_lambda_permission")
    assert (permission["action"], permission["principal"], permission["function_url_auth_type"]) \
        == ("lambda:InvokeFunctionUrl", "*", "NONE")


def test_every_taggable_lambda_resource_is_tagged(sqs_stack):
    untaggable = {"aws_iam_role_policy", "aws_lambda_permission", "aws_cloudwatch_event_target",
                  "aws_cloudwatch_dashboard", "aws_lambda_function_recursion_config",
                  "aws_cloudwatch_log_data_protection_policy"}
    for rtype, items in sqs_stack["resource"].items():
        if rtype in untaggable:
            continue
        for res in items.values():
            assert res["tags"]["team"] == "pricing", rtype


def test_recursion_guard_terminates_loops(sqs_stack, http_stack):
    for stack in (sqs_stack, http_stack):
        guard = one(stack, "aws_lambda_function_recursion_config")
        function = next(iter(stack["resource"]["aws_lambda_function"]))
        assert guard == {"function_name": f"${{aws_lambda_function.{function}.function_name}}",
                         "recursive_loop": "Terminate"}


def test_anomaly_band_alarm(sqs_stack):
    alarms = {a["alarm_name"]: a for a in resources(sqs_stack, "aws_cloudwatch_metric_alarm")}
    band = alarms["staging-pricing-price-api-invocations-anomaly"]
    assert band["threshold_metric_id"] == "band" and "threshold" not in band
    queries = {q["id"]: q for q in band["metric_query"]}
    assert queries["band"]["expression"] == "ANOMALY_DETECTION_BAND(invocations, 3)"
    assert queries["invocations"]["return_data"] is True
