"""Render the sidecar configs from ``templates/`` and parse them back to check them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, wraps
from pathlib import Path

import jinja2
import yaml

from ..errors import Problem, SpecError
from ..resolve.ecs import ResolvedService
from ..resolve.lambda_ import ResolvedFunction
from . import sidecars
from .distributions import distribution
from .policy import ELB_HEALTH_CHECKER, keys_pattern, level_pattern
from .render_check import (  # noqa: F401  (re-exported for callers and tests)
    ConfigCheckError,
    check_collector_config,
    check_fluent_bit_config,
)

#: Parses the rendered configs back: libyaml's loader when PyYAML has it (8x faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str):
    return yaml.load(text, Loader=_LOADER)  # noqa: S506  (a safe loader)


#: FireLens tags the app's records "<container name>-firelens-<task id>".
APP_TAG = f"{sidecars.APP_CONTAINER}-firelens-*"
FLUENT_BIT_BUFFER_PATH = "/var/fluent-bit/buffer/"
#: Where telemetry-init writes the router's files (a volume shared with the router).
TELEMETRY_PATH = "/opt/golden-path"
ROUTER_CONFIG_FILE = f"{TELEMETRY_PATH}/fluent-bit.conf"
PARSERS_FILE = f"{TELEMETRY_PATH}/parsers.conf"
JSON_PARSER = "golden_json"
#: Our own parsers file, so the config does not depend on paths inside the image.
PARSERS_TEXT = f"[PARSER]\n    Name   {JSON_PARSER}\n    Format json\n"
#: The pipeline's own metrics that alarms watch: Prometheus name pattern -> CloudWatch name.
#: (Counter names may or may not carry `_total` depending on the scrape translation.)
SELF_METRICS = (
    ("^otelcol_exporter_send_failed_spans(_total)?$", "ExporterSendFailedSpans"),
    ("^otelcol_exporter_send_failed_metric_points(_total)?$", "ExporterSendFailedMetricPoints"),
    ("^otelcol_exporter_send_failed_log_records(_total)?$", "ExporterSendFailedLogRecords"),
    ("^otelcol_exporter_queue_size$", "ExporterQueueSize"),
    ("^otelcol_exporter_queue_capacity$", "ExporterQueueCapacity"),
    ("^fluentbit_output_errors(_total)?$", "RouterOutputErrors"),
)
SELF_METRICS_NAMESPACE = "GoldenPath/Telemetry"
#: OTLP severity numbers: the least severe number kept for each floor.
FLOOR_SEVERITY = {
    "debug": "SEVERITY_NUMBER_DEBUG",
    "info": "SEVERITY_NUMBER_INFO",
    "warn": "SEVERITY_NUMBER_WARN",
    "error": "SEVERITY_NUMBER_ERROR",
}


def templates_dir() -> Path:
    """Templates ship inside the wheel; in a source checkout they sit at the top level."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "templates", here.parent.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("golden_path templates not found (broken install?)")


def ottl_str(value: str) -> str:
    """An OTTL string literal; ``$`` doubled because the collector expands ``${...}``."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("$", "$$") + '"'


def yaml_str(value: object) -> str:
    """A single-quoted YAML scalar: backslashes stay as written, so regexes read as is."""
    return "'" + str(value).replace("'", "''") + "'"


@cache
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML and Fluent Bit configs, not HTML
    )
    env.filters.update(ottl_str=ottl_str, yaml_str=yaml_str)
    return env


def _common(service: ResolvedService | ResolvedFunction) -> dict:
    spec = service.spec
    return {
        "service": spec.name,
        "team": spec.team,
        "environment": spec.environment,
        "policy": service.telemetry,
        "ports": {
            "health": sidecars.COLLECTOR_HEALTH_PORT,
            "otlp_grpc": sidecars.OTLP_GRPC_PORT,
            "otlp_http": sidecars.OTLP_HTTP_PORT,
            "metrics": sidecars.COLLECTOR_METRICS_PORT,
            "router_http": sidecars.ROUTER_HTTP_PORT,
        },
    }


def once(render):
    """Render each config of a resolved service once per process: validate renders and
    checks it, and the constructs reuse the text (keyed by the service object itself)."""
    rendered: dict[int, tuple[object, str]] = {}

    @wraps(render)
    def wrapper(service):
        hit = rendered.get(id(service))
        if hit is not None and hit[0] is service:
            return hit[1]
        text = render(service)
        rendered[id(service)] = (service, text)
        return text

    wrapper.cache_clear = rendered.clear
    return wrapper


#: The collector processor that replaces client identity by keyed pseudonyms.
PSEUDONYMIZE = "transform/pseudonymize"


def pseudonym_key_ref(service: ResolvedService | ResolvedFunction) -> str:
    """How the collector reads the pseudonym key at start (never the key itself): the
    sidecar from its environment (ECS injects the secret), the layer from Secrets Manager."""
    c = service.collector
    if isinstance(service, ResolvedFunction):
        return "${secretsmanager:" + (c.pseudonym_key_secret_arn or "") + "}"
    return "${env:" + c.pseudonym_key_env + "}"


@once
def render_collector_config(service: ResolvedService | ResolvedFunction) -> str:
    """The collector YAML (ECS sidecar or Lambda layer); SpecError if the distribution
    lacks a component the policy needs."""
    policy = service.telemetry
    is_lambda = isinstance(service, ResolvedFunction)
    dist = distribution("lambda-collector" if is_lambda else policy.distribution)
    if is_lambda:
        # The layer's secretsmanager config provider fetches the key at start.
        api_key_ref = "${secretsmanager:" + service.collector.api_key_secret_arn + "}"
    else:
        api_key_ref = "${env:" + service.collector.api_key_env + "}"
    mask = "transform/mask" if policy.mask_rules else "attributes/mask"
    if policy.pseudonymize == "hash":
        mask = f"{PSEUDONYMIZE}, {mask}"
    text = _env().get_template(
        "otel-collector-lambda.yaml.j2" if is_lambda else "otel-collector.yaml.j2").render(
        **_common(service),
        collector=service.collector,
        distribution=dist,
        mask=mask,
        pseudonym_key_ref=pseudonym_key_ref(service),
        floor_severity=FLOOR_SEVERITY[policy.log_level],
        elb_health_checker=ELB_HEALTH_CHECKER,
        mask_keys_pattern=keys_pattern(policy.mask_keys),
        api_key_ref=api_key_ref,
    )
    config = parse_yaml(text)
    if is_lambda:  # the Lambda config is an S3 object: no SSM size limit
        check_collector_config(config, first=None, last="decouple")
    else:
        _check_size(service, "collector", text)
        # The collector merges both files (--config twice): check them as one.
        config = merge_configs(config, parse_yaml(render_self_metrics_config(service)))
        check_collector_config(config)
    missing = dist.missing(config)
    if missing:
        needed = ", ".join(f"{kind} '{ctype}'" for kind, ctype in missing)
        hint = (f"the telemetry policy needs {needed}, which {dist.name} {dist.version} does not "
                f"contain (source: {dist.source}); use distribution: contrib")
        field = "masking" if is_lambda else "distribution"
        if any(ctype == "transform" for _, ctype in missing):
            fixes = []
            if policy.mask_rules:
                fixes.append("masking: keys_only to mask attribute keys without body patterns")
            if policy.pseudonymize == "hash":
                fixes.append("pseudonymize: delete to delete client identity (enduser.id, "
                             "client.address) instead of pseudonymizing it")
                field = field if policy.mask_rules else "pseudonymize"
            hint += ", or " + " and ".join(fixes)
        raise SpecError(Problem(("telemetry", field), getattr(service.spec.telemetry, field),
                                hint))
    return text


@once
def render_self_metrics_config(service: ResolvedService) -> str:
    """The collector's second config file: its own and Fluent Bit's metrics to CloudWatch."""
    text = _env().get_template("otel-collector-self.yaml.j2").render(
        **_common(service),
        self_metrics=SELF_METRICS,
        self_namespace=SELF_METRICS_NAMESPACE,
        self_log_group=service.names.telemetry_metrics_log_group,
        pseudonym_key_ref=pseudonym_key_ref(service),
        region=service.region,
    )
    _check_size(service, "collector self-metrics", text)
    return text


def merge_configs(base: dict, extra: dict) -> dict:
    """The collector's merge of two config files: maps merge deeply, the rest is replaced."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_configs(merged[key], value)
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class Buffer:
    path: str = FLUENT_BIT_BUFFER_PATH
    total: str = "64M"
    backlog_mem: str = "8M"
    max_chunks_up: int = 64


@once
def render_router_config(service: ResolvedService) -> str:
    """The Fluent Bit config FireLens includes; parsed back and checked."""
    policy = service.telemetry
    text = _env().get_template("fluent-bit.conf.j2").render(
        **_common(service),
        app_tag=APP_TAG,
        parsers_file=PARSERS_FILE,
        json_parser=JSON_PARSER,
        level_pattern=level_pattern(policy.dropped_levels),
        buffer=Buffer(),
    )
    check_fluent_bit_config(text, APP_TAG)
    _check_size(service, "Fluent Bit", text)
    return text


#: Both configs travel through SSM parameters (Advanced tier: 8 KB at most).
CONFIG_SIZE_LIMIT = 8192


def _check_size(service: ResolvedService, what: str, text: str) -> None:
    size = len(text.encode())
    if size > CONFIG_SIZE_LIMIT:
        t = service.spec.telemetry
        raise SpecError(Problem(
            ("telemetry", "drop_patterns"), f"{len(t.drop_patterns)} patterns",
            f"the rendered {what} config is {size} bytes and its SSM parameter holds at most "
            f"{CONFIG_SIZE_LIMIT}; merge drop_patterns (one regex with '|') or shorten mask_keys"))
