"""The telemetry policy: per environment, overrides, masking and filtering on samples."""

from __future__ import annotations

from datetime import date

import pytest
import yaml

from golden_path import ServiceSpec, SpecError, resolve
from golden_path.telemetry.distributions import distribution, distributions
from golden_path.telemetry.policy import effective_sampling_percent, sampling_buckets
from golden_path.telemetry.render import (
    merge_configs,
    render_collector_config,
    render_router_config,
    render_self_metrics_config,
)
from pipeline import (
    Event,
    Record,
    collector_drops_log,
    collector_drops_span,
    fluent_bit_keeps,
    mask,
)

TODAY = date(2026, 11, 25)


def rendered(spec: dict, today: date = TODAY):
    """(service, the collector's config as it runs: both files merged, Fluent Bit config)."""
    svc = resolve(ServiceSpec.parse(spec), today=today)
    config = merge_configs(yaml.safe_load(render_collector_config(svc)),
                           yaml.safe_load(render_self_metrics_config(svc)))
    return svc, config, render_router_config(svc)


def in_env(spec: dict, env: str) -> dict:
    spec.update(environment=env)
    if env == "production":
        spec["scaling"] = {"min": 2}
    return spec


# ---- per environment ---------------------------------------------------------------------

@pytest.mark.parametrize(("env", "percent", "floor", "batch"), [
    ("sandbox", 100, "debug", 256),
    ("staging", 10, "info", 512),
    ("production", 0.1, "warn", 2048),
])
def test_sampling_floor_and_batching_by_environment(web, env, percent, floor, batch):
    svc, config, _ = rendered(in_env(web, env))
    assert config["processors"]["probabilistic_sampler"] == {
        "mode": "hash_seed", "hash_seed": 22, "sampling_percentage": percent}
    assert svc.telemetry.log_level == floor
    assert config["processors"]["batch"]["send_batch_size"] == batch


@pytest.mark.parametrize(("percent", "buckets"), [
    (100, 16384), (25, 4096), (10, 1638), (1, 163), (0.1, 16), (0.01, 1), (0.0062, 1),
    (0.0061, 0), (0.09765625, 16),
])
def test_sampling_keeps_whole_hash_buckets(percent, buckets):
    # probabilistic_sampler: uint32(float32(pct) * 163.84) of 16,384 buckets (sampler_mode.go).
    assert sampling_buckets(percent) == buckets
    assert effective_sampling_percent(percent) == 100 * buckets / 16384


def test_a_share_below_one_bucket_is_refused(web):
    in_env(web, "production")["telemetry"]["incident"] = {
        "sampling_percent": 0.005, "reason": "INC-9", "expires": "2026-11-27"}
    with pytest.raises(SpecError) as caught:
        rendered(web)
    assert caught.value.field == "telemetry.sampling_percent"
    assert "would keep no trace" in caught.value.hint


def test_processor_order_in_every_pipeline(web):
    _, config, _ = rendered(web)
    pipelines = config["service"]["pipelines"]
    head = ["memory_limiter", "resource_detection", "resource", "filter/noise"]
    assert pipelines["traces/sampled"]["processors"] == [
        *head, "transform/mask", "filter/no_errors", "probabilistic_sampler", "batch"]
    assert pipelines["traces/errors"]["processors"] == [
        *head, "transform/mask", "filter/errors_only", "batch"]
    assert pipelines["logs"]["processors"] == [*head, "transform/mask_logs", "batch"]
    assert pipelines["metrics"]["processors"] == [
        "memory_limiter", "resource_detection", "resource", "batch"]


def test_errors_are_kept_outside_the_sampler(web):
    _, config, _ = rendered(in_env(web, "production"))
    for status, errors_only, no_errors in [("STATUS_CODE_ERROR", False, True),
                                           ("STATUS_CODE_OK", True, False),
                                           ("STATUS_CODE_UNSET", True, False)]:
        assert collector_drops_span(config, "filter/errors_only", {}, status) is errors_only
        assert collector_drops_span(config, "filter/no_errors", {}, status) is no_errors
    assert "probabilistic_sampler" not in config["service"]["pipelines"]["traces/errors"][
        "processors"]


def test_one_hash_seed_for_the_fleet(web, worker):
    seeds = {rendered(s)[1]["processors"]["probabilistic_sampler"]["hash_seed"]
             for s in (web, worker, in_env(worker, "production"))}
    assert seeds == {22}


def test_resource_attributes(web):
    _, config, _ = rendered(web)
    attrs = {a["key"]: a["value"] for a in config["processors"]["resource"]["attributes"]}
    assert attrs == {"service.name": "billing-api", "service.version": "1.4.2",
                     "deployment.environment.name": "staging", "team": "payments",
                     "cloud.platform": "aws_ecs", "aws.ecs.launchtype": "fargate"}
    assert config["processors"]["resource_detection"]["detectors"] == ["env", "ecs"]


def test_exporter_queue_and_retry(web):
    _, config, _ = rendered(in_env(web, "production"))
    exporter = config["exporters"]["otlp_http/vendor"]
    assert exporter["sending_queue"]["sizer"] == "bytes"
    assert exporter["retry_on_failure"] == {"enabled": True, "initial_interval": "5s",
                                            "max_interval": "30s", "max_elapsed_time": "300s"}
    assert config["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"][
        "prometheus"] == {"host": "localhost", "port": 8888}


def test_memory_limiter_and_gomemlimit_agree(web):
    svc, config, _ = rendered(web)
    assert config["processors"]["memory_limiter"]["limit_mib"] == 102
    assert svc.collector.gomemlimit == "102MiB"


# ---- team overrides and the incident override ----------------------------------------

def test_team_override_within_bounds(web):
    web["telemetry"].update(sampling_percent=25, log_level="warn")
    svc, config, _ = rendered(web)
    assert config["processors"]["probabilistic_sampler"]["sampling_percentage"] == 25
    assert svc.telemetry.log_level == "warn"


@pytest.mark.parametrize(("override", "field", "hint"), [
    ({"sampling_percent": 50}, "telemetry.sampling_percent",
     "in production sampling is 0.01..10 %; to raise it during an incident use "
     "telemetry.incident"),
    ({"log_level": "debug"}, "telemetry.log_level",
     "in production the most verbose floor is info; during an incident use "
     "telemetry.incident.log_level"),
])
def test_team_override_out_of_bounds(web, override, field, hint):
    in_env(web, "production")["telemetry"].update(override)
    with pytest.raises(SpecError) as caught:
        rendered(web)
    assert (caught.value.field, caught.value.hint) == (field, hint)


def test_incident_override_raises_sampling_and_lowers_floor(web):
    in_env(web, "production")["telemetry"]["incident"] = {
        "sampling_percent": 100, "log_level": "debug", "reason": "INC-4711 checkout 5xx",
        "expires": "2026-11-27"}
    svc, config, router = rendered(web)
    assert config["processors"]["probabilistic_sampler"]["sampling_percentage"] == 100
    assert svc.telemetry.log_level == "debug"
    assert "INCIDENT OVERRIDE: INC-4711 checkout 5xx (until 2026-11-27)" in router
    assert fluent_bit_keeps(router, {"log": '{"level": "debug", "message": "cart state"}'})


@pytest.mark.parametrize(("expires", "hint"), [
    ("2026-11-24", "this incident override expired (today is 2026-11-25); remove "
                   "telemetry.incident"),
    ("2026-12-31", "incident overrides last at most 14 days; set expires to 2026-12-09 or "
                   "earlier"),
])
def test_incident_override_is_temporary(web, expires, hint):
    web["telemetry"]["incident"] = {"sampling_percent": 100, "reason": "INC-1", "expires": expires}
    with pytest.raises(SpecError) as caught:
        rendered(web)
    assert (caught.value.field, caught.value.hint) == ("telemetry.incident.expires", hint)


def test_incident_needs_a_change(web):
    web["telemetry"]["incident"] = {"reason": "INC-1", "expires": "2026-11-26"}
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(web)
    assert caught.value.hint == "an incident override sets sampling_percent and/or log_level"


@pytest.mark.parametrize(("pattern", "hint"), [
    ("(unclosed", "not a valid regular expression: missing ), unterminated subpattern at "
                  "position 0"),
    ("^(?!health)", "lookarounds, backreferences and possessive/atomic groups are not supported "
                    "by the collector's regex engine (RE2); rewrite without them"),
    ("GET /ping ", "leading or trailing spaces are lost in Fluent Bit's config; write them as "
                   "[ ] or \\s"),
])
def test_bad_drop_patterns(web, pattern, hint):
    web["telemetry"]["drop_patterns"] = [pattern]
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(web)
    assert (caught.value.field, caught.value.hint) == ("telemetry.drop_patterns[0]", hint)


# ---- masking, run on samples -----------------------------------------------------------

BODIES = [
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "Authorization: Bearer ****"),
    ("connecting to postgres://app:s3cr3t@db.internal:5432/shop",
     "connecting to postgres://app:****@db.internal:5432/shop"),
    ("login failed password=hunter2 user=bob", "login failed password=**** user=bob"),
    ('{"api_key": "AKIA1234567890", "n": 1}', '{"api_key": "****", "n": 1}'),
    ("order 42 for jane.doe@example.com shipped", "order 42 for ****@**** shipped"),
    ("card 4111 1111 1111 1111 declined", "card **** declined"),
    ("card 5500-0000-0000-0004 ok", "card **** ok"),
    # Must stay: ids, timestamps, paths.
    ("took 1732550400000 ms for /orders/12345", "took 1732550400000 ms for /orders/12345"),
    ("user 7 logged in from 10.0.0.12", "user 7 logged in from 10.0.0.12"),
]


@pytest.mark.parametrize(("body", "expected"), BODIES, ids=[b[0][:30] for b in BODIES])
def test_log_body_masking(web, body, expected):
    _, config, _ = rendered(web)
    assert mask(config, "logs", Record(body=body)).body == expected


def test_attribute_masking_by_key_and_by_value(web):
    web["telemetry"]["mask_keys"] = ["customer.iban"]
    _, config, _ = rendered(web)
    span = Record(attributes={
        "http.request.header.authorization": "Basic dXNlcjpwYXNz",
        "customer.iban": "DE89370400440532013000",
        "url.full": "https://shop.example.com/cb?token=abc123&x=1",
        "db.statement": "SELECT * FROM users WHERE email = 'a.b@example.org'",
        "http.route": "/orders/{id}",
    })
    masked = mask(config, "traces", span).attributes
    assert masked == {
        "url.full": "https://shop.example.com/cb?token=****&x=1",
        "db.statement": "SELECT * FROM users WHERE email = '****@****'",
        "http.route": "/orders/{id}",
    }


def test_sensitive_keys_match_exactly_and_ignore_case(web):
    _, config, _ = rendered(web)
    record = Record(attributes={"Password": "x", "password_hint": "kept", "token": "x",
                                "Cookie": "x", "user.email": "x", "user.id": "7"})
    kept = mask(config, "logs", record).attributes
    assert kept == {"password_hint": "kept", "user.id": "7"}


def _lambda_config(fn) -> dict:
    from golden_path.load.service_file import parse_service
    from golden_path.resolve.lambda_ import resolve_function

    return yaml.safe_load(render_collector_config(resolve_function(parse_service(fn))))


@pytest.mark.parametrize("runtime", ["ecs", "lambda"])
def test_span_events_resources_and_names_are_masked(web, fn, runtime):
    config = rendered(web)[1] if runtime == "ecs" else _lambda_config(fn)
    span = Record(
        name="GET /users/jane@example.com",
        attributes={"http.route": "/users/{id}"},
        resource={"service.name": "billing-api", "host.owner": "ops@example.com",
                  "token": "abc", "process.command_line": "app --password=hunter2"},
        events=[Event("exception", {"exception.type": "ValueError",
                                    "exception.message": "bad card 4111 1111 1111 1111 for a@b.io",
                                    "authorization": "Bearer xyz"}),
                Event("login jane@example.com", {"ok": True})],
    )
    out = mask(config, "traces", span)
    assert out.name == "GET /users/****@****"
    assert out.resource == {"service.name": "billing-api", "host.owner": "****@****",
                            "process.command_line": "app --password=****"}
    assert out.events[0].attributes == {"exception.type": "ValueError",
                                        "exception.message": "bad card **** for ****@****"}
    assert out.events[1].name == "login ****@****"
    assert out.events[1].attributes == {"ok": True}  # non-strings are left alone
    assert out.attributes == {"http.route": "/users/{id}"}


@pytest.mark.parametrize("runtime", ["ecs", "lambda"])
def test_map_bodies_and_log_resources_are_masked(web, fn, runtime):
    config = rendered(web)[1] if runtime == "ecs" else _lambda_config(fn)
    # A Fluent Bit record without a `message` key reaches the collector as a map body.
    record = Record(
        body={"level": "warn", "msg": "login for jane@example.com", "password": "hunter2",
              "Authorization": "Bearer abc", "dsn": "postgres://app:s3cr3t@db:5432/x",
              "count": 3, "request": {"headers": {"cookie": "sid=1"}, "email": "deep@example.com"}},
        attributes={"log.file.path": "/var/log/app.log", "user.email": "x@example.com"},
        resource={"aws.ecs.task.arn": "arn:aws:ecs:eu-west-1:1:task/x", "cookie": "y",
                  "owner": "ops@example.com"},
    )
    out = mask(config, "logs", record)
    assert out.body == {"level": "warn", "msg": "login for ****@****",
                        "dsn": "postgres://app:****@db:5432/x", "count": 3,
                        # OTTL does not recurse: nested values stay as they are (documented).
                        "request": {"headers": {"cookie": "sid=1"}, "email": "deep@example.com"}}
    assert out.attributes == {"log.file.path": "/var/log/app.log"}
    assert out.resource == {"aws.ecs.task.arn": "arn:aws:ecs:eu-west-1:1:task/x",
                            "owner": "****@****"}
    # String bodies as before.
    assert mask(config, "logs", Record(body="password=hunter2 for a@b.io")).body == \
        "password=**** for ****@****"


def test_replay_refuses_statement_shapes_it_does_not_know(web):
    from pipeline import apply_mask

    with pytest.raises(AssertionError, match="not understood"):
        apply_mask([("log", ['flatten(body) where IsMap(body)'])], Record(body={"a": {"b": 1}}))
    with pytest.raises(AssertionError, match="not understood"):
        apply_mask([("span", ['replace_pattern(body, "a", "b") where IsString(body)'])], Record())


def test_keys_only_masking_uses_the_attributes_processor(web):
    web["telemetry"]["masking"] = "keys_only"
    _, config, _ = rendered(web)
    assert "transform/mask" not in config["processors"]
    assert "transform/mask_logs" not in config["processors"]
    (action,) = config["processors"]["attributes/mask"]["actions"]
    assert action["action"] == "delete"
    assert action["pattern"].startswith("(?i)^(password|passwd|secret|")


# ---- noise and the log floor, run on samples ---------------------------------------------

ACCESS_OK = '10.0.1.5 - - [25/Nov/2026:10:00:00 +0000] "GET /cart HTTP/1.1" 200 512 "-" "Mozilla"'
ACCESS_5XX = '10.0.1.5 - - [25/Nov/2026:10:00:00 +0000] "POST /pay HTTP/1.1" 502 0 "-" "Mozilla"'
HEALTH = '10.0.0.9 - - [25/Nov/2026:10:00:00 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "x"'
ELB = '10.0.0.9 - - [25/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 2 "-" "ELB-HealthChecker/2.0"'
CELERY_OK = "Task storefront.tasks.fulfil[1f0c2d3e-aaaa-bbbb-cccc-0123456789ab] succeeded in 0.05s: None"
CELERY_FAIL = "Task storefront.tasks.fulfil[1f0c2d3e-aaaa-bbbb-cccc-0123456789ab] raised KeyError"


@pytest.mark.parametrize(("env", "line", "kept"), [
    ("sandbox", HEALTH, False), ("sandbox", ELB, False), ("sandbox", ACCESS_OK, True),
    ("sandbox", CELERY_OK, True),
    ("production", HEALTH, False), ("production", ACCESS_OK, False),
    ("production", ACCESS_5XX, True), ("production", CELERY_OK, False),
    ("production", CELERY_FAIL, True), ("staging", ACCESS_OK, False),
])
def test_noise_dropped_by_router_and_collector(web, env, line, kept):
    _, config, router = rendered(in_env(web, env))
    assert fluent_bit_keeps(router, {"log": line}) is kept
    assert collector_drops_log(config, line) is (not kept)


def test_team_drop_patterns_apply_to_json_messages(web):
    web["telemetry"]["drop_patterns"] = ["^cache (hit|miss) for"]
    _, config, router = rendered(web)
    assert not fluent_bit_keeps(router, {"log": '{"msg": "cache hit for user:7", "level": "warn"}'})
    assert fluent_bit_keeps(router, {"log": '{"msg": "cache down", "level": "error"}'})
    assert collector_drops_log(config, "cache miss for user:7")


@pytest.mark.parametrize(("env", "level", "kept"), [
    ("sandbox", "debug", True), ("sandbox", "TRACE", False),
    ("staging", "DEBUG", False), ("staging", "info", True),
    ("production", "info", False), ("production", "INFO", False),
    ("production", "warning", True), ("production", "error", True),
])
def test_log_floor_in_the_router(web, env, level, kept):
    _, _, router = rendered(in_env(web, env))
    line = f'{{"levelname": "{level}", "message": "x", "trace_id": "4bf92f3577b34da6"}}'
    assert fluent_bit_keeps(router, {"log": line}) is kept


@pytest.mark.parametrize(("env", "severity", "dropped"), [
    ("production", 9, True), ("production", 13, False), ("sandbox", 5, False),
    ("staging", 5, True), ("production", 0, False),
])
def test_log_floor_in_the_collector_for_otlp_logs(web, env, severity, dropped):
    _, config, _ = rendered(in_env(web, env))
    assert collector_drops_log(config, "x", severity_number=severity) is dropped


def test_router_keeps_trace_ids_for_correlation(web):
    _, _, router = rendered(web)
    assert "logs_trace_id_message_key       trace_id" in router
    assert "logs_span_id_message_key        span_id" in router
    assert "Grace                     30" in router
    assert "Port                            4318" in router


def test_health_check_spans_dropped(web, worker):
    _, config, _ = rendered(web)
    spans = config["processors"]["filter/noise"]["trace_conditions"]
    assert spans[0] == ('span.attributes["url.path"] == "/healthz" or '
                        'span.attributes["http.target"] == "/healthz"')
    for attributes, dropped in [({"url.path": "/healthz"}, True), ({"http.target": "/healthz"}, True),
                                ({"user_agent.original": "ELB-HealthChecker/2.0"}, True),
                                ({"url.path": "/healthz/deep"}, False), ({"url.path": "/orders"}, False)]:
        assert collector_drops_span(config, "filter/noise", attributes) is dropped
    _, config, _ = rendered(worker)
    assert "trace_conditions" not in config["processors"]["filter/noise"]


# ---- distributions --------------------------------------------------------------------------

def test_adot_rejects_the_full_masking_policy(web):
    web["telemetry"]["distribution"] = "adot"
    with pytest.raises(SpecError) as caught:
        rendered(web)
    assert caught.value.field == "telemetry.distribution"
    assert caught.value.hint == (
        "the telemetry policy needs processor 'transform', which adot 0.49.0 does not contain "
        "(source: aws-observability/aws-otel-collector, tag v0.49.0, "
        "pkg/defaultcomponents/defaults.go); use distribution: contrib, or masking: keys_only "
        "to mask attribute keys without body patterns")


def test_adot_with_keys_only_masking(web):
    web["telemetry"].update(distribution="adot", masking="keys_only")
    svc, config, _ = rendered(web)
    assert svc.collector.image == "public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0"
    assert distribution("adot").missing(config) == []


def test_unknown_component_is_reported(web):
    _, config, _ = rendered(web)
    config["processors"]["frobnicate/x"] = {}
    assert distribution("contrib").missing(config) == [("processor", "frobnicate")]


def test_component_lists_name_their_source():
    for dist in distributions().values():
        assert dist.source and dist.version
        assert "memory_limiter" in dist.components["processors"]
    assert "redaction" in distribution("contrib").components["processors"]
    assert "transform" not in distribution("adot").components["processors"]


# ---- snapshots of the rendered configs of the examples ------------------------------------

def example_files():
    """The single-environment files (the examples before the fleet form)."""
    from conftest import SINGLE_ENV

    return sorted(SINGLE_ENV.glob("*/*.yaml"))


def fleet_examples():
    """(service file, environment) for every environment each fleet-form example lists."""
    from conftest import EXAMPLES

    return [pytest.param(path, env, id=f"{path.stem}-{env}")
            for path in sorted((EXAMPLES / "services").glob("*.yaml"))
            for env in yaml.safe_load(path.read_text())["environments"]]


def test_oversized_config_is_a_spec_error(web):
    web["telemetry"]["drop_patterns"] = [f"^noise-{i:02d}-" + "x" * 200 for i in range(9)] + ["x" * 900]
    with pytest.raises(SpecError) as caught:
        rendered(web)
    assert caught.value.field == "telemetry.drop_patterns"
    assert "SSM parameter holds at most 8192" in caught.value.hint


def test_oversized_second_file_names_mask_keys(web):
    # The log masking lives in the second file, where each key is written twice. (Keys that
    # end in a sensitive key, so that CloudWatch's data protection covers them at no cost
    # and the collector's size limit is the one reached.)
    web["telemetry"]["mask_keys"] = [f"app.customer.f{i:02d}.token" for i in range(40)]
    with pytest.raises(SpecError) as caught:
        rendered(web)
    assert (caught.value.field, caught.value.value) == ("telemetry.mask_keys", "40 keys")
    assert "collector self-metrics config" in caught.value.hint


def _assert_configs(spec, snapshot):
    from golden_path.resolve.lambda_ import resolve_function
    from golden_path.spec.lambda_ import LambdaSpec

    if isinstance(spec, LambdaSpec):
        fn = resolve_function(spec, today=TODAY)
        assert render_collector_config(fn) == snapshot(name="otel-collector-layer.yaml")
        return
    svc = resolve(spec, today=TODAY)
    assert render_collector_config(svc) == snapshot(name="otel-collector.yaml")
    assert render_router_config(svc) == snapshot(name="fluent-bit.conf")


# Ids as before the fleet form (django-web-sandbox, ...): these snapshots must not change.
@pytest.mark.parametrize("path", example_files(), ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_example_configs_snapshot(path, snapshot):
    from golden_path import load_service

    _assert_configs(load_service(path), snapshot)


# A test of its own: price-api-sandbox etc. would otherwise collide with the ids above.
@pytest.mark.parametrize(("path", "env"), fleet_examples())
def test_fleet_example_configs_snapshot(path, env, snapshot):
    from golden_path import load_service

    spec = load_service(path, environment=env)
    assert (spec.name, spec.environment) == (path.stem, env)
    _assert_configs(spec, snapshot)
