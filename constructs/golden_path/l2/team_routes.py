"""A team's alert routes in one account and environment: notify and page topics."""

from __future__ import annotations

import json

from ..cdk import (
    Construct,
    DataAwsSecretsmanagerSecretVersion,
    KmsAlias,
    KmsKey,
    SnsTopic,
    SnsTopicPolicy,
    SnsTopicSubscription,
)


class TeamRoutes(Construct):
    """``notify`` (e-mail subscriptions) and, with PagerDuty, ``page``: an HTTPS
    subscription to the team's PagerDuty CloudWatch integration URL, read from
    Secrets Manager at plan time. Only CloudWatch alarms of this account may publish.

    Both topics are encrypted with one customer-managed KMS key (rotated yearly) named
    ``alias/<key_alias>``: the AWS-managed SNS key cannot be used by CloudWatch, so its
    alarms could not publish; this key's policy lets them, and only from this account.
    """

    def __init__(self, scope: Construct, id: str, *, account: str, notify_topic: str | None,
                 emails: list[str], page_topic: str | None, pagerduty_secret: str | None,
                 key_alias: str, tags: dict[str, str] | None = None):
        super().__init__(scope, id)
        self.notify = self.page = self.key = None
        self.subscriptions: list[SnsTopicSubscription] = []
        if notify_topic or page_topic:
            self.key = self._key(key_alias, account, tags)
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

    def _key(self, alias: str, account: str, tags) -> KmsKey:
        key = KmsKey(self, "key", description=f"golden_path alert topics ({alias})",
                     enable_key_rotation=True, deletion_window_in_days=30, tags=tags,
                     policy=json.dumps(alert_key_policy(account), indent=1))
        KmsAlias(self, "key_alias", name=f"alias/{alias}", target_key_id=key.key_id)
        return key

    def _topic(self, id: str, name: str, account: str, tags) -> SnsTopic:
        topic = SnsTopic(self, id, name=name, kms_master_key_id=self.key.arn, tags=tags)
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


def alert_key_policy(account: str) -> dict:
    """The alert key's policy: the account administers it through IAM (the usual root
    statement), and CloudWatch alarms of this account may use it to publish."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministersThroughIam", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "CloudWatchAlarmsOfThisAccountPublish", "Effect": "Allow",
             "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceAccount": account}}},
        ],
    }
