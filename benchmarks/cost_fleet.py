"""How long does ``golden-path cost`` take on a whole fleet, next to ``validate``?

Generates a fleet (benchmarks/fleet_gen.py: default 300 services, each in sandbox,
staging and production; platform.yaml is the example's, with its traffic defaults
and illustrative prices), then measures in one run:

(a) ``load_all`` (what ``validate`` does: load, resolve, render, fleet checks);
(b) the cost model on the resolved services: assumptions, the calibration (each
    distinct set of rendered log rules replayed once over the corpus), volumes and
    costs, and the Markdown report; first with empty calibration caches, then warm;
(c) both through the real CLI in a subprocess (``golden-path validate|cost DIR``).

Prints figures and the ratios to validate; no thresholds here.

    .venv/bin/python benchmarks/cost_fleet.py [--services N] [--seed S] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "constructs"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleet_gen import generate_fleet  # noqa: E402
from validate_fleet import cli, timed  # noqa: E402


def run_cli(command: str, path: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run([*cli(), command, str(path)], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        print(f"  !! golden-path {command} {path}: exit {proc.returncode}")
        print("  " + "\n  ".join(proc.stderr.strip().splitlines()[-10:]))
    return seconds


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--services", type=int, default=300, help="services in the fleet (default 300)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3, help="in-process runs (best of)")
    args = p.parse_args()
    os.chdir(ROOT)

    from golden_path.alerts.registry import TeamRegistry
    from golden_path.fleet import load_all
    from golden_path.telemetry.cost import corpus
    from golden_path.telemetry.cost.model import stack_costs
    from golden_path.telemetry.cost.report import build, to_markdown

    def cost(services) -> tuple[int, int]:
        report = build(stack_costs(services))
        return len(report.stacks), len(to_markdown(report))

    with tempfile.TemporaryDirectory(prefix="golden-path-cost-") as tmp:
        fleet = Path(tmp) / "fleet"
        summary = generate_fleet(fleet, args.services, seed=args.seed)
        teams = TeamRegistry.load(fleet / "teams.yaml")
        load_all([fleet], teams)  # imports, template and schema caches
        validate_runs, services = timed(lambda: load_all([fleet], teams), args.repeat)
        cold_runs = []
        for _ in range(args.repeat):
            corpus.calibrate.cache_clear()
            corpus._program.cache_clear()
            runs, (stacks, chars) = timed(lambda: cost(services), 1)
            cold_runs += runs
        distinct = corpus.calibrate.cache_info().currsize
        warm_runs, _ = timed(lambda: cost(services), args.repeat)
        cli_validate = run_cli("validate", fleet)
        cli_cost = run_cli("cost", fleet)

    validate, cold, warm = min(validate_runs), min(cold_runs), min(warm_runs)
    kinds = ", ".join(f"{n} {k}" for k, n in summary["kinds"].items())
    print(f"fleet: {summary['services']} services ({kinds}), {stacks} stacks; "
          f"{distinct} distinct sets of log rules calibrated; report {chars:,} characters")
    print(f"in-process, best of {args.repeat}:")
    print(f"  validate (load_all)                  {validate:6.2f} s")
    print(f"  cost model + report, cold caches     {cold:6.2f} s  = {cold / validate:.2f}x validate")
    print(f"  cost model + report, warm            {warm:6.2f} s  = {warm / validate:.2f}x validate")
    print(f"  golden-path cost in-process in all   {validate + cold:6.2f} s  "
          f"= {(validate + cold) / validate:.2f}x validate")
    print("CLI (one subprocess each, imports included):")
    print(f"  golden-path validate DIR             {cli_validate:6.2f} s")
    print(f"  golden-path cost DIR                 {cli_cost:6.2f} s  "
          f"= {cli_cost / cli_validate:.2f}x validate")


if __name__ == "__main__":
    main()
