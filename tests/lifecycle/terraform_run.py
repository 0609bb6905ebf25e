"""One stack's real Terraform steps against the local AWS emulator, timed.

``StackRun`` keeps a harness copy of a synthesized stack (the provider pointed at the
emulator, the S3 backend as synthesized with emulator settings from ``-backend-config``)
and runs ``init``, ``apply``, ``plan``, ``destroy`` and the state-lock check on it.
``apply_local.py`` runs the whole lifecycle with it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import emulator as em

#: The provider's endpoint name for each service a golden_path stack calls, by the
#: resource/data type prefix that calls it. A type not listed here fails the run (add it).
ENDPOINTS: dict[str, str] = {
    "aws_iam_": "iam", "aws_security_group": "ec2", "aws_vpc_security_group_": "ec2",
    "aws_ecs_": "ecs", "aws_lb_": "elbv2", "aws_appautoscaling_": "applicationautoscaling",
    "aws_cloudwatch_log_": "logs", "aws_cloudwatch_metric_alarm": "cloudwatch",
    "aws_cloudwatch_composite_alarm": "cloudwatch", "aws_cloudwatch_dashboard": "cloudwatch",
    "aws_cloudwatch_event_": "events",
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
                             "terraform_run.ENDPOINTS (and a leftover check to leftovers._check)")
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

    def run(self, step: str, *args: str, timeout: float = 600, expect: str = "") -> Step:
        """``terraform ARGS -no-color`` (a command with a positional argument takes
        ``-no-color`` among ARGS, before it, and ends ARGS with ``--``). ``expect``: said
        after the exit code, for a step meant to fail."""
        if self.echo:
            self.echo(f"[{self.name}] terraform {' '.join(args)}")
        started = time.monotonic()
        argv = list(args[:-1]) if args[-1] == "--" else [*args, "-no-color"]
        result = subprocess.run([self.terraform, *argv], cwd=self.work, env=self.env(),
                                capture_output=True, text=True, timeout=timeout)
        record = Step(step, time.monotonic() - started, result.returncode,
                      result.stdout + result.stderr)
        self.steps.append(record)
        (self.work / f"{step.replace(' ', '-')}.log").write_text(record.output)
        if self.echo:
            self.echo(f"[{self.name}] {step}: exit {record.returncode} in {record.seconds:.1f} s"
                      + (f" ({expect})" if expect and record.returncode else ""))
        return record

    def init(self) -> Step:
        return self.run("init", "init", "-input=false", "-backend-config=emulator.s3.tfbackend")

    def apply(self) -> Step:
        return self.run("apply", "apply", "-auto-approve", "-input=false")

    def plan(self) -> Step:
        return self.run("plan", "plan", "-detailed-exitcode", "-input=false")

    def plan_json(self, path: Path) -> Step:
        """A saved plan and ``terraform show -json`` of it in ``path`` (resource_drift with
        the values before and after), as the drift workflow runs them."""
        step = self.run(f"plan for {path.stem}", "plan", "-input=false", "-lock=false",
                        "-out=drift.tfplan")
        if step.returncode != 0:
            return step
        show = self.run(f"show {path.stem}", "show", "-no-color", "-json", "drift.tfplan", "--")
        path.write_text(show.output)
        return show

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
                other = self.run("locked plan", "plan", "-lock-timeout=0s", "-input=false",
                                 expect="refused, as it must be: the state is locked")
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
