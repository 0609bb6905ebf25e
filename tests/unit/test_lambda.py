"""Lambda: spec, resolve, layers, logging controls, IAM, collector config. No cdktf."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from golden_path import SpecError
from golden_path.load.service_file import parse_service
from golden_path.resolve.lambda_ import UNZIPPED_LIMIT_BYTES, resolve_function
from golden_path.resolve.policies import function_role_statements, lambda_trust
from golden_path.telemetry.distributions import distribution
from golden_path.telemetry.lambda_layers import catalog
from golden_path.telemetry.render import render_collector_config
from mutate import DELETE, set_field
from pipeline import Record, apply_mask, mask_statements

ACCT = "123456789012"
TODAY = date(2026, 11, 25)


def resolved(spec: dict):
    return resolve_function(parse_service(spec), today=TODAY)



BAD = [
    ("unknown runtime", set_field("runtime", "k8s"), "runtime", "k8s",
     "expected one of ecs, lambda (default: ecs)"),
    ("unsupported language", set_field("language", "ruby3.3"), "language", "ruby3.3",
     "Input should be 'nodejs20.x', 'nodejs22.x', 'python3.12', 'python3.13' or 'java21'"),
    ("memory too small", set_field("memory", 64), "memory", 64,
     "Input should be greater than or equal to 128"),
    ("timeout too long", set_field("timeout", 901), "timeout", 901,
     "Input should be less than or equal to 900"),
    ("ephemeral storage too small", set_field("ephemeral_storage", 256), "ephemeral_storage", 256,
     "Input should be greater than or equal to 512"),
    ("bad node handler", set_field("handler", "handler"), "handler", "handler",
     "not a nodejs22.x handler; expected file.export, e.g. 'index.handler' or "
     "'dist/api.handler'"),
    ("missing handler", set_field("handler", DELETE), "handler", "<missing>",
     "a zip package needs a handler: file.export, e.g. 'index.handler' or 'dist/api.handler'"),
    ("both code kinds", set_field("code.image", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1"),
     "code", "s3 and image", "give exactly one of code.s3 (bucket, key, version) or code.image "
     "(or, for an adopted function, code.deployed); an environment that changes the kind sets "
     "the shared one to null, e.g. `s3: null`"),
    ("code key not an archive", set_field("code.s3.key", "price-api/build"), "code.s3.key",
     "price-api/build", "does not match the pattern \\.(zip|jar)$"),
    ("bad account id", set_field("account_id", "12345"), "account_id", "12345",
     "does not match the pattern ^\\d{12}$"),
    ("visibility below timeout", set_field("triggers.sqs.visibility_timeout_seconds", 5),
     "triggers.sqs.visibility_timeout_seconds", 5,
     "must be at least the function timeout (10 s), or messages are redelivered while still "
     "being processed; AWS recommends 60"),
    ("big batch without window", set_field("triggers.sqs.batch_size", 100),
     "triggers.sqs.max_batching_window_seconds", 0,
     "a batch_size above 10 needs max_batching_window_seconds of at least 1"),
    ("public route without reason", set_field("triggers.http", {"api": {
        "api_id": "a1b2c3d4e5", "route": "GET /x", "authorization": "NONE"}}),
     "triggers.http.api.public_reason", "<missing>",
     "an endpoint without authentication needs public_reason saying why it is safe to expose"),
    ("JWT without authorizer", set_field("triggers.http", {"api": {
        "api_id": "a1b2c3d4e5", "route": "GET /x", "authorization": "JWT"}}),
     "triggers.http.api.authorizer_id", "<missing>",
     "JWT authorization needs the API's authorizer_id"),
    ("bad route", set_field("triggers.http", {"api": {"api_id": "a1b2c3d4e5", "route": "/x"}}),
     "triggers.http.api.route", "/x",
     "does not match the pattern ^(ANY|GET|HEAD|OPTIONS|POST|PUT|PATCH|DELETE) /\\S*$"),
    ("bad schedule", set_field("triggers.schedules", [{"expression": "every 5 minutes"}]),
     "triggers.schedules[0].expression", "every 5 minutes",
     "does not match the pattern ^(rate\\(\\d+ (minute|minutes|hour|hours|day|days)\\)|"
     "cron\\([^)]+\\))$"),
    ("no config bucket", set_field("telemetry.config_bucket", DELETE), "telemetry.config_bucket",
     "<missing>", "a Lambda function reads its collector config from S3: name the platform's "
                  "config bucket"),
    ("adot for lambda", set_field("telemetry.distribution", "adot"), "telemetry.distribution",
     "adot", "Lambda functions use the opentelemetry-lambda collector layer; remove "
             "telemetry.distribution"),
    ("wildcard action", set_field("iam.0.actions", ["dynamodb:*"]), "iam[0].actions[0]",
     "dynamodb:*", "wildcard actions are rejected: list the exact actions, or add "
                   "wildcard_reason explaining why nothing narrower works"),
    ("reserved concurrency negative", set_field("reserved_concurrency", -1), "reserved_concurrency",
     -1, "Input should be greater than or equal to 0"),
]


@pytest.mark.parametrize(("mutate", "field", "value", "hint"), [c[1:] for c in BAD],
                         ids=[c[0] for c in BAD])
def test_bad_lambda_spec(fn, mutate, field, value, hint):
    mutate(fn)
    with pytest.raises(SpecError) as caught:
        parse_service(fn)
    got = [(p.field, repr(p.value) if p.value.__class__.__name__ == "_Missing" else p.value,
            p.hint) for p in caught.value.problems]
    assert got == [(field, value, hint)]


def test_python_and_java_handler_formats(fn):
    fn.update(language="python3.13", handler="consumer.main.handle")
    assert parse_service(fn).handler == "consumer.main.handle"
    fn.update(handler="consumer-main")
    with pytest.raises(SpecError, match="module.function"):
        parse_service(fn)
    fn.update(language="java21", handler="com.example.Prices::handleRequest")
    assert resolved(fn).layers.exec_wrapper == "/opt/otel-handler"


def test_layer_missing_for_region_names_the_combination(fn):
    fn["region"] = "cn-north-1"
    # The fixture's secrets stay in eu-west-1 (spec/arn_scope.py).
    fn["cross_region"] = [{"region": "eu-west-1", "reason": "the fixture's secrets stay there"}]
    with pytest.raises(SpecError) as caught:
        resolved(fn)
    assert caught.value.field == "language"
    assert caught.value.hint.startswith(
        "the collector layer 0.23.0 is not published in cn-north-1 (source: "
        "open-telemetry/opentelemetry-lambda, tag layer-collector/0.23.0")
    assert "for arm64 in cn-north-1" in caught.value.hint


def test_reserved_otel_variable(fn):
    fn["variables"] = {"AWS_LAMBDA_EXEC_WRAPPER": "/opt/mine"}
    with pytest.raises(SpecError) as caught:
        resolved(fn)
    assert caught.value.hint == ("AWS_LAMBDA_EXEC_WRAPPER is set by golden_path for telemetry; "
                                 "remove it")


def test_environment_size_limit(fn):
    fn["variables"] = {f"V{i}": "x" * 200 for i in range(20)}
    with pytest.raises(SpecError) as caught:
        resolved(fn)
    assert caught.value.field == "variables"
    assert "Lambda allows 4096 bytes of environment variables" in caught.value.hint


@pytest.mark.parametrize(("arch", "collector"), [
    ("arm64", "opentelemetry-collector-arm64-0_23_0"),
    ("x86_64", "opentelemetry-collector-amd64-0_23_0"),
])
def test_layers_by_runtime_architecture_region(fn, arch, collector):
    fn["architecture"] = arch
    f = resolved(fn)
    assert f.layers.collector_arn == f"arn:aws:lambda:eu-west-1:184161586896:layer:{collector}:1"
    assert f.layers.language_arn == (
        "arn:aws:lambda:eu-west-1:184161586896:layer:opentelemetry-nodejs-0_23_0:1")
    assert f.environment["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/otel-handler"


def test_python_uses_otel_instrument(fn):
    fn.update(language="python3.12", handler="app.handler")
    f = resolved(fn)
    assert f.environment["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/otel-instrument"
    assert "opentelemetry-python-0_21_0" in f.layers.language_arn


def test_image_function_has_no_layers(fn):
    fn["code"] = {"image": f"{ACCT}.dkr.ecr.eu-west-1.amazonaws.com/price-api:1.2.3"}
    del fn["handler"]
    f = resolved(fn)
    assert f.layers is None and "AWS_LAMBDA_EXEC_WRAPPER" not in f.environment
    assert f.telemetry.resource_attributes["service.version"] == "1.2.3"


@pytest.mark.parametrize(("env", "app_level", "system_level", "retention"), [
    ("sandbox", "DEBUG", "INFO", 7), ("staging", "INFO", "WARN", 30),
    ("production", "WARN", "WARN", 90),
])
def test_logging_controls_by_environment(fn, env, app_level, system_level, retention):
    fn["environment"] = env
    f = resolved(fn)
    assert (f.application_log_level, f.system_log_level, f.log_retention_days) == (
        app_level, system_level, retention)
    assert f.names.log_group == f"/aws/lambda/price-api-{env}"


def test_environment_for_telemetry(fn):
    env = resolved(fn).environment
    assert env["OPENTELEMETRY_COLLECTOR_CONFIG_URI"] == (
        "s3://golden-path-config.s3.eu-west-1.amazonaws.com/"
        "golden-path/staging/pricing/price-api/otel-collector.yaml")
    assert env["OTEL_PROPAGATORS"] == "tracecontext,baggage,xray"
    assert env["OTEL_TRACES_SAMPLER"] == "parentbased_always_on"
    assert env["DB_PASSWORD_SECRET_ARN"] == (
        f"arn:aws:secretsmanager:eu-west-1:{ACCT}:secret:db-AbCdEf")
    assert "service.version=price-api-1.2.3" in env["OTEL_RESOURCE_ATTRIBUTES"]


def test_queue_defaults(fn):
    f = resolved(fn)
    assert f.queue.visibility_timeout == 60  # six times the 10 s timeout
    assert (f.names.queue, f.names.dead_letter_queue) == ("price-api-staging",
                                                          "price-api-staging-dlq")
    fn["triggers"]["sqs"]["fifo"] = True
    assert resolved(fn).names.dead_letter_queue == "price-api-staging-dlq.fifo"


def test_role_is_own_log_group_queue_secrets_config_and_team(fn):
    f = resolved(fn)
    st = {s["Sid"]: s for s in function_role_statements(f)}
    assert set(st) == {"OwnLogGroup", "CollectorConfig", "ReadSecrets", "ConsumeOwnQueue",
                       "ReadPrices"}
    assert st["OwnLogGroup"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{ACCT}:log-group:/aws/lambda/price-api-staging:log-stream:*"]
    assert st["ConsumeOwnQueue"]["Resource"] == [f"arn:aws:sqs:eu-west-1:{ACCT}:price-api-staging"]
    assert st["CollectorConfig"]["Resource"] == [
        "arn:aws:s3:::golden-path-config/golden-path/staging/pricing/price-api/otel-collector.yaml"]
    assert set(st["ReadSecrets"]["Resource"]) == {
        f"arn:aws:secretsmanager:eu-west-1:{ACCT}:secret:db-AbCdEf",
        f"arn:aws:secretsmanager:eu-west-1:{ACCT}:secret:otlp-key-AbCdEf"}
    actions = [a for s in st.values() for a in s["Action"]]
    assert not any("*" in a for a in actions)
    assert lambda_trust(f)["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_vpc_access_only_with_a_vpc(fn):
    assert "VpcAccess" not in {s["Sid"] for s in function_role_statements(resolved(fn))}
    fn["vpc"] = {"subnet_ids": ["subnet-0123456789abcdef0"],
                 "security_group_ids": ["sg-0123456789abcdef0"]}
    assert "VpcAccess" in {s["Sid"] for s in function_role_statements(resolved(fn))}


# ---- the collector layer's config -----------------------------------------------------


@pytest.fixture
def layer_config(fn) -> dict:
    fn["environment"] = "production"
    return yaml.safe_load(render_collector_config(resolved(fn)))


def test_layer_config_uses_only_layer_components(layer_config):
    assert distribution("lambda-collector").missing(layer_config) == []


def test_layer_pipelines_sample_and_mask_like_ecs(layer_config):
    p = layer_config["service"]["pipelines"]
    assert p["traces/sampled"]["processors"] == [
        "resource", "filter/noise", "transform/mask", "filter/no_errors",
        "probabilistic_sampler", "batch", "decouple"]
    assert p["traces/errors"]["processors"][-3:] == ["filter/errors_only", "batch", "decouple"]
    assert layer_config["processors"]["probabilistic_sampler"] == {
        "mode": "hash_seed", "hash_seed": 22, "sampling_percentage": 0.1}
    body = "refund for jane@example.com with Bearer abc.def"
    masked = apply_mask(mask_statements(layer_config, "log"), Record(body=body)).body
    assert masked == "refund for ****@**** with Bearer ****"


def test_layer_reads_the_key_from_secrets_manager(layer_config):
    headers = layer_config["exporters"]["otlp_http/vendor"]["headers"]
    assert headers == {"api-key": "${secretsmanager:arn:aws:secretsmanager:eu-west-1:"
                                  f"{ACCT}:secret:otlp-key-AbCdEf}}"}
    assert "extensions" not in layer_config  # the layer has no health_check
    attrs = {a["key"]: a["value"] for a in layer_config["processors"]["resource"]["attributes"]}
    assert attrs["cloud.platform"] == "aws_lambda"


def test_layer_without_a_component_is_refused(fn):
    from golden_path.telemetry.distributions import Distribution

    layer = distribution("lambda-collector")
    assert isinstance(layer, Distribution)
    assert "redaction" not in layer.components["processors"]
    assert "resourcedetection" not in layer.components["processors"]


# ---- Lambda's limits: 5 layers, 250 MB unzipped (docs/lambda-limits.md) ---------------

LAYER = "arn:aws:lambda:eu-west-1:123456789012:layer:pricing-{}:3"


def test_every_pinned_layer_has_its_unzipped_size():
    for name, layer in catalog()["layers"].items():
        for arch in layer["layer_names"]:
            size = layer["unzipped_bytes"][arch]
            assert isinstance(size, int) and 0 < size < UNZIPPED_LIMIT_BYTES, (name, arch)
        source = layer["size_source"]
        assert source.startswith(("Measured", "Published")) and "Chosen" in source, name


def test_layer_count_at_the_limit_passes(fn):
    fn["layers"] = [LAYER.format(i) for i in range(3)]
    f = resolved(fn)
    assert f.layer_arns == (*fn["layers"], f.layers.language_arn, f.layers.collector_arn)


def test_one_layer_over_the_limit_names_the_numbers(fn):
    fn.update(language="python3.13", handler="app.handler",
              layers=[LAYER.format(i) for i in range(4)])
    with pytest.raises(SpecError) as caught:
        resolved(fn)
    assert str(caught.value.problems[0]) == (
        "layers = 6: golden_path adds 2 (collector 0.23.0, python 0.21.0), the function lists 4; "
        "Lambda allows 5 per function; drop one of your layers")


def _room_for_code(fn) -> int:
    """Bytes left for the code next to golden_path's layers (arm64, Node.js)."""
    layers = catalog()["layers"]
    return (UNZIPPED_LIMIT_BYTES - layers["collector"]["unzipped_bytes"][fn["architecture"]]
            - layers["nodejs"]["unzipped_bytes"][fn["architecture"]])


def test_unzipped_size_at_the_limit_passes_one_byte_over_fails(fn):
    fn["architecture"] = "arm64"
    fn["code_size_mb"] = _room_for_code(fn) / 2**20
    resolved(fn)
    fn["code_size_mb"] = (_room_for_code(fn) + 1) / 2**20
    with pytest.raises(SpecError) as caught:
        resolved(fn)
    assert caught.value.field == "code_size_mb"
    assert "unzipped size 250 MB (262,144,001 bytes) = code and own layers" in caught.value.hint


def test_unzipped_size_over_the_limit_names_the_numbers(fn):
    fn.update(language="python3.13", handler="app.handler", architecture="x86_64",
              code_size_mb=200)
    with pytest.raises(SpecError) as caught:
        resolved(fn)
    assert str(caught.value.problems[0]) == (
        "code_size_mb = 200.0: unzipped size 276.3 MB (289,715,200 bytes) = code and own layers "
        "200 MB + collector 0.23.0 57.2 MB + python 0.21.0 19.1 MB; Lambda allows 250 MB "
        "(262,144,000 bytes) for a function's code and all its layers (golden_path's sizes are "
        "upper estimates, see docs/lambda-limits.md); shrink the package or your layers, or "
        "deploy a container image (up to 10 GB)")


@pytest.mark.parametrize(("layers", "field", "hint"), [
    (["arn:aws:lambda:us-east-1:123456789012:layer:pricing-deps:3"], "layers[0]",
     "a layer must be in the function's region (eu-west-1), not us-east-1: Lambda cannot use a "
     "layer from another region (cross_region does not change that); use the layer's eu-west-1 "
     "version (a fleet-form file may write {region} in place of the region)"),
    ([LAYER.format("deps"), LAYER.format("deps").replace(":3", ":4")], "layers[1]",
     "this layer is listed twice (Lambda takes one version of each layer); keep one"),
])
def test_team_layer_problems(fn, layers, field, hint):
    fn["layers"] = layers
    with pytest.raises(SpecError) as caught:
        parse_service(fn)
    assert (caught.value.field, caught.value.hint) == (field, hint)


def test_team_layer_is_a_layer_version_arn(fn):
    fn["layers"] = ["pricing-deps"]
    with pytest.raises(SpecError) as caught:
        parse_service(fn)
    assert caught.value.field == "layers[0]"
    assert "does not match the pattern" in caught.value.hint


def test_team_cannot_add_golden_paths_own_layer(fn):
    fn["layers"] = ["arn:aws:lambda:eu-west-1:184161586896:layer:opentelemetry-nodejs-0_23_0:1"]
    with pytest.raises(SpecError) as caught:
        resolved(fn)
    assert (caught.value.field, caught.value.hint) == (
        "layers[0]", "golden_path adds the nodejs 0.23.0 layer itself; remove it")


def test_image_functions_are_exempt_and_take_no_layers(fn):
    fn["code"] = {"image": f"{ACCT}.dkr.ecr.eu-west-1.amazonaws.com/price-api:1.2.3"}
    del fn["handler"]
    assert resolved(fn).layer_arns == ()
    fn.update(layers=[LAYER.format("deps")], code_size_mb=300)
    with pytest.raises(SpecError) as caught:
        parse_service(fn)
    assert [(p.field, p.hint) for p in caught.value.problems] == [
        ("layers", "an image function cannot have layers; build them into the image"),
        ("code_size_mb", "the 250 MB limit is for zip functions (an image may be 10 GB); "
                         "remove code_size_mb")]
