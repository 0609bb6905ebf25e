"""Published JSON Schemas: service files (both forms) and platform.yaml.

The fleet form is derived from the models rather than written by hand: every
model gets a ``Fleet*`` twin whose fields are all optional (a value may be
shared or per environment), without what the platform owns, and with
``load_balancer.listener`` naming a platform listener.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import TypeAdapter

from .common import ENVIRONMENT_NAME_MAX

#: The names platform.yaml may give its environments (spec/common.py EnvironmentName).
_ENVIRONMENT_NAMES = {"pattern": "^[a-z][a-z0-9-]*[a-z0-9]$", "maxLength": ENVIRONMENT_NAME_MAX}

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: Properties removed from the fleet-form twin of each model (the platform sets them).
_PLATFORM_OWNED = {
    "ServiceSpec": ("environment",),
    "LambdaSpec": ("environment", "account_id", "region"),
    "Network": ("cluster_arn", "vpc_id", "subnet_ids"),
    "LoadBalancer": ("listener_arn", "security_group_id"),
    "Telemetry": ("endpoint", "api_key_secret_arn", "api_key_header", "config_bucket"),
}


def service_schema() -> dict[str, Any]:
    from .ecs import ServiceSpec
    from .lambda_ import LambdaSpec

    doc = TypeAdapter(ServiceSpec | LambdaSpec).json_schema()
    defs = doc["$defs"]
    fleet_defs = {f"Fleet{name}": _fleet_twin(name, body) for name, body in defs.items()}
    defs.update(fleet_defs)
    for name in ("FleetServiceSpec", "FleetLambdaSpec"):
        body = defs[name]
        body["title"] = f"{body.get('title', name)} (fleet form)"
        body["properties"]["environments"] = {
            "type": "object",
            "description": "Each environment the service runs in (one platform.yaml names), "
                           "with its overrides (deep merge; a list replaces; null clears). "
                           "Accounts, network, listeners and the telemetry vendor come from "
                           "platform.yaml.",
            "propertyNames": dict(_ENVIRONMENT_NAMES),
            "additionalProperties": {"anyOf": [{"type": "object"}, {"type": "null"}]},
            "minProperties": 1,
        }
        body["required"] = ["name", "team", "environments"]
    lb = defs["FleetLoadBalancer"]
    lb["properties"] = {"listener": {"type": "string", "description":
                                     "A listener of platform.yaml (e.g. public)."}, **lb["properties"]}
    doc["anyOf"] = [*doc["anyOf"], {"$ref": "#/$defs/FleetServiceSpec"},
                    {"$ref": "#/$defs/FleetLambdaSpec"}]
    doc["$schema"] = _DRAFT
    doc["title"] = "golden_path service file"
    return doc


def _fleet_twin(name: str, body: dict) -> dict:
    twin = json.loads(json.dumps(body).replace('"#/$defs/', '"#/$defs/Fleet'))
    twin.pop("required", None)
    for prop in _PLATFORM_OWNED.get(name, ()):
        twin.get("properties", {}).pop(prop, None)
    return twin


def platform_schema() -> dict[str, Any]:
    from .platform import PlatformEnvironment, PlatformFile

    doc = TypeAdapter(PlatformFile).json_schema()
    defs = doc.setdefault("$defs", {})
    # Each environment may take any field from defaults: none is required on its own.
    partial = copy.deepcopy(defs["PlatformEnvironment"])
    partial.pop("required", None)
    partial["title"] = "PlatformEnvironment (merged over defaults)"
    defs["PartialPlatformEnvironment"] = partial
    doc["properties"]["environments"]["additionalProperties"] = {
        "$ref": "#/$defs/PartialPlatformEnvironment"}
    # defaults: any environment field but the environment's own (profile, rollout).
    shared = copy.deepcopy(partial)
    for own in ("profile", "rollout"):
        shared["properties"].pop(own)
    shared["title"] = "PlatformDefaults (merged under every environment)"
    defs["PlatformDefaults"] = shared
    doc["properties"]["defaults"] = {"$ref": "#/$defs/PlatformDefaults",
                                     "description": PlatformFile.model_fields["defaults"].description}
    doc["properties"]["environments"]["propertyNames"] = dict(_ENVIRONMENT_NAMES)
    doc["$schema"] = _DRAFT
    doc["title"] = "golden_path platform.yaml"
    doc["description"] = (PlatformEnvironment.__doc__ or "").strip()
    return doc
