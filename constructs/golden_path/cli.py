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
