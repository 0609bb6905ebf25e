"""golden_path: the paved road onto AWS for product teams, as cdktf constructs.

Importing this package is cheap; the constructs (which load cdktf and the AWS
provider) are imported on first use of ``ApplicationService`` or ``ServiceStack``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import Problem, SpecError
from .load.service_file import load_service, load_service_file
from .resolve import ResolvedFunction, ResolvedService, resolve, resolve_service
from .spec import LambdaSpec, ServiceSpec

if TYPE_CHECKING:
    from .l3.application_service import ApplicationService
    from .l3.stack import ServiceStack

__all__ = [
    "ApplicationService",
    "LambdaSpec",
    "Problem",
    "ResolvedFunction",
    "ResolvedService",
    "ServiceSpec",
    "ServiceStack",
    "SpecError",
    "load_service",
    "load_service_file",
    "resolve",
    "resolve_service",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "ApplicationService":
        from .l3.application_service import ApplicationService

        return ApplicationService
    if name == "ServiceStack":
        from .l3.stack import ServiceStack

        return ServiceStack
    raise AttributeError(f"module 'golden_path' has no attribute {name!r}")
