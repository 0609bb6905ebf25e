"""The lifecycle of a golden_path stack against the local AWS emulator.

One fleet-form service per kind (Fargate web, Fargate worker on a queue, Lambda on its own
queue, behind an HTTP API route, with a function URL, on a schedule) plus the team route
stack, written for a platform built in the emulator (``emulated_platform.build_platform``) and
synthesized in-process. Each stack then goes through a real ``terraform init`` (the
stack's own S3 backend, on the emulator), ``apply``, ``plan -detailed-exitcode`` (must
be 0: no changes) and ``destroy``, after which nothing the stack created may be left.

The test (``test_lifecycle.py``) and ``make apply-local`` both use this module; run by hand:

    .venv/bin/python tests/lifecycle/apply_local.py [KIND|SERVICE|STACK|all]
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:  # run as a script: conftest.py and emulator.py are beside it
    sys.path.insert(0, str(TESTS))

from leftovers import Leftover, leftovers, managed  # noqa: E402
from lifecycle_fleet import (  # noqa: E402,F401  (re-exported for the test)
    KINDS,
    SLOWEST,
    TEAM_STACK,
    layer_arns,
    stack_name,
    synth_fleet,
    write_fleet,
)
from own_service import (  # noqa: E402
    NotAFleetFile,
    OwnService,
    emulated_fleet,
    platform_notes,
    read_own,
)
from terraform_run import StackRun, Step, cli_config  # noqa: E402,F401  (StackRun: for the test)

import emulated_platform as ep  # noqa: E402
import emulator as em  # noqa: E402

# ---- the whole session ------------------------------------------------------------------


@dataclass
class Session:
    """One emulator, one platform, one synthesized fleet."""

    emu: em.Emulator
    platform: ep.EmulatedPlatform
    stacks: dict[str, Path]
    terraform: str
    cli_config: Path
    root: Path
    layers: dict[str, int]

    def stack_run(self, kind: str, echo: Callable[[str], None] | None = None) -> StackRun:
        """``kind``: a lifecycle kind (KINDS), or the name of a synthesized stack."""
        name = kind if kind in self.stacks else stack_name(kind)
        return StackRun(self.emu, self.terraform, self.cli_config, self.stacks[name],
                        self.root / "work" / name, account=self.platform.account, echo=echo)


def start_session(root: Path, mirror: Path, terraform: str,
                  echo: Callable[[str], None] | None = None) -> Session:
    say = echo or (lambda _m: None)
    started = time.monotonic()
    emu = em.start_emulator(root)
    try:
        say(f"emulator: moto server at {emu.url} (log {emu.log}) in {time.monotonic() - started:.1f} s")
        t = time.monotonic()
        platform = ep.build_platform(emu)
        say(f"platform: {platform.environment} in account {platform.account} ({platform.region}): "
            f"vpc {platform.vpc_id}, listener {platform.listener_arn.split('/', 1)[1]}, "
            f"state bucket {platform.state_bucket} ({time.monotonic() - t:.1f} s)")
        t = time.monotonic()
        fleet = write_fleet(platform, root / "fleet")
        stacks = synth_fleet(fleet, root / "out")
        say(f"synth: {len(stacks)} stacks from {fleet} in {time.monotonic() - t:.1f} s")
        layers = ep.publish_layers(emu, layer_arns(stacks))
        names = [f"{arn.rsplit(':', 1)[-1]} (v1..{n})" for arn, n in layers.items()]
        say(f"layers: published under {em.LAYER_PUBLISHER}: {', '.join(names)}")
    except BaseException:
        emu.stop()
        raise
    return Session(emu, platform, stacks, terraform, cli_config(root, mirror), root, layers)


def start_own_session(root: Path, mirror: Path, terraform: str, own: OwnService,
                      echo: Callable[[str], None] | None = None) -> Session:
    """The emulator with a platform like ``own``'s (environment, profile, account, region,
    team) and ``own`` synthesized for it (see own_service.py for what is replaced)."""
    say = echo or (lambda _m: None)
    emu = em.start_emulator(root)
    try:
        say(f"emulator: moto server at {emu.url} (log {emu.log})")
        platform = ep.build_platform(emu, environment=own.environment, account=own.account,
                                     region=own.region, team=own.team)
        say(f"platform: {own.environment} (profile {own.profile}) in account {own.account} "
            f"({own.region}), team {own.team}: vpc {platform.vpc_id}, "
            f"state bucket {platform.state_bucket}")
        fleet = emulated_fleet(own, platform, root / "fleet")
        own.notes += platform_notes(own, fleet / "platform.yaml")
        for note in own.notes:
            say(f"replaced for the emulator: {note}")
        stacks = synth_fleet(fleet, root / "out")
        say(f"synth: {', '.join(stacks)} from {fleet / 'services' / own.path.name}")
        layers = ep.publish_layers(emu, layer_arns(stacks))
    except BaseException:
        emu.stop()
        raise
    return Session(emu, platform, stacks, terraform, cli_config(root, mirror), root, layers)


@dataclass
class Outcome:
    kind: str
    stack: str
    run: StackRun
    failures: list[str] = field(default_factory=list)
    lock: dict = field(default_factory=dict)
    state_object: dict = field(default_factory=dict)
    left: list[Leftover] = field(default_factory=list)
    state_after_destroy: list[str] | None = None
    applied: list[dict] = field(default_factory=list)  # managed resources after apply
    #: ``terraform plan -json`` after apply (and, for DRIFT kinds, after the changes made
    #: behind Terraform's back), for ``golden-path drift``.
    drift_plan: Path | None = None
    #: The GATE kind: ``golden-path gate`` on the applied stack, as (exit code, output):
    #: first as applied, then with ``gate_alarm`` set to ALARM.
    gate: list[tuple[int, str]] = field(default_factory=list)
    gate_alarm: str = ""


def lifecycle(session: Session, kind: str, echo: Callable[[str], None] | None = None) -> Outcome:
    """init, apply, the lock check, plan -detailed-exitcode, destroy, the leftover check.
    Whatever fails is recorded in ``failures``; once apply has run, destroy always runs."""
    run = session.stack_run(kind, echo)
    out = Outcome(kind, run.name, run)
    try:
        _lifecycle(session, run, out)
    except Exception:
        out.failures.append(traceback.format_exc())
    ran = {s.name for s in run.steps}
    if "apply" in ran and "destroy" not in ran and run.destroy().returncode != 0:
        out.failures.append(f"terraform destroy after a failure also failed:\n"
                            f"{run.steps[-1].output[-6000:]}")
    return out


def _lifecycle(session: Session, run: StackRun, out: Outcome) -> None:
    run.prepare()
    s3 = session.emu.client("s3", run.account, session.platform.region)

    def failed(step: Step) -> bool:
        if step.returncode != 0:
            out.failures.append(f"terraform {step.name} exited {step.returncode}:\n"
                                f"{step.output[-6000:]}")
        return step.returncode != 0

    if failed(run.init()):
        return
    if not failed(run.apply()):
        key = run.backend["key"]
        head = s3.head_object(Bucket=run.backend["bucket"], Key=key)
        out.state_object = {"key": key, "encryption": head.get("ServerSideEncryption"),
                            "kms_key": head.get("SSEKMSKeyId")}
        out.applied = managed(run.remote_state())
        out.lock = run.observe_lock()
        failed(run.plan())  # exit 2 is a perpetual diff: the output names the attribute
        if out.kind == GATE:
            _gate(session, run, out)
        if out.kind in DRIFT:
            DRIFT[out.kind](session, run, out.applied)
        out.drift_plan = session.root / "drift" / f"{run.name}.plan.json"
        out.drift_plan.parent.mkdir(exist_ok=True)
        if run.plan_json(out.drift_plan).returncode != 0:
            out.failures.append(f"terraform plan -json exited {run.steps[-1].returncode}:\n"
                                f"{run.steps[-1].output[-6000:]}")
    if failed(run.destroy()):
        return
    if out.applied:
        out.left = leftovers(session.emu, out.applied, run.account, session.platform.region)
        out.state_after_destroy = [r["address"] for r in managed(run.remote_state())]


def _drift_lambda_sqs(session: Session, run: StackRun, applied: list[dict]) -> None:
    """Two changes behind Terraform's back, as a person in the console would make them:
    the throttles alarm's threshold, and the function queue's visibility timeout."""
    (name,) = [r["values"]["alarm_name"] for r in applied
               if r["type"] == "aws_cloudwatch_metric_alarm"
               and r["values"]["alarm_name"].endswith("-throttles")]
    cloudwatch = session.emu.client("cloudwatch", run.account)
    (alarm,) = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    keep = ("AlarmName", "AlarmDescription", "ActionsEnabled", "AlarmActions", "OKActions",
            "InsufficientDataActions", "MetricName", "Namespace", "Statistic", "Dimensions",
            "Period", "EvaluationPeriods", "DatapointsToAlarm", "ComparisonOperator",
            "TreatMissingData")
    cloudwatch.put_metric_alarm(**{k: alarm[k] for k in keep if k in alarm},
                                Threshold=alarm["Threshold"] + 5)
    (queue,) = [r["values"] for r in applied if r["type"] == "aws_sqs_queue"
                and r["values"]["redrive_policy"]]  # the function's queue, not its DLQ
    sqs = session.emu.client("sqs", run.account)
    sqs.set_queue_attributes(QueueUrl=queue["url"], Attributes={
        "VisibilityTimeout": str(queue["visibility_timeout_seconds"] + 60)})


#: The kind whose applied stack goes through the alarm gate (``golden-path gate``).
GATE = "lambda-schedule"
GATE_REASON = "lifecycle: an alarm of the wave fires"


def _gate(session: Session, run: StackRun, out: Outcome) -> None:
    """``golden-path gate`` as the apply workflow runs it after a wave (a fresh process,
    the account's credentials, alarm names from the synthesized stack), against the
    emulator: once as applied (must pass), once with one of the stack's alarms set to
    ALARM with ``set_alarm_state`` (must stop, naming it); the alarm is set back to OK."""
    import subprocess

    cli = str(Path(sys.executable).with_name("golden-path"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(session.emu.credentials(run.account), AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    cmd = [cli, "gate", "--out", str(session.root / "out"), "--stacks", run.name,
           "--endpoint-url", session.emu.url, "--wave", "1"]

    def gate() -> None:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        out.gate.append((done.returncode, done.stdout + done.stderr))

    gate()
    out.gate_alarm = sorted(r["values"]["alarm_name"] for r in out.applied
                            if r["type"] == "aws_cloudwatch_metric_alarm")[0]
    cloudwatch = session.emu.client("cloudwatch", run.account, session.platform.region)
    cloudwatch.set_alarm_state(AlarmName=out.gate_alarm, StateValue="ALARM", StateReason=GATE_REASON)
    try:
        gate()
    finally:
        cloudwatch.set_alarm_state(AlarmName=out.gate_alarm, StateValue="OK", StateReason="lifecycle")


#: Kinds whose stack the lifecycle changes behind Terraform's back before the drift plan.
DRIFT: dict[str, Callable[[Session, StackRun, list[dict]], None]] = {
    "lambda-sqs": _drift_lambda_sqs}


def report(outcomes: list[Outcome]) -> str:
    steps = ("init", "apply", "lock check", "plan", "destroy")
    lines = [f"{'stack':52} " + " ".join(f"{s:>10}" for s in steps) + f" {'total':>8}"]
    for o in outcomes:
        t = o.run.timings()
        cells = [f"{t[s]:>9.1f}s" if s in t else f"{'-':>10}" for s in steps]
        lines.append(f"{o.stack:52} " + " ".join(cells) + f" {sum(t.values()):>7.1f}s")
    return "\n".join(lines)


def run_all(session: Session, kinds: list[str], parallel: int = 1,
            echo: Callable[[str], None] | None = None) -> dict[str, Outcome]:
    """The lifecycle of each kind; ``parallel`` stacks at a time (one emulator)."""
    results: dict[str, Outcome] = {}
    # The slowest first: the provider waits ~25 s for each new queue's attributes to settle.
    pending = sorted(kinds, key=lambda k: k not in SLOWEST)
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                kind = pending.pop(0)
            outcome = lifecycle(session, kind, echo)  # records its own failures
            with lock:
                results[kind] = outcome

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, parallel))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {k: results[k] for k in kinds}


def main(argv: list[str]) -> int:
    """``make apply-local [STACK=kind|service|stack|all]``, or ``make apply-local
    SERVICE=path/to/service.yaml [ENVIRONMENT=env]`` for your own service file: the
    lifecycle, told as it goes."""
    import argparse
    import tempfile

    from conftest import MIRROR_CANDIDATES
    from golden_path import SpecError

    args = argparse.ArgumentParser(prog="apply-local")
    args.add_argument("stack", nargs="?", default="fargate-web")
    args.add_argument("--service", type=Path, help="your own fleet-form service file")
    args.add_argument("--environment", help="with --service: one of its environments "
                      "(default: the first it lists)")
    opts = args.parse_args(argv)
    own = None
    if opts.service:
        try:
            own = read_own(opts.service, opts.environment)
        except (SpecError, NotAFleetFile, OSError) as err:
            print(f"apply-local: {err}")
            return 2
    wanted = opts.stack
    by_name = {**{k: k for k in KINDS}, **{v: k for k, v in KINDS.items()},
               **{stack_name(k): k for k in KINDS}}
    if own is None and wanted != "all" and wanted not in by_name:
        print(f"apply-local: unknown stack {wanted!r}; one of: all, {', '.join(KINDS)} "
              f"(or a service or stack name), or SERVICE=path/to/your/service.yaml")
        return 2
    kinds = list(KINDS) if wanted == "all" else [by_name.get(wanted, wanted)]
    missing = em.missing_tools(MIRROR_CANDIDATES)
    for what, hint in missing:
        print(f"apply-local: {what} is not available: {hint}")
    if missing:
        return 1
    root = Path(tempfile.mkdtemp(prefix="golden-path-apply-local-"))
    print(f"apply-local: working in {root}")
    started = time.monotonic()
    mirror, terraform = em.provider_mirror(MIRROR_CANDIDATES), em.terraform_binary()
    if own is not None:
        session = start_own_session(root, mirror, terraform, own, echo=print)
        kinds = sorted(session.stacks, key=lambda n: not n.startswith("team-"))  # routes first
    else:
        session = start_session(root, mirror, terraform, echo=print)
    try:
        outcomes = run_all(session, kinds, parallel=3 if wanted == "all" else 1, echo=print)
    finally:
        session.emu.stop()
    ok = True
    for o in outcomes.values():
        if o.state_object:
            print(f"[{o.stack}] state: s3://{session.platform.state_bucket}/{o.state_object['key']} "
                  f"({o.state_object['encryption']}, {o.state_object['kms_key']})")
        if o.lock:
            refused = o.lock.get("second_operation", (0, ""))[0] != 0
            print(f"[{o.stack}] lock: {o.lock['lock_key']} "
                  f"{'present' if 'held' in o.lock else 'NOT SEEN'} while terraform console held it; "
                  f"a second plan {'was refused' if refused else 'WAS NOT REFUSED'}; "
                  f"{'still there' if o.lock.get('after') else 'gone'} after")
        kept = [x.what for x in o.left if not x.gone and x.kept_on_purpose]
        stray = [x.what for x in o.left if not x.gone and not x.kept_on_purpose]
        if o.left:
            print(f"[{o.stack}] after destroy: {sum(x.gone for x in o.left)} of {len(o.left)} "
                  "resources checked gone"
                  + (f"; kept on purpose (skip_destroy): {', '.join(kept)}" if kept else "")
                  + (f"; LEFT BEHIND: {', '.join(stray)}" if stray else ""))
        if o.gate:
            codes = [code for code, _ in o.gate]
            print(f"[{o.stack}] alarm gate: exit {codes[0]} as applied, exit "
                  f"{codes[-1]} with {o.gate_alarm} in ALARM")
        for failure in o.failures:
            print(f"[{o.stack}] FAILED: {failure}")
        ok = ok and not o.failures and not stray and o.state_after_destroy == []
    print(report(list(outcomes.values())))
    print(f"apply-local: {'ok' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s"
          + ("" if ok else f"; logs kept in {root} (emulator: {session.emu.log})"))
    if ok and not os.environ.get("GOLDEN_PATH_KEEP_WORK"):
        shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
