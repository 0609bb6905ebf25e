"""A generated fleet of 300 services (benchmarks/fleet_gen.py) through load_all and the
fleet checks: it passes as generated, and one added loop or one shared listener priority
is found among its 900 stacks."""

from __future__ import annotations

import re
import shutil
import sys

import pytest
import yaml

from conftest import ROOT
from golden_path.alerts.registry import TeamRegistry
from golden_path.errors import SpecError
from golden_path.fleet import load_all
from golden_path.fleet.graph import build_graph

sys.path.insert(0, str(ROOT / "benchmarks"))
from fleet_gen import ENVIRONMENTS, generate_fleet  # noqa: E402

N_SERVICES = 300


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    out = tmp_path_factory.mktemp("generated") / "fleet"
    return out, generate_fleet(out, N_SERVICES, seed=0)


@pytest.fixture(scope="module")
def services(fleet):
    out, _ = fleet
    return load_all([out], TeamRegistry.load(out / "teams.yaml"))


def _read(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _write(path, data):
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_generated_fleet_passes_every_check(fleet, services):
    _, summary = fleet
    assert summary["services"] == N_SERVICES
    assert summary["kinds"]["lambda"] >= 0.85 * N_SERVICES
    assert summary["kinds"]["web"] >= 2 and summary["kinds"]["worker"] >= 2
    assert set(summary["lambda_triggers"]) == {"sqs", "schedule", "http", "none"}
    assert set(summary["languages"]) == {"nodejs22.x", "python3.13"}
    assert summary["yaml_lines_per_service"] < 50  # the fleet form keeps files short

    assert len(services) == 3 * N_SERVICES
    stacks = [s.stack_name for s in services]
    assert len(set(stacks)) == len(stacks)
    assert {s.spec.environment for s in services} == set(ENVIRONMENTS)
    assert sum(s.kind == "lambda" for s in services) == 3 * summary["kinds"]["lambda"]

    graph, unknown = build_graph(services)
    assert unknown == []
    assert graph.cycles == ()
    assert len(graph.edges) > 0
    # Every call the generator planned is an edge in every environment.
    name = {s.stack_name: (s.spec.name, s.spec.environment) for s in services}
    edges = {(name[e.caller], name[e.callee][0]) for e in graph.edges}
    planned = {((caller, env), callee) for caller, callee, _ in summary["calls"] for env in ENVIRONMENTS}
    assert planned <= edges
    assert {via for _, _, via in summary["calls"]} == {"sqs", "invoke", "http"}


def test_generation_is_deterministic(fleet, tmp_path):
    out, summary = fleet
    again = generate_fleet(tmp_path / "again", N_SERVICES, seed=0)
    assert again == summary
    for f in sorted((out / "services").iterdir()):
        assert (tmp_path / "again" / "services" / f.name).read_text() == f.read_text(), f.name
    other = generate_fleet(tmp_path / "other", N_SERVICES, seed=1)
    assert other["calls"] != summary["calls"]


@pytest.fixture(scope="module")
def broken(fleet, tmp_path_factory):
    """A copy of the fleet with one call loop and one listener priority used twice; the
    problems load_all reports, and what was changed."""
    out, summary = fleet
    copy = tmp_path_factory.mktemp("broken") / "fleet"
    shutil.copytree(out, copy)
    services_dir = copy / "services"

    # A loop: a function that receives on its own queue from another function with a
    # queue gets allowed to send to that function's queue, per environment.
    def has_queue(service):
        data = _read(services_dir / f"{service}.yaml")
        return data.get("runtime") == "lambda" and "sqs" in data.get("triggers", {})

    caller, callee = next((a, b) for a, b, via in summary["calls"]
                          if via == "sqs" and has_queue(a) and has_queue(b))
    platform = _read(copy / "platform.yaml")
    data = _read(services_dir / f"{callee}.yaml")
    for env in ENVIRONMENTS:
        account = platform["environments"][env]["account"]
        override = data["environments"][env]
        override.setdefault("iam", []).append({
            "sid": "ReplyToCaller", "actions": ["sqs:SendMessage"],
            "resources": [f"arn:aws:sqs:eu-west-1:{account}:{caller}-{env}"]})
    _write(services_dir / f"{callee}.yaml", data)

    # Two web services on the public listener everywhere, with one priority.
    def public_web(service):
        data = _read(services_dir / f"{service}.yaml")
        production = data["environments"]["production"].get("load_balancer", {})
        return data.get("kind") == "web" and "listener" not in production

    first, second = [f.stem for f in sorted(services_dir.iterdir()) if public_web(f.stem)][:2]
    priority = _read(services_dir / f"{first}.yaml")["load_balancer"]["priority"]
    data = _read(services_dir / f"{second}.yaml")
    data["load_balancer"]["priority"] = priority
    _write(services_dir / f"{second}.yaml", data)

    with pytest.raises(SpecError) as exc:
        load_all([copy], TeamRegistry.load(copy / "teams.yaml"))
    return exc.value.problems, {"loop": (caller, callee), "priority": (first, second, priority),
                                "dir": services_dir}


def _environments_named(hint: str, service: str) -> set[str]:
    """Environments a problem speaks of: stack names of ``service``, "(also in ...)", and
    "... in sandbox, staging and production;" (one problem for an inherited line)."""
    named = {env for env in ENVIRONMENTS if f"{service}-{env}" in hint}
    also = re.search(r"\(also in ([a-z, ]+)\)", hint)
    inherited = re.search(r" in ([a-z-]+(?:, [a-z-]+)*(?: and [a-z-]+)?);", hint)
    listed = re.split(r", | and ", inherited.group(1)) if inherited else []
    return named | ({env.strip() for env in also.group(1).split(",")} if also else set()) | \
        {env for env in listed if env in ENVIRONMENTS}


def test_an_added_call_loop_is_reported_with_both_services(broken):
    problems, changed = broken
    caller, callee = changed["loop"]
    loops = [p for p in problems if "call loop" in p.hint]
    assert loops
    covered = set()
    for problem in loops:
        assert caller in problem.hint and callee in problem.hint
        assert problem.file in (str(changed["dir"] / f"{caller}.yaml"),
                                str(changed["dir"] / f"{callee}.yaml"))
        assert problem.line
        covered |= _environments_named(problem.hint, caller)
    assert covered == set(ENVIRONMENTS)  # the loop runs in every environment
    env = "sandbox"
    assert f"{caller}-{env} → {callee}-{env} → {caller}-{env}" in loops[0].hint or \
        f"{callee}-{env} → {caller}-{env} → {callee}-{env}" in loops[0].hint


def test_a_shared_listener_priority_is_reported(broken):
    problems, changed = broken
    first, second, priority = changed["priority"]
    collisions = [p for p in problems if "same priority on this listener" in p.hint]
    assert collisions
    covered = set()
    for problem in collisions:
        assert problem.path == ("load_balancer", "priority")
        assert problem.value == priority
        assert problem.file == str(changed["dir"] / f"{second}.yaml")  # the later file of the two
        assert first in problem.hint and problem.line
        covered |= _environments_named(problem.hint, first)
    assert covered == set(ENVIRONMENTS)
    # Nothing else is flagged: hosts stay distinct, no other loop or collision appears.
    assert {p.hint for p in problems} == {p.hint for p in collisions + [p for p in problems
                                                                        if "call loop" in p.hint]}
