"""A ready-made stack: the AWS provider for the service's region plus the service."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..cdk import AwsProvider, Construct, TerraformStack
from .application_service import ApplicationService, Resolved, as_resolved


class ServiceStack(TerraformStack):
    """One stack per service and environment, named ``<name>-<environment>``.

    The provider is pinned to the service's account (from the cluster ARN, or a
    function's ``account_id``), so a plan against the wrong account fails instead
    of creating resources there.
    """

    def __init__(self, scope: Construct, spec: Mapping[str, Any] | Resolved | Any,
                 id: str | None = None):
        resolved = as_resolved(spec)
        super().__init__(scope, id or resolved.stack_name)
        self.provider = AwsProvider(self, "aws", region=resolved.region,
                                    allowed_account_ids=[resolved.account])
        self.service = ApplicationService(self, "service", resolved)

