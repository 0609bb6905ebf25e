"""Emulator patches for CloudWatch Logs (see emulator_server.py, which applies them):
data protection policies and a log group's KMS key, which moto lacks."""

from __future__ import annotations

import json
from typing import Any


def _json_error(status: int, code: str, message: str) -> tuple[int, dict, str]:
    """A JSON-protocol error (also used by emulator_server's other patches). moto takes a
    response's status from its headers ("status"), not the tuple's first item."""
    return status, {"status": status, "x-amzn-errortype": code}, json.dumps(
        {"__type": code, "message": message})

def _patch_logs_data_protection_policy() -> None:
    """PutDataProtectionPolicy / GetDataProtectionPolicy / DeleteDataProtectionPolicy
    (aws_cloudwatch_log_data_protection_policy): moto has none of them. The policy is kept
    on its log group (so it goes when the group goes), the document checked against the
    rules of AWS's API reference (JSON of at most 30,720 characters; an Audit statement
    with a FindingsDestination, then a Deidentify statement with an empty MaskConfig, over
    the same DataIdentifier list; managed identifiers as ARNs, custom ones defined under
    Configuration, at most 10, regexes of at most 200 characters). A missing group is
    ResourceNotFoundException; a group without a policy reads without a policyDocument."""
    import re
    import time

    from moto.logs.responses import LogsResponse as R

    managed = re.compile(r"^arn:aws:dataprotection::aws:data-identifier/[A-Za-z0-9-]+$")

    def group(self: R) -> Any:
        identifier = self._get_param("logGroupIdentifier") or ""
        name = identifier.split(":log-group:", 1)[1].removesuffix(":*") \
            if identifier.startswith("arn:") else identifier
        return identifier, self.logs_backend.groups.get(name)

    def missing(identifier: str) -> tuple[int, dict, str]:
        return _json_error(400, "ResourceNotFoundException",
                           f"The specified log group does not exist: {identifier}")

    def refused(document: str) -> str | None:
        if len(document) > 30720:
            return "policyDocument is longer than 30720 characters"
        try:
            doc = json.loads(document)
            audit, mask = doc["Statement"]
            ids = audit["DataIdentifier"]
            custom = {c["Name"]: c["Regex"] for c in
                      (doc.get("Configuration") or {}).get("CustomDataIdentifier") or []}
            destination = audit["Operation"]["Audit"]["FindingsDestination"]
            masking = mask["Operation"]["Deidentify"]["MaskConfig"]
        except (ValueError, KeyError, TypeError) as exc:
            return f"not a data protection policy: {exc!r}"
        if set(audit["Operation"]) != {"Audit"} or set(mask["Operation"]) != {"Deidentify"}:
            return "the first statement must audit, the second deidentify"
        if not ids or ids != mask.get("DataIdentifier"):
            return "both statements must list the same data identifiers"
        if masking != {} or not isinstance(destination, dict) or \
                set(destination) - {"CloudWatchLogs", "Firehose", "S3"}:
            return "MaskConfig must be empty; FindingsDestination CloudWatchLogs, Firehose or S3"
        if len(custom) > 10 or any(len(r) > 200 for r in custom.values()):
            return "at most 10 custom data identifiers, each regex at most 200 characters"
        unknown = [i for i in ids if i not in custom and not managed.match(i)]
        return f"unknown data identifiers {unknown}" if unknown else None

    def put_data_protection_policy(self: R) -> Any:
        identifier, found = group(self)
        if found is None:
            return missing(identifier)
        document = self._get_param("policyDocument") or ""
        problem = refused(document)
        if problem:
            return _json_error(400, "InvalidParameterException", problem)
        found.harness_data_protection = (document, int(time.time() * 1000))
        return 200, {}, json.dumps({"logGroupIdentifier": identifier, "policyDocument": document,
                                    "lastUpdatedTime": found.harness_data_protection[1]})

    def get_data_protection_policy(self: R) -> Any:
        identifier, found = group(self)
        if found is None:
            return missing(identifier)
        policy = getattr(found, "harness_data_protection", None)
        answer = {"logGroupIdentifier": identifier}
        if policy:
            answer.update(policyDocument=policy[0], lastUpdatedTime=policy[1])
        return 200, {}, json.dumps(answer)

    def delete_data_protection_policy(self: R) -> Any:
        identifier, found = group(self)
        if found is None:
            return missing(identifier)
        found.harness_data_protection = None
        return 200, {}, "{}"

    R.put_data_protection_policy = put_data_protection_policy
    R.get_data_protection_policy = get_data_protection_policy
    R.delete_data_protection_policy = delete_data_protection_policy


def _patch_logs_kms_key() -> None:
    """AssociateKmsKey / DisassociateKmsKey (aws_cloudwatch_log_group ``kms_key_id`` on a
    group that exists, e.g. an adopted one): moto has neither. The key is set on the group
    (DescribeLogGroups already returns it); a missing group is ResourceNotFoundException."""
    from moto.logs.responses import LogsResponse as R

    def set_key(param: str | None) -> Any:
        def action(self: R) -> Any:
            name = self._get_param("logGroupName")
            found = self.logs_backend.groups.get(name)
            if found is None:
                return _json_error(400, "ResourceNotFoundException",
                                   f"The specified log group does not exist: {name}")
            found.kms_key_id = self._get_param(param) if param else None
            return 200, {}, "{}"
        return action

    R.associate_kms_key, R.disassociate_kms_key = set_key("kmsKeyId"), set_key(None)
