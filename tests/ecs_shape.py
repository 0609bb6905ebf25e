"""Validate container definitions against botocore's ECS service model (the real API shape)."""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.validate import ParamValidator


@cache
def _input_shape():
    model = botocore.session.get_session().get_service_model("ecs")
    return model.operation_model("RegisterTaskDefinition").input_shape


def register_task_definition_errors(containers: list[dict], **task) -> str:
    """'' when ``RegisterTaskDefinition`` would accept these containers, else botocore's report."""
    params = {
        "family": task.get("family", "golden-path-test"),
        "containerDefinitions": containers,
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": str(task.get("cpu", 256)),
        "memory": str(task.get("memory", 512)),
        "volumes": [{"name": v} for v in task.get("volumes", [])],
    }
    report = ParamValidator().validate(params, _input_shape())
    return report.generate_report() if report.has_errors() else ""
