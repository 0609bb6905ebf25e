"""``golden-path review``: the command, from its parsed arguments to the comment."""

from __future__ import annotations

import argparse
import sys


def run_review(args: argparse.Namespace) -> int:
    """``golden-path review``: synth diff, plans, findings, checkov, cost, imports."""
    from pathlib import Path

    from .checkov_scan import checkov_binary, review_scan, skips_added
    from .findings import ALL_RULES, findings
    from .identity import provider_of
    from .imports import synth_imports
    from .plan import summarise_plan
    from .report import build, to_json, to_markdown
    from .synth_diff import diff_synth, load_docs, resources_of

    fail_on = [r for r in (args.fail_on or "").split(",") if r]
    unknown = [r for r in fail_on if r not in ALL_RULES]
    if unknown:
        from ..errors import Problem, SpecError

        raise SpecError(Problem(("--fail-on",), ",".join(unknown),
                                f"unknown rule; rules: {', '.join(ALL_RULES)}"))
    diffs, found = [], []
    base_docs = load_docs(args.base) if args.base else {}
    head_docs = load_docs(args.head) if args.head else {}  # each document parsed once
    if args.head:
        providers = {n: provider_of(d) for n, d in {**base_docs, **head_docs}.items()}
        diffs = diff_synth({n: resources_of(d) for n, d in base_docs.items()},
                           {n: resources_of(d) for n, d in head_docs.items()}, providers)
        found = findings(diffs)
    plans = []
    for path in args.plan or []:
        summary, plan_found = summarise_plan(path)
        plans.append(summary)
        found += plan_found
    checkov = None
    if args.checkov and args.head:
        binary = checkov_binary()
        if binary is None:
            print("golden-path: checkov is not installed (make setup installs it into .tools)",
                  file=sys.stderr)
            return 2
        checkov = review_scan(args.head, args.base, binary)  # base only if head fails a check
    changed = None
    if args.head and args.base and Path(args.base).exists():
        from ..fleet.changed import changed_stacks

        changed = changed_stacks(args.base, args.head, before=base_docs, after=head_docs)
    skips = (skips_added(args.base, args.head, base_docs=base_docs, head_docs=head_docs)
             if args.head else [])
    cost = _review_cost(args, diffs, found) if args.head else None
    imports = synth_imports(base_docs, head_docs)
    review = build(diffs, plans, found, None, fail_on, changed, skips, cost=cost, checkov=checkov,
                   imports=imports)
    if args.json_out:
        Path(args.json_out).write_text(to_json(review) + "\n")
    print(to_json(review) if args.format == "json" else to_markdown(review, json_out=args.json_out),
          end="")
    return 1 if review.fired else 0


def _review_cost(args: argparse.Namespace, diffs, found) -> list:
    """The telemetry volume and cost lines of a review (``--services``: the head's files)."""
    from ..telemetry.cost.review import TELEMETRY_RULES, cost_changes

    if not any(f.rule in TELEMETRY_RULES for f in found):
        return []
    services = None
    if args.services:
        from ..fleet import load_all

        services = {s.stack_name: s for s in load_all(args.services)}
    return cost_changes(diffs, found, services)
