"""``golden-path drift``: its arguments and command (the CLI registers it)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import EXIT_BAD_INPUT


def register(sub) -> None:
    """Add ``drift`` to the CLI's subcommands."""
    d = sub.add_parser("drift", help="where the real resources differ from main, from each "
                                     "stack's plan JSON (exit 1 on drift)",
                       description="Each stack whose real resources differ from main: the "
                                   "resource, the attribute, the value in AWS (refreshed) and "
                                   "in main (the prior state), grouped across stacks. Exit 1 "
                                   "where any stack drifted or an expected stack has no "
                                   "plan, 0 where none, 2 on a file it "
                                   "cannot read. See docs/review.md.")
    d.add_argument("plans", nargs="+", metavar="PLAN_JSON",
                   help="`terraform show -json PLAN` or `terraform plan -json` output, one per "
                        "stack, named <stack>.json or <stack>.plan.json (or a folder of them)")
    d.add_argument("--expect", metavar="STACKS_JSON",
                   help="every stack that should have a plan (`changed --format matrix` or "
                        "`--format json` output): a stack without a plan is reported as not "
                        "planned and exits 1 (a stack list among PLAN_JSON works the same)")
    d.add_argument("--format", choices=["markdown", "json"], default="markdown")
    d.set_defaults(func=run_drift)


def run_drift(args: argparse.Namespace) -> int:
    """``golden-path drift``."""
    from .drift import DriftInputError, read_plans, stack_list, to_json, to_markdown

    try:
        if args.expect:
            try:
                listed = stack_list(json.loads(Path(args.expect).read_text()))
            except (OSError, ValueError) as err:
                raise DriftInputError(args.expect, f"cannot read it as JSON ({err})") from None
            if listed is None:
                raise DriftInputError(args.expect, "--expect takes `golden-path changed "
                                      "--format matrix` or `--format json` output")
        stacks = read_plans([*([args.expect] if args.expect else []), *args.plans])
    except DriftInputError as err:
        print(f"golden-path drift: {' '.join(str(err).split())}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(to_json(stacks) if args.format == "json" else to_markdown(stacks), end="")
    return 1 if any(s.resources for s in stacks) else 0
