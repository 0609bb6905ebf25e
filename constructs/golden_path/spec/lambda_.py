"""The Lambda service spec: ``runtime: lambda`` in ``service.yaml``."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from ..errors import MISSING, Problem
from .adopt import LambdaAdopt, lambda_adopt_problems
from .common import Image, SecurityGroupId, ServiceBase, SubnetId, _Model

LanguageRuntime = Literal["nodejs20.x", "nodejs22.x", "python3.12", "python3.13", "java21"]

#: Handler formats per language family, with an example for the error message.
HANDLER_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "nodejs": (re.compile(r"^[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.[A-Za-z_$][A-Za-z0-9_$]*$"),
               "file.export, e.g. 'index.handler' or 'dist/api.handler'"),
    "python": (re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"),
               "module.function, e.g. 'app.handler' or 'consumer.main.handle'"),
    "java": (re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*"
                        r"(::[A-Za-z_$][A-Za-z0-9_$]*)?$"),
             "package.Class::method, e.g. 'com.example.Handler::handleRequest'"),
}


#: A layer version ARN, e.g. arn:aws:lambda:eu-west-1:123456789012:layer:pricing-deps:7.
LAYER_ARN = (r"^arn:aws[a-z-]*:lambda:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:layer:"
             r"[A-Za-z0-9_-]{1,140}:[1-9]\d*$")


def language_family(language: str) -> str:
    return re.match(r"[a-z]+", language)[0]


class S3Code(_Model):
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
                        description="The S3 bucket of the code package.")
    key: str = Field(min_length=1, pattern=r"\.(zip|jar)$",
                     description="The package's object key, a .zip or .jar; its file name "
                                 "(without extension) becomes service.version.")
    version: str | None = Field(None, description="S3 object version; pins the exact artifact.")


class LambdaCode(_Model):
    """Where the code is: a zip/jar in S3, a container image, or (an adopted function) the
    package already deployed: exactly one."""

    s3: S3Code | None = Field(None, description="A .zip or .jar in S3; needs handler.")
    image: Image | None = Field(
        None, description="A container image, pinned (a tag other than latest, or a digest); its "
                          "CMD is the handler; no layers.")
    deployed: str | None = Field(
        None, pattern=r"^[A-Za-z0-9+/]{43}=$",
        description="An adopted function (adopt.function) keeps the zip package it runs, "
                    "named by Lambda's CodeSha256 (what `golden-path discover` writes); "
                    "golden_path deploys no code until code.s3 replaces it. Needs handler.")


class HttpApiRoute(_Model):
    """A route on an existing API Gateway HTTP API."""

    api_id: str = Field(pattern=r"^[a-z0-9]{10}$",
                        description="The id of the existing API Gateway HTTP API.")
    route: str = Field(pattern=r"^(ANY|GET|HEAD|OPTIONS|POST|PUT|PATCH|DELETE) /\S*$",
                       description="Route key, e.g. 'GET /prices/{sku}'.")
    authorization: Literal["JWT", "AWS_IAM", "NONE"] = Field(
        "AWS_IAM", description="AWS_IAM (signed requests), JWT (with authorizer_id) or NONE "
                               "(public, with public_reason).")
    authorizer_id: str | None = Field(
        None, pattern=r"^[a-z0-9]{6,10}$",
        description="The API's JWT authorizer; required with authorization JWT.")
    public_reason: str | None = Field(None, description="Required with authorization NONE.")


class FunctionUrl(_Model):
    auth: Literal["AWS_IAM", "NONE"] = Field(
        "AWS_IAM", description="AWS_IAM (signed requests) or NONE (public, with public_reason).")
    public_reason: str | None = Field(None, description="Required with auth NONE.")


class HttpTrigger(_Model):
    """HTTP in: a route on an HTTP API, or a function URL (exactly one)."""

    api: HttpApiRoute | None = Field(
        None, description="A route on an existing HTTP API, proxied to the function; not with "
                          "function_url.")
    function_url: FunctionUrl | None = Field(
        None, description="A function URL (the function's own HTTPS endpoint); not with api.")


class SqsTrigger(_Model):
    """A queue (and its dead-letter queue) owned by the function."""

    batch_size: int = Field(
        10, ge=1, le=10000,
        description="Most messages per invocation; above 10 needs max_batching_window_seconds "
                    "of at least 1; FIFO allows at most 10.")
    max_batching_window_seconds: int = Field(
        0, ge=0, le=300,
        description="Seconds Lambda may gather messages before it invokes (0: no waiting).")
    visibility_timeout_seconds: int | None = Field(
        None, ge=0, le=43200,
        description="How long a received message stays hidden; at least the function timeout "
                    "(default: six times the timeout, at most 43200).")
    max_receive_count: int = Field(5, ge=1, le=1000,
                                   description="Receives before a message moves to the DLQ.")
    fifo: bool = Field(
        False, description="FIFO queues (names end in .fifo); batch_size at most 10.")


class Schedule(_Model):
    expression: str = Field(pattern=r"^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|"
                                    r"cron\([^)]+\))$",
                            description="When: `rate(5 minutes)` or `cron(0 3 * * ? *)`, as "
                                        "EventBridge writes them.")
    description: str = Field("", description="The EventBridge rule's description.")
    enabled: bool = Field(True, description="false creates the rule disabled.")


class Triggers(_Model):
    http: HttpTrigger | None = Field(
        None, description="HTTP in: a route on an HTTP API or a function URL (exactly one).")
    sqs: SqsTrigger | None = Field(
        None, description="A queue and dead-letter queue golden_path creates for the function, "
                          "which consumes it.")
    schedules: list[Schedule] = Field(
        default_factory=list, max_length=5,
        description="EventBridge rules that invoke the function on a schedule.")


class LambdaVpc(_Model):
    subnet_ids: list[SubnetId] = Field(
        min_length=1, description="Subnets the function runs in; in the fleet form, "
                                  "platform.yaml's subnet_ids when left out.")
    security_group_ids: list[SecurityGroupId] = Field(
        min_length=1, description="Security groups of the function's network interfaces.")


class LambdaSpec(ServiceBase):
    """One Lambda function of one team in one environment."""

    runtime: Literal["lambda"] = Field(description="lambda: the file is a Lambda function.")
    account_id: str = Field(pattern=r"^\d{12}$",
                            description="The AWS account the function lives in (quoted: "
                                        "\"123456789012\").")
    region: str = Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$",
                        description="The AWS region the function lives in.")
    language: LanguageRuntime = Field(
        description="The Lambda runtime; for code in S3 it also picks golden_path's "
                    "OpenTelemetry layer (an image brings its own runtime); platform.yaml's "
                    "rules may restrict it.")
    handler: str | None = Field(
        None, description="Required for code in S3, not for an image: file.export (Node.js), "
                          "module.function (Python), package.Class::method (Java).")
    code: LambdaCode = Field(description="Where the code is: exactly one of s3 or image.")
    code_size_mb: float | None = Field(
        None, gt=0,
        description="Unzipped size of the code package plus your own `layers`, in MB as "
                    "Lambda counts them (1 MB = 1,048,576 bytes). Checked with golden_path's "
                    "layers against Lambda's 250 MB per function (docs/lambda-limits.md). "
                    "Unset: only golden_path's layers are counted. Not for image functions.")
    layers: list[Annotated[str, Field(pattern=LAYER_ARN)]] = Field(
        default_factory=list,
        description="Your own Lambda layers (version ARNs, in the function's region), besides "
                    "the two OpenTelemetry layers golden_path adds: at most 5 in all. Not for "
                    "image functions.")
    architecture: Literal["x86_64", "arm64"] = Field(
        "arm64", description="The function's CPU architecture (arm64: Graviton); "
                             "platform.yaml's rules may restrict it.")
    memory: int = Field(256, ge=128, le=10240, description="Memory in MiB.")
    timeout: int = Field(10, ge=1, le=900, description="Seconds an invocation may run.")
    ephemeral_storage: int = Field(512, ge=512, le=10240, description="MiB of /tmp.")
    reserved_concurrency: int | None = Field(
        None, ge=0, le=10000,
        description="Concurrent executions reserved for the function, and its cap (0 stops it); "
                    "unset: none reserved.")
    triggers: Triggers = Field(
        default_factory=Triggers,
        description="What invokes the function: HTTP, its own SQS queue, schedules.")
    vpc: LambdaVpc | None = Field(
        None, description="Run the function in a VPC; unset: outside any VPC.")
    adopt: LambdaAdopt | None = Field(
        None, description="A function that already runs: the live resources golden_path takes "
                          "over in place (imported, not created); per environment "
                          "(docs/migration.md).")

    def problems(self) -> list[Problem]:
        problems = super().problems()
        add = problems.append
        code = self.code
        given = [k for k in ("s3", "image", "deployed") if getattr(code, k) is not None]
        if len(given) != 1:
            add(Problem(("code",), " and ".join(given) if given else MISSING,
                        "give exactly one of code.s3 (bucket, key, version) or code.image "
                        "(or, for an adopted function, code.deployed); an environment that "
                        "changes the kind sets the shared one to null, e.g. `s3: null`"))
        if code.s3 is not None or code.deployed is not None:  # a zip package
            pattern, example = HANDLER_FORMATS[language_family(self.language)]
            if self.handler is None:
                add(Problem(("handler",), MISSING, f"a zip package needs a handler: {example}"))
            elif not pattern.match(self.handler):
                add(Problem(("handler",), self.handler,
                            f"not a {self.language} handler; expected {example}"))
        elif self.handler is not None:
            add(Problem(("handler",), self.handler,
                        "an image function takes its handler from the image (CMD); remove it"))
        problems.extend(self._layer_problems())
        problems.extend(lambda_adopt_problems(self))
        http = self.triggers.http
        if http is not None:
            if (http.api is None) == (http.function_url is None):
                add(Problem(("triggers", "http"), MISSING if http.api is None else "api and url",
                            "give exactly one of triggers.http.api or triggers.http.function_url"))
            if http.api and http.api.authorization == "JWT" and not http.api.authorizer_id:
                add(Problem(("triggers", "http", "api", "authorizer_id"), MISSING,
                            "JWT authorization needs the API's authorizer_id"))
            for path, public in ((("api",), http.api and http.api.authorization == "NONE"),
                                 (("function_url",), http.function_url
                                  and http.function_url.auth == "NONE")):
                target = http.api if path == ("api",) else http.function_url
                if public and not target.public_reason:
                    add(Problem(("triggers", "http", *path, "public_reason"), MISSING,
                                "an endpoint without authentication needs public_reason "
                                "saying why it is safe to expose"))
        sqs = self.triggers.sqs
        if sqs is not None:
            if sqs.batch_size > 10 and sqs.max_batching_window_seconds < 1:
                add(Problem(("triggers", "sqs", "max_batching_window_seconds"),
                            sqs.max_batching_window_seconds,
                            "a batch_size above 10 needs max_batching_window_seconds of at "
                            "least 1"))
            if sqs.fifo and sqs.batch_size > 10:
                add(Problem(("triggers", "sqs", "batch_size"), sqs.batch_size,
                            "FIFO queues deliver at most 10 messages per batch"))
            if sqs.visibility_timeout_seconds is not None and \
                    sqs.visibility_timeout_seconds < self.timeout:
                add(Problem(("triggers", "sqs", "visibility_timeout_seconds"),
                            sqs.visibility_timeout_seconds,
                            f"must be at least the function timeout ({self.timeout} s), or "
                            "messages are redelivered while still being processed; AWS "
                            f"recommends {6 * self.timeout}"))
        if self.telemetry.config_bucket is None:
            add(Problem(("telemetry", "config_bucket"), MISSING,
                        "a Lambda function reads its collector config from S3: name the "
                        "platform's config bucket"))
        if self.telemetry.distribution != "contrib":
            add(Problem(("telemetry", "distribution"), self.telemetry.distribution,
                        "Lambda functions use the opentelemetry-lambda collector layer; "
                        "remove telemetry.distribution"))
        return problems

    def _layer_problems(self) -> list[Problem]:
        """The team's own layers and declared size (the limits are checked in resolve)."""
        problems: list[Problem] = []
        if self.code.image is not None:
            if self.layers:
                problems.append(Problem(("layers",), self.layers, "an image function cannot "
                                        "have layers; build them into the image"))
            if self.code_size_mb is not None:
                problems.append(Problem(("code_size_mb",), self.code_size_mb,
                                        "the 250 MB limit is for zip functions (an image may "
                                        "be 10 GB); remove code_size_mb"))
            return problems
        seen: set[str] = set()
        for i, arn in enumerate(self.layers):
            region, name = arn.split(":")[3], arn.rsplit(":", 1)[0]
            if region != self.region:  # another account is fine: AWS and vendors publish layers
                problems.append(Problem(("layers", i), arn, f"a layer must be in the function's "
                                        f"region ({self.region}), not {region}: Lambda cannot "
                                        f"use a layer from another region (cross_region does "
                                        f"not change that); use the layer's {self.region} "
                                        "version (a fleet-form file may write {region} in place "
                                        "of the region)"))
            if name in seen:
                problems.append(Problem(("layers", i), arn, "this layer is listed twice (Lambda "
                                        "takes one version of each layer); keep one"))
            seen.add(name)
        return problems
