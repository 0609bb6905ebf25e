"""Plan time per stack against the local AWS emulator, and what it means for sharded CI.

    .venv/bin/python benchmarks/plan_time.py [--repeat 3] [--stacks 900]
                                             [--shards N ...] [--kinds KIND ...]

(defaults: 3 repeats, 900 stacks, --shards 1 10 20 50 100, every kind).

Reuses the lifecycle harness (tests/lifecycle/: a moto server, the platform built in it,
one fleet-form service per kind synthesized in-process) without changing it. For each
kind of stack, in the harness's own copy:

1. ``terraform init`` without a provider plugin cache, then with a warm one
   (``plugin_cache_dir``), both from a *packed* mirror made from the local one (the
   provider's zip, as the registry serves it): without the cache every init unzips the
   provider into the stack's .terraform, as CI does after downloading it; with it, init
   links the cached copy. (The harness's unpacked mirror is linked either way, so it
   cannot show the difference.) The download itself is not measured: add it per init
   without the cache;
2. ``terraform plan`` before anything exists (what a pull request adding stacks plans);
3. ``terraform apply``, then ``terraform plan`` again (a changed stack: every resource
   refreshed, the usual case), ``--repeat`` times each; then ``destroy``.

Prints seconds per stack and step, and the projected wall-clock time to plan
``--stacks`` changed stacks in N jobs planning their stacks one after another (the
recipe's shards), with and without the plugin cache. The emulator answers in
microseconds where AWS takes tens of milliseconds per call, so refresh times here are a
floor; init and Terraform's own work are the same.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT / "tests", ROOT / "tests" / "lifecycle"):
    sys.path.insert(0, str(extra))
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

#: What a GitHub-hosted job spends before its first stack: runner start, download of the
#: synth artifact, setup-terraform, OIDC credentials (a typical figure, not measured here).
JOB_OVERHEAD_S = 45


def packed_mirror(unpacked: Path, root: Path) -> tuple[Path, int]:
    """A packed filesystem mirror (the provider zips, as the registry serves them) of
    the harness's unpacked one; returns it and the zips' total size."""
    import zipfile

    out, size = root / "packed-mirror", 0
    base = unpacked / "registry.terraform.io" / "hashicorp" / "aws"
    for platform_dir in base.glob("*/*"):  # <version>/<os_arch>
        version, os_arch = platform_dir.parent.name, platform_dir.name
        target = out / "registry.terraform.io" / "hashicorp" / "aws"
        target.mkdir(parents=True, exist_ok=True)
        archive = target / f"terraform-provider-aws_{version}_{os_arch}.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            for f in sorted(platform_dir.iterdir()):
                z.write(f, f.name)
        size += archive.stat().st_size
    return out, size


def cli_config(path: Path, mirror: Path, cache: Path | None) -> Path:
    """The harness's kind of CLI configuration on ``mirror``, with a plugin cache or
    without; the stacks have no lock file, so the cache may be used without one (as the
    CI recipe allows)."""
    cached = (f'plugin_cache_dir = "{cache}"\nplugin_cache_may_break_dependency_lock_file = true\n'
              if cache else "")
    path.write_text(cached + f"""provider_installation {{
  filesystem_mirror {{
    path    = "{mirror}"
    include = ["registry.terraform.io/hashicorp/aws"]
  }}
  direct {{
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }}
}}
""")
    return path


def measure(session, kind: str, configs: dict[str, Path], repeat: int) -> dict[str, list[float]]:
    from terraform_run import StackRun

    times: dict[str, list[float]] = {"init": [], "init cached": [], "plan new": [], "plan": []}
    run = session.stack_run(kind)
    run.prepare()

    def timed(key: str, step) -> None:
        result = step()
        if result.returncode not in (0, 2):  # plan -detailed-exitcode: 2 = changes
            raise RuntimeError(f"{run.name}: terraform {result.name} exited {result.returncode}:\n"
                               f"{result.output[-3000:]}")
        times[key].append(result.seconds)

    for i in range(repeat):
        for key, config in configs.items():  # "init" (no cache), "init cached"
            copy = StackRun(run.emu, run.terraform, config, run.source,
                            run.work.with_name(f"{run.name}-{key.replace(' ', '-')}-{i}"),
                            account=run.account)
            copy.prepare()
            timed(key, copy.init)
            shutil.rmtree(copy.work, ignore_errors=True)
    if run.init().returncode != 0:  # the harness's own mirror, for plan and apply
        raise RuntimeError(f"{run.name}: terraform init failed:\n{run.steps[-1].output[-3000:]}")
    for _ in range(repeat):
        timed("plan new", run.plan)
    apply = run.apply()
    if apply.returncode != 0:
        raise RuntimeError(f"{run.name}: terraform apply exited {apply.returncode}:\n{apply.output[-3000:]}")
    try:
        for _ in range(repeat):
            timed("plan", run.plan)
    finally:
        run.destroy()
    return times


def resources(session, kind: str) -> int:
    import json

    stack = json.loads((session.stacks[session.stack_run(kind).name] / "cdk.tf.json").read_text())
    return sum(len(v) for v in stack.get("resource", {}).values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stacks", type=int, default=900, help="changed stacks to project for")
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 10, 20, 50, 100],
                        help="job counts to project for (default: 1 10 20 50 100)")
    parser.add_argument("--kinds", nargs="+", help="default: every kind")
    args = parser.parse_args()

    import apply_local as al

    import emulator as em
    from conftest import MIRROR_CANDIDATES

    missing = em.missing_tools(MIRROR_CANDIDATES)
    if missing:
        sys.exit("plan_time: " + "; ".join(f"{what}: {hint}" for what, hint in missing))
    mirror = em.provider_mirror(MIRROR_CANDIDATES)
    root = Path(tempfile.mkdtemp(prefix="golden-path-plan-time-"))
    started = time.monotonic()
    results: dict[str, dict[str, float]] = {}
    try:
        t = time.monotonic()
        packed, zipped = packed_mirror(mirror, root)
        print(f"packed mirror: {zipped / 2**20:.0f} MiB of zip in {time.monotonic() - t:.0f} s")
        cache = root / "plugin-cache"
        cache.mkdir()
        configs = {"init": cli_config(root / "cli-packed.tfrc", packed, None),
                   "init cached": cli_config(root / "cli-cached.tfrc", packed, cache)}
        session = al.start_session(root, mirror, em.terraform_binary(), echo=print)
        try:
            # Warm the cache once: the first init of a CI job fills it.
            warm = al.StackRun(session.emu, session.terraform, configs["init cached"],
                               session.stacks[al.TEAM_STACK], root / "warm",
                               account=session.platform.account)
            warm.prepare()
            print(f"cache: the first init (fills the cache) {warm.init().seconds:.1f} s")
            for kind in args.kinds or list(al.KINDS):
                times = measure(session, kind, configs, args.repeat)
                results[kind] = {k: statistics.median(v) for k, v in times.items()}
                print(f"{al.stack_name(kind)}: "
                      + ", ".join(f"{k} {v:.1f} s" for k, v in results[kind].items()), flush=True)
            counts = {kind: resources(session, kind) for kind in results}
        finally:
            session.emu.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    provider = sum(f.stat().st_size for f in (mirror / "registry.terraform.io").rglob("*") if f.is_file())

    print(f"\n{em.terraform_binary()}, AWS provider {provider / 2**20:.0f} MiB unzipped "
          f"({zipped / 2**20:.0f} MiB zip), median of {args.repeat}; seconds per stack")
    print(f"{'kind':22}{'resources':>10}{'init':>8}{'init cached':>13}{'plan new':>10}{'plan':>8}")
    for kind, r in results.items():
        print(f"{kind:22}{counts[kind]:>10}{r['init']:>8.1f}{r['init cached']:>13.1f}"
              f"{r['plan new']:>10.1f}{r['plan']:>8.1f}")
    # The fleet: about 90 % Lambda functions, 10 % Fargate (benchmarks/fleet_gen.py).
    lam = [r for k, r in results.items() if k.startswith("lambda")]
    far = [r for k, r in results.items() if k.startswith("fargate")]
    mix = ([(0.9, lam), (0.1, far)] if lam and far else [(1.0, list(results.values()))])

    def per_stack(init_key: str) -> float:
        return sum(w * statistics.mean(r[init_key] + r["plan"] for r in rs) for w, rs in mix)

    cold, warm_s = per_stack("init"), per_stack("init cached")
    print(f"\nper changed stack (fleet mix, 90 % Lambda): {cold:.1f} s without the plugin cache, "
          f"{warm_s:.1f} s with it (init {per_stack('init') - per_stack('init cached'):.1f} s less)")
    print(f"projected wall clock to plan {args.stacks} stacks, jobs planning one after another "
          f"(+{JOB_OVERHEAD_S} s per job to start):")
    for n in sorted(set(args.shards)):
        each = -(-args.stacks // n)
        over = " (over GitHub's 256-job matrix)" if n > 256 else ""
        print(f"  {n:>4} jobs: {each:>4} stacks each, {(JOB_OVERHEAD_S + each * warm_s) / 60:6.1f} min "
              f"with the cache, {(JOB_OVERHEAD_S + each * cold) / 60:6.1f} min without{over}")
    print(f"  (one job per stack: {args.stacks} jobs, refused by GitHub Actions over 256)")
    print(f"\nplan_time: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
