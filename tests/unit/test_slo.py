"""Error budgets and multi-window, multi-burn-rate alerts (alerts/burn.py, alerts/slo.py).

The thresholds are checked against numbers worked out by hand; synthetic traffic is
replayed through a small model of CloudWatch's evaluation (``burn.replay``: each window's
alarm evaluated every minute over its sliding window, the pairs ANDed, tickets suppressed
while a page fires) and must behave as the SRE workbook says.
"""

from __future__ import annotations

import pytest

from golden_path.alerts.burn import WINDOWS, budget_ratio, min_requests, replay

DAY = 1440  # minutes

#: objective -> (page 1h/5m, page 6h/30m, ticket 1d/2h, ticket 3d/6h) thresholds, as error
#: ratios, by hand: budget = 1 - objective; threshold = burn x budget, burns 14.4, 6, 3, 1.
BY_HAND = {
    99.9: (0.0144, 0.006, 0.003, 0.001),  # budget 0.001
    99.5: (0.072, 0.03, 0.015, 0.005),    # budget 0.005
    99.0: (0.144, 0.06, 0.03, 0.01),      # budget 0.01
}


@pytest.mark.parametrize("objective", sorted(BY_HAND))
def test_the_thresholds_table(objective):
    assert [round(w.threshold(objective), 10) for w in WINDOWS] == list(BY_HAND[objective])


def test_the_workbooks_windows_and_burns():
    assert [(w.severity, w.burn(), w.label) for w in WINDOWS] == [
        ("page", 14.4, "1h/5m"), ("page", 6.0, "6h/30m"),
        ("ticket", 3.0, "1d/2h"), ("ticket", 1.0, "3d/6h")]
    # Another SLO window keeps the share of the budget each alert fires at: 2 %, 5 %, 10 %.
    assert [w.burn(28) for w in WINDOWS] == [13.44, 5.6, 2.8, 0.933333]
    assert budget_ratio(99.9) == 0.001


def test_the_guard_scales_with_the_window():
    assert [min_requests(s, 60) for s in (300, 3600, 6 * 3600, 3 * 86400)] == [5, 60, 360, 4320]
    assert min_requests(300, 0) == 1  # at least one request, whatever the rate


def traffic(days: float, per_minute: float = 100.0, error_rate: float = 0.0005):
    """Per-minute requests and errors: three days of history first (the longest window)."""
    n = int(days * DAY)
    return [per_minute] * n, [per_minute * error_rate] * n


def test_a_steady_error_rate_inside_the_budget_never_alerts():
    requests, errors = traffic(7, error_rate=0.0005)  # 0.05 %: half the budget's rate
    assert replay(requests, errors, 99.9, 60) == []


def test_two_percent_errors_for_an_hour_pages_within_minutes_of_crossing():
    requests, errors = traffic(4)
    start = 3 * DAY
    for t in range(start, start + 60):
        errors[t] = requests[t] * 0.02
    fired = replay(requests, errors, 99.9, 60)
    assert [f.severity for f in fired] == ["page"]  # the ticket is suppressed meanwhile
    (page,) = fired
    # The 1 h window's ratio crosses 1.44 % after 1.44 / 2 x 60 = 43.2 minutes of 2 %
    # (plus the 0.05 % before): the page fires within minutes of that, on the 1h/5m pair.
    assert page.window == "1h/5m"
    assert 40 <= page.minute - start <= 46


def test_a_slow_burn_opens_a_ticket_and_never_pages():
    requests, errors = traffic(6)
    start = 3 * DAY
    for t in range(start, len(errors)):
        errors[t] = requests[t] * 0.004  # 0.4 %: 4x the budget rate
    fired = replay(requests, errors, 99.9, 60)
    assert [f.severity for f in fired] == ["ticket"]
    # The 3-day window reaches 0.1 % after (0.1 - 0.05) / (0.4 - 0.05) x 3 days = 617 min.
    (ticket,) = fired
    assert ticket.window == "3d/6h" and 600 <= ticket.minute - start <= 640


def test_a_short_spike_at_night_with_little_traffic_does_not_page():
    requests, errors = traffic(4, per_minute=0.5, error_rate=0.0)  # 30 requests an hour
    start = 3 * DAY + 180
    for t in range(start, start + 3):
        errors[t] = requests[t]  # 3 minutes of 100 % errors
    assert replay(requests, errors, 99.9, 60) == []
    # Without the guard the same night pages: the guard is what keeps it quiet.
    assert [f.severity for f in replay(requests, errors, 99.9, 0)] == ["page"]


def test_a_full_outage_pages_in_about_a_minute():
    requests, errors = traffic(4)
    start = 3 * DAY
    for t in range(start, start + 30):
        errors[t] = requests[t]
    page, ticket = replay(requests, errors, 99.9, 60)
    # 100 % errors: the 1 h window passes 1.44 % after 0.864 minutes.
    assert page.severity == "page" and page.minute - start <= 1
    # Half an hour of outage spends 70 % of a month's budget: a ticket follows, once the
    # page has cleared (its 6h/30m pair holds until the 30-minute window no longer sees
    # the outage, minute 59) and the hour of suppression after it is over.
    assert ticket.severity == "ticket" and ticket.minute - start == 59 + 60
