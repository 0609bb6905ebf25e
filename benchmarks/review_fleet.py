"""The review of a fleet-wide change: its time and the size of its comment.

    python benchmarks/review_fleet.py [--services 300] [--change timeout fleet-wide]
                                      [--keep DIR | --reuse DIR]

Generates a fleet (benchmarks/fleet_gen.py), synthesizes it (base), then synthesizes
the same fleet with a pull request applied (head), once per ``--change`` (default: both):

- ``timeout``: exactly issue 19's one-line change, the exporter's ``timeout: 10s`` ->
  ``15s`` in templates/_exporter.yaml.j2. That line is rendered only into the ECS
  sidecar's config (a Lambda function's exporter timeout is computed from its own
  timeout), so it changes the ECS service stacks only: 90 of the 924 stacks for 300
  services.
- ``fleet-wide``: the same template's compression (gzip -> zstd) and timeout lines, and
  a second e-mail for every team's alerts (teams.yaml): every stack changes, the 900
  service stacks and the 24 team-route stacks (924 for 300 services).

A head is synthesized from a copy of the sources with the template changed (a fresh
process with PYTHONPATH on the copy), so the checkout is never touched.

Then, per change, in this process and in the same run:

- floor: reading and parsing every document of both outputs once (what no review can
  go below);
- `golden-path changed` on the two outputs (the review includes it, for the apply order);
- `golden-path review`: its time (median of 3) and its comment's characters, against
  GitHub's 65,536;
- `golden-path review` as CI runs it: a fresh process, imports included.

`--keep DIR` keeps the synth outputs in DIR (base/, head-<change>/); `--reuse DIR`
measures on them without synthesizing (each synth of the 924 stacks: about 52 s on 2
cores, with the synth cache cold).

Measured (2 cores, nothing else running, `--reuse`):

- timeout: 90 changed stacks; 2 changes in 1 group of stacks, the comment 3,575
  characters with the old and new line; review 3.0 s (1.6 x the floor of 1.9 s), a fresh
  process 3.2 s; 3 waves of 30 stacks, 20 plan jobs of 4 or 5.
- fleet-wide: 924 changed stacks; 7 changes in 4 groups, 10,643 characters; review
  3.3 s (1.3 x the floor of 2.6 s), a fresh process 3.3 s; 3 waves (300, 312, 312
  stacks), 20 plan jobs of 44 to 50 stacks.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
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
SHARDS = 20  # the CI recipe's


def _run(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{result.stdout}{result.stderr}")
    return time.perf_counter() - start


#: --change: the lines of templates/_exporter.yaml.j2 each changes, and whether every
#: team's alerts get a second e-mail.
CHANGES = {
    "timeout": ([("    timeout: 10s", "    timeout: 15s")], False),
    "fleet-wide": ([("    compression: gzip", "    compression: zstd"),
                    ("    timeout: 10s", "    timeout: 15s")], True),
}


def _second_email(teams: Path) -> None:
    text = teams.read_text()
    teams.write_text("\n".join(
        line.replace("-oncall@example.com", "-oncall@example.com, "
                     + line.split("[", 1)[1].split("-oncall@", 1)[0] + "-leads@example.com")
        if "emails: [" in line and "-oncall@" in line else line for line in text.splitlines()) + "\n")


def make_outputs(work: Path, services: int, changes: list[str]) -> tuple[Path, dict[str, Path]]:
    """Generate the fleet, synthesize base and one head per change into ``work``."""
    from fleet_gen import generate_fleet

    generate_fleet(work / "fleet", services)
    env = {**os.environ, "CI": "1", "GOLDEN_PATH_CACHE": str(work / "cache"),
           "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1"}
    base_s = _run([CLI, "synth", str(work / "fleet" / "services"), "--out", str(work / "base")],
                  env)
    print(f"synth: base {base_s:.0f} s")
    heads = {}
    for change in changes:
        lines, second_email = CHANGES[change]
        fleet = work / f"fleet-{change}"
        shutil.copytree(work / "fleet", fleet)
        if second_email:
            _second_email(fleet / "teams.yaml")
        source = work / f"source-{change}"
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(ROOT / "constructs", source / "constructs", ignore=ignore)
        shutil.copytree(ROOT / "templates", source / "templates", ignore=ignore)
        exporter = source / "templates" / "_exporter.yaml.j2"
        template = exporter.read_text()
        for old, new in lines:
            if template.count(old) != 1:
                raise SystemExit(f"templates/_exporter.yaml.j2 has no single line {old.strip()!r}: "
                                 "update the benchmark's change")
            template = template.replace(old, new)
        exporter.write_text(template)
        head_env = {**env, "PYTHONPATH": str(source / "constructs")}
        heads[change] = work / f"head-{change}"
        head_s = _run([sys.executable, "-m", "golden_path.cli", "synth",
                       str(fleet / "services"), "--out", str(heads[change])], head_env)
        print(f"synth: head {change} {head_s:.0f} s (from a copy of the sources with the "
              "template changed)")
    return work / "base", heads


def median(fn, n: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(n):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(base: Path, head: Path, change: str) -> None:
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

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    start, cpu_start = time.perf_counter(), cpu()
    subprocess.run([CLI, "review", "--base", str(base), "--head", str(head)], check=True,
                   capture_output=True, env={**os.environ, "CI": "1"})
    process_t, process_cpu = time.perf_counter() - start, cpu() - cpu_start
    clusters = len({tuple(sorted(g.stacks)) for g in report.changes})
    print(f"\n--change {change}: {len(changed.apply_order)} changed stacks of {stacks}; the review: "
          f"{len(report.changes)} distinct changes in {clusters} groups of stacks, "
          f"{len(report.finding_groups)} finding groups; the comment shows the timeout's old and "
          f"new line: {'-    timeout: 10s' in text and '+    timeout: 15s' in text}")
    rows = [("floor: parse every document of base and head once", floor, ""),
            ("golden-path changed (inside the review)", changed_t, ""),
            ("golden-path review, Markdown (median of 3)", review_t,
             f"{len(text):,} characters ({len(text) / LIMIT:.0%} of {LIMIT:,})"),
            ("golden-path review, a fresh process (as in CI)", process_t,
             f"{process_cpu:.1f} s of CPU")]
    print(f"| {'measure':<52} | {'seconds':>7} | {'x floor':>7} | comment |")
    print(f"| {'-' * 52} | {'-' * 7} | {'-' * 7} | ------- |")
    for name, seconds, note in rows:
        print(f"| {name:<52} | {seconds:7.2f} | {seconds / floor:7.1f} | {note} |")
    sharded = changed_stacks(base, head, shards=SHARDS)
    sizes = [s.count for s in sharded.plan_shards]
    print(f"`golden-path changed --shards {SHARDS}`: {len(sharded.rollout)} wave(s); plan: "
          f"{len(sizes)} jobs of {min(sizes)} to {max(sizes)} stacks")
    for w in sharded.rollout:
        jobs = [[s.count for s in step] for step in w.shards]
        print(f"  wave {w.number}: {w.environment} {w.kind}, {len(w.stacks)} stacks, bake "
              f"{w.bake_minutes} min; apply jobs per step {[len(j) for j in jobs]}, "
              f"stacks per job {min(min(j) for j in jobs)} to {max(max(j) for j in jobs)}")
    if len(text) > LIMIT:
        raise SystemExit(f"the comment is {len(text):,} characters: GitHub refuses more than "
                         f"{LIMIT:,}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=300)
    parser.add_argument("--change", nargs="+", choices=list(CHANGES), default=list(CHANGES),
                        help="timeout: issue 19's one line (ECS stacks only); fleet-wide: "
                             "compression and timeout, a second e-mail per team (every stack)")
    parser.add_argument("--keep", metavar="DIR", help="keep the synth outputs in DIR")
    parser.add_argument("--reuse", metavar="DIR", help="measure on DIR/base and DIR/head-<change>")
    args = parser.parse_args()
    print(f"{os.cpu_count()} cores")
    if args.reuse:
        for change in args.change:
            measure(Path(args.reuse) / "base", Path(args.reuse) / f"head-{change}", change)
        return
    with tempfile.TemporaryDirectory() as tmp:
        base, heads = make_outputs(Path(tmp), args.services, args.change)
        if args.keep:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            for side in (base, *heads.values()):
                shutil.rmtree(keep / side.name, ignore_errors=True)
                shutil.copytree(side, keep / side.name)
        for change, head in heads.items():
            measure(base, head, change)


if __name__ == "__main__":
    main()
