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
from .policy import (
    ELB_HEALTH_CHECKER,
    HASH_BUCKETS,
    effective_sampling_percent,
    keys_pattern,
    lambda_export_timeout_ms,
    level_pattern,
    sampling_buckets,
)
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
#: No longer used by the router config (its buffers are memory only: docs/log-router.md);
#: kept while resolve/containers.py still mounts a volume there.
#: Where telemetry-init writes the router's files (a volume shared with the router).
TELEMETRY_PATH = "/opt/golden-path"
ROUTER_CONFIG_FILE = f"{TELEMETRY_PATH}/fluent-bit.conf"
PARSERS_FILE = f"{TELEMETRY_PATH}/parsers.conf"
JSON_PARSER = "golden_json"
#: The multiline parser of the router's stack-trace filter for each ``language`` of an ECS
#: service (docs/log-router.md): ours for Python and Node.js (in PARSERS_TEXT), Fluent
#: Bit's built-in ones for Java and Go; ``other`` joins only the lines the runtime split.
MULTILINE_PARSERS: dict[str, str | None] = {
    "python": "golden_python", "node": "golden_node", "java": "java", "go": "go", "other": None}
#: A Python traceback, whole: Fluent Bit's built-in ``python`` parser (v4.2.2
#: src/multiline/flb_ml_parser_python.c) ends the record at Python 3.11+'s ``^^^^`` lines
#: and at chained exceptions; here every indented line belongs to the traceback, and
#: "During handling ..." / "The above exception ..." chain the next one.
_TRACEBACK = "( +[+] )?(Exception Group )?Traceback [(]most recent call last[)]:"
_PYTHON_PARSER = (
    "[MULTILINE_PARSER]\n"
    "    name          golden_python\n"
    "    type          regex\n"
    "    flush_timeout 1000\n"
    f'    rule          "start_state"  "/^{_TRACEBACK}$/"  "python_tb"\n'
    '    rule          "python_tb"    "/^ /"  "python_tb"\n'
    '    rule          "python_tb"    "/^[A-Za-z_][A-Za-z0-9_]*([.][A-Za-z_][A-Za-z0-9_]*)*(:.*)?$/"'
    '  "python_exc"\n'
    '    rule          "python_exc"   "/^$/"  "python_chain"\n'
    '    rule          "python_chain" "/^$/"  "python_chain"\n'
    '    rule          "python_chain" "/^(During handling of the above exception, another exception'
    ' occurred|The above exception was the direct cause of the following exception):$/"'
    '  "python_chain"\n'
    f'    rule          "python_chain" "/^{_TRACEBACK}$/"  "python_tb"\n'
)
#: A Node.js error, whole: its first line (``TypeError: ...``, or the ``file:line`` and
#: source lines an uncaught error prints first), its ``at`` frames, ``[cause]:`` and
#: property lines, and the closing brace. Fluent Bit 4.2.2 has no Node.js parser.
_NODE_ERROR = "([A-Za-z_$][A-Za-z0-9_$]*)?(Error|Exception)( .[A-Za-z0-9_]+.)?(:.*)?"
_NODE_PARSER = (
    "[MULTILINE_PARSER]\n"
    "    name          golden_node\n"
    "    type          regex\n"
    "    flush_timeout 1000\n"
    '    rule          "start_state"  "/^(/|file:|node:)[^ ]*:[0-9]+$/"  "node_source"\n'
    f'    rule          "start_state"  "/^{_NODE_ERROR}$/"  "node_stack"\n'
    f'    rule          "node_source"  "/^{_NODE_ERROR}$/"  "node_stack"\n'
    '    rule          "node_source"  "/^( .*)?$/"  "node_source"\n'
    '    rule          "node_stack"   "/^ +(at |[.][.][.] |.[A-Za-z]+.: |[A-Za-z_$][A-Za-z0-9_$]*: |.$)/"'
    '  "node_stack"\n'
    '    rule          "node_stack"   "/^}$/"  "start_state"\n'
)
#: Our own parsers file, so the config does not depend on paths inside the image.
#: telemetry-init writes it with ``printf '<text>'``: it holds no backslash, ``%`` or
#: ``'`` (render_check.check_parsers_text), so regexes use ``[(]``, ``[.]`` and spaces.
PARSERS_TEXT = (f"[PARSER]\n    Name   {JSON_PARSER}\n    Format json\n\n"
                + _PYTHON_PARSER + "\n" + _NODE_PARSER)
#: The pipeline's own metrics that alarms watch: Prometheus name pattern -> CloudWatch name.
#: (Counter names may or may not carry `_total` depending on the scrape translation.)
SELF_METRICS = (
    ("^otelcol_exporter_send_failed_spans(_total)?$", "ExporterSendFailedSpans"),
    ("^otelcol_exporter_send_failed_metric_points(_total)?$", "ExporterSendFailedMetricPoints"),
    ("^otelcol_exporter_send_failed_log_records(_total)?$", "ExporterSendFailedLogRecords"),
    # With `sizer: bytes` both gauges count bytes (per signal queue).
    ("^otelcol_exporter_queue_size$", "ExporterQueueSize"),
    ("^otelcol_exporter_queue_capacity$", "ExporterQueueCapacity"),
    # What receivers could not push into their pipeline (memory_limiter refusing data).
    ("^otelcol_receiver_refused_spans(_total)?$", "ReceiverRefusedSpans"),
    ("^otelcol_receiver_refused_metric_points(_total)?$", "ReceiverRefusedMetricPoints"),
    ("^otelcol_receiver_refused_log_records(_total)?$", "ReceiverRefusedLogRecords"),
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
    policy = service.telemetry
    return {
        "service": spec.name,
        "team": spec.team,
        "environment": spec.environment,
        "policy": policy,
        # The policy processors (masking, noise, sampling) render in both ECS files.
        "floor_severity": FLOOR_SEVERITY[policy.log_level],
        "elb_health_checker": ELB_HEALTH_CHECKER,
        "mask_keys_pattern": keys_pattern(policy.mask_keys),
        "sampling": {"buckets": sampling_buckets(policy.sampling_percent), "of": HASH_BUCKETS,
                     "effective": effective_sampling_percent(policy.sampling_percent)},
        "pseudonym_key_expr": pseudonym_key_expr(service),
        "pseudonym_key_note": ("hashed here from Secrets Manager" if isinstance(
            service, ResolvedFunction) else "written by telemetry-init"),
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
#: Where telemetry-init writes the pseudonym key (SHA-256 hex of the secret, a quoted YAML
#: string) for the sidecar's file config provider; on the volume shared with the collector.
#: Its own volume, shared by telemetry-init (writes) and the collector (reads) only: the
#: log router runs as root and mounts the telemetry volume.
PSEUDONYM_KEY_PATH = "/opt/golden-path-key"
PSEUDONYM_KEY_FILE = f"{PSEUDONYM_KEY_PATH}/pseudonym-key.yaml"
#: The exporter builds one sending queue per signal: traces, metrics, logs.
EXPORTER_QUEUES = 3


def pseudonym_key_ref(service: ResolvedService | ResolvedFunction) -> str:
    """The config reference the collector resolves at start (never the key itself): the
    sidecar's file written by telemetry-init, the layer's Secrets Manager provider."""
    if isinstance(service, ResolvedFunction):
        return "${secretsmanager:" + (service.collector.pseudonym_key_secret_arn or "") + "}"
    return "${file:" + PSEUDONYM_KEY_FILE + "}"


def pseudonym_key_expr(service: ResolvedService | ResolvedFunction) -> str:
    """The key as an OTTL expression: the same hex key on both runtimes, SHA-256 of the
    secret; derived by telemetry-init on ECS, by OTTL on Lambda (docs/collector.md)."""
    ref = '"' + pseudonym_key_ref(service) + '"'
    return f"SHA256({ref})" if isinstance(service, ResolvedFunction) else ref


def _export_settings(service: ResolvedService | ResolvedFunction) -> dict:
    if isinstance(service, ResolvedFunction):
        return {"timeout": f"{lambda_export_timeout_ms(service.spec.timeout)}ms",
                "function_timeout": service.spec.timeout, "queue_bytes": None}
    return {"timeout": "10s", "queues": EXPORTER_QUEUES,
            "queue_bytes": service.collector.queue_size_bytes // EXPORTER_QUEUES}


def _mask_processors(policy) -> tuple[str, str]:
    """The masking processors of the traces and the logs pipelines."""
    if not policy.mask_rules:
        traces = logs = "attributes/mask"
    else:
        traces, logs = "transform/mask", "transform/mask_logs"
    if policy.pseudonymize == "hash":
        traces, logs = f"{PSEUDONYMIZE}, {traces}", f"{PSEUDONYMIZE}, {logs}"
    return traces, logs


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
    mask_traces, mask_logs = _mask_processors(policy)
    text = _env().get_template(
        "otel-collector-lambda.yaml.j2" if is_lambda else "otel-collector.yaml.j2").render(
        **_common(service),
        collector=service.collector,
        distribution=dist,
        mask_traces=mask_traces,
        mask_logs=mask_logs,
        export=_export_settings(service),
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
    missing = list(dict.fromkeys(dist.missing(config)))  # transform/mask, transform/mask_logs
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
        region=service.region,
    )
    _check_size(service, "collector self-metrics", text, field="mask_keys")
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
    """The router's buffers, all in memory (docs/log-router.md). FireLens writes the forward
    input with Mem_Buf_Limit = half the router's memoryReservation (else its memory); the
    multiline filters add one in_emitter input each, whose limits we set: the stack-trace
    emitter carries every record in buffered mode (half the forward input's limit), the
    partial emitter only lines still open after flush_ms (a quarter)."""

    forward_mb: int

    @property
    def stack_emitter(self) -> str:
        return f"{max(1, self.forward_mb // 2)}M"

    @property
    def partial_emitter(self) -> str:
        return f"{max(1, self.forward_mb // 4)}M"

    @classmethod
    def of(cls, service: ResolvedService) -> Buffer:
        from ..resolve.sidecar_sizes import router_memory

        return cls(router_memory(service.sizes.router.memory).mem_buf_limit_mb)


@once
def render_router_config(service: ResolvedService) -> str:
    """The Fluent Bit config FireLens includes; parsed back and checked."""
    policy = service.telemetry
    language = getattr(service.spec, "language", "python")
    text = _env().get_template("fluent-bit.conf.j2").render(
        **_common(service),
        app_tag=APP_TAG,
        parsers_file=PARSERS_FILE,
        json_parser=JSON_PARSER,
        level_pattern=level_pattern(policy.dropped_levels),
        language=language,
        multiline_parser=MULTILINE_PARSERS[language],
        buffer=Buffer.of(service),
    )
    check_fluent_bit_config(text, APP_TAG, PARSERS_TEXT)
    _check_size(service, "Fluent Bit", text)
    return text


#: Both configs travel through SSM parameters (Advanced tier: 8 KB at most).
CONFIG_SIZE_LIMIT = 8192


def _check_size(service: ResolvedService, what: str, text: str,
                field: str = "drop_patterns") -> None:
    size = len(text.encode())
    if size > CONFIG_SIZE_LIMIT:
        t = service.spec.telemetry
        raise SpecError(Problem(
            ("telemetry", field),
            f"{len(getattr(t, field))} {'patterns' if field == 'drop_patterns' else 'keys'}",
            f"the rendered {what} config is {size} bytes and its SSM parameter holds at most "
            f"{CONFIG_SIZE_LIMIT}; merge drop_patterns (one regex with '|') or shorten mask_keys"))
