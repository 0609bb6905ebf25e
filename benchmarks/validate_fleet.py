"""How long does validating a whole fleet take, next to the four examples?

Generates a fleet (benchmarks/fleet_gen.py: default 300 services, each in sandbox,
staging and production) in a temporary directory, then measures in one run:

(a) the baseline: ``load_all`` of the example service files (4 services, 12 stacks);
(b) ``load_all`` of the generated fleet (load, resolve, render, fleet checks);
(c) both through the real CLI in a subprocess (``golden-path validate DIR``);
(d) one file of each through the CLI (``golden-path validate FILE``), which checks the file
    against the fleet around it (its neighbours resolved, their configs not rendered).

Both in-process runs use the team registry beside the files, as the CLI does.
Prints figures and ratios; no thresholds here.

    .venv/bin/python benchmarks/validate_fleet.py [--services N] [--seed S] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "constructs"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleet_gen import generate_fleet  # noqa: E402


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    """Wall times of ``repeat`` runs (time.perf_counter) and the last result."""
    runs, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return runs, result


def figures(label: str, services: int, stacks: int, seconds: float, note: str = "") -> str:
    wall = f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"
    return (f"{label} {services} services ({stacks} stacks): {wall} wall, "
            f"{seconds * 1000 / services:.1f} ms/service, {seconds * 1000 / stacks:.1f} ms/stack"
            + (f"  [{note}]" if note else ""))


def cli() -> list[str]:
    script = ROOT / ".venv" / "bin" / "golden-path"
    if script.exists():
        return [str(script)]
    found = shutil.which("golden-path")
    return [found] if found else [sys.executable, "-c", "from golden_path.cli import main; main()"]


def run_cli(path: Path, stacks: int) -> float:
    """Wall time of ``golden-path validate path``; complains when it does not pass."""
    return _run_cli(path, stacks)


def _run_cli(path: Path, stacks: int) -> float:
    """Wall time of ``golden-path validate path``; complains when it does not pass."""
    start = time.perf_counter()
    proc = subprocess.run([*cli(), "validate", str(path)], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    ok = sum(line.startswith("ok ") for line in proc.stdout.splitlines())
    if proc.returncode != 0 or ok != stacks:
        print(f"  !! golden-path validate {path}: exit {proc.returncode}, {ok} of {stacks} stacks ok")
        print("  " + "\n  ".join((proc.stderr or proc.stdout).strip().splitlines()[-10:]))
    return seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--services", type=int, default=300, help="services in the fleet (default 300)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3, help="in-process runs of the fleet (best of)")
    args = p.parse_args()
    os.chdir(ROOT)  # examples as `load_all(["examples"])` from the repo root; shorter paths

    from golden_path.alerts.registry import TeamRegistry
    from golden_path.fleet import load_all
    from golden_path.fleet.checks import fleet_problems
    from golden_path.fleet.graph import build_graph
    from golden_path.load.discover import discover

    # (a) baseline: the examples.
    examples = Path("examples")
    example_teams = TeamRegistry.load(examples / "teams.yaml")
    n_examples = len(discover([examples]))
    load_all([examples], example_teams)  # imports, template and schema caches
    base_runs, base_services = timed(lambda: load_all([examples], example_teams), 10)
    base = min(base_runs)
    base_stacks = len(base_services)

    with tempfile.TemporaryDirectory(prefix="golden-path-fleet-") as tmp:
        fleet = Path(tmp) / "fleet"
        start = time.perf_counter()
        summary = generate_fleet(fleet, args.services, seed=args.seed)
        generated = time.perf_counter() - start
        teams = TeamRegistry.load(fleet / "teams.yaml")

        # (b) the fleet, in-process.
        runs, services = timed(lambda: load_all([fleet], teams), args.repeat)
        best = min(runs)
        stacks = len(services)
        check_runs, problems = timed(lambda: fleet_problems(services), 3)
        graph, unknown = build_graph(services)

        # (c) the same through the CLI (a fresh process: imports included).
        cli_base = run_cli(examples, base_stacks)
        cli_fleet = run_cli(fleet, stacks)
        # (d) one file, checked within its fleet (3 stacks: sandbox, staging, production).
        one_file = sorted((fleet / "services").glob("*.yaml"))[0]
        cli_one_base = run_cli(examples / "services" / "storefront.yaml", 3)
        cli_one_fleet = run_cli(one_file, 3)

    kinds = ", ".join(f"{n} {k}" for k, n in summary["kinds"].items())
    print(f"fleet: {summary['services']} services ({kinds}), {summary['teams']} teams, "
          f"{summary['files']} files, {summary['yaml_lines']} YAML lines "
          f"({summary['yaml_lines_per_service']} per service); generated in {generated:.2f} s")
    print(f"       {len(summary['calls'])} planned calls -> {len(graph.edges)} call-graph edges, "
          f"{len(graph.cycles)} loops, {len(unknown)} unknown callees, {len(problems)} fleet problems")
    print()
    print("in-process (golden_path.fleet.load_all, team registry given):")
    print("  " + figures("baseline: validate", n_examples, base_stacks, base,
                         f"examples/, best of {len(base_runs)}"))
    print("  " + figures("validate", summary["services"], stacks, best,
                         f"best of {len(runs)}: {', '.join(f'{r:.2f}' for r in runs)} s"))
    print(f"  of which the fleet checks alone (duplicates, listener rules, shared queues, call "
          f"graph): {min(check_runs) * 1000:.0f} ms")
    print()
    print("CLI (golden-path validate DIR, one subprocess each, imports included):")
    print("  " + figures("baseline: validate", n_examples, base_stacks, cli_base, "examples/"))
    print("  " + figures("validate", summary["services"], stacks, cli_fleet))
    print(f"  CLI fleet - in-process fleet: {cli_fleet - best:.2f} s "
          "(start-up, imports, printing one line per stack)")
    print()
    print("CLI (golden-path validate FILE: one file, checked within the fleet around it):")
    print(f"  baseline: storefront.yaml within examples/ ({base_stacks} stacks): {cli_one_base:.2f} s")
    print(f"  {one_file.name} within the fleet ({stacks} stacks): {cli_one_fleet:.2f} s, "
          f"{cli_one_fleet / cli_fleet:.2f}x the whole-fleet validate, "
          f"{cli_one_fleet / cli_one_base:.2f}x the baseline")
    print()
    per_base, per_fleet = base / n_examples, best / summary["services"]
    cli_per_base, cli_per_fleet = cli_base / n_examples, cli_fleet / summary["services"]
    print(f"ratio of per-service time, fleet / baseline: in-process {per_fleet / per_base:.2f}x "
          f"({per_fleet * 1000:.1f} vs {per_base * 1000:.1f} ms), CLI {cli_per_fleet / cli_per_base:.2f}x "
          f"({cli_per_fleet * 1000:.1f} vs {cli_per_base * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
