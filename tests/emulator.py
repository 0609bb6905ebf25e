"""A local AWS emulator for the lifecycle tests: moto in server mode on 127.0.0.1.

- ``start_emulator(workdir)`` runs ``tests/emulator_server.py`` (moto's server plus the
  harness-only patches listed in ``GAPS``) on a free port, waits until it answers and
  keeps its log in ``workdir/emulator.log``; a server that does not come up raises with
  that log.
- ``Emulator.client(service, account)``: boto3 clients for an account, and
  ``Emulator.credentials(account)`` the environment for Terraform. moto ties a request to
  an account by an access key it issued in that account (not by a 12-digit key id), so
  the harness creates one per account.
- ``build_platform(emulator)``: what a service expects of the platform (network, cluster,
  shared load balancer and listener, telemetry key secret, Lambda config bucket,
  permissions boundary, state bucket and key, HTTP API with a JWT authorizer, queue,
  database and PagerDuty secrets, code artifacts), created in the emulator; returns it
  with the platform.yaml that points at it.
- ``publish_layers(emulator, arns)``: the OpenTelemetry Lambda layers, published in their
  publisher's account with as many versions as the ARNs name.

Nothing here changes the product: differences between moto and AWS are worked around in
the harness and listed in ``GAPS`` (the README's table).
"""

from __future__ import annotations

import atexit
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
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


@dataclass(frozen=True)
class Gap:
    resource_type: str
    api: str
    workaround: str
    patch: str | None = None  # the function in tests/emulator_server.py, if one


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
    Gap("platform: the HTTP API that aws_apigatewayv2_route/_integration attach to",
        "apigatewayv2:CreateApi",
        "moto issues 8-letter API ids, AWS 10 characters of [a-z0-9] (the format golden_path "
        "validates triggers.http.api.api_id against): AWS-shaped ids issued",
        "_patch_http_api_ids"),
]


def gaps_markdown() -> str:
    """GAPS as a Markdown table (for the README)."""
    rows = ["| resource type | API | workaround (harness only) |", "| --- | --- | --- |"]
    rows += [f"| {g.resource_type} | {g.api} | {g.workaround} |" for g in GAPS]
    return "\n".join(rows)


# ---- tools -------------------------------------------------------------------------


def terraform_binary() -> str | None:
    return shutil.which("terraform")


def provider_mirror(candidates: list[str]) -> Path | None:
    """The first filesystem mirror of hashicorp/aws among ``candidates``."""
    return next((Path(m) for m in candidates
                 if m and (Path(m) / "registry.terraform.io/hashicorp/aws").is_dir()), None)


def missing_tools(candidates: list[str]) -> list[tuple[str, str]]:
    """What the lifecycle needs and this machine lacks, as (what, hint) pairs."""
    missing = []
    if terraform_binary() is None:
        missing.append(("terraform", "install the Terraform CLI (1.11) to run the lifecycle tests"))
    if provider_mirror(candidates) is None:
        missing.append(("a local mirror of hashicorp/aws",
                        "set GOLDEN_PATH_TF_MIRROR to a filesystem mirror directory"))
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


# ---- the platform ------------------------------------------------------------------


@dataclass
class Artifact:
    bucket: str
    key: str
    version: str


@dataclass
class EmulatedPlatform:
    """The platform of one environment, created in the emulator."""

    environment: str
    account: str
    region: str
    vpc_id: str
    subnet_ids: list[str]
    alb_security_group_id: str
    database_security_group_id: str
    listener_arn: str
    load_balancer_arn: str
    cluster_name: str
    api_key_secret_arn: str
    config_bucket: str
    boundary_arn: str
    state_bucket: str
    state_kms_key_arn: str
    state_kms_alias: str
    logs_kms_key_arn: str
    pseudonym_key_secret_arn: str
    pseudonym_key: str
    state_role_arn: str
    api_id: str
    authorizer_id: str
    queue_arn: str
    database_secret_arn: str
    pagerduty_secret_name: str
    pagerduty_url: str
    artifacts: dict[str, Artifact]

    def platform_yaml(self) -> dict:
        """platform.yaml (fleet form) for this one environment."""
        return {
            "rules": {"lambda_languages": ["nodejs22.x", "python3.13"],
                      "lambda_architectures": ["arm64", "x86_64"]},
            "defaults": {
                "region": self.region,
                "ecs_cluster": self.cluster_name,
                "telemetry": {"endpoint": "https://otlp.vendor.example.com",
                              "api_key_header": "api-key"},
                "default_tags": {"cost-center": "product-engineering", "owner": "platform-team"},
            },
            "environments": {self.environment: {
                "account": self.account,
                "vpc_id": self.vpc_id,
                "subnet_ids": list(self.subnet_ids),
                "listeners": {"public": {"arn": self.listener_arn,
                                         "security_group_id": self.alb_security_group_id,
                                         "domain": "example.com"}},
                "telemetry": {"api_key_secret_arn": self.api_key_secret_arn,
                              "pseudonym_key_secret_arn": self.pseudonym_key_secret_arn,
                              "config_bucket": self.config_bucket},
                "permissions_boundary": self.boundary_arn,
                "logs_kms_key_arn": self.logs_kms_key_arn,
                "state": {"bucket": self.state_bucket, "kms_key_id": self.state_kms_alias,
                          "role_arn": self.state_role_arn},
            }},
        }


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


BOUNDARY_POLICY = """{"Version": "2012-10-17", "Statement": [
  {"Sid": "ServiceWork", "Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"],
   "Resource": "*"},
  {"Sid": "NoBoundaryEscape", "Effect": "Deny", "Action": ["iam:*"], "Resource": "*"}]}"""


def build_platform(emu: Emulator, environment: str = ENVIRONMENT, account: str = ACCOUNT,
                   region: str = REGION, team: str = TEAM) -> EmulatedPlatform:
    """Create what the platform team provides in one environment; return it."""
    ec2 = emu.client("ec2", account, region)
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": f"{environment}"}])
    subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.40.{i}.0/24",
                                 AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
               for i, az in enumerate("abc", start=1)]
    edge_subnets = [ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.40.{i}.0/24",
                                      AvailabilityZone=f"{region}{az}")["Subnet"]["SubnetId"]
                    for i, az in ((101, "a"), (102, "b"))]
    alb_sg = ec2.create_security_group(GroupName=f"{environment}-edge", VpcId=vpc_id,
                                       Description="the shared load balancer")["GroupId"]
    db_sg = ec2.create_security_group(GroupName=f"{environment}-database-clients", VpcId=vpc_id,
                                      Description="may reach the databases")["GroupId"]

    emu.client("ecs", account, region).create_cluster(clusterName="main")

    elb = emu.client("elbv2", account, region)
    lb = elb.create_load_balancer(Name=f"{environment}-edge", Subnets=edge_subnets,
                                  SecurityGroups=[alb_sg], Scheme="internet-facing",
                                  Type="application")["LoadBalancers"][0]
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "404", "ContentType": "text/plain", "MessageBody": "no such host"}}],
    )["Listeners"][0]

    sm = emu.client("secretsmanager", account, region)
    api_key = sm.create_secret(Name="observability/otlp-api-key",
                               SecretString="emulated-vendor-key")["ARN"]
    database = sm.create_secret(Name=f"{team}/database-url",
                                SecretString="postgres://app@db.internal:5432/app")["ARN"]
    # The environment's pseudonym key (platform.yaml telemetry.pseudonym_key_secret_arn).
    pseudonym_key = secrets.token_hex(32)
    pseudonym = sm.create_secret(Name="observability/pseudonym-key",
                                 SecretString=pseudonym_key)["ARN"]
    pagerduty_name = f"golden-path/pagerduty/{team}"
    pagerduty_url = "https://events.pagerduty.com/integration/0123456789abcdef/enqueue"
    sm.create_secret(Name=pagerduty_name, SecretString=pagerduty_url)

    s3 = emu.client("s3", account, region)
    location = {"CreateBucketConfiguration": {"LocationConstraint": region}}
    config_bucket = f"golden-path-config-{account}-{region}"
    state_bucket = f"golden-path-state-{account}"
    for bucket in (config_bucket, state_bucket):
        s3.create_bucket(Bucket=bucket, **location)
    s3.put_bucket_versioning(Bucket=state_bucket, VersioningConfiguration={"Status": "Enabled"})
    kms = emu.client("kms", account, region)
    state_key = kms.create_key(Description="Terraform state")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/golden-path-state", TargetKeyId=state_key)
    state_alias = f"arn:aws:kms:{region}:{account}:alias/golden-path-state"
    # The key every log group is encrypted with (platform.yaml logs_kms_key_arn).
    logs_key = kms.create_key(Description="golden_path log groups")["KeyMetadata"]["Arn"]

    # Code artifacts (the teams' build buckets, versioned: the spec pins a version).
    artifacts: dict[str, Artifact] = {}
    artifact_bucket = f"{team}-artifacts-{account}"
    s3.create_bucket(Bucket=artifact_bucket, **location)
    s3.put_bucket_versioning(Bucket=artifact_bucket, VersioningConfiguration={"Status": "Enabled"})
    for name, handler_file, text in (
            ("node", "dist/handler.js", "exports.handle = async () => ({statusCode: 200});\n"),
            ("python", "app/handler.py", "def handle(event, context):\n    return {}\n")):
        key = f"{name}/{name}-1.0.0.zip"
        version = s3.put_object(Bucket=artifact_bucket, Key=key,
                                Body=_zip({handler_file: text}))["VersionId"]
        artifacts[name] = Artifact(artifact_bucket, key, version)

    iam = emu.client("iam", account, region)
    boundary = iam.create_policy(PolicyName="golden-path-boundary",
                                 PolicyDocument=BOUNDARY_POLICY)["Policy"]["Arn"]
    # The role Terraform's S3 backend assumes for state (platform.yaml state.role_arn).
    state_role = iam.create_role(
        RoleName="golden-path-state", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"}}]}))["Role"]["Arn"]
    iam.put_role_policy(RoleName="golden-path-state", PolicyName="state", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": f"arn:aws:s3:::{state_bucket}"},
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": f"arn:aws:s3:::{state_bucket}/*"},
            {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
             "Resource": state_key}]}))

    apigw = emu.client("apigatewayv2", account, region)
    api = apigw.create_api(Name=f"{team}-{environment}", ProtocolType="HTTP")
    authorizer = apigw.create_authorizer(
        ApiId=api["ApiId"], Name="jwt", AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": ["api.example.com"], "Issuer": "https://auth.example.com/"})
    apigw.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)

    queue_url = emu.client("sqs", account, region).create_queue(QueueName="fulfilment")["QueueUrl"]
    queue_arn = emu.client("sqs", account, region).get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    return EmulatedPlatform(
        environment=environment, account=account, region=region, vpc_id=vpc_id,
        subnet_ids=subnets, alb_security_group_id=alb_sg, database_security_group_id=db_sg,
        listener_arn=listener["ListenerArn"], load_balancer_arn=lb["LoadBalancerArn"],
        cluster_name="main", api_key_secret_arn=api_key, config_bucket=config_bucket,
        boundary_arn=boundary, state_bucket=state_bucket, state_kms_key_arn=state_key,
        state_kms_alias=state_alias, logs_kms_key_arn=logs_key, pseudonym_key_secret_arn=pseudonym,
        pseudonym_key=pseudonym_key, state_role_arn=state_role, api_id=api["ApiId"],
        authorizer_id=authorizer["AuthorizerId"],
        queue_arn=queue_arn, database_secret_arn=database, pagerduty_secret_name=pagerduty_name,
        pagerduty_url=pagerduty_url, artifacts=artifacts)


def publish_layers(emu: Emulator, arns: set[str]) -> dict[str, int]:
    """Publish the layers ``arns`` name (arn:aws:lambda:<region>:<account>:layer:<name>:<n>)
    in their own account and region, versions 1..n, each public (as the upstream
    publisher's are). Returns {layer ARN without version: versions published}."""
    wanted: dict[tuple[str, str, str], int] = {}
    for arn in arns:
        _, _, _, region, account, _, name, version = arn.split(":")
        key = (region, account, name)
        wanted[key] = max(wanted.get(key, 0), int(version))
    published = {}
    content = _zip({"README": "an emulated OpenTelemetry Lambda layer\n"})
    for (region, account, name), versions in sorted(wanted.items()):
        lam = emu.client("lambda", account, region)
        have = len(lam.list_layer_versions(LayerName=name).get("LayerVersions", []))
        for _ in range(have, versions):
            v = lam.publish_layer_version(LayerName=name, Content={"ZipFile": content},
                                          CompatibleArchitectures=["x86_64", "arm64"])
            lam.add_layer_version_permission(LayerName=name, VersionNumber=v["Version"],
                                             StatementId="public", Action="lambda:GetLayerVersion",
                                             Principal="*")
        published[f"arn:aws:lambda:{region}:{account}:layer:{name}"] = versions
    return published
