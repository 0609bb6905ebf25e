"""IAM documents: the execution role gets exactly what starting the task needs."""

from __future__ import annotations

from golden_path import ServiceSpec, resolve
from golden_path.resolve.policies import ecs_tasks_trust, execution_role_statements, task_role_statements

ACCT = "123456789012"


def by_sid(statements):
    return {s["Sid"]: s for s in statements}


def test_execution_role_allows_exactly_pull_logs_secrets_parameters(web):
    svc = resolve(ServiceSpec.parse(web))
    st = by_sid(execution_role_statements(svc))
    assert set(st) == {"PullAppImage", "EcrLogin", "SidecarLogs", "InjectSecrets",
                       "InjectParameters"}
    assert st["PullAppImage"]["Resource"] == [f"arn:aws:ecr:eu-west-1:{ACCT}:repository/billing-api"]
    assert st["SidecarLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{ACCT}:log-group:/golden-path/staging/payments/billing-api/"
        f"{g}:log-stream:*" for g in ("log-router", "otel-collector")]
    assert st["InjectSecrets"]["Action"] == ["secretsmanager:GetSecretValue"]
    assert set(st["InjectSecrets"]["Resource"]) == {
        f"arn:aws:secretsmanager:eu-west-1:{ACCT}:secret:billing/db-AbCdEf",
        f"arn:aws:secretsmanager:eu-west-1:{ACCT}:secret:otlp-key-AbCdEf"}
    assert set(st["InjectParameters"]["Resource"]) == {
        svc.collector_config_parameter_arn, svc.router_config_parameter_arn,
        svc.collector_self_config_parameter_arn,
        f"arn:aws:ssm:eu-west-1:{ACCT}:parameter/billing/signing-key"}
    # The only '*' resource is ECR's login, which AWS cannot scope.
    stars = [s["Sid"] for s in st.values() if "*" in s["Resource"]]
    assert stars == ["EcrLogin"]


def test_no_ecr_rights_for_public_images(web):
    web["image"] = "public.ecr.aws/nginx/nginx:1.27"
    sids = {s["Sid"] for s in execution_role_statements(resolve(ServiceSpec.parse(web)))}
    assert "PullAppImage" not in sids and "EcrLogin" not in sids


def test_task_role_is_the_team_statements_and_self_metrics(web):
    web["environment"] = "production"
    web["scaling"] = {"min": 2}
    svc = resolve(ServiceSpec.parse(web))
    st = by_sid(task_role_statements(svc))
    assert set(st) == {"TelemetrySelfMetrics", "ReadInvoices"}
    group = svc.log_group_arn(svc.names.telemetry_metrics_log_group)
    assert st["TelemetrySelfMetrics"]["Resource"] == [group, f"{group}:log-stream:*"]
    assert st["ReadInvoices"] == {"Sid": "ReadInvoices", "Effect": "Allow",
                                  "Action": ["s3:GetObject"],
                                  "Resource": ["arn:aws:s3:::invoices/*"]}


def test_ecs_exec_adds_ssm_messages_only_when_enabled(web):
    st = by_sid(task_role_statements(resolve(ServiceSpec.parse(web))))  # staging: on
    assert st["EcsExec"]["Action"] == [
        "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]


def test_trust_policy_limits_to_own_account(web):
    doc = ecs_tasks_trust(resolve(ServiceSpec.parse(web)))
    (st,) = doc["Statement"]
    assert st["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert st["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCT}
