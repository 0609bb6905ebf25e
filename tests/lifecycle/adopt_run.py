"""Adopting a running legacy fleet on the local AWS emulator: the harness of test_adopt.py.

One moto server (``tests/emulator.py``) with the platform (``emulated_platform``) and a
legacy fleet seeded beside it with boto3 (``legacy_fleet.seed_legacy_fleet``: Lambda
functions with roles, log groups, queues holding messages, schedules, a function URL; an
ECS web service behind the platform's listener and a worker). ``golden-path discover``
(in-process, the emulator account's key in the environment) writes fleet-form service
files with ``adopt:`` into a folder holding the platform's platform.yaml and teams.yaml;
the harness fills only the ``team: TODO`` lines discover leaves where no tag named a team,
then ``validate`` and synth run as a team would run them.

Per stack (``adopt_stack``), in the harness's own copy (``terraform_run.StackRun``): init,
``plan -json -out`` (its ``planned_change`` messages say what is imported, created,
updated, replaced or deleted), ``apply`` of that saved plan, ``plan -detailed-exitcode``.
``examine`` compares a plan with what the seed created. Nothing here works around the
product: emulator gaps are patched in ``tests/emulator_server.py`` (``emulator.GAPS``).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from lifecycle_fleet import layer_arns, synth_fleet, teams_file
from terraform_run import StackRun, Step, cli_config

import emulated_platform as ep
import emulator as em
from legacy_fleet import TEAM_TAGGED, LegacyFleet, seed_legacy_fleet

Echo = Callable[[str], None]

#: The attribute that holds a resource's own physical name, where it is not ``name``.
OWN_NAME = {"aws_lambda_function": "function_name", "aws_ecs_task_definition": "family",
            "aws_cloudwatch_metric_alarm": "alarm_name",
            "aws_cloudwatch_dashboard": "dashboard_name"}
#: Created under an adopted name on purpose: a task definition revision is immutable, so
#: golden_path registers a new revision (in its own family) and the adopted service
#: deploys it; the legacy revisions stay registered.
CREATE_ALLOWED = {"aws_ecs_task_definition"}
#: The company's runbook address, given to discover (its --runbook) as a team would.
RUNBOOK = "https://runbooks.example.com/{team}/{name}"


@contextlib.contextmanager
def account_credentials(emu: em.Emulator, account: str) -> Iterator[None]:
    """The emulator account's key in os.environ (discover, validate --check-live use boto3's
    usual chain), restored after; nothing of the developer's AWS set-up is read."""
    keep = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    for k in keep:
        del os.environ[k]
    os.environ.update(emu.credentials(account), AWS_CONFIG_FILE=os.devnull,
                      AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    try:
        yield
    finally:
        for k in [k for k in os.environ if k.startswith("AWS_")]:
            del os.environ[k]
        os.environ.update(keep)


def cli(*argv: str) -> tuple[int, str]:
    """``golden-path ARGV`` in-process: (exit code, what it printed)."""
    from golden_path.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(list(argv))
    return code, out.getvalue()


@dataclass
class AdoptSession:
    emu: em.Emulator
    platform: ep.EmulatedPlatform
    legacy: LegacyFleet
    fleet: Path  # platform.yaml, teams.yaml, services/ (discover's output)
    discovered: dict  # discover's JSON report
    todo_filled: list[str]  # service files whose team: TODO the harness filled
    stacks: dict[str, Path]
    terraform: str
    cli_config: Path
    root: Path
    timings: dict[str, float] = field(default_factory=dict)
    #: ``identities`` of the seeded fleet before any stack ran.
    before: dict[str, str] = field(default_factory=dict)

    def discover(self) -> tuple[int, str]:
        with account_credentials(self.emu, self.platform.account):
            return cli("discover", "--environment", self.platform.environment,
                       "--endpoint-url", self.emu.url, "--out", str(self.fleet / "services"),
                       "--runbook", RUNBOOK, "--format", "json")

    def stack_run(self, name: str, source: Path | None = None, echo: Echo | None = None) -> StackRun:
        return StackRun(self.emu, self.terraform, self.cli_config, source or self.stacks[name],
                        self.root / "work" / name, account=self.platform.account, echo=echo)


def start_session(root: Path, mirror: Path, terraform: str, functions: int = 20,
                  echo: Echo | None = None) -> AdoptSession:
    """Emulator, platform, legacy fleet, discover, TODO teams filled, validate, synth."""
    say = echo or (lambda _m: None)
    timings: dict[str, float] = {}

    @contextlib.contextmanager
    def timed(step: str) -> Iterator[None]:
        started = time.monotonic()
        yield
        timings[step] = time.monotonic() - started
        say(f"{step}: {timings[step]:.1f} s")

    with timed("emulator"):
        emu = em.start_emulator(root)
    try:
        with timed("platform"):
            platform = ep.build_platform(emu)
        with timed("seed legacy fleet"):
            legacy = seed_legacy_fleet(emu, platform, functions=functions, services=True,
                                       messages=5)
        fleet = root / "fleet"
        (fleet / "services").mkdir(parents=True, exist_ok=True)
        (fleet / "platform.yaml").write_text(yaml.safe_dump(platform.platform_yaml(),
                                                            sort_keys=False))
        (fleet / "teams.yaml").write_text(yaml.safe_dump(teams_file(platform), sort_keys=False))
        session = AdoptSession(emu, platform, legacy, fleet, {}, [], {}, terraform,
                               cli_config(root, mirror), root, timings)
        session.before = identities(emu, legacy)
        with timed("discover"):
            code, output = session.discover()
        if code != 0:
            raise AssertionError(f"golden-path discover exited {code}:\n{output}")
        session.discovered = json.loads(output)
        session.todo_filled = fill_todo_teams(fleet / "services", TEAM_TAGGED)
        with timed("validate"), account_credentials(emu, platform.account):
            code, output = cli("validate", str(fleet / "services"), "--check-live",
                               "--endpoint-url", emu.url)
        if code != 0:
            raise AssertionError(f"golden-path validate exited {code}:\n{output}")
        with timed("synth"):
            session.stacks = synth_fleet(fleet, root / "out")
        with timed("layers"):
            ep.publish_layers(emu, layer_arns(session.stacks))
    except BaseException:
        emu.stop()
        raise
    return session


def fill_todo_teams(services: Path, team: str) -> list[str]:
    """``team: TODO`` -> ``team: <team>`` (the one thing discover leaves to a person here);
    the files' other lines, comments included, stay as discover wrote them."""
    filled = []
    for path in sorted(services.glob("*.yaml")):
        text = path.read_text()
        if "\nteam: TODO\n" in text:
            path.write_text(text.replace("\nteam: TODO\n", f"\nteam: {team}\n"))
            filled.append(path.name)
    return filled


# ---- one stack ---------------------------------------------------------------------------


@dataclass
class Change:
    address: str
    rtype: str
    action: str  # create, update, replace, delete, noop, import (planned_change's)
    importing: str | None  # the import id


@dataclass
class StackOutcome:
    stack: str
    run: StackRun
    changes: list[Change] = field(default_factory=list)
    #: The own name of each resource the first plan creates: (type, name).
    created_names: list[tuple[str, str]] = field(default_factory=list)
    replan: Step | None = None
    failures: list[str] = field(default_factory=list)


def planned_changes(output: str) -> list[Change]:
    """The ``planned_change`` messages of ``terraform plan -json`` (one a resource that
    changes or is imported)."""
    changes = []
    for line in output.splitlines():
        msg = json.loads(line) if line.startswith("{") else {}
        if msg.get("type") == "planned_change":
            c = msg["change"]
            changes.append(Change(c["resource"]["addr"], c["resource"]["resource_type"],
                                  c["action"], (c.get("importing") or {}).get("id")))
    return changes


def created_names(stack: dict, changes: list[Change]) -> list[tuple[str, str]]:
    """(type, own name) of every resource the plan creates, from the synthesized stack (a
    name is a literal there)."""
    names = []
    for c in changes:
        if c.action in ("create", "replace"):
            rtype, local = c.address.split(".", 1)
            name = stack["resource"][rtype][local].get(OWN_NAME.get(rtype, "name"))
            if isinstance(name, str):
                names.append((rtype, name))
    return names


def adopt_stack(session: AdoptSession, name: str, echo: Echo | None = None) -> StackOutcome:
    """init, plan -json -out, apply the saved plan, plan -detailed-exitcode."""
    run = session.stack_run(name, echo=echo)
    out = StackOutcome(name, run)

    def failed(step: Step, ok: tuple[int, ...] = (0,)) -> bool:
        if step.returncode not in ok:
            out.failures.append(f"terraform {step.name} exited {step.returncode}:\n"
                                f"{step.output[-6000:]}")
        return step.returncode not in ok

    try:
        run.prepare()
        if failed(run.init()):
            return out
        plan = run.run("adopt plan", "plan", "-input=false", "-json", "-out=adopt.tfplan")
        if failed(plan):
            return out
        out.changes = planned_changes(plan.output)
        out.created_names = created_names(run.stack, out.changes)
        if failed(run.run("apply", "apply", "-input=false", "-no-color", "adopt.tfplan", "--")):
            return out
        out.replan = run.plan()
        failed(out.replan)  # 2: a diff right after adoption; the log names the attribute
    except Exception:
        out.failures.append(traceback.format_exc())
    return out


def run_all(session: AdoptSession, names: list[str], parallel: int = 3,
            echo: Echo | None = None) -> dict[str, StackOutcome]:
    """``adopt_stack`` for each stack, ``parallel`` at a time; stacks with queues first
    (the provider waits for each updated queue's attributes to settle)."""
    def queues(n: str) -> int:
        stack = json.loads((session.stacks[n] / "cdk.tf.json").read_text())
        return len(stack.get("resource", {}).get("aws_sqs_queue", {}))

    pending = sorted(names, key=lambda n: (-queues(n), n))
    results: dict[str, StackOutcome] = {}
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                name = pending.pop(0)
            outcome = adopt_stack(session, name, echo)
            with lock:
                results[name] = outcome

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, parallel))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {n: results[n] for n in names}


def identities(emu: em.Emulator, legacy: LegacyFleet) -> dict[str, str]:
    """What tells a resource from a new one of the same name: each function's ARN, role
    and package (CodeSha256), each queue's ARN and creation time, each role's id, each
    service's ARN and status, each mapping's and URL's own identity."""
    c = lambda service: emu.client(service, legacy.account, legacy.region)  # noqa: E731
    found = {}
    for name in legacy.functions:
        f = c("lambda").get_function(FunctionName=name)["Configuration"]
        found[f"function {name}"] = f"{f['FunctionArn']} {f['Role']} {f['CodeSha256']}"
    for name in legacy.roles:
        found[f"role {name}"] = c("iam").get_role(RoleName=name)["Role"]["RoleId"]
    for url in [*legacy.queues, *legacy.dead_letter_queues]:
        a = c("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        found[f"queue {_tail(url)}"] = f"{a['QueueArn']} {a['CreatedTimestamp']}"
    for uuid in legacy.event_source_mappings.values():
        m = c("lambda").get_event_source_mapping(UUID=uuid)
        found[f"mapping {uuid}"] = f"{m['FunctionArn']} {m['EventSourceArn']}"
    for function in legacy.function_urls:
        found[f"url {function}"] = c("lambda").get_function_url_config(
            FunctionName=function)["FunctionUrl"]
    for ref in legacy.services:
        cluster, name = ref.split("/")
        (s,) = c("ecs").describe_services(cluster=cluster, services=[name])["services"]
        found[f"service {ref}"] = f"{s['serviceArn']} {s['status']}"
    for arn in legacy.target_groups:
        found[f"target group {_tail(arn)}"] = c("elbv2").describe_target_groups(
            TargetGroupArns=[arn])["TargetGroups"][0]["TargetGroupArn"]
    return found


# ---- what the plans say about the seeded fleet ---------------------------------------------


def _tail(ref: str) -> str:
    return ref.rstrip("/").rsplit("/", 1)[-1]


def seeded(legacy: LegacyFleet) -> dict[str, set[str]]:
    """What the seed created that golden_path manages, as the import ids it would use
    (queues by name: the seed knows the emulator's URLs, Terraform SQS's)."""
    return {
        "aws_lambda_function": set(legacy.functions),
        "aws_iam_role": set(legacy.roles),
        "aws_cloudwatch_log_group": set(legacy.log_groups),
        "aws_sqs_queue": {_tail(u) for u in [*legacy.queues, *legacy.dead_letter_queues]},
        "aws_lambda_event_source_mapping": set(legacy.event_source_mappings.values()),
        "aws_cloudwatch_event_rule": set(legacy.schedules),
        "aws_lambda_function_url": set(legacy.function_urls),
        "aws_ecs_service": set(legacy.services),
        "aws_lb_target_group": set(legacy.target_groups),
        "aws_lb_listener_rule": set(legacy.listener_rules),
        "aws_appautoscaling_target": set(legacy.scalable_targets),
    }


def imported(outcomes: list[StackOutcome]) -> dict[str, list[str]]:
    """type -> the ids the plans import (queues by name)."""
    found: dict[str, list[str]] = {}
    for o in outcomes:
        for c in o.changes:
            if c.importing is not None:
                found.setdefault(c.rtype, []).append(
                    _tail(c.importing) if c.rtype == "aws_sqs_queue" else c.importing)
    return found


def report(session: AdoptSession, outcomes: list[StackOutcome], extra: dict[str, float]) -> str:
    steps = ("init", "adopt plan", "apply", "plan")
    lines = ["session: " + ", ".join(f"{k} {v:.1f} s" for k, v in
                                     {**session.timings, **extra}.items()),
             f"{'stack':48} " + " ".join(f"{s:>10}" for s in steps) + f" {'total':>8}"]
    for o in outcomes:
        t = o.run.timings()
        cells = [f"{t[s]:>9.1f}s" if s in t else f"{'-':>10}" for s in steps]
        lines.append(f"{o.stack:48} " + " ".join(cells) + f" {sum(t.values()):>7.1f}s")
    return "\n".join(lines)


def without_import_only(session: AdoptSession, services: list[str], root: Path) -> dict[str, Path]:
    """``services``' files with their import-only adopt: entries (resolve/adopt.IMPORT_ONLY)
    taken out, beside the fleet's platform.yaml and teams.yaml, synthesized again into
    ``root``; {stack: stack directory}. Every file must have had at least one."""
    from golden_path.resolve.adopt import IMPORT_ONLY

    (root / "services").mkdir(parents=True)
    for name in ("platform.yaml", "teams.yaml"):
        (root / name).write_text((session.fleet / name).read_text())
    for service in services:
        spec = yaml.safe_load((session.fleet / "services" / f"{service}.yaml").read_text())
        adopt = spec["environments"][session.platform.environment]["adopt"]
        dropped = [adopt.pop(k) for k in IMPORT_ONLY if k in adopt]
        assert dropped, f"{service} adopts nothing import-only: {sorted(adopt)}"
        (root / "services" / f"{service}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return synth_fleet(root, root / "out")
