"""The ``golden-path`` command: validate, synth, explain, graph, new, schema, review, cost, discover."""

from __future__ import annotations

import argparse
import json
import sys

from .alerts.slo_report import register as register_slo
from .discover.command import register as register_discover
from .errors import EXIT_BAD_INPUT, Problem, SpecError
from .review.drift_command import register as register_drift


def schema(platform: bool = False) -> dict:
    """JSON Schema of a service file (either form), or of platform.yaml."""
    from .spec.schema import platform_schema, service_schema

    return platform_schema() if platform else service_schema()


def _cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(schema(args.platform), indent=2))
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from .validate import validate

    return validate(args.paths, _teams(args), _platform(args), progress=_progress(),
                    live=_live(args))


def _cmd_explain(args: argparse.Namespace) -> int:
    from .fleet import resolve_located
    from .load.explain import explain
    from .load.service_file import load_service

    spec = load_service(args.file, args.environment, _platform(args) or None)
    print(explain(resolve_located(spec, _teams(args, [args.file]))), end="")
    return 0


def _cmd_graph(args: argparse.Namespace) -> int:
    from .fleet.graph import build_graph, to_dot, to_markdown
    from .fleet.loader import load_fleet

    # One file: its edges need the services around it (the fleet of its platform.yaml).
    fleet = load_fleet(args.paths, _teams(args), _platform(args))
    graph, _ = build_graph([*fleet.around, *fleet.services])
    print(to_dot(graph) if args.format == "dot" else to_markdown(graph), end="")
    return 0


def _cmd_new(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .fleet import load_all
    from .load.discover import discover
    from .load.platform import find_platform, load_platform
    from .scaffold import new_service

    platform = load_platform(args.platform) if args.platform else find_platform([args.out])
    if platform is None:
        raise SpecError(Problem(("--platform",), args.out,
                                "no platform.yaml in or above --out; pass --platform FILE"))
    out = Path(args.out)
    existing = load_all([out], platform=platform) if out.is_dir() and discover([out]) else []
    path = new_service(args.name, team=args.team, kind=args.kind, platform=platform,
                       out_dir=args.out, language=args.language, existing=existing)
    print(f"wrote {path}: edit it, then `golden-path validate {path}`")
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from .fleet.loader import load_fleet
    from .synth import SynthStats, synth

    teams = _teams(args)  # all checked first, within the fleet around the paths
    services = load_fleet(args.paths, teams, _platform(args), progress=_progress()).services
    if args.check_live:
        _live(args)(services)
    _warn(services)
    stats = SynthStats()
    stacks = synth(services, args.out, teams, cache=not args.no_cache, jobs=args.jobs, stats=stats)
    print(f"synthesized {len(stacks)} stack(s) into {args.out} in {stats.seconds:.1f} s: "
          f"{stats.constructed} constructed ({stats.processes} process(es)), {stats.from_cache} "
          f"from the cache; peak memory {max(stats.peak_rss_mib, stats.worker_peak_rss_mib):.0f} MiB")
    return 0


def _progress():
    """A progress line on a terminal (count, current stack, elapsed); nothing in CI logs."""
    import os
    import time

    if not sys.stderr.isatty() or os.environ.get("CI"):
        return None
    start = time.perf_counter()

    def show(done: int, total: int, current: str) -> None:
        end = "\n" if done == total else ""
        print(f"\r\033[K  {done}/{total} {current} ({time.perf_counter() - start:.1f} s)",
              end=end, file=sys.stderr, flush=True)

    return show


def _cmd_cost(args: argparse.Namespace) -> int:
    from .fleet.loader import load_fleet
    from .telemetry.cost.model import stack_costs
    from .telemetry.cost.report import build, to_json, to_markdown

    services = load_fleet(args.paths, _teams(args), _platform(args), progress=_progress(),
                          around=False).services
    if args.environment:
        services = [s for s in services if s.spec.environment == args.environment]
        if not services:
            raise SpecError(Problem(("--environment",), args.environment,
                                    "no service of these files runs in this environment"))
    report = build(stack_costs(services))
    print(to_json(report) if args.format == "json" else to_markdown(report), end="")
    return 0


def _cmd_changed(args: argparse.Namespace) -> int:
    from .fleet.changed import DEFAULT_SHARDS, changed_stacks
    from .load.platform import find_platform

    # The environments' rollout order, canary and bake: platform.yaml in or above the
    # head's synth output (the project's root); without one, the three defaults.
    platform = _platform(args) or find_platform([args.head])
    shards = args.shards or (DEFAULT_SHARDS if args.format == "matrix" else None)
    result = changed_stacks(args.base, args.head, platform, shards=shards)
    print({"json": result.to_json, "matrix": result.to_matrix}.get(args.format, result.to_text)(),
          end="")
    return 0


def _cmd_gate(args: argparse.Namespace) -> int:
    from .fleet.gate import report, run_gate

    def echo(line: str) -> None:  # CI logs, as it waits
        print(line, flush=True)

    result = run_gate(args.out, args.stacks, bake_minutes=args.bake_minutes, interval=args.interval,
                      ignore=args.ignore or (), region=args.region, endpoint_url=args.endpoint_url,
                      echo=echo)
    print(report(result, args.stacks, args.wave, args.bake_minutes), end="", flush=True)
    return 0 if result.passed else 1


def _cmd_review(args: argparse.Namespace) -> int:
    from .review.command import run_review

    return run_review(args)


def _warn(services) -> None:
    from .fleet.state import local_state_warnings

    for message in local_state_warnings(services):
        print(f"golden-path: {message}", file=sys.stderr)


def _teams(args: argparse.Namespace, paths=None):
    from .alerts.registry import TeamRegistry
    from .load.discover import find_teams

    if getattr(args, "teams", None):
        return TeamRegistry.load(args.teams)
    return find_teams(paths or args.paths)


#: What ``--check-live`` calls (docs/migration.md): read-only, one call per name.
LIVE_READS = ("sts:GetCallerIdentity, lambda:GetFunction, iam:GetRole, logs:DescribeLogGroups, "
              "sqs:GetQueueUrl, events:DescribeRule, ssm:GetParameter, "
              "elasticloadbalancing:DescribeTargetGroups, ecs:DescribeServices and "
              "secretsmanager:GetSecretValue on the pseudonym key secrets")


def _live(args: argparse.Namespace):
    """``--check-live``: a check of resolved services against the account (else None)."""
    if not getattr(args, "check_live", False):
        return None

    def check(services) -> None:
        from .fleet.live import caller_account, check_live, client_factory

        if not services:
            return
        from botocore.exceptions import BotoCoreError, ClientError

        make = client_factory(args.profile, args.endpoint_url)
        try:
            account = caller_account(make, services[0].region)
            problems, skipped, unchecked = check_live(services, account, make)
        except (BotoCoreError, ClientError) as err:
            raise SpecError(Problem(("--check-live",), args.profile or "default credentials", (
                f"the account could not be read ({' '.join(str(err).split())}); run it with "
                f"credentials that may call {LIVE_READS}"))) from None
        others = f"; {skipped} stacks of other accounts not checked" if skipped else ""
        names = sum(1 for p in problems if p.path[0] == "adopt")
        keys = f", {len(problems) - names} pseudonym key problem(s)" if len(problems) > names else ""
        print(f"live: {len(services) - skipped} stacks checked in account {account}, "
              f"{names} names already exist and are not adopted{keys}{others}",
              file=sys.stderr)
        for line in unchecked:
            print(f"live: {line}", file=sys.stderr)
        if problems:
            raise SpecError(problems)

    return check


def _platform(args: argparse.Namespace):
    from .load.platform import load_platform

    return load_platform(args.platform) if getattr(args, "platform", None) else None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="golden-path", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("schema", help="print the JSON Schema of a service file (or platform.yaml)")
    s.add_argument("--platform", action="store_true", help="the schema of platform.yaml")
    s.set_defaults(func=_cmd_schema)

    def fleet_options(cmd: argparse.ArgumentParser, live: bool = False) -> None:
        cmd.add_argument("--teams", help="team registry (default: teams.yaml in or above the paths)")
        cmd.add_argument("--platform", metavar="FILE",
                         help="platform.yaml (default: the one in or above the paths)")
        if live:
            cmd.add_argument("--check-live", action="store_true",
                             help="ask the account (the caller's credentials) which names the "
                                  "stacks would create already exist and are not adopted")
            cmd.add_argument("--profile", help="--check-live: the AWS profile to use")
            cmd.add_argument("--endpoint-url", help="--check-live: one endpoint for every AWS "
                                                    "service (tests: the local emulator)")

    v = sub.add_parser("validate", help="check service files (and directories of them) as a fleet")
    v.add_argument("paths", nargs="+")
    fleet_options(v, live=True)
    v.set_defaults(func=_cmd_validate)
    y = sub.add_parser("synth", help="synthesize service files into Terraform JSON")
    y.add_argument("paths", nargs="+")
    y.add_argument("--out", default="cdktf.out", help="output directory (default: cdktf.out)")
    y.add_argument("--no-cache", action="store_true",
                   help="construct every stack (default: unchanged stacks come from the synth cache)")
    y.add_argument("--jobs", "-j", type=int, default=None,
                   help="processes that construct stacks (default: the number of cores)")
    fleet_options(y, live=True)
    y.set_defaults(func=_cmd_synth)
    e = sub.add_parser("explain", help="the effective spec of one service in one environment, "
                                       "with the origin of every value")
    e.add_argument("file")
    e.add_argument("--environment", "-e", help="required for a file with environments:")
    fleet_options(e)
    e.set_defaults(func=_cmd_explain)
    g = sub.add_parser("graph", help="who can call whom in the fleet (Markdown table or DOT)")
    g.add_argument("paths", nargs="+")
    g.add_argument("--format", choices=["markdown", "dot"], default="markdown")
    fleet_options(g)
    g.set_defaults(func=_cmd_graph)
    n = sub.add_parser("new", help="write a new service file from platform.yaml")
    n.add_argument("name")
    n.add_argument("--team", required=True)
    n.add_argument("--kind", required=True, help="web, worker or lambda")
    n.add_argument("--language", help="lambda only (default: the platform's first allowed)")
    n.add_argument("--out", default=".", help="directory for NAME.yaml (default: .)")
    n.add_argument("--platform", metavar="FILE",
                   help="platform.yaml (default: the one in or above --out)")
    n.set_defaults(func=_cmd_new)
    k = sub.add_parser("cost", help="telemetry volume and cost per service and environment: "
                                     "everything kept vs after the policy")
    k.add_argument("paths", nargs="+")
    k.add_argument("--environment", "-e", metavar="ENV",
                   help="only this environment (default: all)")
    k.add_argument("--format", choices=["markdown", "json"], default="markdown")
    fleet_options(k)
    k.set_defaults(func=_cmd_cost)
    c = sub.add_parser("changed", help="stacks added, changed and removed between two synth "
                                       "outputs, in apply order")
    c.add_argument("--base", required=True, help="synth output of the base branch (cdktf.out)")
    c.add_argument("--head", required=True, help="synth output of the change (cdktf.out)")
    c.add_argument("--format", choices=["text", "json", "matrix"], default="text",
                   help="matrix: the plan shards as a GitHub Actions matrix, on one line")
    c.add_argument("--shards", type=int, metavar="N",
                   help="cut the stacks into at most N shards, one CI job each, planned or "
                        "applied one after another (1..256; --format matrix: default 20)")
    c.add_argument("--platform", metavar="FILE", help="platform.yaml: the environments' rollout "
                   "order, canary and bake (default: the one in or above --head, else "
                   "sandbox, staging, production)")
    c.set_defaults(func=_cmd_changed)
    a = sub.add_parser("gate", help="after a rollout wave's bake time, stop if an alarm of its "
                                    "stacks is in ALARM (exit 1, naming them)")
    a.add_argument("--out", default="cdktf.out", help="the synth output the wave was applied from")
    a.add_argument("--stacks", nargs="+", required=True, help="the stacks the wave applied")
    a.add_argument("--bake-minutes", type=float, default=0,
                   help="wait this long first, looking every --interval (default: 0)")
    a.add_argument("--interval", type=float, default=60, help="seconds between looks (default: 60)")
    a.add_argument("--wave", type=int, help="the wave's number, for the resume instruction")
    a.add_argument("--ignore", nargs="+", metavar="ALARM", help="alarms known to be unrelated")
    a.add_argument("--region", help="every alarm in this region (default: each stack's own)")
    a.add_argument("--endpoint-url", help="a CloudWatch endpoint (tests: the local emulator)")
    a.set_defaults(func=_cmd_gate)
    import textwrap

    from .review.findings import ALL_RULES

    class ReviewHelp(argparse.RawDescriptionHelpFormatter):
        def _split_lines(self, text: str, width: int) -> list[str]:
            return textwrap.wrap(text, width, break_on_hyphens=False)  # rule names stay whole

    r = sub.add_parser("review", help="review a change: two synth outputs and/or plan JSON",
                       formatter_class=ReviewHelp, epilog="rules for --fail-on:\n" + "\n".join(
                           f"  {rule:<25}{meaning}" for rule, meaning in ALL_RULES.items()))
    r.add_argument("--base", help="synth output of the base branch (cdktf.out)")
    r.add_argument("--head", help="synth output of the pull request (cdktf.out)")
    r.add_argument("--plan", action="append", help="terraform show -json output (repeatable)")
    r.add_argument("--format", choices=["markdown", "json"], default="markdown",
                   help="markdown: one PR comment, always under GitHub's 65,536 characters "
                        "(long lists end with '… and N more'); json: everything")
    r.add_argument("--json-out", metavar="FILE",
                   help="also write the whole review as JSON to FILE (what the comment "
                        "shortens is there)")
    r.add_argument("--fail-on", metavar="RULE,...",
                   help="comma-separated rules that fail the check (exit 1): "
                        f"{', '.join(ALL_RULES)} (meanings below)")
    r.add_argument("--checkov", action="store_true", help="scan head (and base) with checkov")
    r.add_argument("--services", nargs="+", metavar="PATH",
                   help="the head's service files or folders (with platform.yaml): traffic "
                        "assumptions and prices for the telemetry volume and cost lines")
    r.set_defaults(func=_cmd_review)
    register_drift(sub)  # review/drift_command.py
    register_discover(sub)  # its arguments and command live in discover/command.py
    register_slo(sub)  # alerts/slo_report.py
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SpecError as err:
        count = len(err.problems)
        print(f"golden-path: {count} problem{'s' if count > 1 else ''}:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem}", file=sys.stderr)
        if getattr(err, "note", None):  # the fleet around a named file (fleet/loader.py)
            print(f"golden-path: note: {err.note}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as err:  # a bug in golden_path, not in the input: one line, not a traceback
        import os

        if os.environ.get("GOLDEN_PATH_DEBUG") == "1":
            raise
        targets = [getattr(args, a, None) for a in ("paths", "file", "name", "base", "head", "plan")]
        shown = ", ".join(str(t) for v in targets if v for t in (v if isinstance(v, list) else [v]))
        detail = " ".join(str(err).split())  # one line, whatever the message
        print(f"golden-path: internal error while running {args.command}"
              f"{f' on {shown}' if shown else ''}: {type(err).__name__}: {detail} — please report this "
              "as a bug to the platform team (with the file and the command); "
              "GOLDEN_PATH_DEBUG=1 shows the traceback", file=sys.stderr)
        return 3  # exit 2 is bad input; 3 is a bug in golden_path


if __name__ == "__main__":
    sys.exit(main())
