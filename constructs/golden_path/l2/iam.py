"""An IAM role with one inline policy; wildcard actions refused unless justified."""

from __future__ import annotations

import json
from typing import Any

from ..cdk import Construct, IamRole, IamRolePolicy, literal
from ..resolve.policies import document


def wildcard_actions(statements: list[dict[str, Any]]) -> list[str]:
    found = []
    for st in statements:
        actions = st.get("Action", [])
        for action in [actions] if isinstance(actions, str) else actions:
            if "*" in action:
                found.append(action)
    return found


class ServiceRole(Construct):
    """A role assumed by an AWS service, with exactly the statements given.

    :param name: role name (at most 64 characters).
    :param trust_policy: the assume-role policy document.
    :param statements: the inline policy's statements; none means no inline policy.
    :param wildcard_reason: required when any action contains ``*``.
    :param permissions_boundary: managed policy ARN that caps what the role may ever do.
    :param path: the role's IAM path (default ``/``; an adopted role keeps its own).
    """

    def __init__(self, scope: Construct, id: str, *, name: str, trust_policy: dict[str, Any],
                 statements: list[dict[str, Any]], description: str = "",
                 wildcard_reason: str | None = None, tags: dict[str, str] | None = None,
                 permissions_boundary: str | None = None, path: str | None = None):
        super().__init__(scope, id)
        if len(name) > 64:
            raise ValueError(f"IAM role name '{name}' is {len(name)} characters; the limit is 64")
        wild = wildcard_actions(statements)
        if wild and not wildcard_reason:
            raise ValueError(f"wildcard actions {wild} in role {name}: list exact actions "
                             "or pass wildcard_reason")
        self.role = IamRole(
            self, "role",
            name=name,
            path=path,
            description=description or None,
            assume_role_policy=literal(json.dumps(trust_policy, indent=2)),
            max_session_duration=3600,
            permissions_boundary=permissions_boundary,
            tags=tags,
        )
        self.policy = None
        if statements:
            self.policy = IamRolePolicy(
                self, "policy",
                name=f"{name}-policy"[:128],
                role=self.role.name,
                policy=literal(json.dumps(document(statements), indent=2)),
            )
