"""resolve: names, sizes, retention, task counts, defaults per environment."""

from __future__ import annotations

import pytest

from golden_path import ServiceSpec, resolve
from golden_path.resolve.common import shorten
from golden_path.spec import FARGATE_SIZES


def resolved(spec: dict):
    return resolve(ServiceSpec.parse(spec))


def test_shorten_keeps_short_names_and_hashes_long_ones():
    assert shorten("billing-api-staging", 32) == "billing-api-staging"
    long = "a-very-long-service-name-that-keeps-going-production"
    short = shorten(long, 32)
    assert len(short) <= 32 and not short.endswith("--")
    assert short.startswith("a-very-long-service-name")
    assert shorten(long, 32) == short  # stable
    assert shorten(long + "x", 32) != short  # different names, different hashes


@pytest.mark.parametrize("name", ["a" * 40, "billing-reconciliation-worker-eu"])
def test_names_fit_aws_limits(web, name):
    web.update(name=name, environment="production", scaling={"min": 2})
    names = resolved(web).names
    assert len(names.target_group) <= 32
    assert len(names.task_role) <= 64 and len(names.execution_role) <= 64
    assert names.task_role != names.execution_role
    assert names.service == f"{name}-production"


def test_names_and_region_from_cluster(web):
    svc = resolved(web)
    assert (svc.region, svc.account, svc.cluster_name) == ("eu-west-1", "123456789012", "main")
    assert svc.names.target_group == "billing-api-staging"
    assert svc.names.router_log_group == "/golden-path/staging/payments/billing-api/log-router"
    assert svc.collector_config_parameter_arn == (
        "arn:aws:ssm:eu-west-1:123456789012:parameter"
        "/golden-path/staging/payments/billing-api/otel-collector-config")


@pytest.mark.parametrize(("environment", "retention", "protected", "ecs_exec"), [
    ("sandbox", 7, False, True),
    ("staging", 30, False, True),
    ("production", 90, True, False),
])
def test_environment_profile(web, environment, retention, protected, ecs_exec):
    web.update(environment=environment, scaling={"min": 2})
    svc = resolved(web)
    assert svc.log_retention_days == retention
    assert svc.deletion_protection is protected
    assert svc.ecs_exec is ecs_exec


def test_ecs_exec_can_be_turned_on_in_production(web):
    web.update(environment="production", ecs_exec=True)
    assert resolved(web).ecs_exec is True


def test_task_counts_default_from_profile(web):
    web["environment"] = "production"
    s = resolved(web).scaling
    assert (s.desired, s.min, s.max) == (2, 2, 10)
    web["scaling"] = {"min": 3, "max": 6}
    s = resolved(web).scaling
    assert (s.desired, s.min, s.max) == (3, 3, 6)


@pytest.mark.parametrize(("cpu", "memory"),
                         [(c, m) for c, ms in FARGATE_SIZES.items() for m in (ms[0], ms[-1])])
def test_sidecars_fit_every_fargate_size(web, cpu, memory):
    web.update(cpu=cpu, memory=memory)
    sizes = resolved(web).sizes
    parts = (sizes.app, sizes.router, sizes.collector)
    assert sum(p.cpu for p in parts) == cpu
    assert sum(p.memory for p in parts) == memory
    assert sizes.app.memory >= 128 and sizes.app.cpu >= 64


def test_collector_memory_limits_follow_its_container(web):
    web.update(cpu=2048, memory=8192)
    svc = resolved(web)
    assert svc.sizes.collector.memory == 256
    assert svc.collector.memory_limit_mib == 204
    assert svc.collector.spike_limit_mib == 51
    assert svc.collector.gomemlimit == "204MiB"


def test_worker_queue_scaling(worker):
    s = resolved(worker).scaling
    assert (s.queue_name, s.messages_per_task) == ("invoices", 20)


def test_secrets_split_for_iam(web):
    web["secrets"]["API_TOKEN"] = (
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing/api-XyZ123:token::")
    svc = resolved(web)
    assert svc.secret_arns == (
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing/api-XyZ123",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:billing/db-AbCdEf",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:otlp-key-AbCdEf",
    )
    assert svc.parameter_arns == ("arn:aws:ssm:eu-west-1:123456789012:parameter/billing/signing-key",)


def test_ecr_repository_detected_and_public_images_need_no_pull_rights(web):
    assert resolved(web).image_repository_arn == (
        "arn:aws:ecr:eu-west-1:123456789012:repository/billing-api")
    web["image"] = "public.ecr.aws/nginx/nginx:1.27"
    assert resolved(web).image_repository_arn is None


def test_tags(web):
    assert resolved(web).tags == {"team": "payments", "service": "billing-api",
                                  "environment": "staging", "managed-by": "golden-path"}


def test_app_environment_points_telemetry_at_the_sidecar(web):
    env = resolved(web).app_environment
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4318"
    assert env["OTEL_SERVICE_NAME"] == "billing-api"
    assert env["DJANGO_SETTINGS_MODULE"] == "billing.settings"
