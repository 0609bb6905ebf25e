"""CloudWatch log group with a retention (never 'keep forever' by accident) and a data
protection policy (what the collector masks, CloudWatch masks here: docs/data-protection.md)."""

from __future__ import annotations

from ..cdk import CloudwatchLogDataProtectionPolicy, CloudwatchLogGroup, Construct, literal
from ..resolve import data_protection as dp
from ..resolve.checkov_skips import skip

#: checkov's floor for retention (CKV_AWS_338); shorter is a documented choice.
ONE_YEAR = 365


class LogGroup(Construct):
    """A log group.

    :param name: full log group name (at most 512 characters).
    :param retention_days: days to keep events; required, there is no "forever" default.
    :param skip_destroy: keep the group (and its events) when Terraform destroys it.
    :param kms_key_arn: the platform's KMS key for logs (its policy must let
        ``logs.<region>.amazonaws.com`` use it); without one CloudWatch's own key is used.
    :param data_protection: the CloudWatch Logs data protection policy (a JSON document,
        checked with ``resolve.data_protection.validate_document``); ``ApplicationService``
        passes the one resolve decided for its service (the team's masked keys, the
        platform's audit destination). Default: golden_path's identifiers without an audit
        destination. ``False``: no policy.

    ``data_protection_policy`` is the created policy resource (None with ``False``).
    """

    def __init__(self, scope: Construct, id: str, *, name: str, retention_days: int,
                 skip_destroy: bool = False, kms_key_arn: str | None = None,
                 tags: dict[str, str] | None = None, data_protection: str | bool = True):
        super().__init__(scope, id)
        if len(name) > 512:
            raise ValueError(f"log group name is {len(name)} characters; the limit is 512")
        self.log_group = CloudwatchLogGroup(
            self, "log_group",
            name=name,
            retention_in_days=retention_days,
            skip_destroy=skip_destroy,
            kms_key_id=kms_key_arn,
            tags=tags,
        )
        skip(self.log_group, *(["CKV_AWS_338"] if retention_days < ONE_YEAR else []),
             *([] if kms_key_arn else ["CKV_AWS_158"]))
        document = (dp.default_policy() if data_protection is True
                    else data_protection or None)
        self.data_protection_policy = None
        if document is not None:
            errors = dp.validate_document(document)
            if errors:
                raise ValueError(f"log group {name}: data protection policy: {'; '.join(errors)}")
            self.data_protection_policy = CloudwatchLogDataProtectionPolicy(
                self, "data_protection", log_group_name=self.log_group.name,
                policy_document=literal(document))

