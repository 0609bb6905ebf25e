"""The collector config: rendered from templates/, parsed back, checked."""

from __future__ import annotations

import pytest
import yaml

from golden_path import ServiceSpec, resolve
from golden_path.telemetry.render import (
    ConfigCheckError,
    check_collector_config,
    render_collector_config,
    templates_dir,
)


@pytest.fixture
def config(web) -> dict:
    return yaml.safe_load(render_collector_config(resolve(ServiceSpec.parse(web))))


def test_every_signal_leaves_through_one_exporter(config):
    pipelines = config["service"]["pipelines"]
    assert set(pipelines) == {"traces/errors", "traces/sampled", "metrics", "logs"}
    for p in pipelines.values():
        assert p["receivers"] == ["otlp"] and p["exporters"] == ["otlphttp/vendor"]


def test_exporter_uses_env_key_never_the_secret(config, web):
    exporter = config["exporters"]["otlphttp/vendor"]
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
