"""Generate a realistic fleet of service files (fleet form) for benchmarks and tests.

    generate_fleet(out_dir, n_services=300, seed=0) -> summary dict

writes ``platform.yaml`` (a copy of the example's), ``teams.yaml`` (12 teams) and
``services/<name>.yaml``: about 90 % Lambda functions (Node.js and Python; an SQS
trigger, a schedule, an HTTP API route or no trigger), the rest Fargate web
services (each with its own listener priority and hosts) and workers (each with
its own queue per environment). Every service runs in sandbox, staging and
production. A few services call others (SQS SendMessage to a function's or a
worker's queue, lambda:InvokeFunction, ``calls:`` over HTTP); every call goes from
an earlier service to a later one in a random order, so the call graph has no loop.

The output is deterministic for a seed. Run directly to write a fleet:

    .venv/bin/python benchmarks/fleet_gen.py OUT_DIR [--services N] [--seed S]
"""

from __future__ import annotations

import json
import random
import shutil
import string
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from fleet_vocabulary import (
    CRITICAL,
    HTTP_METHODS,
    NO_PAGER,
    ROLES,
    SCHEDULES,
    TEAMS,
    TRIGGER_WEIGHTS,
)
from fleet_yaml import to_yaml

ROOT = Path(__file__).resolve().parent.parent
PLATFORM_SOURCE = ROOT / "examples" / "platform.yaml"
ENVIRONMENTS = ("sandbox", "staging", "production")
ARTIFACT_ACCOUNT = "999988887777"

@dataclass
class Service:
    name: str
    team: str
    noun: str
    kind: str  # lambda, web, worker
    trigger: str | None = None  # lambda: sqs, schedule, http, none
    rank: int = 0
    #: Calls to make: (callee, via) with via sqs, invoke or http.
    calls: list[tuple[str, str]] = field(default_factory=list)


def _token(rng: random.Random, n: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
    """A random id that YAML reads as a string (starts with a letter)."""
    return rng.choice(string.ascii_lowercase) + "".join(rng.choice(alphabet) for _ in range(n - 1))


# --------------------------------------------------------------------------- the fleet

def _names(rng: random.Random, n_services: int) -> list[Service]:
    n_web = max(1, round(n_services * 0.05))
    n_worker = max(1, round(n_services * 0.05))
    kinds = ["web"] * n_web + ["worker"] * n_worker + ["lambda"] * (n_services - n_web - n_worker)
    teams = sorted(TEAMS)
    taken: set[str] = set()
    services = []
    for i, kind in enumerate(kinds):
        team = teams[i % len(teams)]
        trigger = None
        if kind == "lambda":
            trigger = rng.choices(list(TRIGGER_WEIGHTS), weights=list(TRIGGER_WEIGHTS.values()))[0]
        roles = ROLES[trigger or kind]
        for attempt in range(1000):
            if attempt >= 50:  # the team's noun-role pairs are (nearly) used up: borrow nouns
                team = rng.choice(teams)
            noun = rng.choice(TEAMS[team])
            name = f"{noun}-{rng.choice(roles)}"
            # No name may start with another's name and '-': queue patterns like
            # arn:aws:sqs:*:*:<name>-* must match one service only.
            if name not in taken and not any(t.startswith(name + "-") or name.startswith(t + "-")
                                             for t in taken):
                break
        else:
            raise ValueError(f"cannot name {n_services} services with this vocabulary")
        taken.add(name)
        services.append(Service(name, team, noun, kind, trigger))
    return services


def _plan_calls(rng: random.Random, services: list[Service]) -> None:
    """Calls only from an earlier service to a later one in ``rank`` order: no loop."""
    order = [s for s in services if s.kind == "web"]
    rest = [s for s in services if s.kind != "web"]
    rng.shuffle(rest)
    for rank, s in enumerate(order + rest):
        s.rank = rank

    def later(s: Service, want) -> list[Service]:
        return [t for t in services if t.rank > s.rank and want(t)]

    def sqs_fn(t: Service) -> bool:
        return t.kind == "lambda" and t.trigger == "sqs"

    def http_fn(t: Service) -> bool:
        return t.kind == "lambda" and t.trigger == "http"

    for s in sorted(services, key=lambda s: s.rank):
        if s.kind == "web":
            for callee in rng.sample(later(s, http_fn), k=min(2, len(later(s, http_fn)))):
                s.calls.append((callee.name, "http"))
            targets = later(s, lambda t: t.kind == "worker" or sqs_fn(t))
            if targets and rng.random() < 0.6:
                s.calls.append((rng.choice(targets).name, "sqs"))
        elif s.kind == "worker":
            targets = later(s, sqs_fn)
            if targets and rng.random() < 0.5:
                s.calls.append((rng.choice(targets).name, "sqs"))
        else:
            roll = rng.random()
            if roll < 0.12 and later(s, sqs_fn):
                s.calls.append((rng.choice(later(s, sqs_fn)).name, "sqs"))
            elif roll < 0.15 and later(s, lambda t: t.kind == "lambda"):
                s.calls.append((rng.choice(later(s, lambda t: t.kind == "lambda")).name, "invoke"))
            elif roll < 0.19 and later(s, http_fn):
                s.calls.append((rng.choice(later(s, http_fn)).name, "http"))


def _secret(rng: random.Random, platform: dict, env: str, team: str, what: str) -> str:
    account = platform["environments"][env]["account"]
    region = platform["defaults"]["region"]
    suffix = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(6))
    return f"arn:aws:secretsmanager:{region}:{account}:secret:{team}/{what}-{suffix}"


def _alerts(s: Service) -> dict:
    alerts: dict = {"runbook": f"https://runbooks.example.com/{s.team}/{s.name}"}
    if s.team in NO_PAGER:
        reason = f"{s.team} has no on-call rotation; the team reads its alert email in office hours"
        alerts["overrides"] = {signal: {"severity": "warning", "reason": reason}
                               for signal in CRITICAL["sqs" if s.trigger == "sqs" else s.kind]}
    return alerts


def _sid(callee: str, verb: str) -> str:
    return verb + "".join(part.capitalize() for part in callee.split("-"))


def _lambda(rng: random.Random, s: Service, platform: dict, api_ids: dict) -> tuple[str, dict, dict]:
    region = platform["defaults"]["region"]
    python = rng.random() < 0.45
    language = "python3.13" if python else "nodejs22.x"
    module = s.name.replace("-", "_")
    if python:
        handler = f"{module}.handler.handle"
    else:
        handler = rng.choice(["index.handler", f"dist/{module}.handler", "dist/handler.main"])
    version = f"{rng.randint(1, 4)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}"
    timeout = {"sqs": rng.choice([30, 60]), "schedule": rng.choice([120, 300, 900]),
               "http": rng.choice([6, 10, 15]), "none": rng.choice([10, 30])}[s.trigger]
    shared: dict = {
        "name": s.name,
        "team": s.team,
        "runtime": "lambda",
        "language": language,
    }
    if rng.random() < 0.1:
        shared["architecture"] = "x86_64"
    shared |= {
        "handler": handler,
        "code": {"s3": {"bucket": f"{s.team}-artifacts-{ARTIFACT_ACCOUNT}",
                        "key": f"{s.name}/{s.name}-{version}.zip",
                        "version": _token(rng, 32, string.ascii_letters + string.digits)}},
        "memory": rng.choice([256, 512, 512, 1024]),
        "timeout": timeout,
    }
    triggers: dict = {}
    if s.trigger == "sqs":
        triggers["sqs"] = {"batch_size": 10} if rng.random() < 0.7 else \
            {"batch_size": 25, "max_batching_window_seconds": 5}
        if rng.random() < 0.15:
            triggers["schedules"] = [{"expression": rng.choice(SCHEDULES),
                                      "description": f"periodic {s.noun} catch-up"}]
    elif s.trigger == "schedule":
        triggers["schedules"] = [{"expression": rng.choice(SCHEDULES),
                                  "description": f"{s.name.replace('-', ' ')} run"}]
    elif s.trigger == "http":
        role = s.name[len(s.noun) + 1:]
        route = f"{HTTP_METHODS[role]} /{s.noun}s/{{id}}" if role in ("api", "lookup") else \
            f"{HTTP_METHODS[role]} /{s.noun}s/{role}"
        jwt = rng.random() < 0.6
        triggers["http"] = {"api": {"route": route, "authorization": "JWT" if jwt else "AWS_IAM"}}
    if triggers:
        shared["triggers"] = triggers
    if rng.random() < 0.2:
        shared["telemetry"] = {"mask_keys": [f"{s.noun.replace('-', '_')}.email"]}
    http_calls = [{"service": callee} for callee, via in s.calls if via == "http"]
    if http_calls:
        shared["calls"] = http_calls
    shared["alerts"] = _alerts(s)

    has_db = rng.random() < 0.4
    table = rng.random() < 0.3
    envs: dict[str, dict] = {}
    for env in ENVIRONMENTS:
        account = platform["environments"][env]["account"]
        o: dict = {}
        if env == "production":
            if rng.random() < 0.5:
                o["memory"] = min(2048, shared["memory"] * 2)
            if s.trigger in ("http", "sqs") and rng.random() < 0.4:
                o["reserved_concurrency"] = rng.choice([20, 50, 100, 200])
        if table:
            o["variables"] = {"TABLE_NAME": f"{s.noun}s-{env}"}
        if has_db:
            o["secrets"] = {"DATABASE_URL": _secret(rng, platform, env, s.team, f"{s.noun}-db")}
        if s.trigger == "http":
            api_id, authorizer = api_ids[(s.team, env)]
            api = {"api_id": api_id}
            if shared["triggers"]["http"]["api"]["authorization"] == "JWT":
                api["authorizer_id"] = authorizer
            o["triggers"] = {"http": {"api": api}}
        iam = []
        if table:
            iam.append({"sid": "ReadWriteTable",
                        "actions": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                        "resources": [f"arn:aws:dynamodb:{region}:{account}:table/{s.noun}s-{env}"]})
        for callee, via in s.calls:
            if via == "sqs":  # the queue golden_path makes for the callee in this environment
                iam.append({"sid": _sid(callee, "SendTo"), "actions": ["sqs:SendMessage"],
                            "resources": [f"arn:aws:sqs:{region}:{account}:{callee}-{env}"]})
            elif via == "invoke":
                iam.append({"sid": _sid(callee, "Invoke"), "actions": ["lambda:InvokeFunction"],
                            "resources": [f"arn:aws:lambda:{region}:{account}:function:{callee}-{env}"]})
        if iam:
            o["iam"] = iam
        if env == "production" and has_db and rng.random() < 0.5:
            sg = "sg-0" + "".join(rng.choice("0123456789abcdef") for _ in range(16))
            o["vpc"] = {"security_group_ids": [sg]}  # database access; subnets: the platform's
        envs[env] = o
    what = {"sqs": "consumes its own SQS queue", "schedule": "runs on a schedule",
            "http": "serves a route of the team's HTTP API", "none": "is invoked directly"}[s.trigger]
    comment = f"A {'Python' if python else 'Node.js'} function of {s.team} that {what}."
    return comment, shared, envs


def _fargate(rng: random.Random, s: Service, platform: dict, priority: int) -> tuple[str, dict, dict]:
    region = platform["defaults"]["region"]
    version = f"2024.{rng.randint(1, 12)}.{rng.randint(0, 9)}"
    django = rng.random() < 0.5
    shared: dict = {
        "name": s.name,
        "team": s.team,
        "kind": s.kind,
        "image": f"{ARTIFACT_ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{s.name}:{version}",
    }
    if rng.random() < 0.3:
        shared["architecture"] = "arm64"
    shared |= {"cpu": 512, "memory": 1024} if s.kind == "web" else {"cpu": 256, "memory": 512}
    module = s.name.replace("-", "_")
    if s.kind == "web":
        port = 8000 if django else 3000
        shared |= {"port": port, "health_check_path": "/healthz/" if django else "/health"}
        shared["command"] = ["gunicorn", f"{module}.wsgi", "--bind", f"0.0.0.0:{port}"] if django \
            else ["node", "dist/server.js"]
        shared["load_balancer"] = {"listener": "public", "priority": priority}
    else:
        shared["command"] = ["celery", "--app", module, "worker", "--concurrency", "2"] if django \
            else ["node", "dist/worker.js"]
    iam: list[dict] = []
    if s.kind == "worker":
        iam.append({"sid": "ConsumeJobs",
                    "actions": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                                "sqs:GetQueueAttributes"],
                    "resources": [f"arn:aws:sqs:*:*:{s.name}-*"]})
    for callee, via in s.calls:
        if via == "sqs":  # like the examples: one pattern for every environment's queue
            iam.append({"sid": _sid(callee, "QueueFor"), "actions": ["sqs:SendMessage"],
                        "resources": [f"arn:aws:sqs:*:*:{callee}-*"]})
    if iam:
        shared["iam"] = iam
    http_calls = [{"service": callee} for callee, via in s.calls if via == "http"]
    if http_calls:
        shared["calls"] = http_calls
    shared["alerts"] = _alerts(s)
    internal = s.kind == "web" and s.name.endswith(("-admin", "-console"))
    envs: dict[str, dict] = {}
    for env in ENVIRONMENTS:
        account = platform["environments"][env]["account"]
        domain = platform["environments"][env]["listeners"]["public"]["domain"]
        o: dict = {"cpu": 1024, "memory": 2048} if env == "production" else {}
        if django:
            o["variables"] = {"DJANGO_SETTINGS_MODULE": f"{module}.settings.{env}"}
        o["secrets"] = {"DATABASE_URL": _secret(rng, platform, env, s.team, f"{s.name}/database-url")}
        if s.kind == "web":
            if env == "production" and internal:
                o["load_balancer"] = {"listener": "internal", "hosts": [f"{s.name}.internal.example.com"]}
            else:
                o["load_balancer"] = {"hosts": [f"{s.name}.{domain}"]}
        scaling: dict = {}
        if env == "production":
            scaling |= {"min": 2, "max": rng.choice([6, 10, 20])}
        if s.kind == "worker":
            scaling["queue"] = {"arn": f"arn:aws:sqs:{region}:{account}:{s.name}-{env}",
                                "messages_per_task": rng.choice([20, 50, 100])}
        if scaling:
            o["scaling"] = scaling
        envs[env] = o
    comment = (f"A {'Django' if django else 'Node.js'} web app of {s.team} behind the platform's "
               "listener." if s.kind == "web" else
               f"A {'Celery' if django else 'Node.js'} worker of {s.team}: scales on its own queue.")
    return comment, shared, envs


def _teams_yaml(rng: random.Random) -> str:
    out = ["# The team registry of the generated fleet: where each team's alerts go.", "teams:"]
    for team in sorted(TEAMS):
        out += [f"  {team}:", "    notify:",
                f"      emails: [{team}-oncall@example.com"
                + (f", {team}-team@example.com]" if rng.random() < 0.4 else "]")]
        if team not in NO_PAGER:
            out += ["    pagerduty:", f"      integration_url_secret: golden-path/pagerduty/{team}"]
    return "\n".join(out) + "\n"


def generate_fleet(out_dir, n_services: int = 300, *, seed: int = 0) -> dict:
    """Write platform.yaml, teams.yaml and services/*.yaml into ``out_dir``; return a summary."""
    out = Path(out_dir)
    (out / "services").mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    shutil.copyfile(PLATFORM_SOURCE, out / "platform.yaml")
    platform = yaml.safe_load(PLATFORM_SOURCE.read_text(encoding="utf-8"))
    (out / "teams.yaml").write_text(_teams_yaml(rng), encoding="utf-8")

    services = _names(rng, n_services)
    _plan_calls(rng, services)
    api_ids = {(team, env): (_token(rng, 10), _token(rng, 8)) for team in sorted(TEAMS)
               for env in ENVIRONMENTS}
    kinds: Counter = Counter()
    triggers: Counter = Counter()
    languages: Counter = Counter()
    lines = 0
    priority = 100
    for s in sorted(services, key=lambda s: s.name):
        if s.kind == "lambda":
            comment, shared, envs = _lambda(rng, s, platform, api_ids)
            triggers[s.trigger] += 1
            languages[shared["language"]] += 1
        else:
            priority += 10
            comment, shared, envs = _fargate(rng, s, platform, priority)
        kinds[s.kind] += 1
        text = to_yaml(comment, shared, envs)
        (out / "services" / f"{s.name}.yaml").write_text(text, encoding="utf-8")
        lines += text.count("\n")
    calls = sorted((s.name, callee, via) for s in services for callee, via in s.calls)
    return {
        "services": len(services),
        "stacks": len(services) * len(ENVIRONMENTS),
        "kinds": dict(sorted(kinds.items())),
        "lambda_triggers": dict(sorted(triggers.items())),
        "languages": dict(sorted(languages.items())),
        "teams": len(TEAMS),
        "calls": calls,
        "files": len(services) + 2,
        "yaml_lines": lines,
        "yaml_lines_per_service": round(lines / len(services), 1),
    }


if __name__ == "__main__":
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir")
    p.add_argument("--services", type=int, default=300)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    summary = generate_fleet(args.out_dir, args.services, seed=args.seed)
    summary["calls"] = len(summary["calls"])
    print(json.dumps(summary, indent=2))
