"""``slo:`` in a service file: objectives and their error budget (docs/slo.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from ..spec.base import _Model


class Availability(_Model):
    """The share of requests (invocations, messages) that succeed."""

    objective: float = Field(
        99.9, ge=90, le=99.99,
        description="Percent of requests that succeed over the window (90 to 99.99; 99.9 "
                    "leaves 43 minutes of errors in 30 days).")


class Latency(_Model):
    """The share of requests answered within a threshold."""

    threshold_ms: int = Field(300, ge=1, le=900_000,
                              description="A request is good when answered within this many "
                                          "milliseconds.")
    objective: float = Field(99, ge=50, le=99.99,
                             description="Percent of requests within threshold_ms (50 to 99.99).")


def off(value):
    """``false`` switches an objective (or the whole SLO) off: unlike ``null``, which an
    environment override uses to clear a key back to its default, it survives the merge."""
    return None if value is False else value


class Slo(_Model):
    """Service level objectives, their error budget and the burn-rate alerts on it."""

    availability: Annotated[Availability | None, BeforeValidator(off)] = Field(
        default_factory=Availability,
        description="The availability objective (default 99.9 %); false: none. Workers: "
                    "messages that reach the dead-letter queue fail (needs "
                    "scaling.queue.create).")
    latency: Annotated[Latency | None, BeforeValidator(off)] = Field(
        default_factory=Latency,
        description="The latency objective (default 99 % within 300 ms for web services and "
                    "functions behind HTTP; a queue or schedule function has one only when its "
                    "file sets it; a worker has none); false: none.")
    window_days: int = Field(30, ge=7, le=90,
                             description="The window the objectives and their budget hold over.")
    min_requests_per_hour: float = Field(
        60, ge=0,
        description="The guard: a burn-rate window with fewer requests than this rate "
                    "(60: one a minute; the 1 h window needs 60, the 5 min one 5) is no "
                    "evidence and does not alert, so a handful of requests cannot page on one "
                    "failure.")
    golden_signals: Literal["page", "notify"] = Field(
        "page", description="notify: the default alarms the SLO covers (5xx or error rate, "
                            "latency) notify instead of paging; the SLO's burn-rate alerts page.")
