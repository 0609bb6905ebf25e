"""The Lambda half of ``ApplicationService``: function, layers, logs, triggers, IAM."""

from __future__ import annotations

import hashlib

from ..cdk import Construct, TerraformOutput
from ..l2.config import ConfigObject
from ..l2.iam import ServiceRole
from ..l2.lambda_ import Code, Function
from ..l2.lambda_triggers import FunctionUrlTrigger, HttpApiRoute, QueueTrigger, ScheduleTrigger
from ..l2.logs import LogGroup
from ..resolve import policies
from ..resolve.checkov_skips import own_variable_skips
from ..resolve.data_protection import log_group_policies
from ..resolve.lambda_ import CONFIG_DIGEST_VARIABLE, ResolvedFunction
from ..telemetry.render import render_collector_config
from .adoption import import_adopted


def build_lambda(self: Construct, fn: ResolvedFunction) -> None:
    """Create the resources of a Lambda service as attributes of ``self``."""
    spec, names, tags = fn.spec, fn.names, fn.tags
    self.collector_config_text = render_collector_config(fn)
    self.log_group = LogGroup(self, "logs", name=names.log_group,
                              retention_days=fn.log_retention_days,
                              skip_destroy=fn.deletion_protection,
                              kms_key_arn=fn.logs_kms_key_arn, tags=tags,
                              data_protection=log_group_policies(fn)[names.log_group])
    self.collector_config = ConfigObject(self, "collector_config",
                                         bucket=fn.collector.config_bucket, key=names.config_key,
                                         text=self.collector_config_text, tags=tags)
    reasons = [s.wildcard_reason for s in spec.iam if s.wildcard_reason]
    self.role = ServiceRole(
        self, "role", name=names.role, trust_policy=policies.lambda_trust(fn),
        statements=policies.function_role_statements(fn),
        description=f"What {names.function} may do (team {spec.team})",
        wildcard_reason="; ".join(reasons) or None, tags=tags,
        permissions_boundary=fn.permissions_boundary, path=fn.adoption.role_path("role"))

    digest = hashlib.sha256(self.collector_config_text.encode()).hexdigest()
    environment = {**fn.environment, CONFIG_DIGEST_VARIABLE: digest}
    s3 = spec.code.s3
    self.function = Function(
        self, "function", name=names.function, role_arn=self.role.role.arn,
        code=Code(s3_bucket=s3.bucket, s3_key=s3.key, s3_version=s3.version) if s3
        else Code(image_uri=spec.code.image) if spec.code.image
        else Code(deployed=spec.code.deployed),
        runtime=spec.language, handler=spec.handler, architecture=spec.architecture,
        memory=spec.memory, timeout=spec.timeout, ephemeral_storage=spec.ephemeral_storage,
        log_group=names.log_group, application_log_level=fn.application_log_level,
        system_log_level=fn.system_log_level,
        # A new config digest makes new instances, which read the new config.
        environment=environment,
        layers=list(fn.layer_arns),
        reserved_concurrency=spec.reserved_concurrency,
        subnet_ids=list(spec.vpc.subnet_ids) if spec.vpc else None,
        security_group_ids=list(spec.vpc.security_group_ids) if spec.vpc else None,
        checkov_skips=tuple(own_variable_skips(environment, spec.variables)),
        tags=tags,
        # The role's policy and the log group exist before the first invocation.
        depends_on=[p for p in (self.role.policy, self.log_group.log_group,
                                self.collector_config.object) if p is not None])
    lambda_fn = self.function.function

    self.queue_trigger = None
    if fn.queue is not None:
        q = fn.queue
        self.queue_trigger = QueueTrigger(
            self, "queue", function_name=lambda_fn.function_name, queue_name=q.name,
            dead_letter_queue_name=q.dead_letter_name,
            visibility_timeout=q.visibility_timeout, batch_size=q.batch_size,
            max_batching_window=q.max_batching_window, max_receive_count=q.max_receive_count,
            fifo=q.fifo, tags=tags)
    http = spec.triggers.http
    self.http_route = self.function_url = None
    if http is not None and http.api is not None:
        self.http_route = HttpApiRoute(
            self, "http_route", api_id=http.api.api_id, route=http.api.route, region=fn.region,
            account=fn.account, function_name=lambda_fn.function_name,
            function_invoke_arn=lambda_fn.invoke_arn, authorization=http.api.authorization,
            authorizer_id=http.api.authorizer_id)
    elif http is not None:
        self.function_url = FunctionUrlTrigger(self, "url",
                                               function_name=lambda_fn.function_name,
                                               auth=http.function_url.auth)
    self.schedules = [
        ScheduleTrigger(self, f"schedule_{i}", name=rule, expression=s.expression,
                        function_name=lambda_fn.function_name, function_arn=lambda_fn.arn,
                        description=s.description, enabled=s.enabled, tags=tags,
                        target_id=fn.adoption.target_ids.get(i))
        for i, (rule, s) in enumerate(zip(names.schedule_rules, spec.triggers.schedules,
                                          strict=True))
    ]
    _import_adopted(self, fn)
    _lambda_outputs(self, fn)


def _import_adopted(self, fn: ResolvedFunction) -> None:
    queue, url, route = self.queue_trigger, self.function_url, self.http_route
    import_adopted(fn.adoption, {
        "function": self.function.function, "log_group": self.log_group.log_group,
        "role": self.role.role,
        "queue": queue and queue.queue, "dead_letter_queue": queue and queue.dead_letter_queue,
        "event_source_mapping": queue and queue.event_source_mapping,
        "function_url": url and url.url,
        "http_integration": route and route.integration, "http_route": route and route.route,
        **{f"schedule_rule_{i}": s.rule for i, s in enumerate(self.schedules)},
        **{f"schedule_target_{i}": s.target for i, s in enumerate(self.schedules)}})


def _lambda_outputs(self, fn: ResolvedFunction) -> None:
    outputs = {
        "function_name": self.function.function.function_name,
        "function_arn": self.function.function.arn,
        "role_arn": self.role.role.arn,
        "log_group": self.log_group.log_group.name,
        "collector_config_uri": fn.config_uri,
    }
    if self.queue_trigger:
        outputs["queue_url"] = self.queue_trigger.queue.url
        outputs["dead_letter_queue_arn"] = self.queue_trigger.dead_letter_queue.arn
    if self.function_url:
        outputs["function_url"] = self.function_url.url.function_url
    for key, value in outputs.items():
        TerraformOutput(self, key, value=value, description=f"{fn.names.function}: {key}")
