"""checkov on a whole generated fleet: does every stack pass, with a reason on every skip?

Generates a fleet (benchmarks/fleet_gen.py: default 300 services in sandbox, staging and
production, the example's platform.yaml), synthesizes it in-process with the synth
cache off, then runs the project's checkov (.tools/checkov, offline) through
``review/checkov_scan.scan``, which applies the skips written on the resources. Prints
the counts per check and the times (synth vs checkov in the same run); no thresholds.

    .venv/bin/python benchmarks/checkov_fleet.py [--services N] [--seed S] [--jobs J]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "constructs"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fleet_gen import generate_fleet  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

    from golden_path.alerts.registry import TeamRegistry
    from golden_path.fleet import load_all
    from golden_path.review.checkov_scan import checkov_binary, scan, unexplained
    from golden_path.synth import synth

    binary = checkov_binary()
    if binary is None:
        print("checkov is not installed: run `make setup`", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "fleet"
        summary = generate_fleet(root, args.services, seed=args.seed)
        teams = TeamRegistry.load(root / "teams.yaml")
        started = time.perf_counter()
        names = synth(load_all([root / "services"], teams), Path(tmp) / "out", teams,
                      cache=False, jobs=args.jobs)
        synth_s = time.perf_counter() - started
        started = time.perf_counter()
        result = scan(Path(tmp) / "out", binary)
        scan_s = time.perf_counter() - started
    problems = unexplained(result)
    print(f"fleet: {args.services} services ({summary['kinds']}), {len(names)} stacks")
    print(f"synth (--jobs {args.jobs}, no cache): {synth_s:.1f} s; checkov: {scan_s:.1f} s "
          f"({scan_s / synth_s:.2f}x synth, {1000 * scan_s / len(names):.0f} ms per stack)")
    print(f"checkov: {result.passed} passed, {len(result.failed)} failed, "
          f"{len(result.skipped)} skipped with a reason, {len(result.stale)} stale skips")
    for check, count in sorted(Counter(c for _, c, _ in result.skipped).items()):
        print(f"  skipped {check}: {count}")
    for line in problems[:20]:
        print(f"  UNEXPLAINED {line}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
