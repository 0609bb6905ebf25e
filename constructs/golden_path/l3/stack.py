"""A ready-made stack: the AWS provider for the service's region plus the service."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..alerts.registry import TeamRegistry, route_plan
from ..cdk import (
    AwsProvider,
    Construct,
    LocalBackend,
    S3Backend,
    S3BackendAssumeRoleConfig,
    TerraformBackend,
    TerraformStack,
)
from ..errors import Problem, SpecError
from ..l2.team_routes import TeamRoutes
from ..resolve.common import StateBackend
from .application_service import ApplicationService, Resolved, as_resolved


class ServiceStack(TerraformStack):
    """One stack per service and environment, named ``<name>-<environment>``.

    The provider is pinned to the service's account (from the cluster ARN, or a
    function's ``account_id``), so a plan against the wrong account fails instead
    of creating resources there.
    """

    def __init__(self, scope: Construct, spec: Mapping[str, Any] | Resolved | Any,
                 id: str | None = None, teams: TeamRegistry | None = None):
        resolved = as_resolved(spec)
        super().__init__(scope, id or resolved.stack_name)
        self.provider = AwsProvider(self, "aws", region=resolved.region,
                                    allowed_account_ids=[resolved.account],
                                    default_tags=_default_tags(resolved.default_tags))
        self.backend = configure_backend(self, resolved.state)
        self.service = ApplicationService(self, "service", resolved, teams=teams)


class TeamStack(TerraformStack):
    """A team's alert routes in one account, region and environment, named
    ``team-<team>-<environment>-<account>-<region>``; deploy it before the services."""

    def __init__(self, scope: Construct, *, team: str, environment: str, account: str,
                 region: str, teams: TeamRegistry, default_tags: dict[str, str] | None = None,
                 state: StateBackend | None = None, profile: str | None = None,
                 uses: Iterable[str] | None = None):
        super().__init__(scope, f"team-{team}-{environment}-{account}-{region}")  # team_stack_name
        # profile: default the name; uses: the routes the services' alarms publish to
        plan = route_plan(team, environment, teams, profile, uses)
        self.backend = configure_backend(self, state or StateBackend(
            "local", {"path": f"terraform.{self.node.id}.tfstate"}))
        self.provider = AwsProvider(self, "aws", region=region, allowed_account_ids=[account],
                                    default_tags=_default_tags(default_tags))
        self.routes = TeamRoutes(
            self, "routes", account=account, notify_topic=plan.notify_topic, emails=plan.emails,
            page_topic=plan.page_topic, pagerduty_secret=plan.pagerduty_secret,
            key_alias=f"golden-path-{team}-{environment}-alerts",
            tags={"team": team, "environment": environment, "managed-by": "golden-path"})



def complete_stack(construct: Construct, resolved: Resolved) -> None:
    """What a ``ServiceStack`` sets, for an ``ApplicationService`` in a team's own stack:
    the platform's state backend (or a relative local file, never cdktf's default with an
    absolute path) when the stack has no backend, and on its AWS provider the account pin
    and the platform's default tags when unset. A stack without an AWS provider, or whose
    provider is in another region, is an error that says what to write."""
    stack = TerraformStack.of(construct)
    children = stack.node.children
    if not any(isinstance(c, TerraformBackend) for c in children):
        configure_backend(stack, resolved.state)
    providers = [c for c in children if isinstance(c, AwsProvider) and not c.alias]
    if not providers:
        raise SpecError(Problem(("stack",), stack.node.id,
                                "this stack has no AWS provider; add one before the service: "
                                "`from golden_path.cdk import AwsProvider` then "
                                f"`AwsProvider(stack, \"aws\", region=\"{resolved.region}\")`, "
                                "or use golden_path.ServiceStack, which makes the stack"))
    provider = providers[0]
    if provider.region and provider.region != resolved.region:
        raise SpecError(Problem(("stack",), stack.node.id,
                                f"this stack's AWS provider is in {provider.region}, the service "
                                f"{resolved.stack_name} in {resolved.region}: one stack per region "
                                "(or use golden_path.ServiceStack)"))
    if not provider.allowed_account_ids and not provider.forbidden_account_ids:
        provider.allowed_account_ids = [resolved.account]
    if provider.default_tags is None and resolved.default_tags:
        provider.default_tags = _default_tags(resolved.default_tags)


def _default_tags(tags: dict[str, str] | None) -> list[dict] | None:
    """The platform's tags on every resource of the stack (provider ``default_tags``)."""
    return [{"tags": dict(sorted(tags.items()))}] if tags else None


def configure_backend(stack: TerraformStack, state: StateBackend | None):
    """The stack's ``terraform.backend``: S3 with S3-native locking, or a relative local
    file (never cdktf's default, whose path is absolute on the machine that synthesized)."""
    if state is None:
        state = StateBackend("local", {"path": f"terraform.{stack.node.id}.tfstate"})
    if state.kind == "local":
        return LocalBackend(stack, path=state.settings["path"])
    s = dict(state.settings)
    role = s.pop("assume_role", None)
    lockfile = s.pop("use_lockfile")
    backend = S3Backend(stack, **s, assume_role=S3BackendAssumeRoleConfig(role_arn=role["role_arn"])
                        if role else None)
    # cdktf 0.21 predates Terraform 1.10's S3-native locking: set it through an override.
    stack.add_override("terraform.backend.s3.use_lockfile", lockfile)
    return backend
