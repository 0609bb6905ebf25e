"""The fleet benchmark (`make bench`): validate and synth of a generated fleet, per backend.

    python benchmarks/fleet.py [--services 300] [--jobs 2] [--backends cdktf,cdktn]

Generates N services in the fleet form (benchmarks/fleet_gen.py: about 90 % Lambda,
some Fargate web and workers, each in sandbox, staging and production) and measures,
in one run and for each installed backend (GOLDEN_PATH_BACKEND):

- floor: a fresh process that imports the backend and synthesizes one empty stack
  with the AWS provider: the least any synth costs;
- validate: `golden-path validate` of the fleet (pure Python, no backend import);
- full synth: `golden-path synth --no-cache` with one process and with --jobs;
- incremental synth: one service changed, the cache warm, --jobs;
- peak RSS of the largest process of each synth (as `golden-path synth` reports it).

Every figure is printed with its ratio to the floor of the same backend in the same
run. Each synth runs in a fresh process, as CI would run it.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
CLI = str(Path(sys.executable).with_name("golden-path"))
FLOOR = """
import time
start = time.perf_counter()
from golden_path.cdk import App, AwsProvider, TerraformStack
import tempfile
app = App(outdir=tempfile.mkdtemp())
stack = TerraformStack(app, "empty")
AwsProvider(stack, "aws", region="eu-west-1")
app.synth()
print(time.perf_counter() - start)
"""
BACKEND_MODULES = {"cdktf": "cdktf_cdktf_provider_aws", "cdktn": "cdktn_provider_aws"}


def timed(cmd: list[str], env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")
    return elapsed, result.stdout + result.stderr


def peak_mib(output: str) -> float:
    found = re.search(r"peak memory (\d+) MiB", output)
    return float(found[1]) if found else float("nan")


def measure(backend: str, fleet: Path, jobs: int, work: Path) -> list[tuple[str, float, str]]:
    env = {**os.environ, "GOLDEN_PATH_BACKEND": backend, "CI": "1",
           "GOLDEN_PATH_CACHE": str(work / f"cache-{backend}"),
           "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    rows = []
    floor, _ = timed([sys.executable, "-c", FLOOR], env)
    rows.append(("floor: import + one empty stack", floor, ""))
    validate, _ = timed([CLI, "validate", str(fleet / "services")], env)
    rows.append(("validate (CLI, whole process)", validate, ""))
    synth = [CLI, "synth", str(fleet / "services"), "--out"]
    full1, out1 = timed([*synth, str(work / f"{backend}-1"), "--no-cache", "--jobs", "1"], env)
    rows.append(("full synth, 1 process", full1, f"peak {peak_mib(out1):.0f} MiB"))
    fullj, outj = timed([*synth, str(work / f"{backend}-j"), "--no-cache", "--jobs", str(jobs)], env)
    rows.append((f"full synth, --jobs {jobs}", fullj, f"peak {peak_mib(outj):.0f} MiB per process"))
    timed([*synth, str(work / f"{backend}-warm"), "--jobs", str(jobs)], env)  # fills the cache
    target = next(f for f in sorted((fleet / "services").glob("*.yaml"))
                  if "runtime: lambda" in f.read_text())
    original = target.read_text()
    target.write_text(original.replace("\nenvironments:", "\nephemeral_storage: 1024\nenvironments:", 1))
    try:
        inc, out_inc = timed([*synth, str(work / f"{backend}-inc"), "--jobs", str(jobs)], env)
    finally:
        target.write_text(original)
    constructed = re.search(r"(\d+) constructed", out_inc)
    rows.append((f"incremental synth, 1 service changed ({constructed[1] if constructed else '?'} "
                 "stacks constructed)", inc, f"peak {peak_mib(out_inc):.0f} MiB"))
    return rows


def main() -> None:
    from fleet_gen import generate_fleet

    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--backends", default="cdktf,cdktn")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",")
                if importlib.util.find_spec(BACKEND_MODULES.get(b, b)) is not None]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        summary = generate_fleet(work / "fleet", args.services)
        print(f"fleet: {summary['services']} services, {summary['stacks']} service stacks "
              f"({summary['kinds']}); {os.cpu_count()} cores; backends: {', '.join(backends)}")
        for backend in backends:
            rows = measure(backend, work / "fleet", args.jobs, work)
            floor = rows[0][1]
            print(f"\n{backend}")
            print(f"| {'measure':<58} | {'seconds':>8} | {'x floor':>7} | memory |")
            print(f"| {'-' * 58} | {'-' * 8} | {'-' * 7} | ------ |")
            for name, seconds, note in rows:
                print(f"| {name:<58} | {seconds:8.2f} | {seconds / floor:7.2f} | {note} |")


if __name__ == "__main__":
    main()
