"""A Lambda function with its own log group wiring and advanced logging controls."""

from __future__ import annotations

from dataclasses import dataclass

from ..cdk import (
    Construct,
    LambdaFunction,
    LambdaFunctionEnvironment,
    LambdaFunctionEphemeralStorage,
    LambdaFunctionLoggingConfig,
    LambdaFunctionRecursionConfig,
    LambdaFunctionVpcConfig,
    TerraformResourceLifecycle,
)
from ..resolve.checkov_skips import skip

#: The ``filename`` of an adopted function that keeps its deployed package. Terraform
#: needs one code source in the configuration; this one is never read, because the
#: function exists (it is imported) and code changes are ignored until code.s3 is set.
DEPLOYED_PACKAGE = "golden-path-keeps-the-deployed-package.zip"
_CODE_ATTRIBUTES = ["filename", "s3_bucket", "s3_key", "s3_object_version", "source_code_hash"]


@dataclass(frozen=True)
class Code:
    """Exactly one of: an S3 object (bucket, key, version), an image URI, or the package an
    adopted function already runs (``deployed``: its CodeSha256)."""

    s3_bucket: str | None = None
    s3_key: str | None = None
    s3_version: str | None = None
    image_uri: str | None = None
    deployed: str | None = None


class Function(Construct):
    """A Lambda function.

    Logs go to ``log_group`` (created by the caller, so its retention is ours, not
    Lambda's implicit never-expire group) as JSON, filtered by
    ``application_log_level`` and ``system_log_level`` (WARN drops START/END/REPORT).

    Its recursion guard is set explicitly to ``Terminate``: a loop through SQS, SNS
    or S3 that Lambda detects is stopped after about 16 rounds instead of running up
    the bill (``recursion_config``; see docs/fleet.md, "Fleet checks").
    """

    def __init__(self, scope: Construct, id: str, *, name: str, role_arn: str, code: Code,
                 runtime: str | None, handler: str | None, architecture: str,
                 memory: int, timeout: int, ephemeral_storage: int, log_group: str,
                 application_log_level: str, system_log_level: str,
                 environment: dict[str, str], layers: list[str] = (),
                 reserved_concurrency: int | None = None,
                 subnet_ids: list[str] | None = None, security_group_ids: list[str] | None = None,
                 checkov_skips: tuple[str, ...] = (),
                 tags: dict[str, str] | None = None, depends_on: list | None = None):
        super().__init__(scope, id)
        if len(name) > 64:
            raise ValueError(f"function name '{name}' is {len(name)} characters; limit 64")
        if sum(x is not None for x in (code.image_uri, code.s3_bucket, code.deployed)) != 1:
            raise ValueError("give exactly one of an S3 object, an image URI or the deployed "
                             "package")
        image = code.image_uri is not None
        if image and layers:
            raise ValueError("image functions cannot have layers; build them into the image")
        self.function = LambdaFunction(
            self, "function",
            function_name=name,
            role=role_arn,
            package_type="Image" if image else "Zip",
            image_uri=code.image_uri,
            s3_bucket=code.s3_bucket,
            s3_key=code.s3_key,
            s3_object_version=code.s3_version,
            filename=DEPLOYED_PACKAGE if code.deployed else None,
            runtime=None if image else runtime,
            handler=None if image else handler,
            architectures=[architecture],
            memory_size=memory,
            timeout=timeout,
            ephemeral_storage=LambdaFunctionEphemeralStorage(size=ephemeral_storage),
            layers=list(layers) or None,
            environment=LambdaFunctionEnvironment(variables=environment),
            logging_config=LambdaFunctionLoggingConfig(
                log_format="JSON",
                log_group=log_group,
                application_log_level=application_log_level,
                system_log_level=system_log_level,
            ),
            reserved_concurrent_executions=reserved_concurrency,
            vpc_config=LambdaFunctionVpcConfig(subnet_ids=subnet_ids,
                                               security_group_ids=security_group_ids)
            if subnet_ids else None,
            tags=tags,
            depends_on=depends_on,
            lifecycle=TerraformResourceLifecycle(ignore_changes=_CODE_ATTRIBUTES)
            if code.deployed else None,
        )
        skip(self.function, "CKV_AWS_50", "CKV_AWS_116", "CKV_AWS_173", "CKV_AWS_272",
             *([] if subnet_ids else ["CKV_AWS_117"]),
             *([] if reserved_concurrency is not None else ["CKV_AWS_115"]), *checkov_skips)
        self.recursion_config = LambdaFunctionRecursionConfig(
            self, "recursion_config", function_name=self.function.function_name,
            recursive_loop="Terminate")
