"""The collector config: rendered from templates/, parsed back, checked."""

from __future__ import annotations

import re

import pytest
import yaml

from golden_path import ServiceSpec, resolve
from golden_path.alerts.defaults import TELEMETRY_NAMESPACE, telemetry_pipeline_defaults
from golden_path.load.service_file import parse_service
from golden_path.resolve.lambda_ import resolve_function
from golden_path.telemetry.distributions import distribution
from golden_path.telemetry.render import (
    SELF_METRICS,
    ConfigCheckError,
    check_collector_config,
    merge_configs,
    render_collector_config,
    render_self_metrics_config,
    templates_dir,
)
from golden_path.telemetry.render_check import DEPRECATED_TYPES


def both_files(svc) -> dict:
    """The ECS collector's config as it runs: both files merged."""
    return merge_configs(yaml.safe_load(render_collector_config(svc)),
                         yaml.safe_load(render_self_metrics_config(svc)))


@pytest.fixture
def config(web) -> dict:
    return both_files(resolve(ServiceSpec.parse(web)))


def test_every_signal_leaves_through_one_exporter(config):
    pipelines = dict(config["service"]["pipelines"])
    assert pipelines.pop("metrics/self")["exporters"] == ["awsemf/self"]
    assert set(pipelines) == {"traces/errors", "traces/sampled", "metrics", "logs"}
    for p in pipelines.values():
        assert p["receivers"] == ["otlp"] and p["exporters"] == ["otlp_http/vendor"]


def test_exporter_uses_env_key_never_the_secret(config, web):
    exporter = config["exporters"]["otlp_http/vendor"]
    assert exporter["endpoint"] == "https://otlp.vendor.example.com"
    assert exporter["headers"] == {"api-key": "${env:OTLP_API_KEY}"}


def test_memory_limiter_from_resolve(config):
    assert config["processors"]["memory_limiter"]["limit_mib"] == 102
    assert config["processors"]["memory_limiter"]["spike_limit_mib"] == 25


def test_receivers_listen_on_localhost_only(config):
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "localhost:4317"
    assert protocols["http"]["endpoint"] == "localhost:4318"


def test_templates_are_found():
    assert (templates_dir() / "otel-collector.yaml.j2").is_file()


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda c: c["service"]["pipelines"]["metrics"]["processors"].insert(1, "tail_sampling"),
     "pipeline metrics uses processor 'tail_sampling' that is not defined"),
    (lambda c: c["processors"].update(attributes={}),
     "processors defined but never used: ['attributes']"),
    (lambda c: c["service"]["pipelines"]["logs"]["processors"].reverse(),
     "pipeline logs: memory_limiter must come first"),
    (lambda c: c["service"].update(extensions=[]),
     "extensions defined but never used: ['health_check']"),
])
def test_checker_rejects_broken_configs(config, mutate, message):
    mutate(config)
    with pytest.raises(ConfigCheckError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_collector_config(config)


# ---- the exporter: bounded in bytes on ECS, inside the function's time on Lambda --------

def test_ecs_queue_is_bounded_in_bytes(web):
    svc = resolve(ServiceSpec.parse(web))
    queue = yaml.safe_load(render_collector_config(svc))["exporters"]["otlp_http/vendor"][
        "sending_queue"]
    # exporterhelper counts requests unless told otherwise: one queue per signal, in bytes,
    # the three together within the collector's memory / 8.
    assert queue == {"enabled": True, "sizer": "bytes", "queue_size": 128 * 2**20 // 8 // 3,
                     "num_consumers": 4, "block_on_overflow": False}
    assert svc.collector.queue_size_bytes == 128 * 2**20 // 8
    assert 3 * queue["queue_size"] <= svc.collector.queue_size_bytes
    assert "batch" not in queue  # the batch processor batches


@pytest.mark.parametrize(("timeout", "export_ms"), [(1, 1000), (3, 1000), (6, 1200), (8, 1600),
                                                    (10, 2000), (30, 2000), (900, 2000)])
def test_lambda_export_fits_the_function_timeout(fn, timeout, export_ms):
    fn["timeout"] = timeout
    config = yaml.safe_load(render_collector_config(resolve_function(parse_service(fn))))
    exporter = config["exporters"]["otlp_http/vendor"]
    # The layer's converter turns the queue off: nothing of it is rendered; one attempt per
    # batch, bounded by a fifth of the function's timeout (at least 1 s, at most 2 s).
    assert "sending_queue" not in exporter
    assert exporter["retry_on_failure"] == {"enabled": False}
    assert exporter["timeout"] == f"{export_ms}ms"
    assert export_ms <= max(1000, timeout * 1000 // 5)


def test_decouple_comment_says_the_export_is_billed(fn):
    text = render_collector_config(resolve_function(parse_service(fn)))
    assert "so the function is not billed" not in text
    assert "billed duration includes the export" in text


# ---- current component names and filter keys --------------------------------------------

def _types(config: dict) -> set[tuple[str, str]]:
    return {(kind, cid.split("/", 1)[0]) for kind in ("receivers", "processors", "exporters",
                                                      "extensions")
            for cid in config.get(kind) or {}}


@pytest.mark.parametrize("runtime", ["contrib", "adot", "lambda"])
def test_no_deprecated_names_or_filter_keys(web, fn, runtime):
    if runtime == "lambda":
        config = yaml.safe_load(render_collector_config(resolve_function(parse_service(fn))))
        dist = distribution("lambda-collector")
    else:
        web["telemetry"].update(distribution=runtime,
                                **({"masking": "keys_only"} if runtime == "adot" else {}))
        config = both_files(resolve(parse_service(web)))
        dist = distribution(runtime)
    used = _types(config)
    assert not used & set(DEPRECATED_TYPES)
    assert dist.missing(config) == []
    if runtime != "lambda":
        assert ("processors", "resource_detection") in used
    assert ("exporters", "otlp_http") in used
    for cid, settings in config["processors"].items():
        if cid.startswith("filter/"):
            assert set(settings) <= {"error_mode", "trace_conditions", "metric_conditions",
                                     "log_conditions"}, cid


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda c: c["exporters"].update({"otlphttp/vendor": c["exporters"].pop("otlp_http/vendor")}),
     "exporter 'otlphttp/vendor' uses the deprecated type 'otlphttp'; use 'otlp_http'"),
    (lambda c: c["processors"]["filter/noise"].update(logs={"log_record": ["true"]}),
     "processor 'filter/noise' uses the deprecated ['logs']"),
])
def test_checker_rejects_deprecated_names(config, mutate, message):
    mutate(config)
    with pytest.raises(ConfigCheckError, match=message.replace("[", r"\[").replace("]", r"\]")):
        check_collector_config(config)


# ---- the pipeline's own metrics: refusals kept, and alarmed on ---------------------------

def test_refused_metrics_are_kept_under_stable_names(web):
    svc = resolve(parse_service(web))
    second = yaml.safe_load(render_self_metrics_config(svc))
    (keep,) = second["processors"]["filter/self"]["metric_conditions"]
    kept = re.fullmatch(r'not IsMatch\(metric\.name, "(.*)"\)', keep)[1]
    renames = {t["include"]: t["new_name"]
               for t in second["processors"]["metrics_transform/self"]["transforms"]}
    for signal, name in [("spans", "ReceiverRefusedSpans"),
                         ("metric_points", "ReceiverRefusedMetricPoints"),
                         ("log_records", "ReceiverRefusedLogRecords")]:
        # As the collector's Prometheus endpoint names the counter (with or without _total).
        for exposed in (f"otelcol_receiver_refused_{signal}", f"otelcol_receiver_refused_{signal}_total"):
            assert re.search(kept, exposed)
            assert [new for pattern, new in renames.items() if re.search(pattern, exposed)] == [name]
    assert renames == dict(SELF_METRICS)


def test_refusals_have_a_default_alarm(web):
    spec = parse_service(web)
    (alarm,) = [a for a in telemetry_pipeline_defaults(spec) if a.signal == "collector-refusing-data"]
    assert (alarm.severity, alarm.comparison, alarm.threshold) == ("warning", "GreaterThanThreshold", 0)
    assert alarm.expression == "FILL(spans, 0) + FILL(points, 0) + FILL(logs, 0)"
    assert {m.name for m in alarm.metrics.values()} == {
        "ReceiverRefusedSpans", "ReceiverRefusedMetricPoints", "ReceiverRefusedLogRecords"}
    assert {m.namespace for m in alarm.metrics.values()} == {TELEMETRY_NAMESPACE}
    queue = [a for a in telemetry_pipeline_defaults(spec)
             if a.signal == "collector-queue-near-capacity"][0]
    assert "bytes" in queue.description


# ---- sampling: whole hash buckets ----------------------------------------------------------

def test_rendered_comment_states_the_sampled_share(web):
    web.update(environment="production", scaling={"min": 2})
    text = render_collector_config(resolve(parse_service(web)))
    assert "# 0.1 % keeps 16 of 16384 hash buckets: 0.09766 % of traces." in text
    assert "(0.09766 % in effect;" in text
