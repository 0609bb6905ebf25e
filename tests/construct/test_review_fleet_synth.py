"""`golden-path review` of a template change on real synth output: a generated fleet of
12 services synthesized in-process twice, base with the checkout's templates and head
with one line of templates/_exporter.yaml.j2 changed (compression gzip -> zstd). Every
service stack changes, and the review reads as a few grouped changes.
(tests/unit/test_review_fleet.py does the 936-stack case without cdktf;
benchmarks/review_fleet.py runs it through a real synth.)"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from golden_path.cli import main
from golden_path.review.report import COMMENT_LIMIT, ReviewModel

pytestmark = pytest.mark.synth


def _synth(fleet: Path, out: Path, templates: Path | None = None) -> None:
    from golden_path.fleet import load_all
    from golden_path.load.discover import find_teams
    from golden_path.synth import synth
    from golden_path.telemetry import render

    with pytest.MonkeyPatch.context() as mp:
        if templates is not None:
            mp.setattr(render, "templates_dir", lambda: templates)
        render._env.cache_clear()
        render.render_collector_config.cache_clear()
        try:
            teams = find_teams([fleet])
            synth(load_all([fleet / "services"], teams), out, teams, cache=False, jobs=1)
        finally:
            render._env.cache_clear()
            render.render_collector_config.cache_clear()


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> tuple[Path, Path]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from fleet_gen import generate_fleet

    from golden_path.telemetry.render import templates_dir

    root = tmp_path_factory.mktemp("review-fleet-synth")
    generate_fleet(root / "fleet", 12, seed=3)
    templates = root / "templates"
    shutil.copytree(templates_dir(), templates)
    exporter = templates / "_exporter.yaml.j2"
    exporter.write_text(exporter.read_text().replace("    compression: gzip",
                                                     "    compression: zstd"))
    _synth(root / "fleet", root / "base")
    _synth(root / "fleet", root / "head", templates)
    return root / "base", root / "head"


def test_a_template_change_on_real_synth_output_is_grouped(outputs, capsys):
    base, head = outputs
    assert main(["review", "--base", str(base), "--head", str(head), "--format", "json"]) == 0
    review = ReviewModel.model_validate_json(capsys.readouterr().out)
    services = [s for s in review.stacks if s.service]
    assert len(services) == 36 and review.summary.stacks_changed == 36
    # The same edit of the collector config: one group per runtime, the digest that rolls
    # the tasks or functions one group per runtime too.
    texts = [g for g in review.changes if g.path in ("value", "content")]
    assert {g.type for g in texts} <= {"aws_ssm_parameter", "aws_s3_object"}
    assert sum(len(g.stacks) for g in texts) == 36
    assert all("-    compression: gzip\n+    compression: zstd" in g.after for g in texts)
    assert len(review.changes) <= 6
    assert main(["review", "--base", str(base), "--head", str(head)]) == 0
    text = capsys.readouterr().out
    assert len(text) <= COMMENT_LIMIT
    assert "services × 3 environments (sandbox, staging, production)" in text
    assert text.count("+    compression: zstd") == len(texts)
