"""How many stacks CI plans for a one-service change in a generated fleet.

    python benchmarks/changed_fleet.py [--services 300]

Generates a fleet (benchmarks/fleet_gen.py), synthesizes it (base), changes one
service the way a team would (a production-only override, then a shared field),
synthesizes again (head) and runs `golden-path changed` on the two outputs: the
stacks it lists are the ones the pull-request workflow plans (examples/ci/). Last, a
platform change: one line of a shared template (the exporter's compression) rendered
differently in every service stack, in rollout waves and plan shards.

Measured (2 shared cores, 300 services: 924 stacks, 24 of them team routes): change 1
plans 1 stack, change 2 three; change 3 changes 900 stacks, 3 waves of 300 (sandbox,
staging, production; bake 0, 15, 30 min), each applied in 20 jobs of 15 stacks; the plan
matrix is 20 jobs of 42 to 50 stacks (7 + 7 + 6 over the three accounts), 27,877 bytes
of job output. Issue 19's own line (the exporter's ``timeout: 10s``) is rendered into the
ECS sidecar's config only: 90 stacks; ``benchmarks/review_fleet.py --change timeout``
synthesizes exactly that change.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")


def synth_fleet(fleet: Path, out: Path) -> float:
    from golden_path.fleet import load_all
    from golden_path.load.discover import find_teams
    from golden_path.synth import synth

    start = time.perf_counter()
    teams = find_teams([fleet])
    synth(load_all([fleet / "services"], teams), out, teams)
    return time.perf_counter() - start


def main() -> None:
    from fleet_gen import generate_fleet

    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=300)
    parser.add_argument("--shards", type=int, default=20)
    args = parser.parse_args()
    from golden_path.fleet.changed import changed_stacks

    with tempfile.TemporaryDirectory() as tmp:
        fleet = Path(tmp) / "fleet"
        summary = generate_fleet(fleet, args.services)
        t0 = time.perf_counter()
        import golden_path.cdk

        golden_path.cdk.load()

        print(f"import cdktf + provider: {time.perf_counter() - t0:.1f} s")
        base = synth_fleet(fleet, Path(tmp) / "base")
        stacks = len(list((Path(tmp) / "base" / "stacks").iterdir()))
        print(f"fleet: {args.services} services ({summary['kinds']}), {stacks} stacks; "
              f"base synth {base:.1f} s")
        files = sorted((fleet / "services").glob("*.yaml"))
        target = next(f for f in files if "runtime: lambda" in f.read_text())
        text = target.read_text()
        # 1. A production-only change (an environment override).
        target.write_text(text.replace("  production:", "  production:\n    memory: 1536", 1)
                          if "  production:\n" in text else text + "")
        head = synth_fleet(fleet, Path(tmp) / "head")
        one = changed_stacks(Path(tmp) / "base", Path(tmp) / "head")
        print(f"change 1, {target.name} production override: {len(one.apply_order)} stack(s) to plan "
              f"of {stacks} ({', '.join(one.apply_order)}); head synth {head:.1f} s")
        # 2. A shared field: every environment of the service changes.
        target.write_text(text.replace("timeout:", "timeout: 29 #", 1) if "timeout:" in text
                          else text.replace("\nenvironments:", "\ntimeout: 29\nenvironments:", 1))
        synth_fleet(fleet, Path(tmp) / "head2")
        both = changed_stacks(Path(tmp) / "base", Path(tmp) / "head2")
        print(f"change 2, {target.name} shared field: {len(both.apply_order)} stack(s) to plan of "
              f"{stacks} ({', '.join(both.apply_order)})")
        # 3. A platform change: templates/_exporter.yaml.j2 rendered differently everywhere.
        shutil.copytree(Path(tmp) / "base", Path(tmp) / "head3")
        for path in (Path(tmp) / "head3" / "stacks").glob("*/cdk.tf.json"):
            text = path.read_text()
            path.write_text(text.replace("compression: gzip", "compression: zstd"))
        t0 = time.perf_counter()
        three = changed_stacks(Path(tmp) / "base", Path(tmp) / "head3", shards=args.shards)
        print(f"change 3, one line of the shared exporter template: {len(three.apply_order)} stack(s) "
              f"to plan of {stacks}, `changed` in {time.perf_counter() - t0:.1f} s")
        for wave in three.rollout:
            shards = [len(step) for step in wave.shards]
            print(f"  wave {wave.number}: {wave.environment} {wave.kind}, {len(wave.stacks)} stacks, "
                  f"bake {wave.bake_minutes} min, apply jobs per step {shards}")
        sizes = [s.count for s in three.plan_shards]
        print(f"  plan matrix: {len(three.plan_shards)} jobs (of at most {args.shards}), "
              f"{min(sizes)}..{max(sizes)} stacks each, "
              f"{len(json.dumps(json.loads(three.to_matrix())))} bytes of job output")


if __name__ == "__main__":
    main()
