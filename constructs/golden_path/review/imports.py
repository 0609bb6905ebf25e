"""What a change takes over in place: Terraform ``import`` blocks (``adopt:``).

From a synth diff, the import blocks head adds (a stack's top-level ``import`` list:
``{"to": "<type>.<name>", "id": ...}``); from plan JSON, the resource changes that
import (``change.importing``), with what else the plan does to them. A review lists
them in their own section, so an adoption reads as "20 functions taken over", not as
"20 functions added".
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Import:
    stack: str
    #: ``<type>.<name>`` as Terraform addresses it.
    address: str
    #: The live resource's import id (a name, ARN, URL or ``cluster/service``).
    id: str
    #: "import" (synth: what the plan will do), or the plan's action once imported:
    #: "import" (nothing else), "import and update", "import and replace".
    action: str = "import"

    @property
    def type(self) -> str:
        return self.address.split(".", 1)[0]


def blocks(doc: dict) -> set[tuple[str, str]]:
    """The (address, id) pairs of a stack's import blocks."""
    return {(b["to"], str(b["id"])) for b in doc.get("import") or () if "to" in b and "id" in b}


def synth_imports(base_docs: dict[str, dict], head_docs: dict[str, dict]) -> list[Import]:
    """The import blocks of head that base does not have, stack by stack."""
    found = []
    for name in sorted(head_docs):
        new = blocks(head_docs[name]) - blocks(base_docs.get(name, {}))
        found += [Import(name, address, id_) for address, id_ in sorted(new)]
    return found


def plan_imports(name: str, doc: dict) -> list[Import]:
    """The resources a plan (``terraform show -json``) imports, with what else it does."""
    found = []
    for rc in doc.get("resource_changes", []):
        importing = rc["change"].get("importing")
        if not importing:
            continue
        actions = rc["change"]["actions"]
        action = ("import and replace" if "delete" in actions else
                  "import and update" if "update" in actions else "import")
        found.append(Import(name, rc["address"], str(importing.get("id", "")), action))
    return found


def by_type(imports: list[Import]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in imports:
        counts[i.type] = counts.get(i.type, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
