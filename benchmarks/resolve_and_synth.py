"""Where the time of a synth goes: load+resolve+render (pure Python) vs cdktf synth.

Prints figures; no thresholds here (targets are ratios read by people, not timed tests).
The baseline is the pure-Python front half measured in the same run.

    .venv/bin/python benchmarks/resolve_and_synth.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "constructs"))


def timed(fn, repeat: int) -> list[float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return runs


def main() -> None:
    from golden_path.synth import load_all

    examples = [ROOT / "examples"]
    services = load_all(examples)
    front = timed(lambda: load_all(examples), 20)
    t0 = time.perf_counter()
    import golden_path.cdk

    golden_path.cdk.load()  # jsii + provider bindings

    import_s = time.perf_counter() - t0
    from golden_path.review.findings import findings
    from golden_path.review.report import build, to_markdown
    from golden_path.review.synth_diff import diff_synth, load_synth
    from golden_path.synth import find_teams, synth

    teams = find_teams(examples)
    with tempfile.TemporaryDirectory() as tmp:
        back = timed(lambda: synth(services, Path(tmp) / "out", teams), 3)

        def review() -> None:
            diffs = diff_synth(load_synth(Path(tmp) / "out"), load_synth(Path(tmp) / "out"))
            to_markdown(build(diffs, [], findings(diffs), None, []))

        rev = timed(review, 5)
    f, b = statistics.median(front), statistics.median(back)
    print(f"services: {len(services)}")
    print(f"load+resolve+render, all examples (median of 20): {f * 1000:.1f} ms")
    print(f"import cdktf + AWS provider (once per process):    {import_s:.1f} s")
    print(f"cdktf synth in-process, all examples (median of 3): {b:.2f} s")
    print(f"synth / (load+resolve+render) ratio:                {b / f:.0f}x")
    r = statistics.median(rev)
    print(f"review (diff + findings + Markdown) of all stacks:  {r * 1000:.0f} ms "
          f"({r / b:.2f}x the synth)")


if __name__ == "__main__":
    main()
