"""The synth cache and parallel synth: byte-identical output, rebuild on every key input."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES

pytestmark = pytest.mark.synth


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("GOLDEN_PATH_CACHE", str(path))
    return path


def run(paths, out, *, cache=True, jobs=1, teams_file=None):
    from golden_path.alerts.registry import TeamRegistry
    from golden_path.fleet import load_all
    from golden_path.load.discover import find_teams
    from golden_path.synth import SynthStats, synth

    teams = TeamRegistry.load(teams_file) if teams_file else find_teams(paths)
    stats = SynthStats()
    synth(load_all(paths, teams), out, teams, cache=cache, jobs=jobs, stats=stats)
    return stats


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from fleet_gen import generate_fleet

    root = tmp_path_factory.mktemp("fleet")
    generate_fleet(root, 12, seed=3)
    return root


def test_cached_synth_is_byte_identical_on_the_examples(tmp_path, cache_dir):
    full = run([EXAMPLES], tmp_path / "full", cache=False)
    cold = run([EXAMPLES], tmp_path / "cold")
    warm = run([EXAMPLES], tmp_path / "warm")
    assert (full.constructed, cold.constructed, warm.constructed, warm.from_cache) == (18, 18, 0, 18)
    assert files(tmp_path / "full") == files(tmp_path / "cold") == files(tmp_path / "warm")
    assert len(files(tmp_path / "warm")) == 20  # 18 stacks, manifest.json, .checkov.baseline


def test_cached_and_parallel_synth_are_byte_identical_on_a_generated_fleet(
        tmp_path, cache_dir, fleet, monkeypatch):
    import golden_path.synth

    services = [fleet / "services"]
    full = run(services, tmp_path / "full", cache=False, teams_file=fleet / "teams.yaml")
    monkeypatch.setattr(golden_path.synth, "MIN_STACKS_PER_PROCESS", 1)
    parallel = run(services, tmp_path / "parallel", jobs=2, teams_file=fleet / "teams.yaml")
    warm = run(services, tmp_path / "warm", teams_file=fleet / "teams.yaml")
    assert parallel.processes == 2 and parallel.worker_peak_rss_mib > 0
    assert warm.from_cache == warm.stacks == full.stacks
    assert files(tmp_path / "full") == files(tmp_path / "parallel") == files(tmp_path / "warm")


def test_every_key_input_rebuilds_its_stacks(tmp_path, cache_dir, monkeypatch):
    import shutil

    from golden_path.fleet import cache as cache_module

    work = tmp_path / "examples"
    shutil.copytree(EXAMPLES, work, ignore=shutil.ignore_patterns("ci"))
    run([work], tmp_path / "o0")
    # A service file: only its stack (production override) is constructed.
    path = work / "services" / "price-api.yaml"
    text = path.read_text()
    path.write_text(text.replace("    reserved_concurrency: 200", "    reserved_concurrency: 150"))
    stats = run([work], tmp_path / "o1")
    assert (stats.constructed, stats.from_cache) == (1, 17)
    assert files(tmp_path / "o1") == files(run_full(work, tmp_path / "f1"))
    # platform.yaml: every stack of the environment whose value changed.
    platform = work / "platform.yaml"
    platform.write_text(platform.read_text().replace(
        "bucket: golden-path-state-222233334444", "bucket: golden-path-state-222233334444-v2"))
    assert run([work], tmp_path / "o2").constructed == 4 + 2  # 4 services, 2 team routes in staging
    # teams.yaml: the stacks of that team.
    teams = work / "teams.yaml"
    data = yaml.safe_load(teams.read_text())
    data["teams"]["billing"]["notify"]["emails"].append("billing-lead@example.com")
    teams.write_text(yaml.safe_dump(data))
    assert run([work], tmp_path / "o3").constructed == 3 + 2  # invoice-consumer, billing routes (not sandbox)
    # The code (golden_path's sources and templates, the backend's versions): everything.
    cache_module.code_fingerprint.cache_clear()
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another golden_path build")
    assert run([work], tmp_path / "o4").constructed == 18


def run_full(work: Path, out: Path) -> Path:
    run([work], out, cache=False)
    return out


def test_backend_selection_is_part_of_the_key(monkeypatch):
    from golden_path.fleet import cache as cache_module

    monkeypatch.delenv("GOLDEN_PATH_BACKEND", raising=False)
    cache_module.code_fingerprint.cache_clear()
    cdktf = cache_module.code_fingerprint()
    monkeypatch.setenv("GOLDEN_PATH_BACKEND", "cdktn")
    cache_module.code_fingerprint.cache_clear()
    assert cache_module.code_fingerprint() != cdktf
    cache_module.code_fingerprint.cache_clear()


def test_two_synths_at_once_share_the_cache_safely(tmp_path, cache_dir):
    """Two `golden-path synth` processes on one cold cache (as two CI jobs would)."""
    import os
    import subprocess

    cli = str(Path(sys.executable).with_name("golden-path"))
    procs = [subprocess.Popen([cli, "synth", str(EXAMPLES), "--out", str(tmp_path / n)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "GOLDEN_PATH_CACHE": str(cache_dir)})
             for n in ("a", "b")]
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, out + err
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert len(list(cache_dir.glob("??/*"))) == 18 and not list(cache_dir.rglob(".tmp-*"))


def test_cache_is_bounded(tmp_path, cache_dir):
    from golden_path.fleet.cache import SynthCache

    run([EXAMPLES], tmp_path / "o")
    store = SynthCache(cache_dir, limit_mb=0)
    assert len(list(cache_dir.glob("??/*"))) == 18
    assert store.trim() == 18 and list(cache_dir.glob("??/*")) == []
