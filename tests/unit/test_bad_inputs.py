"""A catalog of bad inputs, each with the exact field, value and hint it must produce."""

from __future__ import annotations

import pytest

from golden_path import ServiceSpec, SpecError, resolve
from golden_path.errors import MISSING
from mutate import DELETE, set_field

ACCOUNT = "123456789012"



CASES = [
    # (id, mutation, field, value, hint)
    ("missing team", set_field("team", DELETE), "team", MISSING,
     "required field is missing; add it"),
    ("unknown top-level key", set_field("replicas", 3), "replicas", 3,
     "unknown field 'replicas'; allowed here: name, team, environment, variables, secrets, iam, calls, "
     "telemetry, alerts, slo, traffic, cross_account, cross_region, runtime, kind, image, cpu, memory, "
     "architecture, port, health_check_path, command, language, scaling, sidecars, network, "
     "load_balancer, ecs_exec, read_only_root_filesystem, user, adopt"),
    ("misspelt nested key", set_field("scaling.maximum", 4), "scaling.maximum", 4,
     "unknown field 'maximum'; did you mean 'max'? allowed here: desired, min, max, "
     "cpu_target, queue"),
    ("cpu not a number", set_field("cpu", "lots"), "cpu", "lots", "expected a whole number"),
    ("port as list", set_field("port", [80]), "port", [80], "expected a whole number"),
    ("variables as list", set_field("variables", ["A=1"]), "variables", ["A=1"],
     "expected a mapping of key: value"),
    ("unknown environment", set_field("environment", "prod"), "environment", "prod",
     "Input should be 'sandbox', 'staging' or 'production'"),
    ("unknown kind", set_field("kind", "cron"), "kind", "cron", "Input should be 'web' or 'worker'"),
    ("invalid cpu/memory pair", set_field("memory", 8192), "memory", 8192,
     "with cpu 512 Fargate allows memory 1024..4096 MiB in steps of 1024"),
    ("invalid cpu", set_field("cpu", 300), "cpu", 300,
     "Fargate cpu must be one of [256, 512, 1024, 2048, 4096, 8192, 16384]"),
    ("name too long", set_field("name", "a" * 41), "name", "a" * 41,
     "name is 41 characters; use at most 40 (longer AWS names are derived from it)"),
    ("name with capitals", set_field("name", "BillingApi"), "name", "BillingApi",
     "name must be lowercase letters, digits and '-', starting with a letter and not ending "
     "with '-', e.g. 'billing-api'"),
    ("image without tag", set_field("image", "nginx"), "image", "nginx",
     "pin the image: add a tag or digest, e.g. 'repo/app:1.4.2'"),
    ("image latest", set_field("image", "nginx:latest"), "image", "nginx:latest",
     "':latest' is not a pinned version; use a release tag or a digest"),
    ("wildcard IAM action", set_field("iam.0.actions", ["s3:*"]), "iam[0].actions[0]", "s3:*",
     "wildcard actions are rejected: list the exact actions, or add wildcard_reason explaining "
     "why nothing narrower works"),
    ("malformed IAM action", set_field("iam.0.actions", ["GetObject"]), "iam[0].actions[0]",
     "GetObject", "does not match the pattern ^[a-z0-9-]+:[A-Za-z0-9*]+$|^\\*$"),
    ("secret not an ARN", set_field("secrets.DATABASE_URL", "postgres://u:p@db/x"),
     "secrets.DATABASE_URL", "postgres://u:p@db/x",
     "not a valid ARN; expected an ssm parameter ARN like "
     "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db-url or secret ARN like "
     "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/db-AbCdEf"),
    ("bad env var name", set_field("variables", {"1BAD": "x"}), "variables", {"1BAD": "x"},
     "'1BAD' is not a valid environment variable name; use letters, digits and '_'"),
    ("web without load balancer", set_field("load_balancer", DELETE), "load_balancer", MISSING,
     "a web service needs load_balancer.listener_arn, security_group_id, priority and hosts "
     "or paths"),
    ("web rule without host or path", set_field("load_balancer.hosts", []), "load_balancer.hosts", [],
     "give at least one host or path for the listener rule"),
    ("min above max", set_field("scaling", {"min": 5, "max": 2}), "scaling.min", 5,
     "min must not exceed max (2)"),
    ("desired above max", set_field("scaling", {"desired": 9, "max": 4}), "scaling.desired", 9,
     "desired must not exceed max (4)"),
    ("http endpoint", set_field("telemetry.endpoint", "http://otlp.example.com"),
     "telemetry.endpoint", "http://otlp.example.com",
     "does not match the pattern ^https://[^\\s/]+(/\\S*)?$"),
    ("cluster ARN of another service", set_field("network.cluster_arn",
                                            f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/main"),
     "network.cluster_arn", f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/main",
     "not a valid ARN; expected an ecs cluster ARN like "
     "arn:aws:ecs:eu-west-1:123456789012:cluster/main"),
    ("bad subnet id", set_field("network.subnet_ids", ["subnet-xyz"]), "network.subnet_ids[0]",
     "subnet-xyz", "does not match the pattern ^subnet-[0-9a-f]{8,17}$"),
    ("listener priority zero", set_field("load_balancer.priority", 0), "load_balancer.priority", 0,
     "Input should be greater than or equal to 1"),
    ("variable also a secret", set_field("variables.DATABASE_URL", "x"), "secrets.DATABASE_URL",
     f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:billing/db-AbCdEf",
     "also set in variables; keep it in one place"),
    ("ecs_exec not a bool", set_field("ecs_exec", "sometimes"), "ecs_exec", "sometimes",
     "expected true or false"),
]


@pytest.mark.parametrize(("mutate", "field", "value", "hint"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_spec_is_rejected_with_exact_error(web, mutate, field, value, hint):
    mutate(web)
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(web)
    problems = [(p.field, p.value, p.hint) for p in caught.value.problems]
    assert problems == [(field, value, hint)]


# Problems only visible once the environment profile and sidecars are known.
RESOLVE_CASES = [
    ("port clash with collector", set_field("port", 4318), "port", 4318,
     "port 4318 is used by the collector's OTLP HTTP receiver in the same task; pick another "
     "port (e.g. 8000)"),
    ("port clash with FireLens", set_field("port", 24224), "port", 24224,
     "port 24224 is used by FireLens's forward input in Fluent Bit in the same task; pick "
     "another port (e.g. 8000)"),
    ("production web with one task", lambda s: (s.update(environment="production"),
                                                s.update(scaling={"min": 1})),
     "scaling.min", 1,
     "a web service in production runs at least 2 tasks (one per availability zone); raise "
     "scaling.min"),
    ("no room for the app", lambda s: s.update(cpu=256, memory=512, kind="worker", port=None,
                                               load_balancer=None),
     None, None, None),  # 256/512 fits: app keeps 320 MiB; asserted below, not an error
    ("reserved OTEL variable", set_field("variables.OTEL_SERVICE_NAME", "other"),
     "variables.OTEL_SERVICE_NAME", "other",
     "OTEL_SERVICE_NAME is set by golden_path so telemetry reaches the sidecar; remove it"),
    ("max below profile minimum", lambda s: (s.update(environment="production"),
                                             s.update(scaling={"max": 1})),
     "scaling.max", 1, "max is below the minimum of 2; raise scaling.max"),
]


@pytest.mark.parametrize(("mutate", "field", "value", "hint"),
                         [c[1:] for c in RESOLVE_CASES], ids=[c[0] for c in RESOLVE_CASES])
def test_resolve_rejects_with_exact_error(web, mutate, field, value, hint):
    mutate(web)
    spec = ServiceSpec.parse(web)
    if field is None:
        assert resolve(spec).sizes.app.memory == 320
        return
    with pytest.raises(SpecError) as caught:
        resolve(spec)
    assert [(p.field, p.value, p.hint) for p in caught.value.problems] == [(field, value, hint)]


def test_wildcard_action_allowed_with_reason(web):
    web["iam"][0].update(actions=["s3:Get*"], wildcard_reason="reads many object APIs")
    assert ServiceSpec.parse(web).iam[0].actions == ["s3:Get*"]


def test_several_problems_are_reported_together(web):
    web.update(cpu=300, kind="cron")
    del web["team"]
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(web)
    assert {p.field for p in caught.value.problems} == {"team", "kind", "cpu"}
    assert len(str(caught.value).splitlines()) == 3


def test_worker_with_load_balancer_is_rejected(worker, web):
    worker["load_balancer"] = web["load_balancer"]
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(worker)
    assert caught.value.field == "load_balancer"
    assert caught.value.hint == "a worker has no load balancer; remove it or set kind: web"


def test_web_with_queue_scaling_is_rejected(web, worker):
    web["scaling"] = worker["scaling"]
    with pytest.raises(SpecError) as caught:
        ServiceSpec.parse(web)
    assert caught.value.field == "scaling.queue"
