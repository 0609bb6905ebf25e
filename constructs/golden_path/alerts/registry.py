"""The team registry (teams.yaml): where each team's alerts go.

```yaml
teams:
  checkout:
    notify:
      emails: [checkout-oncall@example.com]   # a topic golden_path creates, or
      # existing_topic: checkout-alerts       # a topic that exists in each account
    pagerduty:
      integration_url_secret: golden-path/pagerduty/checkout
```

Paging goes to PagerDuty through an SNS topic with an HTTPS subscription to the
team's PagerDuty "Amazon CloudWatch" integration URL, which is kept in Secrets
Manager (``integration_url_secret``, a secret name in each account).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

from pydantic import Field

from ..errors import Problem, SpecError
from ..spec.base import _Model

TeamName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$", max_length=32)]


class Notify(_Model):
    emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]] = Field(
        default_factory=list, max_length=20,
        description="Addresses subscribed to the notify topic golden_path creates per "
                    "environment; not with existing_topic.")
    existing_topic: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_-]{1,256}$",
        description="Name of an SNS topic that exists in each account, used instead of "
                    "creating one; not with emails.")


class PagerDuty(_Model):
    integration_url_secret: str = Field(
        pattern=r"^[A-Za-z0-9/_+=.@-]{1,512}$",
        description="Name of the Secrets Manager secret, in each account, holding the team's "
                    "PagerDuty Amazon CloudWatch integration URL.")


class Team(_Model):
    notify: Notify = Field(
        default_factory=Notify,
        description="Where notifying alarms go: critical and warning ones in staging and "
                    "production profiles (sandbox only for a service that asks).")
    pagerduty: PagerDuty | None = Field(
        None, description="Where paging alarms go (critical ones in a production profile); "
                          "needed by a team whose alarms page.")


class TeamRegistry(_Model):
    teams: dict[TeamName, Team] = Field(
        min_length=1, description="Every team by name, with where its alarms go.")
    _source: str | None = None

    @classmethod
    def load(cls, path: str | Path) -> TeamRegistry:
        from ..load.yaml_source import read_yaml
        from ..spec.validation import pydantic_problems

        data, lines = read_yaml(path)
        try:
            registry = cls.model_validate(data if isinstance(data, dict) else {"teams": data})
        except Exception as exc:  # pydantic.ValidationError
            if not hasattr(exc, "errors"):
                raise
            raise SpecError(pydantic_problems(exc, cls)).located(str(path), lines) from None
        problems = [
            Problem(("teams", name, "notify"), team.notify.existing_topic,
                    "give emails (a topic golden_path creates) or existing_topic, not both",
                    str(path), lines.get(("teams", name, "notify")))
            for name, team in registry.teams.items()
            if team.notify.emails and team.notify.existing_topic
        ]
        if problems:
            raise SpecError(problems)
        return registry


def notify_topic_name(team: str, environment: str, registry: TeamRegistry | None) -> str:
    entry = registry.teams.get(team) if registry else None
    if entry and entry.notify.existing_topic:
        return entry.notify.existing_topic
    return f"golden-path-{team}-{environment}-notify"


def page_topic_name(team: str, environment: str) -> str:
    return f"golden-path-{team}-{environment}-page"


class RoutePlan(_Model):
    """What a team stack creates in one account and environment."""

    notify_topic: str | None  # None: the team's existing topic is used
    emails: list[str]
    page_topic: str | None  # only in a production profile, and only with a pagerduty route
    pagerduty_secret: str | None

    @property
    def empty(self) -> bool:
        return self.notify_topic is None and self.page_topic is None


def route_plan(team: str, environment: str, registry: TeamRegistry,
               profile: str | None = None, uses: Iterable[str] | None = None) -> RoutePlan:
    """``profile``: the environment's (platform.yaml); default its name, a profile name.
    ``uses``: the routes ("notify", "page") the alarms of the team's services there publish
    to; a topic nothing publishes to is not created. Default: every route the profile has."""
    from .resolve import ROUTING

    entry = registry.teams[team]
    if uses is None:
        uses = {r for routes in ROUTING[profile or environment].values() for r in routes}
    uses = set(uses)
    return RoutePlan(
        notify_topic=None if entry.notify.existing_topic or "notify" not in uses
        else notify_topic_name(team, environment, registry),
        emails=list(entry.notify.emails) if "notify" in uses else [],
        page_topic=page_topic_name(team, environment) if "page" in uses and entry.pagerduty
        else None,
        pagerduty_secret=entry.pagerduty.integration_url_secret if entry.pagerduty else None,
    )


def routes_used(alarms) -> set[str]:
    """The routes ("notify", "page") that resolved alarms publish to."""
    return {"page" if action.endswith("-page") else "notify"
            for alarm in alarms for action in alarm.actions}
