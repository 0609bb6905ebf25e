"""`golden-path new`: the scaffold writes a fleet-form file that validates as written."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from golden_path import scaffold
from golden_path.errors import SpecError
from golden_path.fleet import load_all
from golden_path.load.platform import LoadedPlatform, load_platform
from golden_path.scaffold import new_service

EXAMPLE_PLATFORM = ROOT / "examples" / "platform.yaml"
ENVIRONMENTS = ["sandbox", "staging", "production"]


@pytest.fixture(scope="module")
def platform() -> LoadedPlatform:
    return load_platform(EXAMPLE_PLATFORM)


def platform_variant(tmp_path: Path, change) -> LoadedPlatform:
    """examples/platform.yaml with ``change(data)`` applied, written to tmp_path."""
    data = copy.deepcopy(yaml.safe_load(EXAMPLE_PLATFORM.read_text()))
    change(data)
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_platform(path)


def by_env(services) -> dict:
    return {s.spec.environment: s for s in services}


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("kind", ["web", "worker", "lambda"])
def test_each_kind_validates_in_every_environment(tmp_path, platform, kind):
    out = tmp_path / "services"
    name = f"new-{kind}"
    path = new_service(name, team="checkout", kind=kind, platform=platform, out_dir=out)

    assert path == out / f"{name}.yaml"
    assert listing(out) == [f"{name}.yaml"]  # no temp file left behind
    text = path.read_text()
    data = yaml.safe_load(text)
    assert (data["name"], data["team"]) == (name, "checkout")
    assert list(data["environments"]) == ENVIRONMENTS
    assert data["alerts"]["runbook"] == f"https://runbooks.example.com/checkout/{name}"
    # What the platform owns is named, never repeated.
    for key in ("environment", "network", "telemetry", "account_id", "region"):
        assert key not in data
    for env in platform.environments.values():
        assert env.vpc_id not in text and env.telemetry.api_key_secret_arn not in text
        assert all(listener.arn not in text for listener in env.listeners.values())
    assert platform.environments["sandbox"].telemetry.endpoint not in text
    assert 'docs/service-file.md' in text and 'docs/alerts.md' in text

    services = load_all([out], platform=platform)
    assert sorted(s.stack_name for s in services) == sorted(f"{name}-{e}" for e in ENVIRONMENTS)
    assert all(s.spec.name == name and s.spec.team == "checkout" for s in services)


def test_web_attaches_to_each_environments_listener_with_its_own_host(tmp_path, platform):
    path = new_service("shop-api", team="checkout", kind="web", platform=platform, out_dir=tmp_path)
    data = yaml.safe_load(path.read_text())
    assert (data["kind"], data["port"], data["health_check_path"]) == ("web", 8000, "/health")
    assert (data["cpu"], data["memory"]) == (scaffold.ECS_CPU, scaffold.ECS_MEMORY)
    assert data["image"] == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api:0.1.0"
    assert data["load_balancer"] == {"listener": "public", "priority": 100}
    assert data["environments"]["production"] == {"load_balancer": {"hosts": ["shop-api.example.com"]}}

    services = by_env(load_all([tmp_path], platform=platform))
    for env in ENVIRONMENTS:
        lb = services[env].spec.load_balancer
        listener = platform.environments[env].listeners["public"]
        assert lb.listener_arn == listener.arn and lb.priority == 100
        assert lb.hosts == [f"shop-api.{listener.domain}"] and lb.paths == []
    assert services["production"].scaling.min == 2


def test_worker_has_a_command_and_no_load_balancer(tmp_path, platform):
    path = new_service("mailer", team="growth", kind="worker", platform=platform, out_dir=tmp_path)
    text = path.read_text()
    data = yaml.safe_load(text)
    assert data["kind"] == "worker" and "load_balancer" not in data and "port" not in data
    assert data["command"] == ["python", "-m", "mailer"]
    assert data["environments"] == {env: {} for env in ENVIRONMENTS}
    assert '#   queue: {arn: "arn:aws:sqs:{region}:{account}:mailer"' in text  # how to add it
    for service in load_all([tmp_path], platform=platform):
        assert service.spec.load_balancer is None and service.scaling.queue_arn is None


@pytest.mark.parametrize(("language", "handler", "key"), [
    (None, "index.handler", "price-feed/price-feed-0.1.0.zip"),
    ("python3.13", "price_feed.handler.handle", "price-feed/price-feed-0.1.0.zip"),
    ("java21", "com.example.Handler::handleRequest", "price-feed/price-feed-0.1.0.jar"),
])
def test_lambda_handler_and_artifact_per_language(tmp_path, platform, language, handler, key):
    path = new_service("price-feed", team="pricing", kind="lambda", platform=platform,
                       out_dir=tmp_path, language=language)
    text = path.read_text()
    data = yaml.safe_load(text)
    assert data["runtime"] == "lambda" and "kind" not in data
    assert data["language"] == (language or "nodejs22.x")
    assert data["handler"] == handler
    assert data["architecture"] == "arm64"
    assert data["code"] == {"s3": {"bucket": "pricing-artifacts", "key": key}}
    assert "CI uploads" in text
    functions = by_env(load_all([tmp_path], platform=platform))
    assert set(functions) == set(ENVIRONMENTS)
    for env, function in functions.items():
        assert function.spec.account_id == platform.environments[env].account
        assert function.spec.handler == handler


def test_refuses_to_overwrite(tmp_path, platform):
    path = new_service("mailer", team="growth", kind="worker", platform=platform, out_dir=tmp_path)
    before = path.read_text()
    with pytest.raises(SpecError) as err:
        new_service("mailer", team="other", kind="lambda", platform=platform, out_dir=tmp_path)
    assert err.value.field == "name" and err.value.value == "mailer"
    assert err.value.problems[0].file == str(path)
    assert "refusing to overwrite" in err.value.hint
    assert path.read_text() == before
    assert listing(tmp_path) == ["mailer.yaml"]

    handwritten = tmp_path / "notes.yaml"
    handwritten.write_text("# mine\n")
    with pytest.raises(SpecError, match="refusing to overwrite"):
        new_service("notes", team="growth", kind="web", platform=platform, out_dir=tmp_path)
    assert handwritten.read_text() == "# mine\n"


@pytest.mark.parametrize(("name", "options", "field", "value", "hint"), [
    ("Bad_Name", {"kind": "web"}, "name", "Bad_Name", "lowercase letters"),
    ("x" * 41, {"kind": "worker"}, "name", "x" * 41, "at most 40"),
    ("ok-name", {"kind": "worker", "team": "Team"}, "--team", "Team", "lowercase letters"),
    ("ok-name", {"kind": "worker", "team": "t" * 33}, "--team", "t" * 33, "at most 32"),
    ("ok-name", {"kind": "cron"}, "--kind", "cron", "web, worker, lambda"),
    ("ok-name", {"kind": "lambda", "language": "python3.12"}, "--language", "python3.12",
     "nodejs22.x, python3.13, java21"),
    ("ok-name", {"kind": "lambda", "language": "ruby3.3"}, "--language", "ruby3.3", "allows"),
    ("ok-name", {"kind": "web", "language": "nodejs22.x"}, "--language", "nodejs22.x",
     "--kind lambda"),
])
def test_bad_arguments_name_the_argument_and_write_nothing(tmp_path, platform, name, options, field,
                                                           value, hint):
    options = {"team": "checkout", **options}
    out = tmp_path / "out"
    with pytest.raises(SpecError) as err:
        new_service(name, platform=platform, out_dir=out, **options)
    assert (err.value.field, err.value.value) == (field, value)
    assert hint in err.value.hint
    assert not out.exists()


def test_priority_avoids_the_ones_in_use(tmp_path, platform):
    out = tmp_path / "services"
    first = new_service("web-one", team="checkout", kind="web", platform=platform, out_dir=out)
    second = new_service("web-two", team="checkout", kind="web", platform=platform, out_dir=out,
                         existing=load_all([out], platform=platform))
    p1 = yaml.safe_load(first.read_text())["load_balancer"]["priority"]
    p2 = yaml.safe_load(second.read_text())["load_balancer"]["priority"]
    assert (p1, p2) == (100, 110)
    services = load_all([out], platform=platform)
    assert len(services) == 6
    assert {s.spec.load_balancer.priority for s in services} == {100, 110}


def test_priority_skips_the_fleets_rules_and_the_fleet_still_validates(tmp_path, platform):
    out = tmp_path / "services"
    shutil.copytree(ROOT / "examples" / "services", out)  # storefront holds 120 on 'public'
    priorities = []
    for name in ("web-a", "web-b", "web-c"):
        path = new_service(name, team="checkout", kind="web", platform=platform, out_dir=out,
                           existing=load_all([out], platform=platform))
        priorities.append(yaml.safe_load(path.read_text())["load_balancer"]["priority"])
    assert priorities == [100, 110, 130]
    names = {s.spec.name for s in load_all([out], platform=platform)}
    assert {"storefront", "web-a", "web-b", "web-c"} <= names


def test_a_name_the_fleet_already_uses_is_refused(tmp_path, platform):
    existing = load_all([ROOT / "examples" / "services"], platform=platform)
    with pytest.raises(SpecError) as err:
        new_service("storefront", team="checkout", kind="web", platform=platform, out_dir=tmp_path,
                    existing=existing)
    assert (err.value.field, err.value.value) == ("name", "storefront")
    assert "services/storefront.yaml:" in err.value.hint and "pick another name" in err.value.hint
    assert listing(tmp_path) == []


def test_platform_without_listeners_refuses_web(tmp_path):
    def no_listeners(data):
        for env in data["environments"].values():
            env.pop("listeners", None)

    bare = platform_variant(tmp_path, no_listeners)
    out = tmp_path / "services"
    with pytest.raises(SpecError) as err:
        new_service("site", team="checkout", kind="web", platform=bare, out_dir=out)
    assert (err.value.field, err.value.value) == ("--kind", "web")
    assert "no listener" in err.value.hint
    assert not out.exists()
    # A worker does not need one.
    new_service("site", team="checkout", kind="worker", platform=bare, out_dir=out)
    assert len(load_all([out], platform=bare)) == 3


def test_web_uses_each_environments_listeners(tmp_path):
    def mixed(data):
        envs = data["environments"]
        del envs["staging"]["listeners"]
        del envs["production"]["listeners"]["public"]  # only 'internal', without a domain

    mixed_platform = platform_variant(tmp_path, mixed)
    out = tmp_path / "services"
    path = new_service("admin", team="ops", kind="web", platform=mixed_platform, out_dir=out)
    text = path.read_text()
    data = yaml.safe_load(text)
    assert list(data["environments"]) == ["sandbox", "production"]
    assert "# staging: left out, platform.yaml defines no listener there" in text
    assert data["load_balancer"]["listener"] == "public"
    assert data["environments"]["production"] == {
        "load_balancer": {"listener": "internal", "paths": ["/admin/*"]}}
    services = by_env(load_all([out], platform=mixed_platform))
    assert set(services) == {"sandbox", "production"}
    internal = mixed_platform.environments["production"].listeners["internal"]
    assert services["production"].spec.load_balancer.listener_arn == internal.arn
    assert services["sandbox"].spec.load_balancer.hosts == ["admin.sandbox.example.com"]


def test_platform_rules_pick_language_and_architecture(tmp_path):
    def strict(data):
        data["rules"] = {"lambda_languages": ["python3.13"], "lambda_architectures": ["x86_64"],
                         "ecs_architectures": ["arm64"]}

    strict_platform = platform_variant(tmp_path, strict)
    out = tmp_path / "services"
    fn = yaml.safe_load(new_service("fn", team="ops", kind="lambda", platform=strict_platform,
                                    out_dir=out).read_text())
    assert (fn["language"], fn["handler"], fn["architecture"]) == ("python3.13", "fn.handler.handle",
                                                                   "x86_64")
    worker = yaml.safe_load(new_service("jobs", team="ops", kind="worker", platform=strict_platform,
                                        out_dir=out).read_text())
    assert worker["architecture"] == "arm64"
    assert len(load_all([out], platform=strict_platform)) == 6


def test_without_language_rule_any_supported_language_and_nodejs_default(tmp_path):
    free = platform_variant(tmp_path, lambda data: data.pop("rules"))
    out = tmp_path / "services"
    fn = yaml.safe_load(new_service("fn", team="ops", kind="lambda", platform=free,
                                    out_dir=out).read_text())
    assert fn["language"] == "nodejs22.x"
    old = yaml.safe_load(new_service("fn-old", team="ops", kind="lambda", platform=free, out_dir=out,
                                     language="python3.12").read_text())
    assert old["language"] == "python3.12"
    assert len(load_all([out], platform=free)) == 6


def test_a_template_that_does_not_validate_is_a_bug_and_writes_nothing(tmp_path, platform, monkeypatch):
    real = scaffold._render
    monkeypatch.setattr(scaffold, "_render",
                        lambda kind, context: real(kind, context).replace("cpu: 256", "cpu: 300"))
    out = tmp_path / "services"
    with pytest.raises(RuntimeError, match="does not validate"):
        new_service("broken", team="ops", kind="worker", platform=platform, out_dir=out / "nested")
    assert not out.exists()  # folders it created are gone again
    out.mkdir()
    with pytest.raises(RuntimeError):
        new_service("broken", team="ops", kind="worker", platform=platform, out_dir=out)
    assert listing(out) == []


def test_out_must_be_a_folder(tmp_path, platform):
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    with pytest.raises(SpecError) as err:
        new_service("mailer", team="growth", kind="worker", platform=platform, out_dir=not_a_folder)
    assert (err.value.field, err.value.value) == ("--out", str(not_a_folder))
