"""Synthesize resolved services: one stack per service and environment, one per team
route; all or nothing, cached per stack, optionally over several processes."""

from __future__ import annotations

import json
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .alerts.registry import TeamRegistry, route_plan, routes_used
from .alerts.resolve import resolve_alarms
from .fleet import load_all  # noqa: F401  (the entry point's loading half)
from .fleet.state import team_routes_state, team_stack_name
from .load.discover import discover, find_teams  # noqa: F401
from .load.platform import find_platform  # noqa: F401
from .resolve import Resolved
from .resolve.common import StateBackend

#: Below this many stacks to construct, one process is faster than importing the
#: backend in several.
MIN_STACKS_PER_PROCESS = 100


@dataclass(frozen=True)
class StackPlan:
    """One stack to synthesize: a service's, or a team route's."""

    name: str
    service: Resolved | None = None
    #: (team, environment, account, region) of a team-route stack.
    team_route: tuple[str, str, str, str] | None = None
    default_tags: dict = field(default_factory=dict)
    state: StateBackend | None = None
    #: A team-route stack: its environment's profile (which severities page there).
    profile: str | None = None
    #: A team-route stack: the routes ("notify", "page") its services' alarms publish to.
    uses: tuple[str, ...] = ()


@dataclass
class SynthStats:
    stacks: int = 0
    constructed: int = 0
    from_cache: int = 0
    processes: int = 0
    seconds: float = 0.0
    #: Peak resident memory of this process and of the largest worker, in MiB.
    peak_rss_mib: float = 0.0
    worker_peak_rss_mib: float = 0.0


def plan_stacks(services: list[Resolved], teams: TeamRegistry | None) -> list[StackPlan]:
    """A stack per service, and with a registry one per team route (team, env, account,
    region) whose topics the services' alarms publish to; a route nothing publishes to, or
    whose only topic exists already, gets no stack."""
    plans = [StackPlan(s.stack_name, service=s) for s in services]
    if teams is None:
        return plans
    uses: dict[tuple[str, str, str, str], set[str]] = {}
    for s in services:
        route = (s.spec.team, s.spec.environment, s.account, s.region)
        uses.setdefault(route, set()).update(routes_used(resolve_alarms(s, teams)))
    team_tags = {(s.spec.environment, s.account, s.region): s.default_tags for s in services}
    profiles = {s.spec.environment: s.profile.name for s in services}
    for route in sorted(uses):
        team, env, account, region = route
        used = tuple(sorted(uses[route]))
        if route_plan(team, env, teams, profiles[env], used).empty:
            continue  # nothing publishes here, or only to the team's existing topic
        plans.append(StackPlan(team_stack_name(*route), team_route=route,
                               default_tags=team_tags[(env, account, region)],
                               state=team_routes_state(services, *route),
                               profile=profiles[env], uses=used))
    return plans


def build_stacks(app, plans: list[StackPlan], teams: TeamRegistry | None) -> list[str]:
    """Construct the planned stacks in ``app``; returns their names."""
    from .l3.stack import ServiceStack, TeamStack

    names = []
    for plan in plans:
        if plan.service is not None:
            names.append(ServiceStack(app, plan.service, teams=teams).node.id)
        else:
            team, env, account, region = plan.team_route
            names.append(TeamStack(app, team=team, environment=env, account=account, region=region,
                                   teams=teams, default_tags=plan.default_tags,
                                   state=plan.state, profile=plan.profile,
                                   uses=plan.uses).node.id)
    return names


def build_app(app, services: list[Resolved], teams: TeamRegistry | None) -> list[str]:
    """Every stack of ``services`` in ``app`` (no cache); returns the stack names."""
    return build_stacks(app, plan_stacks(services, teams), teams)


def synth(services: list[Resolved], outdir: str | os.PathLike,
          teams: TeamRegistry | None = None, *, cache: bool = True, jobs: int | None = None,
          stats: SynthStats | None = None) -> list[str]:
    """Synthesize into a temporary directory beside ``outdir``, then swap it in.

    Stacks whose cache key is unchanged are copied from the cache (``fleet/cache.py``)
    without being constructed; the others are constructed by ``jobs`` processes
    (default: the number of cores; one when there are few). Beside the stacks it writes
    checkov's baseline of their skips (``.checkov.baseline``, ``review/checkov_baseline.py``).
    If anything fails, ``outdir`` is left as it was. Returns the stack names.
    """
    from .fleet.cache import SynthCache, stack_key
    from .review.checkov_baseline import stack_skips, write_baseline

    start = time.perf_counter()
    stats = stats if stats is not None else SynthStats()
    plans = plan_stacks(services, teams)
    store = SynthCache() if cache else None
    keys = {p.name: stack_key(p, teams) for p in plans} if store else {}
    hits = {p.name: got for p in plans if store and (got := store.get(keys[p.name]))}
    misses = [p for p in plans if p.name not in hits]
    outdir = Path(outdir).resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", dir=outdir.parent))
    try:
        entries, version = {}, None
        #: each stack's checkov skips, for the baseline (a cached stack's kept in its entry)
        skips: dict[str, list] = {}
        if misses:
            entries, version, stats.processes, stats.worker_peak_rss_mib = _construct(
                misses, tmp, teams, jobs)
        for name, (stack, entry) in hits.items():
            (tmp / "stacks" / name).mkdir(parents=True, exist_ok=True)
            (tmp / "stacks" / name / "cdk.tf.json").write_bytes(stack)
            entries[name] = entry["manifest"]
            version = version or entry["version"]
            skips[name] = (entry["checkov_skips"] if "checkov_skips" in entry
                           else stack_skips(json.loads(stack)))
        for p in misses:
            stack = (tmp / "stacks" / p.name / "cdk.tf.json").read_bytes()
            skips[p.name] = stack_skips(json.loads(stack))
            if store:
                store.put(keys[p.name], stack, {"manifest": entries[p.name], "version": version,
                                                "checkov_skips": skips[p.name]})
        (tmp / "manifest.json").write_text(manifest_text(entries, version))
        # checkov's baseline of the skips in these stacks, for teams that run plain checkov:
        # written with the stacks, so it is swapped in with them.
        write_baseline(tmp, skips)
        _swap(tmp, outdir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if store:
        store.trim()
    stats.stacks, stats.constructed, stats.from_cache = len(plans), len(misses), len(hits)
    stats.seconds = time.perf_counter() - start
    stats.peak_rss_mib = max(stats.peak_rss_mib, _peak_rss_mib())
    return [p.name for p in plans]


def _swap(tmp: Path, outdir: Path) -> None:
    old = None
    if outdir.exists():
        old = outdir.with_name(f".{outdir.name}.old.{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        outdir.rename(old)
    tmp.rename(outdir)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def _construct(plans: list[StackPlan], outdir: Path, teams: TeamRegistry | None,
               jobs: int | None) -> tuple[dict, str, int, float]:
    """Construct and synthesize ``plans`` into ``outdir``; returns the manifest entries,
    the backend's manifest version, the processes used and the largest worker's RSS."""
    jobs = jobs or os.cpu_count() or 1
    processes = max(1, min(jobs, len(plans) // MIN_STACKS_PER_PROCESS))
    if processes == 1:
        entries, version = _synth_chunk(plans, str(outdir), teams)
        return entries, version, 1, 0.0
    # Workers are fresh interpreters (`python -m golden_path.synth`): no fork of a process
    # holding a jsii runtime, and no re-import of the caller's __main__.
    import pickle
    import subprocess

    chunks = [plans[i::processes] for i in range(processes)]
    dirs = [outdir / f".part-{i}" for i in range(processes)]
    workers = [subprocess.Popen([sys.executable, "-m", "golden_path.synth", str(d)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for d in dirs]
    entries, version, peak = {}, None, 0.0
    try:
        for worker, chunk in zip(workers, chunks, strict=True):
            worker.stdin.write(pickle.dumps((chunk, teams)))
            worker.stdin.close()
        for worker, part in zip(workers, dirs, strict=True):
            out, err = worker.stdout.read(), worker.stderr.read()
            if worker.wait() != 0:
                raise RuntimeError(f"synth worker failed:\n{err.decode(errors='replace')}")
            chunk_entries, version, rss = pickle.loads(out)
            entries.update(chunk_entries)
            peak = max(peak, rss)
            (outdir / "stacks").mkdir(exist_ok=True)
            for stack in (part / "stacks").iterdir():
                stack.rename(outdir / "stacks" / stack.name)
            shutil.rmtree(part, ignore_errors=True)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    return entries, version, processes, peak


def _synth_chunk(plans: list[StackPlan], outdir: str, teams: TeamRegistry | None) -> tuple[dict, str]:
    from .cdk import App

    app = App(outdir=outdir)
    build_stacks(app, plans, teams)
    app.synth()
    manifest = json.loads((Path(outdir) / "manifest.json").read_text())
    return manifest["stacks"], manifest["version"]


def _worker_main(outdir: str) -> None:
    """A synth worker: (plans, teams) pickled on stdin; (entries, version, peak RSS) out."""
    import pickle

    plans, teams = pickle.loads(sys.stdin.buffer.read())
    entries, version = _synth_chunk(plans, outdir, teams)
    sys.stdout.buffer.write(pickle.dumps((entries, version, _peak_rss_mib())))


def _peak_rss_mib() -> float:
    """Peak resident memory of this process plus its running children (the jsii kernel,
    a Node.js process, holds most of the backend's memory), in MiB."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    total = rss / (2**20 if sys.platform == "darwin" else 1024)
    return total + sum(_vm_hwm_kib(pid) for pid in _children()) / 1024


def _children() -> list[int]:
    pids: list[int] = []
    for task in Path("/proc/self/task").glob("*/children"):
        try:
            pids += [int(p) for p in task.read_text().split()]
        except OSError:
            continue
    return pids


def _vm_hwm_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def manifest_text(stacks: dict, version: str | None) -> str:
    """manifest.json as the backend writes it (sorted keys, two-space indent, a newline
    inside empty lists, none at the end), for outputs assembled from the cache."""
    return _dump({"stacks": stacks, "version": version}, 0)


def _dump(value, depth: int) -> str:
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {_dump(value[k], depth + 1)}" for k in sorted(value)]
        return "{\n" + ",\n".join(items) + ("\n" if items else "") + pad + "}"
    if isinstance(value, list):
        items = [f"{inner}{_dump(v, depth + 1)}" for v in value]
        return "[\n" + ",\n".join(items) + ("\n" if items else "") + pad + "]"
    return json.dumps(value)


if __name__ == "__main__":
    _worker_main(sys.argv[1])
