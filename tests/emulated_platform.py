"""What a service expects of the platform, created in a running emulator (tests only).

- ``build_platform(emulator)``: network, cluster, shared load balancer and listener,
  telemetry key and pseudonym key secrets, logs KMS key, Lambda config bucket,
  permissions boundary, state bucket and key, HTTP API with a JWT authorizer, queue,
  database and PagerDuty secrets, code artifacts; returns it with the platform.yaml that
  points at it.
- ``publish_layers(emulator, arns)``: the OpenTelemetry Lambda layers, published in their
  publisher's account with as many versions as the ARNs name.
"""

from __future__ import annotations

import io
import json
import secrets
import zipfile
from dataclasses import dataclass

from emulator import ACCOUNT, ENVIRONMENT, REGION, TEAM, Emulator

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
    # us-east-1 is S3's default region and takes no location constraint (AWS and moto).
    location = ({} if region == "us-east-1" else
                {"CreateBucketConfiguration": {"LocationConstraint": region}})
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
