"""`golden-path synth`: all or nothing, atomically moved into place."""

from __future__ import annotations

import pytest
import yaml

from golden_path.cli import main

pytestmark = pytest.mark.synth


def test_synth_writes_stacks(tmp_path, web, worker, capsys):
    (tmp_path / "web.yaml").write_text(yaml.safe_dump(web))
    (tmp_path / "worker.yaml").write_text(yaml.safe_dump(worker))
    out = tmp_path / "out"
    assert main(["synth", str(tmp_path), "--out", str(out)]) == 0
    assert sorted(p.name for p in (out / "stacks").iterdir()) == [
        "billing-api-staging", "billing-worker-staging"]
    assert "synthesized 2 stack(s)" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_bad_input_leaves_previous_output_untouched(tmp_path, web, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous.txt").write_text("from the last good synth")
    good, bad = tmp_path / "specs" / "good.yaml", tmp_path / "specs" / "bad.yaml"
    good.parent.mkdir()
    good.write_text(yaml.safe_dump(web))
    bad.write_text(yaml.safe_dump({**web, "name": "other", "memory": 5000}))
    assert main(["synth", str(good.parent), "--out", str(out)]) == 2
    assert "bad.yaml:" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["previous.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "specs"]


def test_resynth_replaces_output(tmp_path, web):
    (tmp_path / "web.yaml").write_text(yaml.safe_dump(web))
    out = tmp_path / "out"
    (out / "stacks" / "stale-stack").mkdir(parents=True)
    assert main(["synth", str(tmp_path / "web.yaml"), "--out", str(out)]) == 0
    assert [p.name for p in (out / "stacks").iterdir()] == ["billing-api-staging"]
