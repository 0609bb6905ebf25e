"""The ``golden-path discover`` command: its arguments and what it runs."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from ..errors import MISSING, Problem, SpecError


def register(sub) -> None:
    """Add ``discover`` to the CLI's subcommands."""
    d = sub.add_parser(
        "discover", help="read a live AWS account and write fleet-form service files with "
                         "adopt: filled (functions and ECS services golden_path can manage)",
        description="Reads the account of one platform environment (boto3) and writes one "
                    "fleet-form service file per Lambda function or ECS Fargate service, with "
                    "adopt: naming what exists, so the first plan imports it. Prints what was "
                    "written, skipped (and why) and left alone. A second environment merges "
                    "into the same files; an environment a file already has is not overwritten.")
    d.add_argument("--environment", "-e", required=True, help="platform.yaml's environment")
    d.add_argument("--region", help="the environment's region (default: platform.yaml's)")
    who = d.add_mutually_exclusive_group()
    who.add_argument("--profile", help="an AWS profile (default: the usual credential chain)")
    who.add_argument("--endpoint-url", help="an AWS endpoint (tests: the local emulator)")
    d.add_argument("--out", default="services", help="folder of the service files (default: "
                                                      "services)")
    d.add_argument("--platform", metavar="FILE",
                   help="platform.yaml (default: the one in or above --out)")
    d.add_argument("--teams", metavar="FILE",
                   help="teams.yaml, to check the team tags (default: the one in or above --out)")
    d.add_argument("--team-tag", default="team", help="tag naming the owning team (default: team)")
    d.add_argument("--name-tag", default="service",
                   help="tag naming the service (default: service; else derived from the name)")
    d.add_argument("--runbook", default=None, metavar="URL",
                   help="runbook URL written where a resource has no runbook tag; {team} and "
                        "{name} are filled in, e.g. https://wiki.example.com/runbooks/{team}/{name} "
                        "(default: TODO, for you to fill)")
    d.add_argument("--only", choices=["lambda", "ecs"], help="read only functions or only "
                                                            "ECS services")
    d.add_argument("--format", choices=["markdown", "json"], default="markdown")
    d.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..load.platform import find_platform, load_platform
    from .read import Reader, read_account
    from .report import Report, to_json, to_markdown, written
    from .translate import DEFAULT_RUNBOOK, Target, translate
    from .write import check_found, header_line, plan, write_all

    started = time.perf_counter()
    out = Path(args.out)
    platform = load_platform(args.platform) if args.platform else find_platform([out])
    if platform is None:
        raise SpecError(Problem(("--platform",), args.out,
                                "no platform.yaml in or above --out; pass --platform FILE"))
    if args.environment not in platform.environments:
        raise SpecError(Problem(("--environment",), args.environment,
                                f"{platform.file} defines no such environment (it has "
                                f"{', '.join(platform.environments)})"))
    env = platform.environments[args.environment]
    if args.region and args.region != env.region:
        raise SpecError(Problem(("--region",), args.region,
                                f"{args.environment} is in {env.region} ({platform.file}); "
                                "discover reads the environment's own region"))
    target = Target.of(platform, args.environment, team_tag=args.team_tag,
                       name_tag=args.name_tag, runbook=args.runbook or DEFAULT_RUNBOOK)
    reader = Reader(_session(args.profile), env.region, args.endpoint_url)
    account = reader.account()
    if account != env.account:
        raise SpecError(Problem(("--environment",), args.environment,
                                f"the credentials are for account {account}, and "
                                f"{args.environment} is account {env.account} ({platform.file}): "
                                "use credentials (--profile) of that account"))
    inventory = read_account(reader, account, lambdas=args.only != "ecs",
                             ecs=args.only != "lambda")
    translation = translate(inventory, target)
    found, invalid = check_found(translation.found, args.environment, platform)
    schema = _schema(out, Path(platform.file))
    planned, problems = plan(found, out, args.environment,
                             header_line(args.environment, account, env.region), schema)
    if problems:
        raise SpecError(problems)
    write_all(planned, out)
    teams = _teams(args.teams, out)
    by_name = {f.name: f for f in found}
    report = Report(args.environment, account, env.region, translation.seen["functions"],
                    translation.seen["services"],
                    [written(by_name[p.name], str(p.path), p.merged) for p in planned],
                    translation.skipped + invalid, calls=reader.calls,
                    seconds=time.perf_counter() - started)
    if teams is not None:
        report.unknown_teams = sorted({w.team for w in report.written
                                       if w.team != "TODO" and w.team not in teams.teams})
    print(to_json(report) if args.format == "json" else to_markdown(report), end="")
    return 0


def _session(profile: str | None):
    try:
        import boto3
    except ImportError as exc:  # a dependency; only a broken install lacks it
        raise SpecError(Problem(("discover",), MISSING,
                                f"discover reads AWS with boto3: pip install boto3 ({exc})")) from None
    return boto3.session.Session(profile_name=profile)


def _teams(path: str | None, out: Path):
    from ..alerts.registry import TeamRegistry
    from ..load.discover import find_teams

    return TeamRegistry.load(path) if path else find_teams([out])


def _schema(out: Path, platform_file: Path) -> str:
    """The schema line's path: service.schema.json beside platform.yaml, relative to --out."""
    schema = platform_file.resolve().parent / "service.schema.json"
    return os.path.relpath(schema, out.resolve())
