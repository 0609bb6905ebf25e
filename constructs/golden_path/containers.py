"""ECS container definitions for a resolved service. Pure Python (no cdktf).

The task runs four containers:

- ``log_router``: Fluent Bit (FireLens). Starts first, stops last; the app's
  stdout/stderr flows through it.
- ``healthcheck-tools``: a one-shot init container that copies a static
  busybox into a shared volume, because the collector image has no shell.
- ``otel-collector``: the OpenTelemetry Collector; its config comes from an
  SSM parameter through an environment variable; health-checked for real.
- ``app``: the team's image; waits for the router (START) and the collector
  (HEALTHY).

The definitions are plain dicts in the shape of ECS ``RegisterTaskDefinition``
(camelCase), checked in tests against botocore's service model.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .resolve import ResolvedService
from .telemetry import sidecars as sc

TMP_VOLUME = "tmp"
HEALTH_TOOLS_VOLUME = "healthcheck-tools"
HEALTH_TOOLS_PATH = "/opt/healthcheck"


def _pairs(mapping: dict[str, str], value_key: str) -> list[dict[str, str]]:
    return [{"name": k, value_key: mapping[k]} for k in sorted(mapping)]


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
        "logConfiguration": {
            "logDriver": "awsfirelens",
            "options": {
                "Name": "cloudwatch_logs",
                "region": service.region,
                "log_group_name": service.names.app_log_group,
                "log_stream_prefix": "app/",
                "auto_create_group": "false",
                "retry_limit": "2",
            },
        },
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


def log_router_container(service: ResolvedService) -> dict[str, Any]:
    return {
        "name": sc.ROUTER_CONTAINER,
        "image": sc.ROUTER_IMAGE,
        "essential": True,
        "cpu": service.sizes.router.cpu,
        "memory": service.sizes.router.memory,
        "firelensConfiguration": {
            "type": "fluentbit",
            "options": {"enable-ecs-log-metadata": "true"},
        },
        # FireLens mounts its generated config and a socket the router must own:
        # aws-for-fluent-bit runs as root and writes under /fluent-bit and /tmp.
        "user": "0",
        "readonlyRootFilesystem": False,
        "logConfiguration": _awslogs(service, service.names.router_log_group, "log-router"),
    }


def healthcheck_tools_container(service: ResolvedService) -> dict[str, Any]:
    return {
        "name": sc.HEALTH_TOOLS_CONTAINER,
        "image": sc.HEALTH_TOOLS_IMAGE,
        "essential": False,
        "cpu": 0,
        "command": ["cp", "/bin/busybox", f"{HEALTH_TOOLS_PATH}/busybox"],
        "readonlyRootFilesystem": True,
        "mountPoints": [{"sourceVolume": HEALTH_TOOLS_VOLUME, "containerPath": HEALTH_TOOLS_PATH}],
        "logConfiguration": _awslogs(service, service.names.collector_log_group,
                                     "healthcheck-tools"),
    }


def collector_container(service: ResolvedService, config_text: str) -> dict[str, Any]:
    """The collector; ``config_text`` is the rendered config held in the SSM parameter.

    Its digest goes into the definition so a config change registers a new task
    definition revision and rolls the service, instead of waiting for a restart.
    """
    c = service.collector
    return {
        "name": sc.COLLECTOR_CONTAINER,
        "image": sc.COLLECTOR_IMAGE,
        "essential": True,
        "cpu": service.sizes.collector.cpu,
        "memory": service.sizes.collector.memory,
        "command": [f"--config=env:{c.config_env}"],
        "environment": [
            {"name": "GOMEMLIMIT", "value": c.gomemlimit},
            {"name": "OTELCOL_CONFIG_SHA256",
             "value": hashlib.sha256(config_text.encode()).hexdigest()},
        ],
        "secrets": [
            {"name": c.api_key_env, "valueFrom": c.api_key_secret_arn},
            {"name": c.config_env, "valueFrom": service.collector_config_parameter_arn},
        ],
        "user": sc.COLLECTOR_UID,
        "readonlyRootFilesystem": True,
        "mountPoints": [{
            "sourceVolume": HEALTH_TOOLS_VOLUME,
            "containerPath": HEALTH_TOOLS_PATH,
            "readOnly": True,
        }],
        "healthCheck": {
            "command": ["CMD", f"{HEALTH_TOOLS_PATH}/busybox", "wget", "-q", "-O", "/dev/null",
                        f"http://localhost:{sc.COLLECTOR_HEALTH_PORT}/"],
            "interval": 10,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 15,
        },
        "dependsOn": [{"containerName": sc.HEALTH_TOOLS_CONTAINER, "condition": "SUCCESS"}],
        "logConfiguration": _awslogs(service, service.names.collector_log_group, "otel-collector"),
    }


def container_definitions(service: ResolvedService, collector_config: str) -> list[dict]:
    """All containers of the task, router first (it starts first and stops last)."""
    return [
        log_router_container(service),
        healthcheck_tools_container(service),
        collector_container(service, collector_config),
        app_container(service),
    ]


def volumes(service: ResolvedService) -> list[str]:
    """Names of the task's ephemeral bind-mount volumes."""
    names = [HEALTH_TOOLS_VOLUME]
    if service.spec.read_only_root_filesystem:
        names.append(TMP_VOLUME)
    return names
