"""How many stacks CI plans for a one-service change in a generated fleet.

    python benchmarks/changed_fleet.py [--services 300]

Generates a fleet (benchmarks/fleet_gen.py), synthesizes it (base), changes one
service the way a team would (a production-only override, then a shared field),
synthesizes again (head) and runs `golden-path changed` on the two outputs: the
stacks it lists are the ones the pull-request workflow plans (examples/ci/).
"""

from __future__ import annotations

import argparse
import os
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


if __name__ == "__main__":
    main()
