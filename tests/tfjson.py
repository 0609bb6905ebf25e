"""Helpers to read synthesized Terraform JSON in tests."""

from __future__ import annotations

import json


def resources(stack: dict, rtype: str) -> list[dict]:
    return list(stack.get("resource", {}).get(rtype, {}).values())


def one(stack: dict, rtype: str) -> dict:
    found = resources(stack, rtype)
    assert len(found) == 1, f"expected one {rtype}, found {len(found)}"
    return found[0]


def containers(stack: dict) -> dict[str, dict]:
    definitions = json.loads(one(stack, "aws_ecs_task_definition")["container_definitions"])
    return {c["name"]: c for c in definitions}


def policy(resource: dict) -> dict:
    return json.loads(resource["policy"].replace("$${", "${"))


def role_policy(stack: dict, role_suffix: str) -> dict:
    for p in resources(stack, "aws_iam_role_policy"):
        if p["name"].endswith(f"-{role_suffix}-policy"):
            return policy(p)
    raise AssertionError(f"no policy for role *-{role_suffix}")


def statements_by_sid(doc: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in doc["Statement"]}


def normalized(stack: dict) -> dict:
    """Drop what depends on the machine (absolute state path) and cdktf's metadata."""
    stack = json.loads(json.dumps(stack))
    stack.pop("//", None)
    stack["terraform"].pop("backend", None)
    for items in stack.get("resource", {}).values():
        for res in items.values():
            res.pop("//", None)
    return stack
