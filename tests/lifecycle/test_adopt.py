"""Adopting a running legacy fleet imports everything and recreates nothing (issue 21).

Its own emulator session (not the lifecycle test's): the platform, and beside it a legacy
fleet seeded with boto3 (``legacy_fleet.seed_legacy_fleet``: 20 Lambda functions, Node.js
and Python, with roles and log groups; some on their own SQS queue with a dead-letter
queue and 5 messages waiting, some on EventBridge schedules, one behind a function URL,
some without a team tag; an ECS Fargate web service behind a target group and a rule on
the platform's listener, and a worker). ``golden-path discover`` writes the fleet's
service files; only the ``team: TODO`` lines are filled; ``validate --check-live`` passes;
synth. Per stack (``adopt_run.adopt_stack``, a few at a time): ``plan -json -out``, which
must import every seeded resource golden_path manages, delete and replace nothing, and
create nothing under a name the seed gave; ``apply`` of that plan; ``plan
-detailed-exitcode`` must be 0. Then: the queues still hold their messages and no seeded
resource was recreated; the import-only adopt: entries can go; a second discover refuses
and changes no file.

The one create allowed under an adopted name: a task definition revision. Revisions are
immutable, so golden_path registers its own (its own containers: the app and its
sidecars) and the adopted ECS service deploys it; the legacy revisions stay registered.
Not imported, and not in ``LegacyFleet``: the seed's Lambda permissions (golden_path adds
its own statement beside them). The ECS services' scalable targets are imported
(``adopt.scalable_target``), so golden_path's min and max apply to them in place.
"""

from __future__ import annotations

import os
import time

import adopt_run as ar
import pytest
import yaml

import emulator as em
from conftest import MIRROR_CANDIDATES, _require_tool

pytestmark = [pytest.mark.synth, pytest.mark.terraform]

FUNCTIONS = 20
SERVICES = 2
MESSAGES = 5
#: Wall-clock seconds the test's own steps took, printed with the stacks' table.
EXTRA: dict[str, float] = {}


@pytest.fixture(scope="module")
def session(tmp_path_factory, request):
    for what, hint in em.missing_tools(MIRROR_CANDIDATES):
        _require_tool(what, hint)
    started = time.monotonic()
    s = ar.start_session(tmp_path_factory.mktemp("adopt"), em.provider_mirror(MIRROR_CANDIDATES),
                         em.terraform_binary(), functions=FUNCTIONS)
    yield s
    s.emu.stop()
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\nadoption, after the stacks: " + ", ".join(
            f"{k} {v:.1f} s" for k, v in EXTRA.items()) + f"; whole session "
            f"{time.monotonic() - started:.0f} s")


@pytest.fixture(scope="module")
def outcomes(session, request) -> dict[str, ar.StackOutcome]:
    parallel = int(os.environ.get("GOLDEN_PATH_ADOPT_PARALLEL", "6"))
    started = time.monotonic()
    results = ar.run_all(session, list(session.stacks), parallel=parallel)
    EXTRA[f"{len(results)} stacks, {parallel} at a time"] = time.monotonic() - started
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\nadoption against the emulator, seconds per step:\n"
              + ar.report(session, list(results.values()), EXTRA))
    return results


def _explain(o: ar.StackOutcome) -> str:
    return f"{o.stack} (timings {o.run.timings()}; logs in {o.run.work}):\n" + "\n".join(o.failures)


def _ok(outcomes) -> None:
    failed = {n: o for n, o in outcomes.items() if o.failures}
    assert not failed, "\n\n".join(_explain(o) for o in failed.values())


def test_discover_wrote_one_file_per_seeded_function_and_service(session):
    counts = session.discovered["counts"]
    assert (counts["functions_found"], counts["services_found"]) == (FUNCTIONS, SERVICES)
    # Nothing of the seed is beyond golden_path: every function and service got a file.
    assert session.discovered["skipped"] == []
    assert counts["written"] == FUNCTIONS + SERVICES
    # Only the teams were left to fill: where the seed put no team tag.
    assert counts["todo_teams"] == len(session.legacy.no_team_tag) == len(session.todo_filled) > 0
    assert counts["todo_secrets"] == 0
    assert len(session.stacks) == FUNCTIONS + SERVICES + 1  # and the team's route stack


def test_every_seeded_resource_is_imported_once(session, outcomes):
    _ok(outcomes)
    imported = ar.imported(list(outcomes.values()))
    counts = {}
    for rtype, ids in ar.seeded(session.legacy).items():
        got = imported.get(rtype, [])
        assert sorted(got) == sorted(ids), (rtype, sorted(set(ids) - set(got)), got)
        counts[rtype] = len(got)
    print(f"imported: {counts}")
    legacy = session.legacy
    assert counts["aws_lambda_function"] == counts["aws_cloudwatch_log_group"] == FUNCTIONS
    assert counts["aws_iam_role"] == FUNCTIONS + 2 * SERVICES
    assert counts["aws_sqs_queue"] == 2 * len(legacy.queues) > 0
    assert counts["aws_lambda_event_source_mapping"] == len(legacy.queues)
    assert counts["aws_cloudwatch_event_rule"] > 0 and counts["aws_lambda_function_url"] == 1
    assert counts["aws_ecs_service"] == SERVICES
    assert counts["aws_lb_target_group"] == counts["aws_lb_listener_rule"] == 1
    assert counts["aws_appautoscaling_target"] == SERVICES
    # Each schedule's target is imported with its rule, by the seed's target id.
    targets = imported.get("aws_cloudwatch_event_target", [])
    assert sorted(t.split("/")[0] for t in targets) == sorted(legacy.schedules)


def test_nothing_is_deleted_replaced_or_created_again(session, outcomes):
    _ok(outcomes)
    names = session.legacy.names()
    for o in outcomes.values():
        bad = [(c.action, c.address) for c in o.changes if c.action in ("delete", "replace")]
        assert bad == [], o.stack
        again = [(t, n) for t, n in o.created_names if n in names and t not in ar.CREATE_ALLOWED]
        assert again == [], o.stack


def test_after_apply_the_plan_is_empty(outcomes):
    _ok(outcomes)
    for o in outcomes.values():
        assert o.replan is not None and o.replan.returncode == 0, o.replan and o.replan.output


def test_queues_keep_their_messages_and_nothing_was_recreated(session, outcomes):
    _ok(outcomes)
    legacy = session.legacy
    sqs = session.emu.client("sqs", legacy.account)
    for url, messages in legacy.queues.items():
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
            "ApproximateNumberOfMessages"])["Attributes"]
        assert int(attributes["ApproximateNumberOfMessages"]) == messages == MESSAGES, url
    # Same ARNs, creation times, ids and packages: imported and changed in place.
    assert ar.identities(session.emu, legacy) == session.before


def test_import_only_entries_can_go_once_imported(session, outcomes):
    """A function with an event source mapping and the one with a function URL, written
    again without those adopt: entries: the re-synthesized stacks plan no change."""
    _ok(outcomes)
    env = session.platform.environment
    adopts = {p.stem: yaml.safe_load(p.read_text())["environments"][env]["adopt"]
              for p in sorted((session.fleet / "services").glob("*.yaml"))}
    services = [next(n for n, a in adopts.items() if "event_source_mapping" in a),
                next(n for n, a in adopts.items() if a.get("function_url"))]
    started = time.monotonic()
    stacks = ar.without_import_only(session, services, session.root / "import-only")
    assert len(stacks) == 3  # the two and the team's route stack
    for name, source in stacks.items():
        if name.startswith("team-"):
            continue
        run = session.stack_run(name, source=source)
        run.prepare()
        assert run.init().returncode == 0, run.steps[-1].output
        step = run.run("plan without import-only", "plan", "-detailed-exitcode", "-input=false")
        assert step.returncode == 0, step.output
    EXTRA["import-only re-plan"] = time.monotonic() - started


def test_a_second_discover_refuses_and_changes_no_file(session, outcomes):
    files = {p: p.read_bytes() for p in sorted(session.fleet.rglob("*")) if p.is_file()}
    started = time.monotonic()
    code, output = session.discover()
    EXTRA["second discover"] = time.monotonic() - started
    assert code == 2, output
    assert {p: p.read_bytes() for p in sorted(session.fleet.rglob("*")) if p.is_file()} == files
