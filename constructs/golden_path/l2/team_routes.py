"""A team's alert routes in one account and environment: notify and page topics."""

from __future__ import annotations

import json

from ..cdk import (
    Construct,
    DataAwsSecretsmanagerSecretVersion,
    SnsTopic,
    SnsTopicPolicy,
    SnsTopicSubscription,
)


class TeamRoutes(Construct):
    """``notify`` (e-mail subscriptions) and, with PagerDuty, ``page``: an HTTPS
    subscription to the team's PagerDuty CloudWatch integration URL, read from
    Secrets Manager at plan time. Only CloudWatch alarms of this account may publish.
    """

    def __init__(self, scope: Construct, id: str, *, account: str, notify_topic: str | None,
                 emails: list[str], page_topic: str | None, pagerduty_secret: str | None,
                 tags: dict[str, str] | None = None):
        super().__init__(scope, id)
        self.notify = self.page = None
        self.subscriptions: list[SnsTopicSubscription] = []
        if notify_topic:
            self.notify = self._topic("notify", notify_topic, account, tags)
            self.subscriptions += [
                SnsTopicSubscription(self, f"email_{i}", topic_arn=self.notify.arn,
                                     protocol="email", endpoint=email)
                for i, email in enumerate(emails)]
        if page_topic and pagerduty_secret:
            self.page = self._topic("page", page_topic, account, tags)
            self.pagerduty_url = DataAwsSecretsmanagerSecretVersion(
                self, "pagerduty_url", secret_id=pagerduty_secret)
            self.subscriptions.append(SnsTopicSubscription(
                self, "pagerduty", topic_arn=self.page.arn, protocol="https",
                endpoint=self.pagerduty_url.secret_string, endpoint_auto_confirms=True))

    def _topic(self, id: str, name: str, account: str, tags) -> SnsTopic:
        # Not encrypted with the AWS-managed key: CloudWatch alarms cannot publish to it.
        topic = SnsTopic(self, id, name=name, tags=tags)
        SnsTopicPolicy(self, f"{id}_policy", arn=topic.arn, policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "CloudWatchAlarmsOfThisAccount", "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": "sns:Publish", "Resource": topic.arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }],
        }, indent=1))
        return topic
