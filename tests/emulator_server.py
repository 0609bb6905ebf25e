"""moto's server, with the harness-only patches the lifecycle tests need.

Run as ``python tests/emulator_server.py -H 127.0.0.1 -p PORT`` (``emulator.start_emulator``
does). Each ``_patch_*`` fills one gap between moto 5.2 and the AWS APIs the Terraform AWS
provider calls for golden_path's stacks, and is listed in ``emulator.GAPS`` (resource
type, API, workaround); none touches the product. They answer as AWS does: what is set is
kept with the resource it belongs to (so it goes when the resource goes), and a missing
resource is reported as AWS reports it. ``_log_errors`` only logs. The CloudWatch
composite alarm patch is in ``emulator_cloudwatch.py``.
"""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import unquote

from emulator_cloudwatch import _patch_cloudwatch_composite_alarms
from emulator_logs import _json_error, _patch_logs_data_protection_policy, _patch_logs_kms_key


def _patch_lambda_recursion_config() -> None:
    """GetFunctionRecursionConfig / PutFunctionRecursionConfig
    (aws_lambda_function_recursion_config): moto has neither. The setting is kept on the
    function, reads as ``Terminate`` (AWS's default) until put and goes with the function;
    for a function that does not exist both fail with ResourceNotFoundException."""
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse as R

    def function(self: R) -> Any:
        name = unquote(self.path.rstrip("/").rsplit("/", 2)[-2])
        return self.backend.get_function(name)  # raises ResourceNotFoundException

    def get_function_recursion_config(self: R) -> tuple[int, dict, str]:
        loop = getattr(function(self), "harness_recursive_loop", "Terminate")
        return 200, {}, json.dumps({"RecursiveLoop": loop})

    def put_function_recursion_config(self: R) -> tuple[int, dict, str]:
        fn = function(self)
        loop = json.loads(self.body or "{}").get("RecursiveLoop")
        if loop not in ("Allow", "Terminate"):
            return _json_error(400, "ValidationException",
                               f"RecursiveLoop must be Allow or Terminate, not {loop!r}")
        fn.harness_recursive_loop = loop
        return 200, {}, json.dumps({"RecursiveLoop": loop})

    R.get_function_recursion_config = get_function_recursion_config
    R.put_function_recursion_config = put_function_recursion_config
    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)"
                   r"/recursion-config/?$"] = R.dispatch


def _patch_cross_account_layers() -> None:
    """A function's layer ARN in another account (the OpenTelemetry publisher's).

    moto looks a layer version up by name in the *function's* account and region; AWS
    looks it up in the account and region the ARN names. The patch does what AWS does.
    """
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda.utils import get_backend, split_layer_arn

    original = LambdaBackend.layers_versions_by_arn

    def layers_versions_by_arn(self: LambdaBackend, layer_version_arn: str) -> Any:
        arn = split_layer_arn(layer_version_arn)
        if (arn.account, arn.region) == (self.account_id, self.region_name):
            return original(self, layer_version_arn)
        return original(get_backend(arn.account, arn.region), layer_version_arn)

    LambdaBackend.layers_versions_by_arn = layers_versions_by_arn


def _patch_http_api_ids() -> None:
    """HTTP API ids as AWS issues them: 10 characters of [a-z0-9] (moto: 8 letters), the
    format golden_path validates ``triggers.http.api.api_id`` against."""
    import random
    import string

    from moto.apigatewayv2.models import Api

    original = Api.__init__
    alphabet = string.ascii_lowercase + string.digits

    def __init__(self: Api, region: str, *args: Any, **kwargs: Any) -> None:
        original(self, region, *args, **kwargs)
        self.api_id = "".join(random.choice(alphabet) for _ in range(10))
        self.api_endpoint = f"https://{self.api_id}.execute-api.{region}.amazonaws.com"

    Api.__init__ = __init__


def _log_errors() -> None:
    """Not a gap: every error answer is logged with its service and action, so the
    emulator log says which call failed (werkzeug's access log shows only ``POST /``)."""
    from moto.core.responses import BaseResponse

    original = BaseResponse.call_action

    def action_of(self: BaseResponse) -> str:
        try:
            return self._get_action()
        except Exception:  # the log line must never fail the request
            return "?"

    def call_action(self: BaseResponse) -> Any:
        try:
            status, headers, body = original(self)
        except NotImplementedError as exc:
            print(f"emulator: {self.service_name} {action_of(self)}: NOT IMPLEMENTED ({exc})",
                  file=sys.stderr, flush=True)
            raise
        if status >= 400:
            text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
            print(f"emulator: {self.service_name} {action_of(self)} {self.method} {self.path} -> "
                  f"{status} {' '.join(text.split())[:400]}", file=sys.stderr, flush=True)
        return status, headers, body

    BaseResponse.call_action = call_action


def _patch_appautoscaling_tags() -> None:
    """Tags of a scalable target (aws_appautoscaling_target ``tags``): moto ignores the
    Tags of RegisterScalableTarget and has no TagResource, UntagResource or
    ListTagsForResource. Tags are kept on the target, so they go when it is deregistered."""
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse as R

    def target(self: R, arn: str) -> Any:
        for by_id in self.applicationautoscaling_backend.targets.values():
            for t in by_id.values():
                if t.arn == arn:
                    return t
        return None

    original_register = R.register_scalable_target

    def register_scalable_target(self: R) -> str:
        result = original_register(self)
        arn = json.loads(result)["ScalableTargetARN"]
        t = target(self, arn)
        t.harness_tags = {**getattr(t, "harness_tags", {}), **(self._get_param("Tags") or {})}
        return result

    def _found(self: R) -> tuple[Any, tuple | None]:
        arn = self._get_param("ResourceARN")
        t = target(self, arn)
        if t is None:
            return None, _json_error(400, "ResourceNotFoundException", f"No scalable target {arn}")
        return t, None

    def list_tags_for_resource(self: R) -> Any:
        t, error = _found(self)
        return error or (200, {}, json.dumps({"Tags": getattr(t, "harness_tags", {})}))

    def tag_resource(self: R) -> Any:
        t, error = _found(self)
        if error:
            return error
        t.harness_tags = {**getattr(t, "harness_tags", {}), **(self._get_param("Tags") or {})}
        return 200, {}, "{}"

    def untag_resource(self: R) -> Any:
        t, error = _found(self)
        if error:
            return error
        drop = set(self._get_param("TagKeys") or [])
        t.harness_tags = {k: v for k, v in getattr(t, "harness_tags", {}).items() if k not in drop}
        return 200, {}, "{}"

    R.register_scalable_target = register_scalable_target
    R.list_tags_for_resource = list_tags_for_resource
    R.tag_resource = tag_resource
    R.untag_resource = untag_resource


def _patch_ecs_service_fields() -> None:
    """CreateService fields moto accepts but drops (DescribeServices then lacks them and
    every plan wants to set them again): healthCheckGracePeriodSeconds,
    enableECSManagedTags, availabilityZoneRebalancing, enableExecuteCommand. They are
    kept on the service as given; UpdateService already stores what it is sent."""
    from moto.ecs.responses import EC2ContainerServiceResponse as R

    dropped = {"healthCheckGracePeriodSeconds": "health_check_grace_period_seconds",
               "enableECSManagedTags": "enable_ecs_managed_tags",
               "availabilityZoneRebalancing": "availability_zone_rebalancing",
               "enableExecuteCommand": "enable_execute_command"}
    original = R.create_service

    def create_service(self: R) -> Any:
        result = original(self)
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"),
                                                self._get_param("serviceName"))
        for param, attr in dropped.items():
            value = self._get_param(param)
            if value is not None and getattr(service, attr, None) is None:
                setattr(service, attr, value)
        return result

    R.create_service = create_service


def _patch_security_group_rule_description() -> None:
    """The description of a rule that references a security group
    (aws_vpc_security_group_ingress_rule ``referenced_security_group_id``): moto reads a
    rule's description only from its CIDR range, so DescribeSecurityGroupRules drops it."""
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: SecurityGroupRule) -> str | None:
        return (self.ip_range.get("Description")
                or (self.source_group or {}).get("Description"))

    SecurityGroupRule.description = property(description)


def _patch_lambda_logging_config() -> None:
    """A function's LoggingConfig (aws_lambda_function ``logging_config``): moto accepts it
    on CreateFunction and UpdateFunctionConfiguration but never returns it. It is kept as
    given; a function without one reads as AWS's default (Text to /aws/lambda/<name>)."""
    from moto.awslambda.models import LambdaFunction

    init, update, configuration = (LambdaFunction.__init__, LambdaFunction.update_configuration,
                                   LambdaFunction.get_configuration)

    def __init__(self: LambdaFunction, account_id: str, spec: dict, *args: Any, **kw: Any) -> None:
        init(self, account_id, spec, *args, **kw)
        self.harness_logging_config = spec.get("LoggingConfig")

    def update_configuration(self: LambdaFunction, config_updates: dict) -> Any:
        if "LoggingConfig" in config_updates:
            self.harness_logging_config = config_updates["LoggingConfig"]
        return update(self, config_updates)

    def get_configuration(self: LambdaFunction, *args: Any, **kw: Any) -> dict:
        config = configuration(self, *args, **kw)
        given = getattr(self, "harness_logging_config", None) or {}
        config["LoggingConfig"] = {"LogFormat": "Text",
                                   "LogGroup": f"/aws/lambda/{self.function_name}", **given}
        return config

    LambdaFunction.__init__ = __init__
    LambdaFunction.update_configuration = update_configuration
    LambdaFunction.get_configuration = get_configuration


def _patch_sqs_redrive_policy() -> None:
    """A queue's RedrivePolicy as AWS returns it, compact JSON
    (``{"deadLetterTargetArn":"...","maxReceiveCount":5}``). moto re-serializes it with
    spaces, which aws_sqs_queue compares verbatim with its normalized (compact) config:
    a diff on every plan that AWS never shows."""
    from moto.sqs.models import Queue

    attributes = Queue.attributes.fget

    def compact(self: Queue) -> dict:
        result = attributes(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    Queue.attributes = property(compact)


def _patch_function_url_invoke_mode() -> None:
    """A function URL's InvokeMode (aws_lambda_function_url ``invoke_mode``): moto answers
    ``Buffered`` for a URL created without one (AWS: ``BUFFERED``) and UpdateFunctionUrlConfig
    drops it. The default is AWS's and an update keeps what it is sent."""
    from moto.awslambda.models import FunctionUrlConfig as U

    to_dict, update = U.to_dict, U.update

    def as_aws(self: U) -> dict:
        return {**to_dict(self), "InvokeMode": self.config.get("InvokeMode") or "BUFFERED"}

    def keeping_mode(self: U, new_config: dict) -> None:
        update(self, new_config)
        self.config["InvokeMode"] = new_config.get("InvokeMode") or self.config.get("InvokeMode")

    U.to_dict, U.update = as_aws, keeping_mode


PATCHES = (
    _log_errors,
    _patch_lambda_recursion_config,
    _patch_cross_account_layers,
    _patch_lambda_logging_config,
    _patch_appautoscaling_tags,
    _patch_ecs_service_fields,
    _patch_security_group_rule_description,
    _patch_sqs_redrive_policy,
    _patch_http_api_ids,
    _patch_logs_data_protection_policy,
    _patch_logs_kms_key,
    _patch_function_url_invoke_mode,
    _patch_cloudwatch_composite_alarms,  # emulator_cloudwatch.py
)


def main(argv: list[str]) -> None:
    for patch in PATCHES:
        patch()
    from moto.server import main as moto_main

    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
