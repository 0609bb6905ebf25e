"""The ``alerts`` block of service.yaml: overrides of the defaults and the team's own alarms."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, WithJsonSchema

from ..errors import MISSING, Problem
from ..spec.base import _Model

Severity = Literal["critical", "warning", "info"]
Comparison = Literal[
    "GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold",
    "LessThanOrEqualToThreshold", "GreaterThanUpperThreshold", "LessThanLowerThreshold",
    "LessThanLowerOrGreaterThanUpperThreshold",
]
MissingData = Literal["missing", "ignore", "breaching", "notBreaching"]
Statistic = Annotated[str, Field(pattern=r"^(Average|Sum|Minimum|Maximum|SampleCount|"
                                         r"p\d{1,2}(\.\d+)?|tm\d{1,2})$")]


def _https_url(value: str) -> str:
    if value.startswith("TODO"):
        raise ValueError("left for you to fill by golden-path discover (no runbook tag or "
                         "--runbook): write the runbook's https URL")
    if not re.match(r"^https://\S+$", value):
        raise ValueError("expected an https URL, e.g. 'https://runbooks.example.com/billing'")
    return value


HttpsUrl = Annotated[str, AfterValidator(_https_url),
                     WithJsonSchema({"type": "string", "pattern": r"^https://\S+$"})]
MetricId = Annotated[str, Field(pattern=r"^[a-z][A-Za-z0-9_]{0,254}$")]
#: Identifiers in a metric-math expression: lowercase ids; functions are UPPERCASE.
_EXPRESSION_IDS = re.compile(r"(?<![A-Za-z0-9_])[a-z][A-Za-z0-9_]*")


class MetricRef(_Model):
    namespace: str = Field(min_length=1, max_length=255,
                           description="CloudWatch namespace, e.g. AWS/SQS or the app's own.")
    name: str = Field(min_length=1, max_length=255, description="The metric's name.")
    dimensions: dict[str, str] = Field(default_factory=dict, max_length=30,
                                       description="Dimension name -> value.")
    statistic: Statistic = Field(
        "Average", description="Average, Sum, Minimum, Maximum, SampleCount, a percentile like "
                               "p99, or a trimmed mean like tm90.")
    period: Literal[10, 30, 60, 120, 300, 600, 900, 1800, 3600] = Field(
        60, description="Seconds per datapoint.")


class TeamAlarm(_Model):
    """An alarm the team writes: any metric, or metric math over named metrics."""

    name: str = Field(
        pattern=r"^[a-z][a-z0-9-]{1,48}[a-z0-9]$",
        description="The alarm's signal: lowercase letters, digits and '-', 3 to 50 characters, "
                    "not a default alarm's; the alarm is `<environment>-<team>-<service>-<name>`.")
    description: str = Field(
        min_length=3, description="What the alarm means: the alarm's description (with "
                                  "the runbook URL appended, if any).")
    severity: Severity = Field(
        description="critical, warning or info: the environment's profile decides whether it "
                    "pages, notifies or neither.")
    runbook: HttpsUrl | None = Field(
        None, description="This alarm's runbook URL (default: alerts.runbook); required when it "
                          "pages.")
    metric: MetricRef | None = Field(None, description="The metric alarmed on; not with expression.")
    expression: str | None = Field(
        None, min_length=1, max_length=1024,
        description="CloudWatch metric math over the ids of metrics, e.g. "
                    "`100 * errors / requests`; not with metric.")
    metrics: dict[MetricId, MetricRef] = Field(
        default_factory=dict, max_length=10,
        description="The metrics expression uses, by lowercase id; each must be used.")
    comparison: Comparison = Field(
        description="How the value is compared with threshold; the band comparisons need "
                    "ANOMALY_DETECTION_BAND(...) in expression.")
    threshold: float = Field(
        description="The value compared with; unused with a band comparison (the band is the "
                    "threshold).")
    periods: int = Field(5, ge=1, le=100, description="Evaluation periods.")
    datapoints: int | None = Field(None, ge=1, le=100,
                                   description="Datapoints to alarm (default: periods).")
    missing_data: MissingData = Field(
        "missing", description="How CloudWatch treats missing datapoints: missing, ignore, "
                               "breaching or notBreaching.")


class AlarmOverride(_Model):
    """Change or turn off a default alarm, with a written reason."""

    threshold: float | None = Field(
        None, description="New threshold; for an anomaly band, its width in standard deviations.")
    severity: Severity | None = Field(
        None, description="New severity: critical, warning or info (the environment's profile "
                          "decides who is told).")
    disabled: bool = Field(False, description="true turns the default alarm off.")
    reason: str = Field(min_length=10, description="Why the default does not fit this service.")


class Alerts(_Model):
    runbook: HttpsUrl | None = Field(
        None, description="Default runbook URL for this service's alarms; required when one "
                          "pages (critical in a production profile) without its own.")
    notify_in_sandbox: bool = Field(
        False, description="In a sandbox profile, send critical and warning alarms to the team's "
                           "notify topic (by default they go nowhere).")
    overrides: dict[str, AlarmOverride] = Field(
        default_factory=dict,
        description="Changes to default alarms, by signal (docs/reference/default-alarms.md), "
                    "each with a reason.")
    alarms: list[TeamAlarm] = Field(default_factory=list, max_length=50,
                                    description="The team's own alarms.")


def alerts_problems(alerts: Alerts) -> list[Problem]:
    """Rules relating fields of team alarms (each problem names the field)."""
    problems: list[Problem] = []
    names: set[str] = set()
    for i, alarm in enumerate(alerts.alarms):
        at = ("alerts", "alarms", i)
        if alarm.name in names:
            problems.append(Problem((*at, "name"), alarm.name, "two alarms have this name"))
        names.add(alarm.name)
        if (alarm.metric is None) == (alarm.expression is None):
            problems.append(Problem(at, alarm.name,
                                    "give exactly one of metric, or expression with metrics"))
        if alarm.expression is not None:
            used = set(_EXPRESSION_IDS.findall(alarm.expression))
            for unknown in sorted(used - set(alarm.metrics)):
                problems.append(Problem(
                    (*at, "expression"), alarm.expression,
                    f"uses '{unknown}', which metrics does not define (defined: "
                    f"{', '.join(sorted(alarm.metrics)) or 'none'})"))
            for unused in sorted(set(alarm.metrics) - used):
                problems.append(Problem((*at, "metrics", unused), MISSING,
                                        "defined but not used in the expression; remove it"))
        elif alarm.metrics:
            problems.append(Problem((*at, "metrics"), sorted(alarm.metrics),
                                    "metrics are for an expression; use metric alone"))
        if alarm.datapoints is not None and alarm.datapoints > alarm.periods:
            problems.append(Problem((*at, "datapoints"), alarm.datapoints,
                                    f"must not exceed periods ({alarm.periods})"))
        if alarm.comparison in ("GreaterThanUpperThreshold", "LessThanLowerThreshold",
                                "LessThanLowerOrGreaterThanUpperThreshold") and (
                alarm.expression is None or "ANOMALY_DETECTION_BAND" not in alarm.expression):
            problems.append(Problem((*at, "comparison"), alarm.comparison,
                                    "band comparisons need an expression with "
                                    "ANOMALY_DETECTION_BAND(...)"))
    return problems
