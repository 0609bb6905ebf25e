"""An EventBridge rule that only counts what it matches (``AWS/Events MatchedEvents``)."""

from __future__ import annotations

import json

from ..cdk import CloudwatchEventRule, Construct


class MatchOnlyRule(Construct):
    """A rule with no target: an alarm on its ``MatchedEvents`` routes it like any alarm."""

    def __init__(self, scope: Construct, id: str, *, name: str, description: str,
                 pattern: dict, tags: dict[str, str] | None = None):
        super().__init__(scope, id)
        self.rule = CloudwatchEventRule(
            self, "rule", name=name, description=description[:512],
            event_pattern=json.dumps(pattern, sort_keys=True), tags=tags)
