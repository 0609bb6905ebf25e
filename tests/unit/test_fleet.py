"""Fleet checks across files: stacks, listener rules, queues, call loops; graph; explain."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from golden_path import SpecError
from golden_path.cli import main
from golden_path.fleet import load_all
from golden_path.fleet.globs import any_overlap, overlap
from golden_path.fleet.graph import build_graph, to_dot, to_markdown
from golden_path.load.platform import load_platform

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def platform():
    return load_platform(EXAMPLES / "platform.yaml")


def web(name: str, priority: int, hosts: str = "", paths: str = "", extra: str = "") -> str:
    lb = f"{{listener: public, priority: {priority}"
    lb += f", hosts: [{hosts}]" if hosts else ""
    lb += f", paths: [{paths}]" if paths else ""
    return f"""\
name: {name}
team: checkout
kind: web
image: repo/{name}:1.0.0
cpu: 512
memory: 1024
port: 8000
load_balancer: {lb}}}
{extra}environments:
  sandbox: {{}}
"""


def fn(name: str, extra: str = "") -> str:
    return f"""\
name: {name}
team: pricing
runtime: lambda
language: nodejs22.x
handler: index.handler
code: {{s3: {{bucket: artifacts-bucket, key: {name}/{name}-1.zip}}}}
triggers: {{sqs: {{batch_size: 10}}}}
{extra}environments:
  sandbox: {{}}
"""


def fleet(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(textwrap.dedent(text))
    return tmp_path


def problems(tmp_path, platform) -> list:
    with pytest.raises(SpecError) as caught:
        load_all([tmp_path], platform=platform)
    return list(caught.value.problems)


def line_of(path: Path, text: str) -> int:
    return next(i for i, t in enumerate(path.read_text().splitlines(), 1) if text in t)


# ---- wildcard patterns -----------------------------------------------------------------

@pytest.mark.parametrize(("a", "b", "expected"), [
    ("/api/*", "/*", True), ("/api/*", "/admin/*", False), ("/api", "/api/*", False),
    ("shop.example.com", "*.example.com", True), ("a*b", "*c", False), ("a?c", "abc", True),
    ("a?c", "ac", False), ("*", "", True), ("?", "", False), ("a*b*c", "*x*", True),
])
def test_wildcard_overlap(a, b, expected):
    assert overlap(a, b) is expected and overlap(b, a) is expected


def test_condition_lists():
    assert any_overlap([], ["/x"])  # no condition matches anything
    assert any_overlap(["Shop.Example.com"], ["shop.example.com"], casefold=True)
    assert not any_overlap(["/a/*", "/b/*"], ["/c/*"])


# ---- stacks and listener rules ---------------------------------------------------------

def test_duplicate_stack(tmp_path, platform):
    fleet(tmp_path, a=web("shop", 10, "a.example.com"), b=web("shop", 20, "b.example.com"))
    (problem,) = problems(tmp_path, platform)
    assert problem.file == str(tmp_path / "b.yaml") and problem.field == "name"
    assert f"shop-sandbox ({tmp_path / 'a.yaml'}:1) already defines shop-sandbox" in problem.hint


def test_priority_collision(tmp_path, platform):
    fleet(tmp_path, a=web("shop", 10, "a.example.com"), b=web("blog", 10, "b.example.com"))
    (problem,) = problems(tmp_path, platform)
    assert (problem.field, problem.value) == ("load_balancer.priority", 10)
    assert problem.file.endswith("b.yaml") or problem.file.endswith("a.yaml")
    assert "has the same priority on this listener" in problem.hint
    fleet(tmp_path, b=web("blog", 11, "b.example.com"))
    assert len(load_all([tmp_path], platform=platform)) == 2


def test_overlapping_rules_and_declared_overlap(tmp_path, platform):
    fleet(tmp_path, a=web("shop", 10, "shop.example.com", '"/*"'),
          b=web("api", 20, '"*.example.com"', '"/api/*"'))
    (problem,) = problems(tmp_path, platform)
    # The later rule (priority 20) loses the requests both match: the problem is on its file.
    assert problem.file == str(tmp_path / "b.yaml") and problem.field == "load_balancer.hosts"
    assert "shop-sandbox" in problem.hint and "(priority 10)" in problem.hint
    assert "load_balancer.overlaps: [{service: shop, reason: ...}]" in problem.hint
    # Declared on purpose: passes.
    fleet(tmp_path, b=web("api", 20, '"*.example.com"', '"/api/*"').replace(
        "priority: 20", "priority: 20, overlaps: [{service: shop, reason: api first}]"))
    assert len(load_all([tmp_path], platform=platform)) == 2
    # Disjoint paths on one host: no overlap.
    fleet(tmp_path, a=web("shop", 10, "shop.example.com", '"/shop/*"'),
          b=web("api", 20, "shop.example.com", '"/api/*"'))
    assert len(load_all([tmp_path], platform=platform)) == 2


# ---- queues ----------------------------------------------------------------------------

def test_queue_consumed_twice(tmp_path, platform):
    consume = ('iam:\n  - actions: ["sqs:ReceiveMessage"]\n'
               '    resources: ["arn:aws:sqs:{region}:{account}:jobs"]\n')
    worker = web("w1", 1).replace("kind: web", "kind: worker").replace(
        "port: 8000\nload_balancer: {listener: public, priority: 1}\n", "")
    fleet(tmp_path, w1=worker.replace("environments:", consume + "environments:"),
          w2=worker.replace("w1", "w2").replace(
              "environments:", 'scaling: {queue: {arn: "arn:aws:sqs:{region}:{account}:jobs"}}\n'
                               "environments:"))
    (problem,) = problems(tmp_path, platform)
    assert problem.value == "arn:aws:sqs:eu-west-1:111122223333:jobs"
    assert "consumes this queue too" in problem.hint
    assert {problem.file, problem.hint.split("(")[1].split(":")[0]} == {
        str(tmp_path / "w1.yaml"), str(tmp_path / "w2.yaml")}


# ---- call loops ------------------------------------------------------------------------

SEND_TO = ('iam:\n  - sid: Send\n    actions: ["sqs:SendMessage"]\n'
           '    resources: ["arn:aws:sqs:{{region}}:{{account}}:{target}-{{environment}}"]\n')


def test_call_loop_lists_every_edge_with_file_and_line(tmp_path, platform):
    fleet(tmp_path, a=fn("alpha", SEND_TO.format(target="beta")),
          b=fn("beta", SEND_TO.format(target="gamma")),
          c=fn("gamma", "calls: [{service: alpha}]\n"))
    (problem,) = problems(tmp_path, platform)
    hint = problem.hint
    assert hint.startswith("call loop ")
    a_line, b_line = line_of(tmp_path / "a.yaml", "- sid: Send"), line_of(tmp_path / "b.yaml", "- sid: Send")
    c_line = line_of(tmp_path / "c.yaml", "calls:")
    for hop in (f"alpha-sandbox → beta-sandbox via sqs:SendMessage "
                f"arn:aws:sqs:eu-west-1:111122223333:beta-sandbox ({tmp_path / 'a.yaml'}:{a_line})",
                f"beta-sandbox → gamma-sandbox via sqs:SendMessage "
                f"arn:aws:sqs:eu-west-1:111122223333:gamma-sandbox ({tmp_path / 'b.yaml'}:{b_line})",
                f"gamma-sandbox → alpha-sandbox via http ({tmp_path / 'c.yaml'}:{c_line})"):
        assert hop in hint
    assert "give every edge a loop_reason" in hint


def test_acknowledged_loop_passes_and_shows_in_graph(tmp_path, platform, capsys):
    ack = SEND_TO.replace("    resources", "    loop_reason: retries stop after 3 attempts\n    resources")
    fleet(tmp_path, a=fn("alpha", ack.format(target="beta")),
          b=fn("beta", ack.format(target="alpha")))
    services = load_all([tmp_path], platform=platform)
    graph, unknown = build_graph(services)
    assert unknown == [] and len(graph.cycles) == 1 and graph.unacknowledged() == []
    table = to_markdown(graph)
    assert "| `alpha-sandbox` | `beta-sandbox` | sqs:SendMessage" in table
    assert "acknowledged: retries stop after 3 attempts" in table
    assert "1 loops (0 not acknowledged)" in table
    dot = to_dot(graph)
    assert '"alpha-sandbox" -> "beta-sandbox"' in dot and 'style="dashed"' in dot
    # One edge without a reason is enough to make it an error again.
    fleet(tmp_path, b=fn("beta", SEND_TO.format(target="alpha")))
    (problem,) = problems(tmp_path, platform)
    assert problem.file == str(tmp_path / "b.yaml") and problem.field == "iam[0]"
    assert main(["graph", str(tmp_path), "--platform", str(EXAMPLES / "platform.yaml")]) == 2


def test_function_sending_to_its_own_queue_is_a_loop(tmp_path, platform):
    fleet(tmp_path, a=fn("alpha", SEND_TO.format(target="alpha")))
    (problem,) = problems(tmp_path, platform)
    assert "call loop alpha-sandbox → alpha-sandbox" in problem.hint


def test_wildcard_actions_and_resources_make_edges(tmp_path, platform):
    invoke_all = ('iam:\n  - actions: ["lambda:Invoke*"]\n    wildcard_reason: fan-out\n'
                  '    resources: ["arn:aws:lambda:{region}:{account}:function:*"]\n')
    fleet(tmp_path, a=fn("alpha", invoke_all), b=fn("beta"))
    (problem,) = problems(tmp_path, platform)  # alpha may invoke itself: a loop
    graph, _ = build_graph([s for s in _resolved(tmp_path, platform, skip_checks=True)])
    assert {(e.caller, e.callee) for e in graph.edges} >= {("alpha-sandbox", "beta-sandbox"),
                                                          ("alpha-sandbox", "alpha-sandbox")}
    assert "alpha-sandbox → alpha-sandbox" in problem.hint


def _resolved(tmp_path, platform, skip_checks=False):
    from golden_path.fleet import resolve_located
    from golden_path.load.discover import discover
    from golden_path.load.service_file import load_service_file

    return [resolve_located(s) for f in discover([tmp_path]) for s in load_service_file(f, platform)]


def test_calls_must_name_a_service_of_the_fleet(tmp_path, platform):
    fleet(tmp_path, a=fn("alpha", "calls: [{service: nobody}]\n"))
    (problem,) = problems(tmp_path, platform)
    assert (problem.field, problem.value) == ("calls[0].service", "nobody")
    assert "no service named 'nobody' runs in sandbox" in problem.hint


def test_every_problem_of_the_fleet_at_once(tmp_path, platform):
    fleet(tmp_path, a=web("shop", 10, "a.example.com"), b=web("blog", 10, "b.example.com"),
          c=fn("alpha", SEND_TO.format(target="alpha")), d=fn("beta", "memory: 1\n"))
    fields = sorted(p.field for p in problems(tmp_path, platform))
    assert fields == ["iam[0]", "load_balancer.priority", "memory"]


# ---- the example fleet, explain ----------------------------------------------------------

def test_example_graph(capsys):
    assert main(["graph", str(EXAMPLES)]) == 0
    out = capsys.readouterr().out
    assert ("| `storefront-production` | `order-fulfilment-worker-production` | sqs:SendMessage "
            "arn:aws:sqs:eu-west-1:444455556666:fulfilment |") in out
    assert "| `storefront-staging` | `price-api-staging` | http |" in out
    assert "12 stacks, 9 edges, 0 loops" in out
    assert main(["graph", str(EXAMPLES), "--format", "dot"]) == 0
    assert capsys.readouterr().out.startswith("digraph fleet {")


def test_explain_names_the_origin_of_each_value(capsys):
    path = EXAMPLES / "services" / "storefront.yaml"
    platform = EXAMPLES / "platform.yaml"
    assert main(["explain", str(path), "--environment", "production"]) == 0
    out = {line.split("#")[0].strip(): line.rsplit("# ", 1)[1] for line in
           capsys.readouterr().out.splitlines() if not line.startswith("#") and "# " in line}
    rel = lambda p: str(p.relative_to(Path.cwd())) if p.is_relative_to(Path.cwd()) else str(p)  # noqa: E731
    assert out["name: storefront"] == f"{path}:{line_of(path, 'name: storefront')}"
    assert out["cpu: 1024"] == f"{path}:{line_of(path, 'cpu: 1024')} (override:production)"
    assert out["endpoint: https://otlp.vendor.example.com"] == \
        f"{rel(platform)}:{line_of(platform, 'endpoint:')} (platform defaults)"
    assert out["cluster_arn: arn:aws:ecs:eu-west-1:444455556666:cluster/main"].startswith(
        f"{rel(platform)}:{line_of(platform, 'ecs_cluster: main')}")
    assert out["sampling_percent: 0.1"] == "profile production"
    assert out["desired: 3"] == "profile production"
    assert out["health_check_path: /healthz/"].startswith(str(path))
    assert out["architecture: x86_64"] == "default"


def test_explain_needs_the_environment(capsys):
    assert main(["explain", str(EXAMPLES / "services" / "price-api.yaml")]) == 2
    assert "pass environment=" in capsys.readouterr().err
