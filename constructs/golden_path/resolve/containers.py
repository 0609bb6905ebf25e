"""ECS container definitions for a resolved service. Pure Python (no cdktf).

The task runs four containers, started in this order and stopped in reverse:

1. ``telemetry-init`` (one-shot): writes the Fluent Bit config from its SSM
   parameter into a shared volume and copies a static busybox there (the
   collector image has no shell for a health check). Fargate cannot read a
   FireLens config from S3; this is the documented alternative.
2. ``otel-collector``: the OpenTelemetry Collector; its config comes from an
   SSM parameter through an environment variable; health-checked for real.
3. ``log_router``: Fluent Bit (FireLens). Waits for the collector, since it
   ships the app's logs to it; stops before it, after flushing (Grace 30).
4. ``app``: the team's image; waits for the router (START) and the
   collector (HEALTHY); stops first.

A sidecar failure costs telemetry, never the app (docs/sidecars.md):

- the collector is not essential and restarts in place (``restartPolicy``): losing it
  loses a few seconds of telemetry, while the app's SDK drops what it cannot send;
- the log router stays essential, since a task that cannot log for long should be
  replaced, but it restarts in place after a crash, and its health check asks only
  whether Fluent Bit runs (``/api/v1/uptime``), never whether its output succeeds, so
  a vendor outage cannot turn every router in the fleet unhealthy;
- the app's stdout never blocks on the router: FireLens's fluentd log driver sends
  asynchronously and drops lines once ``APP_LOG_BUFFER_EVENTS`` wait (the app's log
  options name nothing else: FireLens turns other options into an output section).

The definitions are plain dicts in the shape of ECS ``RegisterTaskDefinition``
(camelCase), checked in tests against botocore's service model.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..telemetry import sidecars as sc
from ..telemetry.render import (
    PARSERS_FILE,
    PARSERS_TEXT,
    PSEUDONYM_KEY_FILE,
    PSEUDONYM_KEY_PATH,
    ROUTER_CONFIG_FILE,
    TELEMETRY_PATH,
)
from .ecs import ResolvedService
from .sidecar_sizes import router_memory

TMP_VOLUME = "tmp"
TELEMETRY_VOLUME = "telemetry"
PSEUDONYM_KEY_VOLUME = "pseudonym-key"
ROUTER_CONFIG_ENV = "FLUENT_BIT_CONFIG"
#: Lines the app's log driver holds while the router cannot take them (docs/sidecars.md).
#: ``log-driver-buffer-limit`` is the one awsfirelens option the ECS agent keeps out of
#: the FireLens output section and hands to the fluentd driver as fluentd-buffer-limit
#: (amazon-ecs-agent agent/api/task/task.go collectFirelensLogOptions,
#: agent/engine/docker_task_engine.go getFirelensLogConfig); the driver sends
#: asynchronously (fluentd-async) and refuses a line when the buffer is full instead of
#: blocking the writer (moby daemon/logger/fluentd/fluentd.go, fluent-logger-golang
#: async mode). Docker's default is 1,048,576 lines; 16,384 lines of 500 bytes are 8 MB.
#: ``mode``/``max-buffer-size`` are not set: the agent would put them in a FireLens
#: output section without a Name and fail the task (firelensconfig_unix.go); ECS's own
#: default mode is non-blocking since 2025-06-25 (account setting defaultLogDriverMode).
APP_LOG_BUFFER_EVENTS = "16384"
#: Sidecars restart in place after they exit. ECS restarts a container at most once per
#: period (60 s is the least ECS accepts) and only if it ran that long; a sidecar that
#: keeps failing sooner is not restarted (the router then stops the task, being
#: essential). ContainerRestartPolicy in botocore's ECS model.
SIDECAR_RESTART_PERIOD = 60


def _pairs(mapping: dict[str, str], value_key: str) -> list[dict[str, str]]:
    return [{"name": k, value_key: mapping[k]} for k in sorted(mapping)]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _awslogs(service: ResolvedService, group: str, prefix: str) -> dict[str, Any]:
    return {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": group,
            "awslogs-region": service.region,
            "awslogs-stream-prefix": prefix,
        },
    }


def app_container(service: ResolvedService) -> dict[str, Any]:
    spec = service.spec
    container: dict[str, Any] = {
        "name": sc.APP_CONTAINER,
        "image": spec.image,
        "essential": True,
        "cpu": service.sizes.app.cpu,
        "memory": service.sizes.app.memory,
        "environment": _pairs(service.app_environment, "value"),
        "secrets": _pairs(dict(spec.secrets), "valueFrom"),
        "readonlyRootFilesystem": spec.read_only_root_filesystem,
        # ECS Exec needs an init process; it also reaps zombies for Django/Celery.
        "linuxParameters": {"initProcessEnabled": True},
        "stopTimeout": 30,
        # FireLens: stdout/stderr go to the router; its config decides the rest.
        "logConfiguration": {"logDriver": "awsfirelens",
                             "options": {"log-driver-buffer-limit": APP_LOG_BUFFER_EVENTS}},
        "dependsOn": [
            {"containerName": sc.ROUTER_CONTAINER, "condition": "START"},
            {"containerName": sc.COLLECTOR_CONTAINER, "condition": "HEALTHY"},
        ],
    }
    if spec.user:
        container["user"] = spec.user
    if spec.command:
        container["command"] = list(spec.command)
    if spec.port is not None:
        container["portMappings"] = [{"containerPort": spec.port, "protocol": "tcp", "name": "app"}]
    if spec.read_only_root_filesystem:
        container["mountPoints"] = [{"sourceVolume": TMP_VOLUME, "containerPath": "/tmp"}]
    return container


def restart_policy() -> dict[str, Any]:
    return {"enabled": True, "restartAttemptPeriod": SIDECAR_RESTART_PERIOD}


def log_router_container(service: ResolvedService) -> dict[str, Any]:
    mem = router_memory(service.sizes.router.memory)
    return {
        "name": sc.ROUTER_CONTAINER,
        "image": sc.ROUTER_IMAGE,
        "essential": True,
        "restartPolicy": restart_policy(),
        "cpu": service.sizes.router.cpu,
        "memory": mem.hard_mib,
        # FireLens sets Mem_Buf_Limit to half of this (docs/sidecars.md).
        "memoryReservation": mem.reservation_mib,
        "firelensConfiguration": {
            "type": "fluentbit",
            "options": {
                # The multiline filters re-emit joined records through FireLens's own
                # filters, which would add the ECS keys twice (docs/log-router.md); the
                # collector's ecs resource detector adds the same facts to every record.
                "enable-ecs-log-metadata": "false",
                "config-file-type": "file",
                "config-file-value": ROUTER_CONFIG_FILE,
            },
        },
        # FireLens mounts its generated config and a socket the router must own:
        # aws-for-fluent-bit runs as root and writes under /fluent-bit and /tmp.
        "user": "0",
        "readonlyRootFilesystem": False,
        "mountPoints": [
            {"sourceVolume": TELEMETRY_VOLUME, "containerPath": TELEMETRY_PATH, "readOnly": True},
        ],
        # Alive, not "output succeeding": /api/v1/health fails as soon as the output
        # retries (a vendor outage), which would replace every task of the fleet.
        "healthCheck": {
            "command": ["CMD-SHELL", f"curl -sf http://127.0.0.1:{sc.ROUTER_HTTP_PORT}"
                                     "/api/v1/uptime || exit 1"],
            "interval": 10,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 10,
        },
        # Longer than Fluent Bit's Grace (30 s) so a stopping task flushes its logs.
        "stopTimeout": 45,
        "dependsOn": [
            {"containerName": sc.INIT_CONTAINER, "condition": "SUCCESS"},
            {"containerName": sc.COLLECTOR_CONTAINER, "condition": "HEALTHY"},
        ],
        "logConfiguration": _awslogs(service, service.names.router_log_group, "log-router"),
    }


def telemetry_init_container(service: ResolvedService, router_config: str) -> dict[str, Any]:
    """The one-shot container that writes the sidecars' files into the shared volume: the
    Fluent Bit config, busybox for the collector's health check and, when client identity
    is pseudonymized, the pseudonym key derived from its secret (docs/collector.md)."""

    c = service.collector
    parsers = PARSERS_TEXT.replace("\n", "\\n")
    script = (f'printf "%s" "${ROUTER_CONFIG_ENV}" > {ROUTER_CONFIG_FILE}'
              f" && printf '{parsers}' > {PARSERS_FILE}"
              f" && cp /bin/busybox {TELEMETRY_PATH}/busybox")
    secrets = [{"name": ROUTER_CONFIG_ENV, "valueFrom": service.router_config_parameter_arn}]
    mounts = [{"sourceVolume": TELEMETRY_VOLUME, "containerPath": TELEMETRY_PATH}]
    if c.pseudonym_key_secret_arn:
        # SHA-256 hex of the secret, as a quoted YAML string the collector reads with
        # ${file:...}: any secret value (quotes, backslashes, JSON) gives 64 hex characters,
        # which cannot break the OTTL string literal it lands in. No "${" here: Terraform
        # would read it as an interpolation. A missing or empty secret stops the task
        # (fail closed: unkeyed pseudonyms could be reversed by hashing candidate ids).
        key_file = PSEUDONYM_KEY_FILE
        script += (f' && k=$(printf "%s" "${c.pseudonym_key_env}" | sha256sum | cut -c1-64)'
                   f' && [ -n "${c.pseudonym_key_env}" ]'
                   " && printf '%s' \"$k\" | grep -qxE '[0-9a-f]{64}'"
                   f" && printf '\"%s\"\\n' \"$k\" > {key_file}"
                   f" && chown {sc.COLLECTOR_UID} {key_file} && chmod 0400 {key_file}")
        secrets.append({"name": c.pseudonym_key_env, "valueFrom": c.pseudonym_key_secret_arn})
        mounts.append({"sourceVolume": PSEUDONYM_KEY_VOLUME, "containerPath": PSEUDONYM_KEY_PATH})
    return {
        "name": sc.INIT_CONTAINER,
        "image": sc.INIT_IMAGE,
        "essential": False,
        "cpu": 0,
        "command": ["sh", "-c", script],
        "environment": [{"name": "FLUENT_BIT_CONFIG_SHA256", "value": _digest(router_config)}],
        "secrets": secrets,
        "readonlyRootFilesystem": True,
        "mountPoints": mounts,
        "logConfiguration": _awslogs(service, service.names.collector_log_group, sc.INIT_CONTAINER),
    }


def collector_container(service: ResolvedService, config_text: str,
                        self_config_text: str = "") -> dict[str, Any]:
    """The collector; ``config_text`` is the rendered config held in the SSM parameter.

    Its digest goes into the definition so a config change registers a new task
    definition revision and rolls the service, instead of waiting for a restart.
    """
    c = service.collector
    return {
        "name": sc.COLLECTOR_CONTAINER,
        "image": c.image,
        # Losing it loses telemetry for seconds, never the app: restarted in place.
        "essential": False,
        "restartPolicy": restart_policy(),
        "cpu": service.sizes.collector.cpu,
        "memory": service.sizes.collector.memory,
        "command": [f"--config=env:{c.config_env}", f"--config=env:{c.self_config_env}"],
        "environment": [
            {"name": "GOMEMLIMIT", "value": c.gomemlimit},
            {"name": "OTELCOL_CONFIG_SHA256", "value": _digest(config_text + self_config_text)},
        ],
        "secrets": [
            {"name": c.api_key_env, "valueFrom": c.api_key_secret_arn},
            {"name": c.config_env, "valueFrom": service.collector_config_parameter_arn},
            {"name": c.self_config_env,
             "valueFrom": service.collector_self_config_parameter_arn},
        ],
        "user": sc.COLLECTOR_UID,
        "readonlyRootFilesystem": True,
        "mountPoints": [
            {"sourceVolume": TELEMETRY_VOLUME, "containerPath": TELEMETRY_PATH, "readOnly": True},
            *([{"sourceVolume": PSEUDONYM_KEY_VOLUME, "containerPath": PSEUDONYM_KEY_PATH,
                "readOnly": True}] if c.pseudonym_key_secret_arn else []),
        ],
        "healthCheck": {
            "command": ["CMD", f"{TELEMETRY_PATH}/busybox", "wget", "-q", "-O", "/dev/null",
                        f"http://localhost:{sc.COLLECTOR_HEALTH_PORT}/"],
            "interval": 10,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 15,
        },
        # Stops last: drains its sending queue after the router's final flush.
        "stopTimeout": 30,
        "dependsOn": [{"containerName": sc.INIT_CONTAINER, "condition": "SUCCESS"}],
        "logConfiguration": _awslogs(service, service.names.collector_log_group, "otel-collector"),
    }


def container_definitions(service: ResolvedService, collector_config: str,
                          router_config: str, collector_self_config: str = "") -> list[dict]:
    """All containers of the task, in start order."""
    return [
        telemetry_init_container(service, router_config),
        collector_container(service, collector_config, collector_self_config),
        log_router_container(service),
        app_container(service),
    ]


def volumes(service: ResolvedService) -> list[str]:
    """Names of the task's ephemeral bind-mount volumes."""
    names = [TELEMETRY_VOLUME]
    if service.collector.pseudonym_key_secret_arn:
        names.append(PSEUDONYM_KEY_VOLUME)
    if service.spec.read_only_root_filesystem:
        names.append(TMP_VOLUME)
    return names


def sidecar_exit_event_pattern(service: ResolvedService) -> dict[str, Any]:
    """EventBridge pattern: a container of this service's tasks exits with a non-zero
    code while its task keeps running.

    ECS sends a task state change event when a container of a task changes state (ECS
    developer guide, "Amazon ECS task state change events"). While a task is RUNNING
    and meant to stay so, only a container that does not stop the task can have exited:
    the collector (not essential) or a sidecar that ECS restarts in place. The app and
    the router are essential without a restart (or past it), so their exit sets the
    task's desiredStatus to STOPPED, which the pattern excludes; the init container
    exits 0. EventBridge matches a field of an array of objects against any element,
    so the pattern cannot also name the container: the alarm's description does.
    """
    return {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": [service.spec.network.cluster_arn],
            "group": [f"service:{service.names.service}"],
            "lastStatus": ["RUNNING"],
            "desiredStatus": ["RUNNING"],
            "containers": {"exitCode": [{"anything-but": [0]}]},
        },
    }
