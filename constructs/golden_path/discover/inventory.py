"""What ``read.py`` found in a live account, as plain data (no boto3 here).

``translate.py`` turns an ``Inventory`` into service files; tests build one by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Queue:
    url: str
    arn: str
    visibility_timeout: int | None = None
    #: The dead-letter queue's ARN and receives before a message moves there.
    dead_letter_arn: str | None = None
    max_receive_count: int | None = None

    @property
    def name(self) -> str:
        return self.arn.rsplit(":", 1)[-1]

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")


@dataclass
class EventSourceMapping:
    uuid: str
    source_arn: str
    batch_size: int = 10
    max_batching_window: int = 0
    state: str = "Enabled"
    #: The SQS queue it reads (None: not SQS, or not found).
    queue: Queue | None = None

    @property
    def service(self) -> str:
        """sqs, kinesis, dynamodb, kafka, mq... (from the source ARN)."""
        parts = self.source_arn.split(":")
        return parts[2] if len(parts) > 2 else "unknown"


@dataclass
class Rule:
    """An EventBridge rule (default bus) and its target that invokes the function."""

    name: str
    target_id: str
    schedule: str | None = None
    event_pattern: str | None = None
    description: str = ""
    enabled: bool = True
    #: The target passes its own input (Input, InputPath or InputTransformer).
    custom_input: bool = False


@dataclass
class Route:
    """An API Gateway HTTP API route whose integration proxies to the function."""

    api_id: str
    route_id: str
    route_key: str
    integration_id: str
    authorization: str = "NONE"
    authorizer_id: str | None = None


@dataclass
class Function:
    name: str
    arn: str
    runtime: str | None
    handler: str | None
    role: str
    package_type: str = "Zip"
    code_sha256: str = ""
    image_uri: str | None = None
    resolved_image_uri: str | None = None
    architecture: str = "x86_64"
    memory: int = 128
    timeout: int = 3
    ephemeral_storage: int = 512
    reserved_concurrency: int | None = None
    variables: dict[str, str] = field(default_factory=dict)
    layers: list[str] = field(default_factory=list)
    subnet_ids: list[str] = field(default_factory=list)
    security_group_ids: list[str] = field(default_factory=list)
    log_group: str | None = None
    log_group_exists: bool = False
    tags: dict[str, str] = field(default_factory=dict)
    mappings: list[EventSourceMapping] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    #: The function URL's auth type (AWS_IAM or NONE), if it has one.
    url_auth: str | None = None
    routes: list[Route] = field(default_factory=list)
    #: Managed policies attached to its role (left alone when the role is adopted).
    role_policies: list[str] = field(default_factory=list)


@dataclass
class Container:
    name: str
    image: str
    essential: bool = True
    port: int | None = None
    command: list[str] | None = None
    variables: dict[str, str] = field(default_factory=dict)
    #: name -> valueFrom (an ARN, or an SSM parameter name in the task's own account)
    secrets: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    read_only: bool = False


@dataclass
class ListenerRule:
    arn: str
    listener_arn: str
    priority: int
    hosts: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    #: Conditions golden_path does not write (headers, methods, query strings, source IPs).
    other_conditions: list[str] = field(default_factory=list)


@dataclass
class EcsService:
    name: str
    arn: str
    cluster: str
    launch_type: str | None = "FARGATE"
    capacity_providers: list[str] = field(default_factory=list)
    task_definition: str = ""
    family: str = ""
    cpu: int | None = None
    memory: int | None = None
    architecture: str = "x86_64"
    network_mode: str = "awsvpc"
    containers: list[Container] = field(default_factory=list)
    task_role: str | None = None
    execution_role: str | None = None
    security_group_ids: list[str] = field(default_factory=list)
    subnet_ids: list[str] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    #: Container and port the (first) target group sends requests to.
    lb_container: str | None = None
    lb_port: int | None = None
    health_check_path: str | None = None
    rules: list[ListenerRule] = field(default_factory=list)
    scaling_min: int | None = None
    scaling_max: int | None = None
    scaling_policies: list[str] = field(default_factory=list)
    desired: int = 1
    tags: dict[str, str] = field(default_factory=dict)
    role_policies: list[str] = field(default_factory=list)


@dataclass
class Inventory:
    """Everything discover read from one account and region."""

    account: str
    region: str
    functions: list[Function] = field(default_factory=list)
    services: list[EcsService] = field(default_factory=list)
    #: API calls made (for the report and the benchmark).
    calls: int = 0
