"""CloudWatch alarms and a dashboard from resolved alarm definitions."""

from __future__ import annotations

import json

from ..alerts.defaults import AlarmDef, Metric
from ..cdk import (
    CloudwatchCompositeAlarm,
    CloudwatchCompositeAlarmActionsSuppressor,
    CloudwatchDashboard,
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
    Construct,
)

BAND_COMPARISONS = ("GreaterThanUpperThreshold", "LessThanLowerThreshold",
                    "LessThanLowerOrGreaterThanUpperThreshold")


def _query_metric(m: Metric) -> CloudwatchMetricAlarmMetricQueryMetric:
    return CloudwatchMetricAlarmMetricQueryMetric(
        namespace=m.namespace, metric_name=m.name, dimensions=m.dimensions or None,
        stat=m.statistic, period=m.period)


class Alarm(Construct):
    """One metric alarm; alarm and OK actions go to the same topics (incidents resolve).

    A metric-math definition becomes metric queries plus one expression; an anomaly
    band (``ANOMALY_DETECTION_BAND``) becomes the threshold of its metric.
    """

    def __init__(self, scope: Construct, id: str, *, name: str, definition: AlarmDef,
                 actions: list[str], description: str, tags: dict[str, str] | None = None):
        super().__init__(scope, id)
        d = definition
        common = dict(
            alarm_name=name, alarm_description=description[:1024],
            comparison_operator=d.comparison, evaluation_periods=d.periods,
            datapoints_to_alarm=d.datapoints, treat_missing_data=d.missing_data,
            alarm_actions=list(actions), ok_actions=list(actions), tags=tags)
        if d.metric is not None:
            stat = {"extended_statistic": d.metric.statistic} if d.metric.statistic.startswith(
                ("p", "tm")) else {"statistic": d.metric.statistic}
            self.alarm = CloudwatchMetricAlarm(
                self, "alarm", namespace=d.metric.namespace, metric_name=d.metric.name,
                dimensions=d.metric.dimensions or None, period=d.metric.period,
                threshold=d.threshold, **stat, **common)
            return
        band = d.comparison in BAND_COMPARISONS
        queries = [CloudwatchMetricAlarmMetricQuery(id=k, metric=_query_metric(m),
                                                    return_data=band)
                   for k, m in d.metrics.items()]
        queries.append(CloudwatchMetricAlarmMetricQuery(
            id="band" if band else "result", expression=d.expression, label=d.signal,
            return_data=not band))
        self.alarm = CloudwatchMetricAlarm(
            self, "alarm", metric_query=queries,
            **({"threshold_metric_id": "band"} if band else {"threshold": d.threshold}),
            **common)


class CompositeAlarm(Construct):
    """A composite alarm over other alarms (``rule``); alarm and OK actions go to the same
    topics. ``suppressor``: a composite whose ALARM suppresses this one's actions (a
    lower-severity alert while a higher one fires), for ``suppressor_wait`` seconds after
    this one fires and ``suppressor_extension`` seconds after the suppressor clears."""

    def __init__(self, scope: Construct, id: str, *, name: str, rule: str, actions: list[str],
                 description: str, suppressor: str | None = None, suppressor_wait: int = 60,
                 suppressor_extension: int = 3600, tags: dict[str, str] | None = None,
                 depends_on: list | None = None):
        super().__init__(scope, id)
        if len(rule) > 10240:
            raise ValueError(f"composite alarm {name}: its rule is {len(rule)} characters; "
                             "CloudWatch allows 10240")
        self.alarm = CloudwatchCompositeAlarm(
            self, "alarm", alarm_name=name, alarm_rule=rule, alarm_description=description[:1024],
            alarm_actions=list(actions), ok_actions=list(actions),
            actions_suppressor=CloudwatchCompositeAlarmActionsSuppressor(
                alarm=suppressor, wait_period=suppressor_wait,
                extension_period=suppressor_extension) if suppressor else None,
            tags=tags, depends_on=depends_on)


class Dashboard(Construct):
    def __init__(self, scope: Construct, id: str, *, name: str, body: dict):
        super().__init__(scope, id)
        self.dashboard = CloudwatchDashboard(self, "dashboard", dashboard_name=name,
                                             dashboard_body=json.dumps(body, indent=1))
