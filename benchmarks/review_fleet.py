"""The review of a fleet-wide change: its time and the size of its comment.

    python benchmarks/review_fleet.py [--services 300] [--keep DIR | --reuse DIR]

Generates a fleet (benchmarks/fleet_gen.py), synthesizes it (base), then synthesizes
the same fleet with one pull request applied (head): one line changed in a shared
template (templates/_exporter.yaml.j2: the exporter's compression, gzip -> zstd, and
the ECS exporter's timeout, 10s -> 15s), which changes every service stack, and a
second e-mail for every team's alerts (teams.yaml), which changes every team-route
stack: 936 changed stacks for 300 services. Head is synthesized from a copy of the
sources with the template changed (a fresh process with PYTHONPATH on the copy), so
the checkout is never touched.

Then, in this process and in the same run:

- floor: reading and parsing every document of both outputs once (what no review can
  go below);
- `golden-path changed` on the two outputs (the review includes it, for the apply order);
- `golden-path review`: its time (median of 3) and its comment's characters, against
  GitHub's 65,536;
- `golden-path review` as CI runs it: a fresh process, imports included.

`--keep DIR` keeps the two synth outputs in DIR (base/, head/); `--reuse DIR` measures
on them without synthesizing (a synth of 936 stacks takes minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
CLI = str(Path(sys.executable).with_name("golden-path"))
LIMIT = 65_536


def _run(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")
    return time.perf_counter() - start


def make_outputs(work: Path, services: int) -> tuple[Path, Path]:
    """Generate the fleet, and synthesize base and head into ``work``."""
    from fleet_gen import generate_fleet

    generate_fleet(work / "fleet", services)
    shutil.copytree(work / "fleet", work / "fleet-head")
    teams = work / "fleet-head" / "teams.yaml"
    text = teams.read_text()
    teams.write_text("\n".join(
        line.replace("-oncall@example.com", "-oncall@example.com, "
                     + line.split("[", 1)[1].split("-oncall@", 1)[0] + "-leads@example.com")
        if "emails: [" in line and "-oncall@" in line else line for line in text.splitlines()) + "\n")
    source = work / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "constructs", source / "constructs", ignore=ignore)
    shutil.copytree(ROOT / "templates", source / "templates", ignore=ignore)
    exporter = source / "templates" / "_exporter.yaml.j2"
    template = exporter.read_text()
    for old, new in (("    compression: gzip", "    compression: zstd"),
                     ("    timeout: 10s", "    timeout: 15s")):
        if old not in template:
            raise SystemExit(f"templates/_exporter.yaml.j2 has no line {old.strip()!r}: update "
                             "the benchmark's change")
        template = template.replace(old, new)
    exporter.write_text(template)
    env = {**os.environ, "CI": "1", "GOLDEN_PATH_CACHE": str(work / "cache"),
           "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    base_s = _run([CLI, "synth", str(work / "fleet" / "services"), "--out", str(work / "base")],
                  env)
    head_env = {**env, "PYTHONPATH": str(source / "constructs")}
    head_s = _run([sys.executable, "-m", "golden_path.cli", "synth",
                   str(work / "fleet-head" / "services"), "--out", str(work / "head")], head_env)
    print(f"synth: base {base_s:.0f} s, head {head_s:.0f} s (head from a copy of the sources "
          "with the template changed)")
    return work / "base", work / "head"


def median(fn, n: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(n):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(base: Path, head: Path) -> None:
    from golden_path.cli import main as cli
    from golden_path.fleet.changed import changed_stacks
    from golden_path.review.report import ReviewModel
    from golden_path.review.synth_diff import load_docs

    def review(*extra: str) -> str:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            cli(["review", "--base", str(base), "--head", str(head), *extra])
        return out.getvalue()

    stacks = len(os.listdir(head / "stacks"))
    floor, _ = median(lambda: (load_docs(base), load_docs(head)))
    changed_t, changed = median(lambda: changed_stacks(base, head))
    review_t, text = median(review)
    report = ReviewModel.model_validate_json(review("--format", "json"))
    start = time.perf_counter()
    subprocess.run([CLI, "review", "--base", str(base), "--head", str(head)], check=True,
                   capture_output=True, env={**os.environ, "CI": "1"})
    process_t = time.perf_counter() - start
    clusters = len({tuple(sorted(g.stacks)) for g in report.changes})
    print(f"{len(changed.apply_order)} changed stacks of {stacks}; the review: "
          f"{len(report.changes)} distinct changes in {clusters} groups of stacks, "
          f"{len(report.finding_groups)} finding groups")
    rows = [("floor: parse every document of base and head once", floor, ""),
            ("golden-path changed (inside the review)", changed_t, ""),
            ("golden-path review, Markdown (median of 3)", review_t,
             f"{len(text):,} characters ({len(text) / LIMIT:.0%} of {LIMIT:,})"),
            ("golden-path review, a fresh process (as in CI)", process_t, "")]
    print(f"| {'measure':<52} | {'seconds':>7} | {'x floor':>7} | comment |")
    print(f"| {'-' * 52} | {'-' * 7} | {'-' * 7} | ------- |")
    for name, seconds, note in rows:
        print(f"| {name:<52} | {seconds:7.2f} | {seconds / floor:7.1f} | {note} |")
    if len(text) > LIMIT:
        raise SystemExit(f"the comment is {len(text):,} characters: GitHub refuses more than "
                         f"{LIMIT:,}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=300)
    parser.add_argument("--keep", metavar="DIR", help="keep the synth outputs in DIR")
    parser.add_argument("--reuse", metavar="DIR", help="measure on DIR/base and DIR/head")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores")
    if args.reuse:
        measure(Path(args.reuse) / "base", Path(args.reuse) / "head")
        return
    with tempfile.TemporaryDirectory() as tmp:
        base, head = make_outputs(Path(tmp), args.services)
        if args.keep:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            for side in (base, head):
                shutil.rmtree(keep / side.name, ignore_errors=True)
                shutil.copytree(side, keep / side.name)
        measure(base, head)


if __name__ == "__main__":
    main()
