"""The ``golden-path`` command: validate, schema, synth."""

from __future__ import annotations

import argparse
import json
import sys

from .errors import SpecError
from .spec import ServiceSpec

EXIT_BAD_INPUT = 2


def schema() -> dict:
    """JSON Schema of service.yaml: an ECS service or (runtime: lambda) a function."""
    from pydantic import TypeAdapter

    from .spec_lambda import LambdaSpec

    doc = TypeAdapter(ServiceSpec | LambdaSpec).json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "golden_path service.yaml"
    return doc


def _cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(schema(), indent=2))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .alerts.resolve import resolve_alarms
    from .synth import load_all

    teams = _teams(args)
    for service in load_all(args.paths, teams):
        alarms = resolve_alarms(service, teams)
        pages = sum(a.pages for a in alarms)
        print(f"ok  {service.stack_name}: {describe(service)}, {len(alarms)} alarms "
              f"({pages} paging)")
    return 0


def describe(service) -> str:
    """One line on what a resolved service is, for `validate`."""
    spec, t = service.spec, service.telemetry
    if service.kind == "lambda":
        what = (f"lambda of team {spec.team}, {spec.language} {spec.architecture}, "
                f"{spec.memory} MiB, {spec.timeout} s")
    else:
        what = (f"{spec.kind} of team {spec.team}, cpu {spec.cpu} / {spec.memory} MiB (app "
                f"{service.sizes.app.cpu} / {service.sizes.app.memory} MiB), "
                f"{service.scaling.min}..{service.scaling.max} tasks")
    what += f", traces {t.sampling_percent:g} %, logs >= {t.log_level}"
    return what + (f", INCIDENT {t.incident}" if t.incident else "")


def _cmd_synth(args: argparse.Namespace) -> int:
    from .synth import load_all, synth

    teams = _teams(args)
    services = load_all(args.paths, teams)  # every file checked before anything is written
    stacks = synth(services, args.out, teams)
    print(f"synthesized {len(stacks)} stack(s) into {args.out}: {', '.join(stacks)}")
    return 0


def _cmd_review(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .review.checkov_scan import checkov_binary, scan
    from .review.findings import RULES, findings
    from .review.plan import summarise_plan
    from .review.report import build, to_json, to_markdown
    from .review.synth_diff import diff_synth, load_synth

    fail_on = [r for r in (args.fail_on or "").split(",") if r]
    unknown = [r for r in fail_on if r not in RULES and r != "checkov-new-failures"]
    if unknown:
        from .errors import Problem, SpecError

        raise SpecError(Problem(("--fail-on",), ",".join(unknown),
                                f"unknown rule; rules: {', '.join([*RULES, 'checkov-new-failures'])}"))
    diffs, found = [], []
    if args.head:
        diffs = diff_synth(load_synth(args.base) if args.base else {}, load_synth(args.head))
        found = findings(diffs)
    plans = []
    for path in args.plan or []:
        summary, plan_found = summarise_plan(path)
        plans.append(summary)
        found += plan_found
    checkov_new = None
    if args.checkov and args.head:
        binary = checkov_binary()
        if binary is None:
            print("golden-path: checkov is not installed (make setup installs it into .tools)",
                  file=sys.stderr)
            return 2
        head = scan(args.head, binary)
        base = scan(args.base, binary) if args.base and Path(args.base, "stacks").is_dir() else set()
        checkov_new = {(s, c, r) for s, c, r in head if (s, c, r) not in base}
    review = build(diffs, plans, found, checkov_new, fail_on)
    print(to_json(review) if args.format == "json" else to_markdown(review), end="")
    return 1 if review.fired else 0


def _teams(args: argparse.Namespace):
    from .alerts.registry import TeamRegistry
    from .synth import find_teams

    return TeamRegistry.load(args.teams) if args.teams else find_teams(args.paths)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="golden-path", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("schema", help="print the JSON Schema of service.yaml")
    s.set_defaults(func=_cmd_schema)
    v = sub.add_parser("validate", help="check service files (and directories of them)")
    v.add_argument("paths", nargs="+")
    v.add_argument("--teams", help="team registry (default: teams.yaml in or above the paths)")
    v.set_defaults(func=_cmd_validate)
    y = sub.add_parser("synth", help="synthesize service files into Terraform JSON")
    y.add_argument("paths", nargs="+")
    y.add_argument("--out", default="cdktf.out", help="output directory (default: cdktf.out)")
    y.add_argument("--teams", help="team registry (default: teams.yaml in or above the paths)")
    y.set_defaults(func=_cmd_synth)
    r = sub.add_parser("review", help="review a change: two synth outputs and/or plan JSON")
    r.add_argument("--base", help="synth output of the base branch (cdktf.out)")
    r.add_argument("--head", help="synth output of the pull request (cdktf.out)")
    r.add_argument("--plan", action="append", help="terraform show -json output (repeatable)")
    r.add_argument("--format", choices=["markdown", "json"], default="markdown")
    r.add_argument("--fail-on", help="comma-separated rules that fail the check (exit 1)")
    r.add_argument("--checkov", action="store_true", help="scan head (and base) with checkov")
    r.set_defaults(func=_cmd_review)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SpecError as err:
        count = len(err.problems)
        print(f"golden-path: {count} problem{'s' if count > 1 else ''} in the service spec:",
              file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
