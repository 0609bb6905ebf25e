"""CloudWatch log group with a retention (never 'keep forever' by accident)."""

from __future__ import annotations

from ..cdk import CloudwatchLogGroup, Construct
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
    """

    def __init__(self, scope: Construct, id: str, *, name: str, retention_days: int,
                 skip_destroy: bool = False, kms_key_arn: str | None = None,
                 tags: dict[str, str] | None = None):
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
