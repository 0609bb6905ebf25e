"""Put each adopted part's Terraform ``import`` block on its resource (resolve/adopt.py)."""

from __future__ import annotations

from ..resolve.adopt import Adoption


def import_adopted(adoption: Adoption, resources: dict[str, object]) -> None:
    """``resources``: part -> the resource that part is (None when the service has none).

    Every part the adoption names must be one of them: an adopted resource left without
    its import block would be created beside the live one.
    """
    placed = set()
    for part, resource in resources.items():
        import_id = adoption.id_of(part)
        if import_id is not None and resource is not None:
            resource.import_from(import_id)
            placed.add(part)
    missing = sorted(set(adoption.imports) - placed)
    if missing:
        raise ValueError(f"adopted parts with no resource to import them into: {missing}")
