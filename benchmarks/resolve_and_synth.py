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
    import golden_path.cdk  # noqa: F401  (jsii + provider bindings)

    import_s = time.perf_counter() - t0
    from golden_path.synth import synth

    with tempfile.TemporaryDirectory() as tmp:
        back = timed(lambda: synth(services, Path(tmp) / "out"), 3)
    f, b = statistics.median(front), statistics.median(back)
    print(f"stacks: {len(services)}")
    print(f"load+resolve+render, all examples (median of 20): {f * 1000:.1f} ms")
    print(f"import cdktf + AWS provider (once per process):    {import_s:.1f} s")
    print(f"cdktf synth in-process, all examples (median of 3): {b:.2f} s")
    print(f"synth / (load+resolve+render) ratio:                {b / f:.0f}x")


if __name__ == "__main__":
    main()
