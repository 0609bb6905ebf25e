"""Pinned sidecar images and the ports they hold inside the task.

Pins are deliberate: a new collector or Fluent Bit release reaches every
service through one reviewed change here, never through a moving tag.
"""

from __future__ import annotations

# aws-for-fluent-bit: AWS's Fluent Bit build for FireLens (ECR Public, no pull limits).
ROUTER_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4"
# OpenTelemetry Collector, contrib distribution.
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib:0.150.1"
# The collector image is built FROM scratch (no shell, no curl). A one-shot init
# container copies a static busybox into a shared volume so the collector's
# health check can call its health_check extension for real.
HEALTH_TOOLS_IMAGE = "public.ecr.aws/docker/library/busybox:1.37.0-musl"

ROUTER_CONTAINER = "log_router"
COLLECTOR_CONTAINER = "otel-collector"
HEALTH_TOOLS_CONTAINER = "healthcheck-tools"
APP_CONTAINER = "app"

COLLECTOR_UID = "10001"  # the user the contrib image runs as

OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318
COLLECTOR_HEALTH_PORT = 13133
COLLECTOR_METRICS_PORT = 8888

#: Ports taken inside the task's network namespace (awsvpc: one localhost for all).
RESERVED_PORTS: dict[int, str] = {
    OTLP_GRPC_PORT: "the collector's OTLP gRPC receiver",
    OTLP_HTTP_PORT: "the collector's OTLP HTTP receiver",
    COLLECTOR_HEALTH_PORT: "the collector's health_check extension",
    COLLECTOR_METRICS_PORT: "the collector's internal metrics",
    24224: "FireLens's forward input in Fluent Bit",
    2020: "Fluent Bit's HTTP monitoring server",
}
