"""Pinned sidecar images and the ports they hold inside the task.

Pins are deliberate: a new collector or Fluent Bit release reaches every
service through one reviewed change here, never through a moving tag.
"""

from __future__ import annotations

# aws-for-fluent-bit 3.x (Fluent Bit 4.2, Amazon Linux 2023, with curl): AWS's Fluent
# Bit build for FireLens, on ECR Public (no pull limits). The 2.x line is end of life.
ROUTER_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:3.2.1"
# The collector image comes from the chosen distribution (telemetry/distributions.yaml).
# It is built FROM scratch (no shell, no curl), and Fargate cannot read a FireLens
# config from S3, so a one-shot init container (static busybox) writes the Fluent
# Bit config from its SSM parameter into a shared volume and copies busybox there
# for the collector's health check.
INIT_IMAGE = "public.ecr.aws/docker/library/busybox:1.37.0-musl"

ROUTER_CONTAINER = "log_router"
COLLECTOR_CONTAINER = "otel-collector"
INIT_CONTAINER = "telemetry-init"
APP_CONTAINER = "app"

COLLECTOR_UID = "10001"  # the user the contrib image runs as

OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
COLLECTOR_HEALTH_PORT = 13133
COLLECTOR_METRICS_PORT = 8888
ROUTER_HTTP_PORT = 2020

#: Ports taken inside the task's network namespace (awsvpc: one localhost for all).
RESERVED_PORTS: dict[int, str] = {
    OTLP_GRPC_PORT: "the collector's OTLP gRPC receiver",
    OTLP_HTTP_PORT: "the collector's OTLP HTTP receiver",
    COLLECTOR_HEALTH_PORT: "the collector's health_check extension",
    COLLECTOR_METRICS_PORT: "the collector's internal metrics",
    24224: "FireLens's forward input in Fluent Bit",
    ROUTER_HTTP_PORT: "Fluent Bit's HTTP monitoring server",
}
