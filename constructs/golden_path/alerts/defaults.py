"""Default golden-signal alarms per kind of service. Pure data, documented in the generated
docs/reference/default-alarms.md.

Each default is one alarm with one severity; a service may change its threshold or
severity, or turn it off, under ``alerts.overrides.<signal>`` with a reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Placeholder for the target group's ``arn_suffix`` (known to Terraform, not to resolve).
TARGET_GROUP = "<target-group-arn-suffix>"

#: Width of every request-rate anomaly band, in standard deviations of the metric's
#: learned model (CloudWatch's usual 2 fires on ordinary daily peaks; 3 waits for a
#: rate no normal day reaches, such as one client sending 200,000 requests).
ANOMALY_BAND_WIDTH = 3
#: Five-minute sums, three in a row above the band: 15 minutes of sustained excess.
ANOMALY_PERIOD = 300


@dataclass(frozen=True)
class Metric:
    namespace: str
    name: str
    dimensions: dict[str, str]
    statistic: str
    period: int = 60


@dataclass(frozen=True)
class AlarmDef:
    signal: str
    severity: str
    description: str
    comparison: str
    threshold: float
    periods: int
    datapoints: int
    missing_data: str
    metric: Metric | None = None
    expression: str | None = None
    metrics: dict[str, Metric] = field(default_factory=dict)
    #: Why missing data is treated the way it is (docs/reference/default-alarms.md).
    missing_reason: str = ""


def rate_anomaly(signal: str, what: str, target: str, metric_id: str, metric: Metric) -> AlarmDef:
    """A request-rate alarm: the sum per 5 minutes above its anomaly band, 3 times in a row
    (the runbook "A client is flooding us" in docs/runbooks.md starts here)."""
    return AlarmDef(signal, "warning",
                    f"{what} far above the learned band (e.g. one client flooding the {target})",
                    "GreaterThanUpperThreshold", 0, 3, 3, "notBreaching",
                    expression=f"ANOMALY_DETECTION_BAND({metric_id}, {ANOMALY_BAND_WIDTH})",
                    metrics={metric_id: metric},
                    missing_reason="quiet periods are normal")


_BAND = re.compile(r"^ANOMALY_DETECTION_BAND\((\w+), [0-9.]+\)$")


def is_band(d: AlarmDef) -> bool:
    return bool(d.expression and _BAND.match(d.expression))


def band_expression(d: AlarmDef, width: float) -> str:
    """The band of ``d`` with another width (an override's ``threshold``)."""
    return f"ANOMALY_DETECTION_BAND({_BAND.match(d.expression)[1]}, {width:g})"


def queue_age(queue_name: str) -> AlarmDef:
    """The oldest message of a consumed queue waits too long (workers' and functions')."""
    return AlarmDef("queue-oldest-message-age", "critical",
                    "The oldest message has waited more than 15 minutes",
                    "GreaterThanThreshold", 900, 3, 3, "notBreaching",
                    Metric("AWS/SQS", "ApproximateAgeOfOldestMessage",
                           {"QueueName": queue_name}, "Maximum", 300),
                    missing_reason="an idle queue reports zero or nothing")


def dead_letters(dead_letter_queue_name: str) -> AlarmDef:
    """Messages in the dead-letter queue of a queue golden_path owns."""
    return AlarmDef("dead-letter-messages", "warning", "Messages landed in the dead-letter queue",
                    "GreaterThanThreshold", 0, 1, 1, "notBreaching",
                    Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible",
                           {"QueueName": dead_letter_queue_name}, "Maximum", 300),
                    missing_reason="an empty DLQ reports zero or nothing")


def _lb_dimension(listener_arn: str) -> str:
    """'app/<name>/<id>' of the load balancer, from its listener ARN."""
    return re.search(r":listener/(app/[^/]+/[0-9a-f]+)/", listener_arn)[1]


def fargate_defaults(svc) -> list[AlarmDef]:
    spec, names = svc.spec, svc.names
    ecs = {"ClusterName": svc.cluster_name, "ServiceName": names.service}
    alarms: list[AlarmDef] = []
    if svc.is_web:
        lb = {"TargetGroup": TARGET_GROUP,
              "LoadBalancer": _lb_dimension(spec.load_balancer.listener_arn)}
        alarms += [
            AlarmDef("http-5xx-rate", "critical", "More than 5 % of requests fail with a 5xx",
                     "GreaterThanThreshold", 5, 5, 3, "notBreaching",
                     expression="IF(requests > 0, 100 * errors / requests, 0)",
                     metrics={"errors": Metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count",
                                               lb, "Sum"),
                              "requests": Metric("AWS/ApplicationELB", "RequestCount", lb, "Sum")},
                     missing_reason="no requests is not an error"),
            AlarmDef("latency-p99", "warning", "p99 target response time above 2 s",
                     "GreaterThanThreshold", 2, 5, 5, "notBreaching",
                     Metric("AWS/ApplicationELB", "TargetResponseTime", lb, "p99"),
                     missing_reason="no requests, no latency"),
            AlarmDef("unhealthy-targets", "warning", "At least one target fails its health check",
                     "GreaterThanThreshold", 0, 5, 5, "notBreaching",
                     Metric("AWS/ApplicationELB", "UnHealthyHostCount", lb, "Maximum"),
                     missing_reason="the ALB reports while targets are registered"),
            rate_anomaly("requests-anomaly", "Requests", "service", "requests",
                         Metric("AWS/ApplicationELB", "RequestCount", lb, "Sum", ANOMALY_PERIOD)),
        ]
    else:
        scaling = svc.scaling
        if scaling.queue_name:
            q = {"QueueName": scaling.queue_name}
            alarms += [
                AlarmDef("queue-backlog", "warning",
                         "Backlog above what the maximum task count drains comfortably",
                         "GreaterThanThreshold", scaling.messages_per_task * scaling.max, 3, 3,
                         "notBreaching",
                         Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", q, "Maximum",
                                300),
                         missing_reason="an idle queue reports zero or nothing"),
                queue_age(scaling.queue_name),
                # What producers put on the queue: not capped by how fast the workers drain.
                rate_anomaly("intake-anomaly", "Messages arriving on the queue", "queue",
                             "messages", Metric("AWS/SQS", "NumberOfMessagesSent", q, "Sum", ANOMALY_PERIOD)),
            ]
        if svc.queue is not None:  # golden_path's own queue has a dead-letter queue
            alarms.append(dead_letters(svc.queue.dead_letter_name))
    alarms += [
        AlarmDef("running-tasks", "critical",
                 f"Fewer running tasks than the minimum ({svc.scaling.min})",
                 "LessThanThreshold", svc.scaling.min, 5, 5, "breaching",
                 Metric("ECS/ContainerInsights", "RunningTaskCount", ecs, "Minimum"),
                 missing_reason="no data means no task is reporting: treated as down"),
        AlarmDef("cpu-high", "warning", "Average CPU above 90 % for 15 minutes",
                 "GreaterThanThreshold", 90, 3, 3, "missing",
                 Metric("AWS/ECS", "CPUUtilization", ecs, "Average", 300),
                 missing_reason="running-tasks covers absent tasks"),
        AlarmDef("memory-high", "warning", "Average memory above 90 % for 15 minutes",
                 "GreaterThanThreshold", 90, 3, 3, "missing",
                 Metric("AWS/ECS", "MemoryUtilization", ecs, "Average", 300),
                 missing_reason="running-tasks covers absent tasks"),
        AlarmDef("sidecar-restarts", "warning",
                 "The OpenTelemetry collector or the log router exited while its task kept "
                 "running (out of memory, a crash) and was restarted in place: telemetry was "
                 "lost for seconds; see the sidecar's log group for why",
                 "GreaterThanThreshold", 0, 1, 1, "notBreaching",
                 Metric("AWS/Events", "MatchedEvents", {"RuleName": names.sidecar_exit_rule},
                        "Sum", 300),
                 missing_reason="the rule only reports when a sidecar exited"),
    ]
    return alarms + telemetry_pipeline_defaults(spec)


#: Where the collector's EMF exporter puts the pipeline's own metrics (see telemetry/render.py).
TELEMETRY_NAMESPACE = "GoldenPath/Telemetry"


def telemetry_pipeline_defaults(spec) -> list[AlarmDef]:
    """Alarms on the sidecars themselves, from the metrics the collector ships via EMF."""
    dims = {"service.name": spec.name, "deployment.environment.name": spec.environment}

    def m(name: str, stat: str) -> Metric:
        return Metric(TELEMETRY_NAMESPACE, name, dims, stat, 300)

    return [
        AlarmDef("collector-export-failures", "warning",
                 "The collector fails to send telemetry to the vendor",
                 "GreaterThanThreshold", 0, 3, 2, "notBreaching",
                 expression="FILL(spans, 0) + FILL(points, 0) + FILL(logs, 0)",
                 metrics={"spans": m("ExporterSendFailedSpans", "Sum"),
                          "points": m("ExporterSendFailedMetricPoints", "Sum"),
                          "logs": m("ExporterSendFailedLogRecords", "Sum")},
                 missing_reason="counters only report when something failed"),
        AlarmDef("collector-queue-near-capacity", "warning",
                 "The exporter's sending queue is over 80 % full, in bytes (the vendor is slow "
                 "or down)",
                 "GreaterThanThreshold", 80, 3, 3, "notBreaching",
                 expression="IF(capacity > 0, 100 * size / capacity, 0)",
                 metrics={"size": m("ExporterQueueSize", "Maximum"),
                          "capacity": m("ExporterQueueCapacity", "Maximum")},
                 missing_reason="an idle collector may not report"),
        # memory_limiter refusing data: the queue is full and the limit reached, or the
        # collector is too small for the traffic; the app's SDK loses what is refused.
        AlarmDef("collector-refusing-data", "warning",
                 "The collector refuses the app's telemetry (memory limit reached: the vendor "
                 "is slow or down, or the collector is too small)",
                 "GreaterThanThreshold", 0, 3, 2, "notBreaching",
                 expression="FILL(spans, 0) + FILL(points, 0) + FILL(logs, 0)",
                 metrics={"spans": m("ReceiverRefusedSpans", "Sum"),
                          "points": m("ReceiverRefusedMetricPoints", "Sum"),
                          "logs": m("ReceiverRefusedLogRecords", "Sum")},
                 missing_reason="counters only report when something was refused"),
        AlarmDef("router-output-errors", "warning",
                 "Fluent Bit fails to hand logs to the collector",
                 "GreaterThanThreshold", 0, 3, 2, "notBreaching",
                 m("RouterOutputErrors", "Sum"),
                 missing_reason="counters only report when something failed"),
    ]


def lambda_defaults(fn) -> list[AlarmDef]:
    spec, names = fn.spec, fn.names
    f = {"FunctionName": names.function}
    alarms = [
        AlarmDef("error-rate", "critical", "More than 5 % of invocations fail",
                 "GreaterThanThreshold", 5, 5, 3, "notBreaching",
                 expression="IF(invocations > 0, 100 * errors / invocations, 0)",
                 metrics={"errors": Metric("AWS/Lambda", "Errors", f, "Sum"),
                          "invocations": Metric("AWS/Lambda", "Invocations", f, "Sum")},
                 missing_reason="no invocations is not an error"),
        AlarmDef("throttles", "warning", "Invocations are throttled",
                 "GreaterThanThreshold", 0, 5, 3, "notBreaching",
                 Metric("AWS/Lambda", "Throttles", f, "Sum"),
                 missing_reason="no invocations, no throttles"),
        AlarmDef("duration-p99", "warning",
                 f"p99 duration above 80 % of the {spec.timeout} s timeout",
                 "GreaterThanThreshold", round(spec.timeout * 1000 * 0.8), 5, 3, "notBreaching",
                 Metric("AWS/Lambda", "Duration", f, "p99"),
                 missing_reason="no invocations, no duration"),
        rate_anomaly("invocations-anomaly", "Invocations", "API", "invocations",
                     Metric("AWS/Lambda", "Invocations", f, "Sum", ANOMALY_PERIOD)),
    ]
    if spec.reserved_concurrency:
        alarms.append(AlarmDef(
            "concurrency-near-limit", "warning",
            f"Concurrency above 80 % of the reserved {spec.reserved_concurrency}",
            "GreaterThanThreshold", round(spec.reserved_concurrency * 0.8), 5, 3, "notBreaching",
            Metric("AWS/Lambda", "ConcurrentExecutions", f, "Maximum"),
            missing_reason="no invocations, no concurrency"))
    if names.queue:
        alarms += [queue_age(names.queue), dead_letters(names.dead_letter_queue)]
    return alarms
