"""How long does `golden-path discover` take on a legacy account of 300 functions?

Starts the local AWS emulator (moto server, tests/emulator.py), builds the platform of one
environment in it and seeds a legacy fleet (tests/legacy_fleet.py: default 300 Lambda
functions, no ECS services), then measures in one run:

(a) the baseline: the bare minimum any discovery must read, ListFunctions (paginated) and one
    GetFunction per function, one call after another;
(b) `golden-path discover` in-process (every read, translate, validate, write), into an
    empty folder.

Prints figures and the ratio; no thresholds here. The emulator answers in milliseconds, so
the figures count calls and work rather than AWS's latency.

    .venv/bin/python benchmarks/discover_fleet.py [--functions N] [--repeat R]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "constructs"))
sys.path.insert(0, str(ROOT / "tests"))

import emulated_platform as ep  # noqa: E402
import emulator as em  # noqa: E402
from legacy_fleet import seed_legacy_fleet  # noqa: E402


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    runs, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return runs, result


def baseline(emu: em.Emulator, account: str) -> int:
    """ListFunctions (paginated) and one GetFunction per function; the calls made."""
    lam = emu.client("lambda", account)
    calls = 0
    names = []
    for page in lam.get_paginator("list_functions").paginate():
        calls += 1
        names += [f["FunctionName"] for f in page["Functions"]]
    for name in names:
        lam.get_function(FunctionName=name)
        calls += 1
    return calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="golden-path-discover-bench-"))
    emu = em.start_emulator(work)
    try:
        start = time.perf_counter()
        platform = ep.build_platform(emu)
        seed_legacy_fleet(emu, platform, functions=args.functions, services=False)
        print(f"seeded {args.functions} functions (platform + legacy fleet) in "
              f"{time.perf_counter() - start:.1f} s")
        (work / "platform.yaml").write_text(yaml.safe_dump(platform.platform_yaml(),
                                                           sort_keys=False))
        os.environ.update(emu.credentials(platform.account))
        from golden_path.cli import main as cli

        def discover() -> int:
            out = work / "services"
            shutil.rmtree(out, ignore_errors=True)
            with contextlib.redirect_stdout(io.StringIO()) as report:
                rc = cli(["discover", "-e", platform.environment, "--endpoint-url", emu.url,
                          "--out", str(out), "--format", "json"])
            assert rc == 0, report.getvalue()
            return yaml.safe_load(report.getvalue())

        base_runs, base_calls = timed(lambda: baseline(emu, platform.account), args.repeat)
        runs, report = timed(discover, args.repeat)
        b, d = min(base_runs), min(runs)
        n = args.functions
        print(f"(a) baseline, ListFunctions + GetFunction each: {b:.2f} s wall "
              f"({b * 1000 / n:.1f} ms/function, {base_calls} calls, best of {args.repeat})")
        print(f"(b) golden-path discover: {d:.2f} s wall ({d * 1000 / n:.1f} ms/function, "
              f"{report['calls']} calls, {report['counts']['written']} files written, "
              f"{report['counts']['skipped']} skipped, best of {args.repeat})")
        print(f"ratio discover / baseline: {d / b:.2f}x wall, "
              f"{report['calls'] / base_calls:.2f}x calls")
    finally:
        emu.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
