"""What invokes a function: its own SQS queue, an HTTP API route, a function URL, a schedule."""

from __future__ import annotations

import re

from ..cdk import (
    Apigatewayv2Integration,
    Apigatewayv2Route,
    CloudwatchEventRule,
    CloudwatchEventTarget,
    Construct,
    LambdaEventSourceMapping,
    LambdaFunctionUrl,
    LambdaPermission,
)
from .queues import DLQ_RETENTION_SECONDS, ManagedQueue  # noqa: F401  (re-exported)


class QueueTrigger(ManagedQueue):
    """A queue owned by the function, its dead-letter queue (``ManagedQueue``), and the
    event source mapping.

    Partial batch failures are reported (``ReportBatchItemFailures``): only the
    failed messages return to the queue, and after ``max_receive_count`` receives
    a message moves to the DLQ. Both queues are encrypted (SQS-managed keys).
    """

    def __init__(self, scope: Construct, id: str, *, function_name: str, queue_name: str,
                 dead_letter_queue_name: str, visibility_timeout: int, batch_size: int,
                 max_batching_window: int, max_receive_count: int, fifo: bool = False,
                 tags: dict[str, str] | None = None):
        super().__init__(scope, id, queue_name=queue_name,
                         dead_letter_queue_name=dead_letter_queue_name,
                         visibility_timeout=visibility_timeout,
                         max_receive_count=max_receive_count, fifo=fifo, tags=tags)
        self.event_source_mapping = LambdaEventSourceMapping(
            self, "event_source_mapping", function_name=function_name,
            event_source_arn=self.queue.arn, batch_size=batch_size,
            maximum_batching_window_in_seconds=max_batching_window or None,
            function_response_types=["ReportBatchItemFailures"], tags=tags)


class HttpApiRoute(Construct):
    """``route`` on an existing HTTP API, proxied to the function (payload 2.0)."""

    def __init__(self, scope: Construct, id: str, *, api_id: str, route: str, region: str,
                 account: str, function_name: str, function_invoke_arn: str,
                 authorization: str, authorizer_id: str | None = None):
        super().__init__(scope, id)
        self.integration = Apigatewayv2Integration(
            self, "integration", api_id=api_id, integration_type="AWS_PROXY",
            integration_uri=function_invoke_arn, integration_method="POST",
            payload_format_version="2.0")
        self.route = Apigatewayv2Route(
            self, "route", api_id=api_id, route_key=route,
            target=f"integrations/{self.integration.id}",
            authorization_type=authorization, authorizer_id=authorizer_id)
        method, path = route.split(" ", 1)
        method = "*" if method == "ANY" else method
        path = re.sub(r"\{[^}]+\}", "*", path)  # path parameters match any segment
        self.permission = LambdaPermission(
            self, "permission", function_name=function_name, action="lambda:InvokeFunction",
            principal="apigateway.amazonaws.com",
            # Only this route of this API may invoke the function.
            source_arn=f"arn:aws:execute-api:{region}:{account}:{api_id}/*/{method}{path}")


class FunctionUrlTrigger(Construct):
    """A function URL; ``NONE`` auth adds the public invoke permission it needs."""

    def __init__(self, scope: Construct, id: str, *, function_name: str, auth: str):
        super().__init__(scope, id)
        self.url = LambdaFunctionUrl(self, "url", function_name=function_name,
                                     authorization_type=auth)
        self.permission = None
        if auth == "NONE":
            self.permission = LambdaPermission(
                self, "public", function_name=function_name, action="lambda:InvokeFunctionUrl",
                principal="*", function_url_auth_type="NONE")


class ScheduleTrigger(Construct):
    """An EventBridge rule invoking the function on a ``rate(...)``/``cron(...)``;
    ``target_id`` names its target (an adopted rule keeps its target's id)."""

    def __init__(self, scope: Construct, id: str, *, name: str, expression: str,
                 function_name: str, function_arn: str, description: str = "",
                 enabled: bool = True, tags: dict[str, str] | None = None,
                 target_id: str | None = None):
        super().__init__(scope, id)
        self.rule = CloudwatchEventRule(
            self, "rule", name=name, schedule_expression=expression,
            description=description or None, state="ENABLED" if enabled else "DISABLED",
            tags=tags)
        self.target = CloudwatchEventTarget(self, "target", rule=self.rule.name,
                                            arn=function_arn, target_id=target_id)
        self.permission = LambdaPermission(
            self, "permission", function_name=function_name, action="lambda:InvokeFunction",
            principal="events.amazonaws.com", source_arn=self.rule.arn)
