"""A sidecar's config, kept as a readable SSM parameter that the task reads at start."""

from __future__ import annotations

from ..cdk import Construct, S3Object, SsmParameter, literal
from ..resolve.checkov_skips import skip

STANDARD_TIER_LIMIT = 4096  # bytes; the Advanced tier holds up to 8 KB
ADVANCED_TIER_LIMIT = 8192


def parameter_tier(text: str) -> str:
    size = len(text.encode())
    if size > ADVANCED_TIER_LIMIT:
        raise ValueError(f"config is {size} bytes; SSM parameters hold at most 8192")
    return "Advanced" if size > STANDARD_TIER_LIMIT else "Standard"


class ConfigParameter(Construct):
    """An SSM ``String`` parameter holding a config text, readable in the synthesized
    JSON so a pull request shows policy changes line by line. Never put secrets in
    it: keys are injected separately from Secrets Manager."""

    def __init__(self, scope: Construct, id: str, *, name: str, text: str, description: str,
                 tags: dict[str, str] | None = None):
        super().__init__(scope, id)
        self.parameter = SsmParameter(
            self, "parameter",
            name=name,
            type="String",
            tier=parameter_tier(text),
            value=literal(text),
            description=description,
            tags=tags,
        )
        skip(self.parameter, "CKV2_AWS_34")


class ConfigObject(Construct):
    """A config text as an S3 object in an existing bucket (the Lambda collector layer
    reads it at cold start); readable in the synthesized JSON like ConfigParameter."""

    def __init__(self, scope: Construct, id: str, *, bucket: str, key: str, text: str,
                 tags: dict[str, str] | None = None):
        super().__init__(scope, id)
        self.object = S3Object(
            self, "object",
            bucket=bucket,
            key=key,
            content=literal(text),
            content_type="application/yaml",
            server_side_encryption="AES256",
            tags=tags,
        )
