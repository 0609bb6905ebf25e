"""Files that use today's three environment names keep working with the same synth
output (issue 19): the examples synthesized with platform.yaml as it is (profile and
rollout implied by the names sandbox, staging, production) and with every environment's
``profile:`` and ``rollout:`` spelled out at their defaults are the same, byte for byte,
file for file. Nothing is excluded: synth writes nothing volatile (no time, no absolute
path; tests/construct/test_cli_synth.py checks the latter)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.synth

EXPLICIT = {name: f"    profile: {name}\n    rollout: {{order: {order}, bake_minutes: {bake}}}\n"
            for name, order, bake in (("sandbox", 1, 0), ("staging", 2, 15),
                                      ("production", 3, 30))}


def _copy_examples(root: Path, explicit: bool) -> Path:
    from conftest import EXAMPLES

    root.mkdir(parents=True)
    shutil.copytree(EXAMPLES / "services", root / "services")
    shutil.copy(EXAMPLES / "teams.yaml", root / "teams.yaml")
    text = (EXAMPLES / "platform.yaml").read_text()
    if explicit:
        for name, lines in EXPLICIT.items():
            head = f"\n  {name}:\n"
            assert text.count(head) == 1, f"examples/platform.yaml: no single `{name}:` environment"
            text = text.replace(head, head + lines)
    (root / "platform.yaml").write_text(text)
    return root


def _synth(root: Path) -> tuple[Path, object]:
    from golden_path.fleet import load_all
    from golden_path.load.discover import find_teams
    from golden_path.load.platform import load_platform
    from golden_path.synth import synth

    platform = load_platform(root / "platform.yaml")
    teams = find_teams([root / "services"])
    out = root / "cdktf.out"
    synth(load_all([root / "services"], teams, platform), out, teams, cache=False)
    return out, platform


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, tuple[Path, object]]:
    work = tmp_path_factory.mktemp("environment-defaults")
    return {kind: _synth(_copy_examples(work / kind, kind == "explicit"))
            for kind in ("implicit", "explicit")}


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_the_explicit_platform_spells_out_the_defaults(outputs):
    """Not a vacuous comparison: one platform sets profile and rollout, the other none."""
    implicit, explicit = outputs["implicit"][1], outputs["explicit"][1]
    text = Path(implicit.file).read_text()
    assert "profile:" not in text and "rollout:" not in text
    assert all(env.rollout is None for env in implicit.environments.values())
    assert Path(explicit.file).read_text().count("    profile: ") == 3
    for name, env in explicit.environments.items():
        assert env.profile == name and env.rollout is not None, name
        assert (env.rollout.order, env.rollout.bake_minutes) == {
            "sandbox": (1, 0), "staging": (2, 15), "production": (3, 30)}[name]


def test_same_synth_output_byte_for_byte(outputs):
    implicit, explicit = _files(outputs["implicit"][0]), _files(outputs["explicit"][0])
    stacks = {f.split("/")[1] for f in implicit if f.startswith("stacks/")}
    assert len(stacks) >= 12 and any(s.startswith("team-") for s in stacks)
    assert sorted(explicit) == sorted(implicit)
    differ = [f for f in implicit if implicit[f] != explicit[f]]
    assert differ == []


def test_same_rollout(outputs, tmp_path):
    from golden_path.fleet.changed import changed_stacks

    (tmp_path / "empty").mkdir()
    rollouts = [changed_stacks(tmp_path / "empty", out, platform, shards=20).rollout
                for out, platform in (outputs["implicit"], outputs["explicit"])]
    assert rollouts[0] == rollouts[1]
    assert [(w.environment, w.bake_minutes) for w in rollouts[0]] == [
        ("sandbox", 0), ("staging", 15), ("production", 30)]
