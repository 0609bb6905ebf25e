"""The lifecycle test's fleet: one fleet-form service per kind, written for the platform
built in the emulator, and synthesized in-process."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

import emulated_platform as ep
import emulator as em

#: kind -> service name (the team route stack is named after the team, environment,
#: account and region).
KINDS: dict[str, str] = {
    "fargate-web": "storefront",
    "fargate-worker": "fulfilment-worker",
    "lambda-sqs": "invoice-consumer",
    "lambda-http-api": "price-api",
    "lambda-function-url": "webhook-receiver",
    "lambda-schedule": "nightly-report",
    "team-route": "team",
}
#: Started first when stacks run in parallel (two queues each, created one after the other).
SLOWEST = ("lambda-sqs", "fargate-worker")
TEAM_STACK = f"team-{em.TEAM}-{em.ENVIRONMENT}-{em.ACCOUNT}-{em.REGION}"
IMAGE = "999988887777.dkr.ecr.eu-west-1.amazonaws.com/storefront:2024.11.3"


def stack_name(kind: str) -> str:
    return TEAM_STACK if kind == "team-route" else f"{KINDS[kind]}-{em.ENVIRONMENT}"


def service_files(p: ep.EmulatedPlatform) -> dict[str, dict]:
    """One small fleet-form service file per kind, for the emulated platform."""
    env = p.environment
    runbook = "https://runbooks.example.com/checkout/{name}"
    node, python = p.artifacts["node"], p.artifacts["python"]

    def code(a: ep.Artifact) -> dict:
        return {"s3": {"bucket": a.bucket, "key": a.key, "version": a.version}}

    def lam(name: str, language: str, overrides: dict | None = None, **fields) -> dict:
        artifact, handler = ((node, "dist/handler.handle") if language.startswith("nodejs")
                             else (python, "app.handler.handle"))
        return {"name": name, "team": em.TEAM, "runtime": "lambda", "language": language,
                "handler": handler, "code": code(artifact), "memory": 256, "timeout": 10,
                "alerts": {"runbook": runbook.format(name=name)}, **fields,
                "environments": {env: overrides or {}}}

    return {
        "storefront": {
            "name": "storefront", "team": em.TEAM, "kind": "web", "image": IMAGE,
            "cpu": 256, "memory": 512, "port": 8000, "health_check_path": "/healthz/",
            "load_balancer": {"listener": "public", "priority": 120},
            "variables": {"DJANGO_SETTINGS_MODULE": "storefront.settings.{environment}"},
            "secrets": {"DATABASE_URL": p.database_secret_arn},
            # Hands orders to fulfilment-worker's own queue (scaling.queue.create).
            "iam": [{"sid": "QueueFulfilment", "actions": ["sqs:SendMessage"],
                     "resources": ["arn:aws:sqs:{region}:{account}:fulfilment-worker-{environment}"]}],
            "alerts": {"runbook": runbook.format(name="storefront")},
            "environments": {env: {
                "load_balancer": {"hosts": ["shop.example.com"], "paths": ["/*"]},
                "scaling": {"min": 2, "max": 4},
                "network": {"security_group_ids": [p.database_security_group_id]}}},
        },
        "fulfilment-worker": {
            "name": "fulfilment-worker", "team": em.TEAM, "kind": "worker", "image": IMAGE,
            "architecture": "arm64", "cpu": 256, "memory": 512,
            "command": ["celery", "--app", "storefront", "worker", "--queues", "fulfilment"],
            # Its own queue and dead-letter queue, created, consumed (the task role) and
            # scaled on; the app finds the queue in QUEUE_URL (Celery: predefined_queues).
            "scaling": {"queue": {"create": True, "messages_per_task": 20,
                                  "max_receive_count": 3}},
            "alerts": {"runbook": runbook.format(name="fulfilment-worker")},
            "environments": {env: {"secrets": {"DATABASE_URL": p.database_secret_arn},
                                   "scaling": {"min": 1, "max": 3}}},
        },
        "invoice-consumer": lam(
            "invoice-consumer", "python3.13", triggers={"sqs": {"batch_size": 10}},
            secrets={"DATABASE_URL": p.database_secret_arn},
            overrides={"vpc": {"security_group_ids": [p.database_security_group_id]},
                       "reserved_concurrency": 5}),
        "price-api": lam(
            "price-api", "nodejs22.x",
            triggers={"http": {"api": {"api_id": p.api_id, "route": "GET /prices/{sku}",
                                       "authorization": "JWT",
                                       "authorizer_id": p.authorizer_id}}},
            variables={"PRICE_TABLE": "prices-{environment}"}),
        "webhook-receiver": lam(
            "webhook-receiver", "nodejs22.x",
            triggers={"http": {"function_url": {"auth": "AWS_IAM"}}}),
        "nightly-report": lam(
            "nightly-report", "python3.13", architecture="x86_64",
            triggers={"schedules": [{"expression": "cron(0 3 * * ? *)",
                                     "description": "nightly report"}]}),
    }


def teams_file(p: ep.EmulatedPlatform) -> dict:
    return {"teams": {em.TEAM: {
        "notify": {"emails": [f"{em.TEAM}-oncall@example.com"]},
        "pagerduty": {"integration_url_secret": p.pagerduty_secret_name},
    }}}


def write_fleet(p: ep.EmulatedPlatform, directory: Path) -> Path:
    """platform.yaml, teams.yaml and services/*.yaml under ``directory``."""
    services = directory / "services"
    services.mkdir(parents=True, exist_ok=True)
    (directory / "platform.yaml").write_text(yaml.safe_dump(p.platform_yaml(), sort_keys=False))
    (directory / "teams.yaml").write_text(yaml.safe_dump(teams_file(p), sort_keys=False))
    for name, spec in service_files(p).items():
        (services / f"{name}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return directory


def synth_fleet(directory: Path, out: Path) -> dict[str, Path]:
    """Synthesize the fleet in-process; {stack name: stack directory}."""
    from golden_path.fleet import load_all
    from golden_path.load.discover import find_teams
    from golden_path.load.platform import load_platform
    from golden_path.synth import synth

    teams = find_teams([directory])
    platform = load_platform(directory / "platform.yaml")
    names = synth(load_all([directory / "services"], teams, platform), out, teams)
    return {n: out / "stacks" / n for n in names}


def layer_arns(stacks: dict[str, Path]) -> set[str]:
    arns = set()
    for d in stacks.values():
        stack = json.loads((d / "cdk.tf.json").read_text())
        for fn in stack.get("resource", {}).get("aws_lambda_function", {}).values():
            arns.update(fn.get("layers", []))
    return arns


