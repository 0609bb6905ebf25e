"""What was written: the validated models of service files, platform.yaml and teams.

``golden_path.spec`` keeps exporting the ECS model's names (``ServiceSpec``,
``FARGATE_SIZES``, ...) so ``from golden_path.spec import ServiceSpec`` works.
"""

from .ecs import *  # noqa: F401,F403
from .ecs import FARGATE_SIZES, ServiceSpec  # noqa: F401
from .lambda_ import LambdaSpec  # noqa: F401

#: The spec model for each ``runtime``.
RUNTIMES: dict[str, type] = {"ecs": ServiceSpec, "lambda": LambdaSpec}
AnySpec = ServiceSpec | LambdaSpec
