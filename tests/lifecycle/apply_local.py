"""The lifecycle of a golden_path stack against the local AWS emulator.

One fleet-form service per kind (Fargate web, Fargate worker on a queue, Lambda on its own
queue, behind an HTTP API route, with a function URL, on a schedule) plus the team route
stack, written for a platform built in the emulator (``emulator.build_platform``) and
synthesized in-process. Each stack then goes through a real ``terraform init`` (the
stack's own S3 backend, on the emulator), ``apply``, ``plan -detailed-exitcode`` (must
be 0: no changes) and ``destroy``, after which nothing the stack created may be left.

The test (``test_lifecycle.py``) and ``make apply-local`` both use this module; run by hand:

    .venv/bin/python tests/lifecycle/apply_local.py [KIND|SERVICE|STACK|all]
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
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

import emulated_platform as ep  # noqa: E402
import emulator as em  # noqa: E402

# ---- Terraform against the emulator ------------------------------------------------------

#: The provider's endpoint name for each service a golden_path stack calls, by the
#: resource/data type prefix that calls it. A type not listed here fails the run (add it).
ENDPOINTS: dict[str, str] = {
    "aws_iam_": "iam", "aws_security_group": "ec2", "aws_vpc_security_group_": "ec2",
    "aws_ecs_": "ecs", "aws_lb_": "elbv2", "aws_appautoscaling_": "applicationautoscaling",
    "aws_cloudwatch_log_": "logs", "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cloudwatch_dashboard": "cloudwatch", "aws_cloudwatch_event_": "events",
    "aws_ssm_": "ssm", "aws_s3_": "s3", "aws_lambda_": "lambda", "aws_sqs_": "sqs",
    "aws_apigatewayv2_": "apigatewayv2", "aws_sns_": "sns", "aws_secretsmanager_": "secretsmanager",
    "aws_kms_": "kms",
}
#: Always pointed at the emulator: the account lookup (allowed_account_ids needs the
#: account id; moto answers GetCallerIdentity with the access key's account) and the rest.
ALWAYS = ("sts", "iam", "ec2", "s3")


def endpoint_names(stack: dict) -> list[str]:
    names = set(ALWAYS)
    unknown = []
    for section in ("resource", "data"):
        for rtype in stack.get(section, {}):
            match = next((v for k, v in ENDPOINTS.items() if rtype.startswith(k)), None)
            if match is None:
                unknown.append(rtype)
            else:
                names.add(match)
    if unknown:
        raise AssertionError(f"no emulator endpoint known for {unknown}: add them to "
                             "apply_local.ENDPOINTS (and a leftover check to leftovers._check)")
    return sorted(names)


def cli_config(work: Path, mirror: Path) -> Path:
    path = work / "cli.tfrc"
    path.write_text(f"""provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }}
}}
""")
    return path


@dataclass
class Step:
    name: str
    seconds: float
    returncode: int
    output: str


@dataclass
class StackRun:
    """One stack's harness copy and its Terraform steps, timed."""

    emu: em.Emulator
    terraform: str
    cli_config: Path
    source: Path  # the synthesized stack directory
    work: Path  # the harness's own copy
    account: str = em.ACCOUNT
    echo: Callable[[str], None] | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def stack(self) -> dict:
        return json.loads((self.source / "cdk.tf.json").read_text())

    def prepare(self) -> None:
        """The harness copy: version constraint relaxed, emulator endpoints in an override
        file, emulator settings for the stack's S3 backend in a -backend-config file."""
        stack = self.stack
        self.work.mkdir(parents=True, exist_ok=True)
        # Relaxed only here: cdktf pins the provider build it was generated from; the
        # mirror holds the version this machine has.
        stack["terraform"]["required_providers"]["aws"] = {"source": "hashicorp/aws",
                                                           "version": ">= 5.0"}
        backend = stack["terraform"].get("backend", {})
        if "s3" not in backend:
            raise AssertionError(f"{self.name} has no S3 backend ({backend}): platform.yaml's "
                                 "state should give every stack one")
        (self.work / "main.tf.json").write_text(json.dumps(stack, indent=1))
        endpoints = {name: self.emu.url for name in endpoint_names(stack)}
        (self.work / "emulator_override.tf.json").write_text(json.dumps({"provider": {"aws": {
            "endpoints": [endpoints],
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
            "s3_use_path_style": True,
            # An emulator gap answers 500 (not implemented); AWS's 25 retries with backoff
            # would only make that minutes slower to report.
            "max_retries": 2,
        }}}, indent=1))
        (self.work / "emulator.s3.tfbackend").write_text("\n".join([
            f'endpoints = {{ s3 = "{self.emu.url}", sts = "{self.emu.url}", '
            f'iam = "{self.emu.url}" }}',
            "use_path_style = true",
            "skip_credentials_validation = true",
            "skip_requesting_account_id = true",
            "skip_metadata_api_check = true",
            "skip_region_validation = true",
            ""]))

    @property
    def backend(self) -> dict:
        return json.loads((self.work / "main.tf.json").read_text())["terraform"]["backend"]["s3"]

    def env(self) -> dict[str, str]:
        # Nothing of the developer's AWS or Terraform set-up: the emulator account's key only.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
        env.update(self.emu.credentials(self.account))
        env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                   TF_CLI_CONFIG_FILE=str(self.cli_config), CHECKPOINT_DISABLE="1",
                   TF_IN_AUTOMATION="1", TF_INPUT="0")
        for name in ("NO_PROXY", "no_proxy"):  # the emulator is local, whatever proxy is set
            env[name] = ",".join(filter(None, [env.get(name), "127.0.0.1", "localhost"]))
        return env

    def run(self, step: str, *args: str, timeout: float = 600) -> Step:
        if self.echo:
            self.echo(f"[{self.name}] terraform {' '.join(args)}")
        started = time.monotonic()
        result = subprocess.run([self.terraform, *args, "-no-color"], cwd=self.work, env=self.env(),
                                capture_output=True, text=True, timeout=timeout)
        record = Step(step, time.monotonic() - started, result.returncode,
                      result.stdout + result.stderr)
        self.steps.append(record)
        (self.work / f"{step.replace(' ', '-')}.log").write_text(record.output)
        if self.echo:
            self.echo(f"[{self.name}] {step}: exit {record.returncode} in {record.seconds:.1f} s")
        return record

    def init(self) -> Step:
        return self.run("init", "init", "-input=false", "-backend-config=emulator.s3.tfbackend")

    def apply(self) -> Step:
        return self.run("apply", "apply", "-auto-approve", "-input=false")

    def plan(self) -> Step:
        return self.run("plan", "plan", "-detailed-exitcode", "-input=false")

    def destroy(self) -> Step:
        return self.run("destroy", "destroy", "-auto-approve", "-input=false")

    def remote_state(self) -> dict:
        """The state object as the S3 backend stored it in the emulator."""
        s3 = self.emu.client("s3", self.account)
        body = s3.get_object(Bucket=self.backend["bucket"], Key=self.backend["key"])["Body"].read()
        return json.loads(body)

    def observe_lock(self, timeout: float = 60) -> dict:
        """Hold the state lock with ``terraform console`` (it locks the state while open)
        and look at the S3 lock file: there while held, a second operation is refused,
        gone once released. Returns what was seen."""
        s3 = self.emu.client("s3", self.account)
        bucket, lock_key = self.backend["bucket"], self.backend["key"] + ".tflock"
        seen: dict = {"lock_key": lock_key}
        if self.echo:
            self.echo(f"[{self.name}] terraform console (holds the state lock)")
        started = time.monotonic()
        console = subprocess.Popen([self.terraform, "console", "-no-color"], cwd=self.work,
                                   env=self.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and console.poll() is None:
                try:
                    body = s3.get_object(Bucket=bucket, Key=lock_key)["Body"].read()
                    seen["held"] = json.loads(body)
                    break
                except s3.exceptions.NoSuchKey:
                    time.sleep(0.1)
            if "held" in seen:
                other = self.run("locked plan", "plan", "-lock-timeout=0s", "-input=false")
                seen["second_operation"] = other.returncode, other.output
        finally:
            out, _ = console.communicate("exit\n", timeout=timeout)
            seen["console_exit"] = console.returncode
            seen["console_output"] = out
        try:
            s3.head_object(Bucket=bucket, Key=lock_key)
            seen["after"] = True
        except s3.exceptions.ClientError:
            seen["after"] = False
        self.steps.append(Step("lock check", time.monotonic() - started, console.returncode, out))
        return seen

    def timings(self) -> dict[str, float]:
        return {s.name: round(s.seconds, 1) for s in self.steps}


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
        name = stack_name(kind)
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
    s3 = session.emu.client("s3", run.account)

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
    if failed(run.destroy()):
        return
    if out.applied:
        out.left = leftovers(session.emu, out.applied, run.account)
        out.state_after_destroy = [r["address"] for r in managed(run.remote_state())]


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
    """``make apply-local [STACK=kind|service|stack|all]``: the lifecycle, told as it goes."""
    import tempfile

    from conftest import MIRROR_CANDIDATES

    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    wanted = argv[0] if argv else "fargate-web"
    by_name = {**{k: k for k in KINDS}, **{v: k for k, v in KINDS.items()},
               **{stack_name(k): k for k in KINDS}}
    if wanted != "all" and wanted not in by_name:
        print(f"apply-local: unknown stack {wanted!r}; one of: all, {', '.join(KINDS)} "
              f"(or a service or stack name)")
        return 2
    kinds = list(KINDS) if wanted == "all" else [by_name[wanted]]
    missing = em.missing_tools(MIRROR_CANDIDATES)
    for what, hint in missing:
        print(f"apply-local: {what} is not available: {hint}")
    if missing:
        return 1
    root = Path(tempfile.mkdtemp(prefix="golden-path-apply-local-"))
    print(f"apply-local: working in {root}")
    started = time.monotonic()
    session = start_session(root, em.provider_mirror(MIRROR_CANDIDATES), em.terraform_binary(),
                            echo=print)
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
        for failure in o.failures:
            print(f"[{o.stack}] FAILED: {failure}")
        ok = ok and not o.failures and not stray and o.state_after_destroy == []
    print(report(list(outcomes.values())))
    print(f"apply-local: {'ok' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s"
          + ("" if ok else f"; logs kept in {root} (emulator: {session.emu.log})"))
    if ok:
        shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
