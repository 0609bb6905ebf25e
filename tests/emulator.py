"""A local AWS emulator for the lifecycle tests: moto in server mode on 127.0.0.1.

- ``start_emulator(workdir)`` runs ``tests/emulator_server.py`` (moto's server plus the
  harness-only patches listed in ``GAPS``) on a free port, waits until it answers and
  keeps its log in ``workdir/emulator.log``; a server that does not come up raises with
  that log.
- ``Emulator.client(service, account)``: boto3 clients for an account, and
  ``Emulator.credentials(account)`` the environment for Terraform. moto ties a request to
  an account by an access key it issued in that account (not by a 12-digit key id), so
  the harness creates one per account.
- ``emulated_platform.py`` builds, in a running emulator, what a service expects of the
  platform, and publishes the OpenTelemetry Lambda layers.

Nothing here changes the product: differences between moto and AWS are worked around in
the harness and listed in ``GAPS``, from which ``docs/reference/emulator-gaps.md`` is
written (``python tests/emulator.py --gaps-page docs/reference/emulator-gaps.md``; `make docs`).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVER = HERE / "emulator_server.py"

ENVIRONMENT = "production"
#: production is the one environment where critical alarms page, so only there a team
#: route stack holds the page topic and its PagerDuty subscription (alerts/resolve.py
#: ROUTING); the examples' production account.
ACCOUNT = "444455556666"
REGION = "eu-west-1"
TEAM = "checkout"
#: Publisher of the OpenTelemetry Lambda layers (telemetry/lambda_layers.yaml).
LAYER_PUBLISHER = "184161586896"
#: The oldest Terraform CLI the stacks are applied with: their S3 backend locks with
#: use_lockfile, experimental in 1.10 and generally available from 1.11 (CI: 1.11.4).
TERRAFORM_VERSION = "1.11"
#: The hashicorp/aws provider of the filesystem mirror the tests install from.
AWS_PROVIDER_VERSION = "5.100.0"


@dataclass(frozen=True)
class Gap:
    resource_type: str
    api: str
    workaround: str
    patch: str | None = None  # the function in emulator_server.PATCHES, if one


#: Where moto (5.2) differs from AWS for what golden_path's stacks do, and what the harness
#: does about it. Only the harness is patched (tests/emulator_server.py, started instead of
#: moto's own server); the synthesized stacks are applied as they are. Each patch answers
#: as AWS does, keeps its state per account, region and resource, and reports a missing
#: resource as AWS reports it.
GAPS: list[Gap] = [
    Gap("every resource (credentials)", "sts:GetCallerIdentity (allowed_account_ids), every call",
        "moto ties a request to an account by an access key it issued there, not by a 12-digit "
        "key id: the harness creates an IAM user golden-path-lifecycle with an access key in "
        "each account and gives Terraform and boto3 that key"),
    Gap("aws_lambda_function_recursion_config",
        "lambda:PutFunctionRecursionConfig, lambda:GetFunctionRecursionConfig",
        "not implemented: added (kept per function ARN, Terminate until put, gone with the "
        "function)", "_patch_lambda_recursion_config"),
    Gap("aws_lambda_function (layers)", "lambda:CreateFunction with another account's layer ARN",
        "moto looks a layer up by name in the function's account: looked up in the account and "
        "region the ARN names, as AWS does (layers published under 184161586896)",
        "_patch_cross_account_layers"),
    Gap("aws_lambda_function (logging_config)",
        "lambda:GetFunction / GetFunctionConfiguration LoggingConfig",
        "accepted but never returned (a diff on every plan): kept as given and returned, AWS's "
        "default (Text, /aws/lambda/<name>) when none was given", "_patch_lambda_logging_config"),
    Gap("aws_appautoscaling_target (tags)",
        "application-autoscaling:ListTagsForResource, TagResource, UntagResource; "
        "RegisterScalableTarget Tags",
        "Tags ignored and the three not implemented: tags kept on the scalable target, the three "
        "answered", "_patch_appautoscaling_tags"),
    Gap("aws_ecs_service",
        "ecs:CreateService / DescribeServices healthCheckGracePeriodSeconds, enableECSManagedTags, "
        "availabilityZoneRebalancing, enableExecuteCommand",
        "accepted but dropped (a diff on every plan; enableExecuteCommand only where it is "
        "true, outside production): kept on the service as given",
        "_patch_ecs_service_fields"),
    Gap("aws_vpc_security_group_ingress_rule (referenced_security_group_id)",
        "ec2:DescribeSecurityGroupRules Description",
        "a rule's description is read only from a CIDR range, so a rule referencing a security "
        "group loses it (a diff on every plan): read from the referenced group too",
        "_patch_security_group_rule_description"),
    Gap("aws_sqs_queue (redrive_policy)", "sqs:GetQueueAttributes RedrivePolicy",
        "re-serialized with spaces where AWS returns compact JSON, which the provider compares "
        "verbatim with its normalized config (a diff on every plan): returned compact",
        "_patch_sqs_redrive_policy"),
    Gap("aws_appautoscaling_policy (after destroy)",
        "application-autoscaling:DescribeScalingPolicies PolicyNames",
        "the filter is ignored (every policy of the namespace comes back), so the leftover "
        "check after destroy saw the policies of a stack still running beside it: the check "
        "filters by policy name and resource id itself"),
    Gap("platform: the HTTP API that aws_apigatewayv2_route/_integration attach to",
        "apigatewayv2:CreateApi",
        "moto issues 8-letter API ids, AWS 10 characters of [a-z0-9] (the format golden_path "
        "validates triggers.http.api.api_id against): AWS-shaped ids issued",
        "_patch_http_api_ids"),
    Gap("aws_cloudwatch_log_data_protection_policy",
        "logs:PutDataProtectionPolicy, GetDataProtectionPolicy, DeleteDataProtectionPolicy",
        "not implemented: added (kept on its log group, the document checked against AWS's "
        "documented rules, gone with the group)", "_patch_logs_data_protection_policy"),
    Gap("aws_cloudwatch_log_group (kms_key_id on an adopted group)",
        "logs:AssociateKmsKey, DisassociateKmsKey",
        "not implemented (a group imported without the platform's logs key cannot be given "
        "it): added (the key set on the group, which DescribeLogGroups returns)",
        "_patch_logs_kms_key"),
    Gap("aws_lambda_function_url (invoke_mode of an adopted URL)",
        "lambda:GetFunctionUrlConfig / UpdateFunctionUrlConfig InvokeMode",
        "a URL created without InvokeMode reads as Buffered (AWS: BUFFERED) and an update drops "
        "it (a diff on every plan): read as AWS's default, kept as updated",
        "_patch_function_url_invoke_mode"),
    Gap("aws_cloudwatch_composite_alarm",
        "cloudwatch:PutCompositeAlarm; DescribeAlarms AlarmTypes, CompositeAlarms; DeleteAlarms",
        "PutCompositeAlarm not implemented and DescribeAlarms ignores AlarmTypes: added (rule, "
        "actions, suppressor and tags kept on the alarm, INSUFFICIENT_DATA when created; a rule "
        "naming a missing alarm refused, as AWS does), composite alarms described with their own "
        "fields, AWS's DeleteAlarms rules (one composite per call, no alarm a composite still "
        "names); tags go with the alarm (tests/emulator_cloudwatch.py)",
        "_patch_cloudwatch_composite_alarms"),
]


def gaps_markdown() -> str:
    """GAPS as a Markdown table (for docs/reference/emulator-gaps.md)."""
    rows = ["| resource type | API | workaround (harness only) |", "| --- | --- | --- |"]
    rows += [f"| {g.resource_type} | {g.api} | {g.workaround} |" for g in GAPS]
    return "\n".join(rows)


def gaps_page() -> str:
    """docs/reference/emulator-gaps.md, generated from GAPS."""
    from golden_path.reference import page

    intro = """
Where the local AWS emulator (moto in server mode) differs from AWS for what golden_path's
stacks do, and what the test harness does about it, from `GAPS` in `tests/emulator.py`.
Only the harness is patched (`tests/emulator_server.py`, started instead of moto's own
server; a test keeps this list and the patches in step); the synthesized stacks are applied
as they are. How the emulator is used: [the emulator](../emulator.md).
"""
    return page("Emulator gaps", intro, gaps_markdown(),
                "`python tests/emulator.py --gaps-page` from `GAPS` in `tests/emulator.py`")


# ---- tools -------------------------------------------------------------------------


def terraform_binary() -> str | None:
    return shutil.which("terraform")


def provider_mirror(candidates: list[str]) -> Path | None:
    """The first filesystem mirror of hashicorp/aws among ``candidates``."""
    return next((Path(m) for m in candidates
                 if m and (Path(m) / "registry.terraform.io/hashicorp/aws").is_dir()), None)


def mirror_hint(candidates: list[str]) -> str:
    """How to make the filesystem mirror of hashicorp/aws (docs/getting-started.md, step 1)."""
    looked = " or ".join(m for m in candidates if m) or "no folder"
    versions_tf = ("terraform {\\n  required_providers {\\n    aws = { source = \"hashicorp/aws\", "
                   f"version = \"{AWS_PROVIDER_VERSION}\" }}\\n  }}\\n}}\\n")
    return (f"none in {looked}; make one, once (it downloads hashicorp/aws "
            f"{AWS_PROVIDER_VERSION}, the version the tests use, from registry.terraform.io): "
            f"mkdir -p /tmp/aws-mirror && printf '{versions_tf}' > /tmp/aws-mirror/versions.tf "
            "&& terraform -chdir=/tmp/aws-mirror providers mirror \"$HOME/tf-plugins\", then "
            "export GOLDEN_PATH_TF_MIRROR=\"$HOME/tf-plugins\" (an absolute path; not needed "
            "for /opt/tf-plugins). See docs/getting-started.md, step 1")


def missing_tools(candidates: list[str]) -> list[tuple[str, str]]:
    """What the lifecycle needs and this machine lacks, as (what, hint) pairs."""
    missing = []
    if terraform_binary() is None:
        missing.append(("terraform", f"install the Terraform CLI ({TERRAFORM_VERSION} or newer) "
                        "to run the lifecycle tests"))
    if provider_mirror(candidates) is None:
        missing.append(("a local mirror of hashicorp/aws", mirror_hint(candidates)))
    try:
        import moto.server  # noqa: F401
        import werkzeug  # noqa: F401
    except ImportError as exc:
        missing.append(("moto[server]", f"`pip install -e '.[dev]'` (make setup): {exc}"))
    return missing


# ---- the server --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Emulator:
    port: int
    log: Path
    process: subprocess.Popen
    _keys: dict = field(default_factory=dict, repr=False)
    _clients: dict = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def keys(self, account: str) -> tuple[str, str]:
        """An access key of ``account``: moto ties a request to an account by the access key
        it issued there (an IAM user ``golden-path-lifecycle`` created in that account),
        not by the key id's digits."""
        with self._lock:
            if account not in self._keys:
                iam = self._client("iam", "bootstrap", "bootstrap", REGION)

                def in_account(request, **_):
                    request.headers["x-moto-account-id"] = account

                iam.meta.events.register("before-sign.iam.*", in_account)
                iam.create_user(UserName="golden-path-lifecycle")
                key = iam.create_access_key(UserName="golden-path-lifecycle")["AccessKey"]
                self._keys[account] = key["AccessKeyId"], key["SecretAccessKey"]
            return self._keys[account]

    def credentials(self, account: str) -> dict[str, str]:
        """Environment variables for an SDK or Terraform acting in ``account``."""
        key, secret = self.keys(account)
        return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}

    def _client(self, service: str, key: str, secret: str, region: str):
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            service, region_name=region, endpoint_url=self.url,
            aws_access_key_id=key, aws_secret_access_key=secret,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))

    def client(self, service: str, account: str = ACCOUNT, region: str = REGION):
        """A boto3 client acting in ``account`` (cached; boto3 clients are thread-safe)."""
        key = self.keys(account)
        with self._lock:
            if (service, account, region) not in self._clients:
                self._clients[service, account, region] = self._client(service, *key, region)
            return self._clients[service, account, region]

    def log_text(self, tail: int = 12000) -> str:
        try:
            return self.log.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class EmulatorError(RuntimeError):
    pass


def start_emulator(workdir: Path, timeout: float = 60) -> Emulator:
    """moto's server (with the harness patches) on a free 127.0.0.1 port, answering."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "emulator.log"
    last = ""
    for _attempt in range(3):  # a port taken between choosing and binding: try another
        port = _free_port()
        handle = log.open("ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTO_", "AWS_"))}
        env["PYTHONUNBUFFERED"] = "1"
        process = subprocess.Popen(
            [sys.executable, str(SERVER), "-H", "127.0.0.1", "-p", str(port)],
            stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        handle.close()
        emulator = Emulator(port=port, log=log, process=process)
        atexit.register(emulator.stop)  # never outlives the run, however it ends
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and emulator.alive():
            try:
                urllib.request.urlopen(f"{emulator.url}/moto-api/", timeout=2).close()
                return emulator
            except urllib.error.HTTPError:
                return emulator  # it answers
            except OSError:
                time.sleep(0.2)
        emulator.stop()
        last = emulator.log_text()
        if "Address already in use" not in last:
            break
    raise EmulatorError(f"the AWS emulator (moto server) did not answer on 127.0.0.1 within "
                        f"{timeout:.0f} s; its log ({log}):\n{last}")


if __name__ == "__main__":  # make docs: python tests/emulator.py --gaps-page FILE
    if sys.argv[1:2] != ["--gaps-page"] or len(sys.argv) != 3:
        sys.exit("usage: python tests/emulator.py --gaps-page FILE")
    Path(sys.argv[2]).write_text(gaps_page())
