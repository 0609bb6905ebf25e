"""``--check-live``: the names golden_path would create that already exist in the account.

``validate`` and ``synth`` know every physical name a service's stack creates. A first
apply over a service that already runs would fail on each one that exists (a function, a
role, a log group) or, worse, create a second copy beside it (a second target group, a
second schedule). With ``--check-live`` these are errors before anything is applied:
each names the live resource and the ``adopt:`` line that would take it over (or, for
what cannot be adopted, what to do instead).

One run reads one account (the caller's credentials, ``sts get-caller-identity``);
stacks of other accounts are skipped and counted, so a fleet spread over several
accounts is checked with one run per account.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import Problem
from .graph import where

#: Clients are made per (service, region): ``make(service, region) -> boto3 client``.
ClientFactory = Callable[[str, str], object]


@dataclass(frozen=True)
class Planned:
    """A physical name a stack would create."""

    kind: str   # function, role, log_group, queue, rule, ecs_service, target_group, parameter
    name: str
    #: The adopt: key that takes it over (None: golden_path cannot adopt it).
    adopt_key: str | None
    #: The ECS cluster (ecs_service only).
    scope: str | None = None


WHAT = {"function": "Lambda function", "role": "IAM role", "log_group": "log group",
        "queue": "SQS queue", "rule": "EventBridge rule", "ecs_service": "ECS service",
        "target_group": "target group", "parameter": "SSM parameter"}


def planned_names(service) -> list[Planned]:
    """The names ``service``'s stack creates and does not adopt."""
    n, imported = service.names, set(service.adoption.imports)
    planned: list[Planned] = []

    def add(part: str, kind: str, name: str | None, adopt_key: str | None = None,
            scope: str | None = None) -> None:
        if name and part not in imported:
            planned.append(Planned(kind, name, adopt_key, scope))

    if service.kind == "lambda":
        add("function", "function", n.function, "function")
        add("role", "role", n.role, "role")
        add("log_group", "log_group", n.log_group, "log_group")
        add("queue", "queue", n.queue, "queue")
        add("dead_letter_queue", "queue", n.dead_letter_queue, "dead_letter_queue")
        for i, rule in enumerate(n.schedule_rules):
            add(f"schedule_rule_{i}", "rule", rule, "schedules")
        return planned
    add("service", "ecs_service", n.service, "service", service.cluster_name)
    add("task_role", "role", n.task_role, "task_role")
    add("execution_role", "role", n.execution_role, "execution_role")
    if service.spec.load_balancer is not None:
        add("target_group", "target_group", n.target_group, "target_group")
    if service.queue is not None:
        add("queue", "queue", service.queue.name, "queue")
        add("dead_letter_queue", "queue", service.queue.dead_letter_name, "dead_letter_queue")
    for part in ("router_log_group", "collector_log_group", "telemetry_metrics_log_group"):
        add(part, "log_group", getattr(n, part))
    for part in ("collector_config_parameter", "collector_self_config_parameter",
                 "router_config_parameter"):
        add(part, "parameter", getattr(n, part))
    add("sidecar_exit_rule", "rule", n.sidecar_exit_rule)
    return planned


def exists(client, kind: str, name: str, scope: str | None = None) -> str | None:
    """The live resource's id (name, ARN or URL) when ``name`` exists, else None."""
    from botocore.exceptions import ClientError

    try:
        if kind == "function":
            return client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        if kind == "role":
            return client.get_role(RoleName=name)["Role"]["Arn"]
        if kind == "log_group":
            groups = client.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
            return name if any(g["logGroupName"] == name for g in groups) else None
        if kind == "queue":
            return client.get_queue_url(QueueName=name)["QueueUrl"]
        if kind == "rule":
            return client.describe_rule(Name=name)["Arn"]
        if kind == "parameter":
            return client.get_parameter(Name=name)["Parameter"]["Name"]
        if kind == "target_group":
            return client.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
        if kind == "ecs_service":
            found = client.describe_services(cluster=scope, services=[name])["services"]
            live = [s for s in found if s.get("status") != "INACTIVE"]
            return live[0]["serviceArn"] if live else None
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if any(word in code for word in ("NotFound", "NoSuchEntity", "NonExistent",
                                         "ParameterNotFound", "ClusterNotFound")):
            return None
        raise
    raise ValueError(f"unknown kind {kind!r}")


SERVICE_OF = {"function": "lambda", "role": "iam", "log_group": "logs", "queue": "sqs",
              "rule": "events", "parameter": "ssm", "target_group": "elbv2", "ecs_service": "ecs"}


def check_live(services, account: str,
               make: ClientFactory) -> tuple[list[Problem], int, list[str]]:
    """Problems for every planned name that exists in ``account``, and for pseudonym key
    secrets that are missing or that the Lambda layer cannot read safely; how many stacks
    were skipped because they are in another account; and what could not be checked."""
    problems: list[Problem] = []
    skipped = 0
    mine = []
    for service in services:
        if service.account != account:
            skipped += 1
            continue
        mine.append(service)
        for p in planned_names(service):
            client = make(SERVICE_OF[p.kind], service.region)
            live = exists(client, p.kind, p.name, p.scope)
            if live is not None:
                problems.append(_problem(service, p, live))
    key_problems, unchecked = check_pseudonym_keys(mine, make)
    return problems + key_problems, skipped, unchecked


#: What the Lambda layer's collector can take as a pseudonym key: its Secrets Manager
#: provider hands the secret string verbatim to an OTTL string literal
#: (templates/_pseudonymize.yaml.j2), which ends at `"` and escapes with `\`; `$` could
#: start a config reference and whitespace has no place in a key. Hex (`openssl rand -hex
#: 32`) fits; so does base64.
SAFE_KEY = re.compile(r"[A-Za-z0-9+/=._:\-]{16,}")


def check_pseudonym_keys(services, make: ClientFactory) -> tuple[list[Problem], list[str]]:
    """Each pseudonym key secret the services read, once: it must exist (a task or a
    function cannot start without it) and, where a function reads it, hold a key the
    layer can splice into OTTL (docs/collector.md). The value is never printed. A secret
    the caller may not read is not an error: it is listed as not checked."""
    from botocore.exceptions import ClientError

    readers: dict[tuple[str, str], list] = {}
    for service in services:
        arn = service.collector.pseudonym_key_secret_arn
        if arn:
            readers.setdefault((arn, service.region), []).append(service)
    problems: list[Problem] = []
    unchecked: list[str] = []
    for (arn, region), users in readers.items():
        first = next((s for s in users if s.kind == "lambda"), users[0])
        field = ("telemetry", "pseudonym_key_secret_arn")
        set_in = (f"platform.yaml environments.{first.spec.environment}.telemetry."
                  "pseudonym_key_secret_arn")
        try:
            found = make("secretsmanager", region).get_secret_value(SecretId=arn)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code != "ResourceNotFoundException":
                unchecked.append(f"pseudonym key secret {arn} not checked ({code}: "
                                 "secretsmanager:GetSecretValue is needed)")
                continue
            problems.append(Problem(field, arn, (
                f"the pseudonym key secret ({set_in}) does not exist: {len(users)} stack(s) "
                f"read it, {first.stack_name} first, and cannot start without it; create it "
                "with `aws secretsmanager create-secret --name <name> --secret-string "
                "\"$(openssl rand -hex 32)\"` and set its ARN"), *where(first, field)))
            continue
        if first.kind != "lambda":
            continue
        value = found.get("SecretString")
        if value is not None and SAFE_KEY.fullmatch(value):
            continue
        fix = ("put a new value in it with `aws secretsmanager put-secret-value --secret-id "
               "<arn> --secret-string \"$(openssl rand -hex 32)\"` (pseudonyms change with "
               "the key)")
        if value is not None and len(value) < 16 and all(SAFE_KEY.fullmatch(c * 16)
                                                          for c in value):
            hint = (f"the pseudonym key secret ({set_in}) is {len(value)} characters, too "
                    f"short to key the pseudonyms of {first.stack_name} and every function reading it "
                    f"(16 at least); {fix}")
        else:
            what = ("holds binary data, not a string" if value is None else "holds " + ", ".join(
                sorted({_kind(c) for c in value if not SAFE_KEY.fullmatch(c * 16)})))
            hint = (f"the pseudonym key secret ({set_in}) {what}: the Lambda layer's "
                    f"collector splices it into an OTTL string, so {first.stack_name} and "
                    f"every function reading it would fail to start; {fix}")
        problems.append(Problem(field, arn, hint, *where(first, field)))
    return problems, unchecked


def _kind(char: str) -> str:
    """What kind of character breaks the key, without telling the character itself."""
    return {'"': "a double quote", "\\": "a backslash", "$": "a dollar sign"}.get(
        char, "whitespace" if char.isspace() else "other punctuation")


def _problem(service, p: Planned, live: str) -> Problem:
    env = service.spec.environment
    what = f"{WHAT[p.kind]} {p.name} already exists in {service.account} {service.region}"
    if p.adopt_key is None:
        hint = (f"{what} ({live}); golden_path creates it for {service.stack_name} and cannot "
                "adopt it: delete it if it is left over, or rename the service")
    elif p.adopt_key == "schedules":
        hint = (f"{what}; a second apply would fail on it: adopt it under environments.{env}:"
                f" `adopt: {{schedules: [{{rule: {p.name}, target_id: <its target's id>}}]}}` "
                "(golden-path discover writes it)")
    else:
        value = (f"arn:aws:sqs:{service.region}:{service.account}:{p.name}" if p.kind == "queue"
                 else live if p.kind == "target_group" else p.name)
        hint = (f"{what}; the first apply would fail on it or create a second one: take it "
                f"over under environments.{env}: `adopt: {{{p.adopt_key}: {value}}}`")
    file, line = where(service, ("adopt",) if service.spec.adopt else ("name",))
    return Problem(("adopt", p.adopt_key or "-"), p.name, hint, file, line)


def caller_account(make: ClientFactory, region: str) -> str:
    return make("sts", region).get_caller_identity()["Account"]


def client_factory(profile: str | None = None, endpoint_url: str | None = None) -> ClientFactory:
    """boto3 clients of one session (``--profile``), at ``--endpoint-url`` when given (a
    local emulator), cached per (service, region)."""
    import boto3

    session = boto3.Session(profile_name=profile)
    made: dict[tuple[str, str], object] = {}

    def make(service: str, region: str):
        key = (service, region)
        if key not in made:
            made[key] = session.client(service, region_name=region, endpoint_url=endpoint_url)
        return made[key]

    return make
