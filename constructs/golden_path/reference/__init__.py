"""The reference pages of docs/reference/, generated from the code's own schemas and tables.

    python -m golden_path.reference --write docs/reference   # (re)write the pages
    python -m golden_path.reference --check docs/reference   # exit 1 if a page differs

``make docs`` runs ``--write`` (and the emulator gaps page, which lives with the test
harness: ``tests/emulator.py``); ``tests/unit/test_reference_docs.py`` fails when a committed
page differs from what this module writes. Pure Python: no cdktf import.

| page | source |
| --- | --- |
| service-fields.md | ``spec.schema.service_schema()`` (the pydantic models' JSON Schema) |
| platform-fields.md | ``spec.schema.platform_schema()`` |
| fail-on-rules.md | ``review.findings.ALL_RULES`` |
| default-alarms.md | ``alerts.defaults``: each kind's defaults, computed for a symbolic service |
| checkov-skips.md | ``resolve.checkov_skips.SKIPS`` |
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from .fields import platform_fields_page, service_fields_page
from .markdown import GENERATED, page
from .tables import checkov_skips_page, default_alarms_page, fail_on_rules_page, signals_by_kind

__all__ = ["GENERATED", "PAGES", "main", "page", "signals_by_kind", "stale"]

#: file name -> the function that writes it.
PAGES: dict[str, Callable[[], str]] = {
    "service-fields.md": service_fields_page,
    "platform-fields.md": platform_fields_page,
    "fail-on-rules.md": fail_on_rules_page,
    "default-alarms.md": default_alarms_page,
    "checkov-skips.md": checkov_skips_page,
}


def stale(directory: Path, pages: dict[str, Callable[[], str]] = PAGES) -> list[str]:
    """The pages under ``directory`` that differ from what their generator writes."""
    return [name for name, make in pages.items()
            if not (directory / name).exists() or (directory / name).read_text() != make()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m golden_path.reference", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", metavar="DIR", type=Path, help="write the pages into DIR")
    action.add_argument("--check", metavar="DIR", type=Path,
                        help="exit 1 if a page in DIR differs from what would be written")
    args = parser.parse_args(argv)
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for name, make in PAGES.items():
            (args.write / name).write_text(make())
        return 0
    differ = stale(args.check)
    for name in differ:
        print(f"{args.check / name}: differs from what the code generates; `make docs` "
              "writes it again", file=sys.stderr)
    return 1 if differ else 0
