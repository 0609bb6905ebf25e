"""Container definitions: shape (botocore's ECS model), ordering and sidecar wiring."""

from __future__ import annotations

import pytest
import yaml

from ecs_shape import register_task_definition_errors
from golden_path import ServiceSpec, resolve
from golden_path.resolve.containers import container_definitions, volumes
from golden_path.telemetry.render import render_collector_config, render_router_config


def build(spec: dict):
    svc = resolve(ServiceSpec.parse(spec))
    config = render_collector_config(svc)
    defs = container_definitions(svc, config, render_router_config(svc))
    return svc, {c["name"]: c for c in defs}, config


@pytest.mark.parametrize("kind", ["web", "worker"])
def test_definitions_match_the_ecs_api_shape(web, worker, kind):
    svc, containers, _ = build(web if kind == "web" else worker)
    errors = register_task_definition_errors(
        list(containers.values()), cpu=svc.sizes.task.cpu, memory=svc.sizes.task.memory,
        volumes=volumes(svc))
    assert errors == ""


def test_shape_check_can_fail():
    # The validator is real: a wrong type and an unknown key are reported.
    errors = register_task_definition_errors([{"name": "x", "image": "y", "cpu": "lots",
                                               "essentiall": True}])
    assert "Invalid type for parameter containerDefinitions[0].cpu" in errors
    assert 'Unknown parameter in containerDefinitions[0]: "essentiall"' in errors


def test_app_waits_for_router_start_and_collector_healthy(web):
    _, c, _ = build(web)
    assert c["app"]["dependsOn"] == [
        {"containerName": "log_router", "condition": "START"},
        {"containerName": "otel-collector", "condition": "HEALTHY"},
    ]
    # A bounded driver buffer, and no option FireLens would turn into an output section
    # (mode, max-buffer-size: an output without a Name fails the task).
    assert c["app"]["logConfiguration"] == {
        "logDriver": "awsfirelens", "options": {"log-driver-buffer-limit": "16384"}}


def test_sidecars_restart_in_place_and_only_the_router_and_app_are_essential(web):
    _, c, _ = build(web)
    essential = {name: d["essential"] for name, d in c.items()}
    assert essential == {"telemetry-init": False, "otel-collector": False,
                         "log_router": True, "app": True}
    policy = {"enabled": True, "restartAttemptPeriod": 60}
    assert c["otel-collector"]["restartPolicy"] == policy
    assert c["log_router"]["restartPolicy"] == policy
    # The one-shot init must not be restarted after it succeeds; the app is the team's.
    assert "restartPolicy" not in c["telemetry-init"] and "restartPolicy" not in c["app"]


def test_start_order_init_collector_router_app(web):
    _, c, _ = build(web)
    assert list(c) == ["telemetry-init", "otel-collector", "log_router", "app"]
    assert c["log_router"]["dependsOn"] == [
        {"containerName": "telemetry-init", "condition": "SUCCESS"},
        {"containerName": "otel-collector", "condition": "HEALTHY"},
    ]


def test_router_reads_its_config_from_the_init_volume(web):
    _, c, _ = build(web)
    router = c["log_router"]
    assert router["essential"] is True
    assert router["image"] == "public.ecr.aws/aws-observability/aws-for-fluent-bit:3.2.1"
    assert router["firelensConfiguration"] == {"type": "fluentbit", "options": {
        "enable-ecs-log-metadata": "false", "config-file-type": "file",
        "config-file-value": "/opt/golden-path/fluent-bit.conf"}}
    assert {"sourceVolume": "telemetry", "containerPath": "/opt/golden-path",
            "readOnly": True} in router["mountPoints"]
    assert router["healthCheck"]["command"] == [
        "CMD-SHELL", "curl -sf http://127.0.0.1:2020/api/v1/uptime || exit 1"]
    assert router["stopTimeout"] > 30  # longer than Fluent Bit's Grace
    assert router["logConfiguration"]["logDriver"] == "awslogs"
    assert router["logConfiguration"]["options"]["awslogs-group"].endswith("/log-router")


def test_init_writes_router_config_from_its_parameter(web):
    svc, c, _ = build(web)
    init = c["telemetry-init"]
    assert init["essential"] is False
    assert init["command"][:2] == ["sh", "-c"]
    assert init["command"][2].startswith(
        'printf "%s" "$FLUENT_BIT_CONFIG" > /opt/golden-path/fluent-bit.conf && ')
    assert init["command"][2].endswith(" && cp /bin/busybox /opt/golden-path/busybox")
    assert init["secrets"] == [{"name": "FLUENT_BIT_CONFIG",
                                "valueFrom": svc.router_config_parameter_arn}]


def test_collector_reads_config_and_key_from_secrets_and_checks_health(web):
    svc, c, config = build(web)
    col = c["otel-collector"]
    assert col["image"] == "otel/opentelemetry-collector-contrib:0.159.0"
    assert col["command"] == ["--config=env:OTELCOL_CONFIG", "--config=env:OTELCOL_SELF_CONFIG"]
    assert {s["name"]: s["valueFrom"] for s in col["secrets"]} == {
        "OTELCOL_CONFIG": svc.collector_config_parameter_arn,
        "OTELCOL_SELF_CONFIG": svc.collector_self_config_parameter_arn,
        "OTLP_API_KEY": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-key-AbCdEf",
    }
    assert col["healthCheck"]["command"][-1] == "http://localhost:13133/"
    assert col["dependsOn"] == [{"containerName": "telemetry-init", "condition": "SUCCESS"}]
    assert col["user"] == "10001" and col["readonlyRootFilesystem"] is True
    # The health endpoint checked is the one the rendered config opens.
    assert yaml.safe_load(config)["extensions"]["health_check"]["endpoint"] == "localhost:13133"


def test_collector_health_check_uses_the_busybox_from_init(web):
    _, c, _ = build(web)
    assert "cp /bin/busybox /opt/golden-path/busybox" in c["telemetry-init"]["command"][2]
    assert c["otel-collector"]["healthCheck"]["command"][1] == "/opt/golden-path/busybox"


def test_config_change_changes_the_task_definition(web):
    _, c1, _ = build(web)
    web["telemetry"]["endpoint"] = "https://otlp.other-vendor.example.com"
    _, c2, _ = build(web)
    env = lambda c: {e["name"]: e["value"] for e in c["otel-collector"]["environment"]}  # noqa: E731
    assert env(c1)["OTELCOL_CONFIG_SHA256"] != env(c2)["OTELCOL_CONFIG_SHA256"]
    web["telemetry"]["drop_patterns"] = ["^noise"]
    _, c3, _ = build(web)
    init_env = lambda c: c["telemetry-init"]["environment"][0]["value"]  # noqa: E731
    assert init_env(c3) != init_env(c2)


def test_app_is_read_only_non_root_with_writable_tmp(web):
    svc, c, _ = build(web)
    app = c["app"]
    assert app["readonlyRootFilesystem"] is True
    assert app["user"] == "1000"
    assert app["mountPoints"] == [{"sourceVolume": "tmp", "containerPath": "/tmp"}]
    assert volumes(svc) == ["telemetry", "tmp"]


def test_image_user_kept_when_user_is_null(web):
    web.update(user=None, read_only_root_filesystem=False)
    svc, c, _ = build(web)
    assert "user" not in c["app"] and "mountPoints" not in c["app"]
    assert volumes(svc) == ["telemetry"]


def test_secrets_and_variables_injected(web):
    _, c, _ = build(web)
    app = c["app"]
    assert {s["name"] for s in app["secrets"]} == {"DATABASE_URL", "SIGNING_KEY"}
    env = {e["name"]: e["value"] for e in app["environment"]}
    assert env["DJANGO_SETTINGS_MODULE"] == "billing.settings"
    assert env["OTEL_PROPAGATORS"] == "tracecontext,baggage,xray"
    assert env["OTEL_TRACES_SAMPLER"] == "parentbased_always_on"
    assert env["OTEL_RESOURCE_ATTRIBUTES"] == (
        "service.version=1.4.2,deployment.environment.name=staging,team=payments")


def test_worker_has_no_port(worker):
    _, c, _ = build(worker)
    assert "portMappings" not in c["app"]


def test_init_script_writes_the_router_files_for_real(web, tmp_path):
    """Run telemetry-init's shell script (minus the busybox copy) with a real sh."""
    import subprocess

    from golden_path.telemetry.render_check import parse_fluent_bit

    svc, c, _ = build(web)
    router_config = render_router_config(svc)
    script = c["telemetry-init"]["command"][2].split(" && cp ")[0]
    script = script.replace("/opt/golden-path", str(tmp_path))
    subprocess.run(["sh", "-c", script], env={"FLUENT_BIT_CONFIG": router_config}, check=True)
    assert (tmp_path / "fluent-bit.conf").read_text() == router_config
    from golden_path.telemetry.render import PARSERS_TEXT

    written = (tmp_path / "parsers.conf").read_text()
    assert written == PARSERS_TEXT
    parsers = parse_fluent_bit(written)
    assert parsers[0] == ("PARSER", [("Name", "golden_json"), ("Format", "json")])
    assert {name for section, entries in parsers[1:] for key, name in entries
            if section == "MULTILINE_PARSER" and key == "name"} == {"golden_python", "golden_node"}
    assert f"Parsers_File              {tmp_path}/parsers.conf" in (
        router_config.replace("/opt/golden-path", str(tmp_path)))


def test_router_reservation_sets_firelens_buffer_to_a_quarter_of_its_budget(web):
    svc, c, _ = build(web)
    router = c["log_router"]
    assert (router["memory"], router["memoryReservation"]) == (64, 32)
    # FireLens: Mem_Buf_Limit = memoryReservation / 2 (MB); AWS's guidance is a hard
    # limit of about twice the buffers.
    assert router["memory"] >= 2 * (router["memoryReservation"] // 2)


@pytest.mark.parametrize(("memory", "cpu"), [(128, 64), (256, 128), (512, 256), (1024, 512)])
def test_collector_limits_derive_from_its_budget_and_fit_it(web, memory, cpu):
    web.update(cpu=2048, memory=8192)
    web["sidecars"] = {"collector": {"memory": memory, "cpu": cpu}}
    svc, c, config = build(web)
    col = c["otel-collector"]
    assert (col["memory"], col["cpu"]) == (memory, cpu)
    env = {e["name"]: e["value"] for e in col["environment"]}
    processors = yaml.safe_load(config)["processors"]["memory_limiter"]
    limit, spike = processors["limit_mib"], processors["spike_limit_mib"]
    assert env["GOMEMLIMIT"] == f"{limit}MiB"
    assert limit == int(memory * 0.8) and spike == int(limit * 0.25)
    # The queue (wire bytes, about 3x once decoded) stays below the point where
    # memory_limiter refuses data, which stays below the container's hard limit.
    queue_mib = svc.collector.queue_size_bytes / 2**20
    assert queue_mib == memory / 8
    assert 3 * queue_mib < limit - spike < limit < memory


def test_app_gets_what_the_sidecar_budgets_leave(web):
    web.update(cpu=1024, memory=2048)
    web["sidecars"] = {"collector": {"memory": 512}, "log_router": {"memory": 128, "cpu": 128}}
    svc, c, _ = build(web)
    assert (svc.sizes.app.memory, svc.sizes.app.cpu) == (2048 - 512 - 128, 1024 - 128 - 128)
    assert c["app"]["memory"] == svc.sizes.app.memory
    assert sum(d.get("memory", 0) for d in c.values()) == 2048
    assert sum(d["cpu"] for d in c.values()) == 1024


def test_sidecars_that_do_not_fit_are_refused_with_the_numbers(web):
    from golden_path.errors import SpecError

    web.update(cpu=256, memory=512)
    web["sidecars"] = {"collector": {"memory": 384}}
    with pytest.raises(SpecError) as err:
        resolve(ServiceSpec.parse(web))
    (problem,) = err.value.problems
    assert problem.path == ("sidecars", "collector", "memory") and problem.value == 384
    assert ("the sidecars take 384 MiB (collector) + 64 MiB (log router) = 448 MiB of the "
            "task's 512 MiB, leaving 64 MiB for the app (at least 128)") in problem.hint
    web["sidecars"] = {"log_router": {"cpu": 160}}
    with pytest.raises(SpecError) as err:
        resolve(ServiceSpec.parse(web))
    (problem,) = err.value.problems
    assert problem.path == ("sidecars", "log_router", "cpu")
    assert "64 (collector) + 160 (log router) = 224 cpu units of the task's 256" in problem.hint


def test_pseudonym_key_volume_is_shared_by_init_and_collector_only(web):
    web["telemetry"]["pseudonym_key_secret_arn"] = (
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pseudonym-key-AbCdEf")
    svc, c, _ = build(web)
    mounts = {name: [m for m in d.get("mountPoints", []) if m["sourceVolume"] == "pseudonym-key"]
              for name, d in c.items()}
    assert mounts == {
        "telemetry-init": [{"sourceVolume": "pseudonym-key",
                            "containerPath": "/opt/golden-path-key"}],
        "otel-collector": [{"sourceVolume": "pseudonym-key",
                            "containerPath": "/opt/golden-path-key", "readOnly": True}],
        "log_router": [], "app": []}
    assert "pseudonym-key" in volumes(svc)
    # Only the init container gets the secret; the collector reads the derived file.
    assert [s["name"] for s in c["telemetry-init"]["secrets"]] == [
        "FLUENT_BIT_CONFIG", "PSEUDONYM_KEY"]
    assert "PSEUDONYM_KEY" not in {s["name"] for s in c["otel-collector"]["secrets"]}
    errors = register_task_definition_errors(list(c.values()), cpu=svc.sizes.task.cpu,
                                             memory=svc.sizes.task.memory, volumes=volumes(svc))
    assert errors == ""


@pytest.mark.parametrize("budget", [64, 96, 128, 256, 512])
def test_router_buffers_sum_to_at_most_half_its_budget(web, budget):
    """AWS's OOM guidance: a hard limit of about twice the sum of the inputs' buffers."""
    import re

    web.update(cpu=1024, memory=4096)
    web["sidecars"] = {"log_router": {"memory": budget}}
    svc, c, _ = build(web)
    config = render_router_config(svc)
    emitters = [int(m) for m in re.findall(r"emitter_mem_buf_limit\s+(\d+)M", config)]
    assert len(emitters) == 2
    forward = c["log_router"]["memoryReservation"] // 2  # what FireLens writes
    assert 2 * (forward + sum(emitters)) <= c["log_router"]["memory"] == budget
