"""What must be gone after ``terraform destroy``: each resource of a stack's state
checked in the emulator with boto3 (``skip_destroy`` log groups are the documented
exception)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import emulator as em


def _gone(call: Callable[[], object], *codes: str) -> bool:
    """True when ``call`` fails with one of the error ``codes`` (the resource is gone)."""
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as exc:
        if exc.response["Error"]["Code"] in codes or str(
                exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")) in codes:
            return True
        raise
    return False


def _check(emu: em.Emulator, account: str, rtype: str, v: dict,
           region: str = em.REGION) -> tuple[str, bool] | None:
    """(what was checked, gone?) for one resource of the applied state, or None when
    there is nothing of its own to check (a part of another resource checked itself)."""
    c = lambda service: emu.client(service, account, region)  # noqa: E731
    if rtype == "aws_iam_role":
        return f"iam role {v['name']}", _gone(lambda: c("iam").get_role(RoleName=v["name"]),
                                              "NoSuchEntity")
    if rtype == "aws_iam_role_policy":
        return (f"iam role policy {v['name']}",
                _gone(lambda: c("iam").get_role_policy(RoleName=v["role"], PolicyName=v["name"]),
                      "NoSuchEntity"))
    if rtype == "aws_security_group":
        return f"security group {v['id']}", _gone(
            lambda: c("ec2").describe_security_groups(GroupIds=[v["id"]]), "InvalidGroup.NotFound")
    if rtype in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        rules = c("ec2").describe_security_group_rules(
            Filters=[{"Name": "security-group-rule-id", "Values": [v["id"]]}])["SecurityGroupRules"]
        return f"security group rule {v['id']}", not rules
    if rtype == "aws_ecs_service":
        found = c("ecs").describe_services(cluster=v["cluster"], services=[v["name"]])["services"]
        return (f"ecs service {v['name']}",
                all(s["status"] == "INACTIVE" for s in found))
    if rtype == "aws_ecs_task_definition":
        td = c("ecs").describe_task_definition(taskDefinition=v["arn"])["taskDefinition"]
        return f"ecs task definition {v['arn'].split('/')[-1]} (INACTIVE)", td["status"] == "INACTIVE"
    if rtype == "aws_lb_target_group":
        return f"target group {v['name']}", _gone(
            lambda: c("elbv2").describe_target_groups(TargetGroupArns=[v["arn"]]),
            "TargetGroupNotFound")
    if rtype == "aws_lb_listener_rule":
        return f"listener rule priority {v['priority']}", _gone(
            lambda: c("elbv2").describe_rules(RuleArns=[v["arn"]]), "RuleNotFound")
    if rtype == "aws_appautoscaling_target":
        found = c("application-autoscaling").describe_scalable_targets(
            ServiceNamespace=v["service_namespace"], ResourceIds=[v["resource_id"]])
        return f"scalable target {v['resource_id']}", not found["ScalableTargets"]
    if rtype == "aws_appautoscaling_policy":
        found = c("application-autoscaling").describe_scaling_policies(
            ServiceNamespace=v["service_namespace"], PolicyNames=[v["name"]],
            ResourceId=v["resource_id"])["ScalingPolicies"]
        # moto ignores PolicyNames (emulator.GAPS): filter here, or another stack's live
        # policies on the same resource namespace would count as this one's leftovers.
        return f"scaling policy {v['name']}", not any(
            p["PolicyName"] == v["name"] and p["ResourceId"] == v["resource_id"] for p in found)
    if rtype == "aws_cloudwatch_log_group":
        groups = c("logs").describe_log_groups(logGroupNamePrefix=v["name"])["logGroups"]
        return f"log group {v['name']}", not any(g["logGroupName"] == v["name"] for g in groups)
    if rtype == "aws_cloudwatch_log_data_protection_policy":  # gone, or its group is
        name = v["log_group_name"]
        policy: dict = {}
        gone = _gone(lambda: policy.update(
            c("logs").get_data_protection_policy(logGroupIdentifier=name)),
            "ResourceNotFoundException")
        return f"data protection policy of {name}", gone or "policyDocument" not in policy
    if rtype == "aws_cloudwatch_metric_alarm":
        found = c("cloudwatch").describe_alarms(AlarmNames=[v["alarm_name"]])["MetricAlarms"]
        return f"alarm {v['alarm_name']}", not found
    if rtype == "aws_cloudwatch_composite_alarm":
        found = c("cloudwatch").describe_alarms(AlarmNames=[v["alarm_name"]],
                                                AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
        return f"composite alarm {v['alarm_name']}", not found
    if rtype == "aws_cloudwatch_dashboard":
        return f"dashboard {v['dashboard_name']}", _gone(
            lambda: c("cloudwatch").get_dashboard(DashboardName=v["dashboard_name"]),
            "ResourceNotFound", "404")
    if rtype == "aws_ssm_parameter":
        return f"ssm parameter {v['name']}", _gone(
            lambda: c("ssm").get_parameter(Name=v["name"]), "ParameterNotFound")
    if rtype == "aws_s3_object":
        return f"s3 object s3://{v['bucket']}/{v['key']}", _gone(
            lambda: c("s3").head_object(Bucket=v["bucket"], Key=v["key"]), "404", "NoSuchKey")
    if rtype == "aws_lambda_function":
        return f"lambda function {v['function_name']}", _gone(
            lambda: c("lambda").get_function(FunctionName=v["function_name"]),
            "ResourceNotFoundException")
    if rtype == "aws_lambda_function_recursion_config":
        return f"recursion config of {v['function_name']}", _gone(
            lambda: c("lambda").get_function_recursion_config(FunctionName=v["function_name"]),
            "ResourceNotFoundException")
    if rtype == "aws_lambda_permission":
        return f"lambda permission {v['statement_id']}", _gone(
            lambda: c("lambda").get_policy(FunctionName=v["function_name"]),
            "ResourceNotFoundException")
    if rtype == "aws_lambda_event_source_mapping":
        return f"event source mapping {v['uuid']}", _gone(
            lambda: c("lambda").get_event_source_mapping(UUID=v["uuid"]),
            "ResourceNotFoundException")
    if rtype == "aws_lambda_function_url":
        return f"function url of {v['function_name']}", _gone(
            lambda: c("lambda").get_function_url_config(FunctionName=v["function_name"]),
            "ResourceNotFoundException")
    if rtype == "aws_sqs_queue":
        return f"sqs queue {v['name']}", _gone(
            lambda: c("sqs").get_queue_url(QueueName=v["name"]),
            "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
    if rtype == "aws_cloudwatch_event_rule":
        return f"event rule {v['name']}", _gone(
            lambda: c("events").describe_rule(Name=v["name"]), "ResourceNotFoundException")
    if rtype == "aws_cloudwatch_event_target":
        return f"event target {v['target_id']}", _gone(
            lambda: c("events").list_targets_by_rule(Rule=v["rule"]), "ResourceNotFoundException")
    if rtype == "aws_apigatewayv2_integration":
        return f"http api integration {v['id']}", _gone(
            lambda: c("apigatewayv2").get_integration(ApiId=v["api_id"], IntegrationId=v["id"]),
            "NotFoundException")
    if rtype == "aws_apigatewayv2_route":
        return f"http api route {v['route_key']}", _gone(
            lambda: c("apigatewayv2").get_route(ApiId=v["api_id"], RouteId=v["id"]),
            "NotFoundException")
    if rtype == "aws_sns_topic":
        return f"sns topic {v['name']}", _gone(
            lambda: c("sns").get_topic_attributes(TopicArn=v["arn"]), "NotFound")
    if rtype == "aws_sns_topic_policy":
        return None  # part of its topic
    if rtype == "aws_sns_topic_subscription":
        return f"sns subscription {v['protocol']}", _gone(
            lambda: c("sns").get_subscription_attributes(SubscriptionArn=v["arn"]), "NotFound")
    if rtype == "aws_kms_key":  # destroy schedules the deletion (KMS keeps a waiting period)
        state = c("kms").describe_key(KeyId=v["arn"])["KeyMetadata"]["KeyState"]
        return f"kms key {v['key_id']} (PendingDeletion)", state == "PendingDeletion"
    if rtype == "aws_kms_alias":
        aliases = c("kms").list_aliases()["Aliases"]
        return f"kms alias {v['name']}", all(a["AliasName"] != v["name"] for a in aliases)
    raise AssertionError(f"no leftover check for {rtype}: add one to leftovers._check")


@dataclass
class Leftover:
    address: str
    rtype: str
    what: str
    gone: bool
    kept_on_purpose: bool  # skip_destroy (production log groups)


def managed(state: dict) -> list[dict]:
    """The managed resources of a state file (format 4): address, type, values."""
    return [{"address": f"{r['type']}.{r['name']}" + (f"[{i['index_key']!r}]" if "index_key" in i
                                                        else ""),
             "type": r["type"], "values": i["attributes"]}
            for r in state.get("resources", []) if r.get("mode") == "managed"
            for i in r.get("instances", [])]


def leftovers(emu: em.Emulator, resources: list[dict], account: str = em.ACCOUNT,
              region: str = em.REGION) -> list[Leftover]:
    """Each of ``resources`` (``managed(state)`` after apply), checked in the emulator."""
    found = []
    for res in resources:
        checked = _check(emu, account, res["type"], res["values"], region)
        if checked is not None:
            found.append(Leftover(res["address"], res["type"], checked[0], checked[1],
                                  bool(res["values"].get("skip_destroy"))))
    return found


