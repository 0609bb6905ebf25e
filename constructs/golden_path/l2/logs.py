"""CloudWatch log group with a retention (never 'keep forever' by accident)."""

from __future__ import annotations

from ..cdk import CloudwatchLogGroup, Construct


class LogGroup(Construct):
    """A log group.

    :param name: full log group name (at most 512 characters).
    :param retention_days: days to keep events; required, there is no "forever" default.
    :param skip_destroy: keep the group (and its events) when Terraform destroys it.
    """

    def __init__(self, scope: Construct, id: str, *, name: str, retention_days: int,
                 skip_destroy: bool = False, tags: dict[str, str] | None = None):
        super().__init__(scope, id)
        if len(name) > 512:
            raise ValueError(f"log group name is {len(name)} characters; the limit is 512")
        self.log_group = CloudwatchLogGroup(
            self, "log_group",
            name=name,
            retention_in_days=retention_days,
            skip_destroy=skip_destroy,
            tags=tags,
        )
