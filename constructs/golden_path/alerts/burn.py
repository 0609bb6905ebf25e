"""Multi-window, multi-burn-rate alerting on an error budget (docs/slo.md). Pure data.

The Google SRE workbook's scheme ("Alerting on SLOs", table 5-8): an alert fires when the
error budget burns ``burn`` times faster than the rate that would spend exactly all of it
over the SLO window, over a long window **and** a short one at once (the long window makes
it sure, the short one makes it stop soon after the burning stops):

| severity | burn | long window | short window | budget spent when it fires (30 days) |
| --- | --- | --- | --- | --- |
| page | 14.4 | 1 h | 5 min | 2 % |
| page | 6 | 6 h | 30 min | 5 % |
| ticket | 3 | 1 day | 2 h | 10 % |
| ticket | 1 | 3 days | 6 h | 10 % |

On CloudWatch, each window is one metric-math alarm whose period is the window (a sliding
window: CloudWatch's default evaluation window moves with each evaluation), comparing the
window's error ratio with ``burn × (1 − objective)``. CloudWatch limits an alarm's range to
one day for periods under an hour and to seven days otherwise: every window fits (the
3-day window is one 3-day period), so the workbook's windows are kept as they are.

The burn rates are the workbook's for a 30-day SLO window. For another window each pair
keeps the share of the budget it fires at (2 %, 5 %, 10 %, 10 %), as sloth does: burn =
share × SLO window / long window (28 days: 13.44, 5.6, 2.8, 0.93).
"""

from __future__ import annotations

from dataclasses import dataclass

MINUTE = 60
HOUR = 3600
DAY = 86400


@dataclass(frozen=True)
class BurnWindow:
    """One long/short pair of the scheme."""

    severity: str  # "page" or "ticket"
    #: The share of the SLO window's budget spent over the long window when it fires.
    spent: float
    long: int  # seconds
    short: int  # seconds

    def burn(self, window_days: int = 30) -> float:
        """How many times faster than the budget rate: share × SLO window / long window."""
        return round(self.spent * window_days * DAY / self.long, 6)

    def threshold(self, objective_percent: float, window_days: int = 30) -> float:
        """The error ratio (0..1) above which both windows alarm: burn × budget."""
        return self.burn(window_days) * budget_ratio(objective_percent)

    @property
    def label(self) -> str:
        return f"{_span(self.long)}/{_span(self.short)}"


#: The workbook's pairs, most severe first.
WINDOWS: tuple[BurnWindow, ...] = (
    BurnWindow("page", 0.02, HOUR, 5 * MINUTE),
    BurnWindow("page", 0.05, 6 * HOUR, 30 * MINUTE),
    BurnWindow("ticket", 0.10, DAY, 2 * HOUR),
    BurnWindow("ticket", 0.10, 3 * DAY, 6 * HOUR),
)
SEVERITIES = ("page", "ticket")
#: Seconds a ticket stays suppressed after the page that suppressed it clears.
SUPPRESSOR_EXTENSION = 3600
#: Seconds a ticket waits for a page to fire before its actions run.
SUPPRESSOR_WAIT = 60


def budget_ratio(objective_percent: float) -> float:
    """The error budget as a ratio: 1 − objective (99.9 % → 0.001)."""
    return round(1 - objective_percent / 100, 12)


def _span(seconds: int) -> str:
    if seconds % DAY == 0:
        return f"{seconds // DAY}d"
    if seconds % HOUR == 0:
        return f"{seconds // HOUR}h"
    return f"{seconds // MINUTE}m"


def min_requests(window_seconds: int, per_hour: float) -> int:
    """The guard: fewer requests than this in a window count as no evidence (the window's
    alarm stays OK), so one failure among a handful of requests does not page."""
    return max(1, round(per_hour * window_seconds / HOUR))


# --------------------------------------------------------------------------- replay

@dataclass(frozen=True)
class Firing:
    severity: str
    minute: int  # the minute (from the start of the traffic) it first fired
    window: str


def replay(requests: list[float], errors: list[float], objective_percent: float,
           min_requests_per_hour: float, windows: tuple[BurnWindow, ...] = WINDOWS,
           window_days: int = 30, suppressor_extension: int = SUPPRESSOR_EXTENSION
           ) -> list[Firing]:
    """Per-minute traffic through the alarms as CloudWatch evaluates them (a small model).

    Each window's alarm is evaluated every minute over the last ``window`` minutes (a
    sliding window, one datapoint, one evaluation period): ALARM when the window has at
    least the guard's requests and its error ratio is above the pair's threshold; a
    window without data is OK (missing data: notBreaching). A pair fires when both its
    alarms are in ALARM at the same evaluation (the composite's AND); a ticket is
    suppressed while a page fires and for ``suppressor_extension`` seconds after (the
    composite's actions suppressor and its extension period). Returns the first
    firing of each severity, and nothing for a severity that never fires.
    """
    n = len(requests)
    sums_r, sums_e = [0.0], [0.0]
    for r, e in zip(requests, errors, strict=True):
        sums_r.append(sums_r[-1] + r)
        sums_e.append(sums_e[-1] + e)

    def alarm(t: int, seconds: int, threshold: float, guard: int) -> bool:
        span = seconds // MINUTE
        start = max(0, t + 1 - span)
        total = sums_r[t + 1] - sums_r[start]
        if total < guard or total <= 0:
            return False
        return (sums_e[t + 1] - sums_e[start]) / total > threshold

    first: dict[str, Firing] = {}
    page_until = -1  # the last minute a ticket is still suppressed
    for t in range(n):
        firing = {}
        for w in windows:
            threshold = w.threshold(objective_percent, window_days)
            if w.severity not in firing and \
                    alarm(t, w.long, threshold, min_requests(w.long, min_requests_per_hour)) and \
                    alarm(t, w.short, threshold, min_requests(w.short, min_requests_per_hour)):
                firing[w.severity] = w.label
        # The ticket composite's actions are suppressed while the page composite is in ALARM.
        if "page" in firing:
            page_until = t + suppressor_extension // MINUTE
        if t <= page_until:
            firing.pop("ticket", None)
        for severity, label in firing.items():
            first.setdefault(severity, Firing(severity, t, label))
    return [first[s] for s in SEVERITIES if s in first]
