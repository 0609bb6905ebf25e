"""Summarise Terraform plan JSON (``terraform show -json plan.out``), one or more stacks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Finding
from .imports import plan_imports
from .synth_diff import STATEFUL


@dataclass
class PlanSummary:
    name: str
    create: int = 0
    update: int = 0
    delete: int = 0
    replace: int = 0
    replacements: list[dict] = field(default_factory=list)
    deletions: list[str] = field(default_factory=list)
    #: Resources the plan imports (adopt:), each {address, id, action}.
    imports: list[dict] = field(default_factory=list)


def summarise_plan(path: str | Path) -> tuple[PlanSummary, list[Finding]]:
    doc = json.loads(Path(path).read_text())
    name = Path(path).stem
    summary, found = PlanSummary(name), []
    summary.imports = [{"address": i.address, "id": i.id, "action": i.action}
                       for i in plan_imports(name, doc)]
    for rc in doc.get("resource_changes", []):
        actions = rc["change"]["actions"]
        address, rtype = rc["address"], rc["type"]
        if actions in (["delete", "create"], ["create", "delete"]):
            summary.replace += 1
            summary.replacements.append({
                "address": address,
                "replace_paths": rc["change"].get("replace_paths", []),
                "action_reason": rc.get("action_reason", ""),
            })
            found.append(Finding("destroy", name, address,
                                 f"replaced ({rc.get('action_reason', 'replace')})"))
        elif actions == ["create"] and not rc["change"].get("importing"):
            summary.create += 1
        elif actions == ["update"]:
            summary.update += 1
        elif actions == ["delete"]:
            summary.delete += 1
            summary.deletions.append(address)
            found.append(Finding("destroy", name, address, "destroyed"))
            if rtype in STATEFUL:
                found.append(Finding("stateful-destroy", name, address,
                                     "destroyed with its data or configuration"))
    return summary, found
