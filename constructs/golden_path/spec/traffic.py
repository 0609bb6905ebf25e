"""Traffic assumptions and vendor prices: what ``golden-path cost`` multiplies.

A service may state its traffic in its file (``traffic:``, per environment through
``environments:``); platform.yaml gives the defaults (``defaults.traffic`` or an
environment's ``traffic``) and the vendor's prices (``prices``). A unit of work is a
request (web), a queue message (worker) or an invocation (Lambda). golden_path has no
built-in prices: without them, ``golden-path cost`` reports volumes only.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from ..errors import Problem
from .base import _Model

#: ISO 4217 codes golden_path accepts for prices (a deliberately small, common set).
CURRENCIES: tuple[str, ...] = (
    "USD", "EUR", "GBP", "CHF", "JPY", "CNY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK",
    "PLN", "CZK", "HUF", "INR", "SGD", "HKD", "KRW", "BRL", "MXN", "ZAR", "ILS", "AED",
)


def _currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError(f"unknown currency; use an ISO 4217 code: {', '.join(CURRENCIES)}")
    return value


Currency = Annotated[str, AfterValidator(_currency), Field(json_schema_extra={"enum": list(CURRENCIES)})]
Rate = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
Size = Annotated[float, Field(gt=0, le=1_000_000, allow_inf_nan=False)]
Price = Annotated[float, Field(ge=0, allow_inf_nan=False)]

#: The rate field of each kind of service, and what one unit of work is.
RATE_FIELDS = {"web": "requests_per_second", "worker": "messages_per_day",
               "lambda": "invocations_per_day"}
UNITS = {"web": "request", "worker": "message", "lambda": "invocation"}


class Traffic(_Model):
    """Assumptions about a service's traffic for ``golden-path cost``. Per unit of work:
    a request (web), a queue message (worker) or an invocation (Lambda)."""

    requests_per_second: Rate | None = Field(
        None, description="web: requests per second, averaged over a day.")
    messages_per_day: Rate | None = Field(None, description="worker: queue messages handled per day.")
    invocations_per_day: Rate | None = Field(None, description="Lambda: invocations per day.")
    log_lines_per_request: Rate | None = Field(
        None, description="Log lines the app writes per request, message or invocation.")
    spans_per_request: Rate | None = Field(
        None, description="Spans the app records per request, message or invocation.")
    metric_points_per_request: Rate | None = Field(
        None, description="Metric data points the app exports per request, message or invocation.")
    log_line_bytes: Size | None = Field(None, description="Average size of a log line, in bytes.")
    span_bytes: Size | None = Field(None, description="Average size of a span, in bytes.")
    metric_point_bytes: Size | None = Field(
        None, description="Average size of a metric data point, in bytes.")
    platform_line_bytes: Size | None = Field(
        None, description="Lambda: average size of a START, END or REPORT line, in bytes.")
    error_span_share: Share | None = Field(
        None, description="Share of spans with an error status (0..1); always kept.")
    health_check_share: Share | None = Field(
        None, description="web: share of log lines that are load-balancer health checks (0..1); "
                          "unset: as measured in the sample log corpus.")
    success_share: Share | None = Field(
        None, description="ECS: share of log lines that are success lines (2xx/3xx access lines, "
                          "Celery's 'succeeded'), 0..1; unset: as measured in the corpus.")

    @model_validator(mode="after")
    def _shares(self) -> Traffic:
        if (self.health_check_share or 0) + (self.success_share or 0) > 1:
            raise ValueError(f"health_check_share ({self.health_check_share}) and success_share "
                             f"({self.success_share}) are shares of the same lines: together at "
                             "most 1")
        return self

    def problems(self, kind: str) -> list[Problem]:
        """A rate that is not this kind's (``web``, ``worker``, ``lambda``)."""
        mine, what = RATE_FIELDS[kind], {"web": "a web service", "worker": "a worker",
                                         "lambda": "a Lambda function"}
        plural = {"web": "web services", "worker": "workers", "lambda": "Lambda functions"}
        problems = [Problem(("traffic", name), getattr(self, name),
                            f"{what[kind]}'s rate is {mine}; {name} is for {plural[other]}")
                    for other, name in RATE_FIELDS.items()
                    if name != mine and getattr(self, name) is not None]
        if kind != "web" and self.health_check_share is not None:
            problems.append(Problem(("traffic", "health_check_share"), self.health_check_share,
                                    f"{what[kind]} gets no load-balancer health checks; remove it"))
        if kind == "lambda" and self.success_share is not None:
            problems.append(Problem(("traffic", "success_share"), self.success_share,
                                    "a function's log lines pass only Lambda's application log "
                                    "level, not the noise filters; remove it"))
        if kind != "lambda" and self.platform_line_bytes is not None:
            problems.append(Problem(("traffic", "platform_line_bytes"), self.platform_line_bytes,
                                    "START/END/REPORT lines are Lambda's; remove it"))
        return problems


class Prices(_Model):
    """The telemetry vendor's list prices, for ``golden-path cost`` (illustrative in the
    examples; golden_path has none built in)."""

    currency: Currency = Field(description="ISO 4217 code of every price here, e.g. USD or EUR.")
    logs_per_gb: Price | None = Field(
        None, description="Per GB (10^9 bytes) of log lines ingested, Lambda's included.")
    spans_per_million: Price | None = Field(None, description="Per million spans ingested.")
    metric_points_per_million: Price | None = Field(
        None, description="Per million metric data points (or give metrics_per_gb).")
    metrics_per_gb: Price | None = Field(
        None, description="Per GB of metric data points (or give metric_points_per_million).")

    @model_validator(mode="before")
    @classmethod
    def _one_metric_price(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("metric_points_per_million") is not None \
                and data.get("metrics_per_gb") is not None:
            raise ValueError("give metric_points_per_million or metrics_per_gb, not both")
        return data
