"""platform.yaml and the fleet form: merge semantics, provenance, platform-owned fields."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from golden_path import SpecError
from golden_path.load.platform import find_platform, load_platform
from golden_path.load.provenance import Origin, merge
from golden_path.load.service_file import load_service, load_service_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLATFORM = EXAMPLES / "platform.yaml"


def line_of(path: Path, text: str, after: int = 0) -> int:
    lines = path.read_text().splitlines()
    return next(i for i, t in enumerate(lines, 1) if i > after and text in t)


@pytest.fixture(scope="module")
def platform():
    return load_platform(PLATFORM)


def write(folder: Path, text: str, name: str = "svc.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


LAMBDA = """\
    name: quotes
    team: pricing
    runtime: lambda
    language: nodejs22.x
    handler: index.handler
    code: {s3: {bucket: pricing-artifacts, key: quotes/quotes-1.0.0.zip}}
    memory: 256
    variables:
      TABLE: quotes-{environment}
      MODE: fast
    iam:
      - actions: ["dynamodb:GetItem"]
        resources: ["arn:aws:dynamodb:{region}:{account}:table/quotes"]
    environments:
      sandbox: {}
      production:
        memory: 1024
        variables: {MODE: null, EXTRA: "1"}
        iam:
          - actions: ["dynamodb:Query"]
            resources: ["arn:aws:dynamodb:{region}:{account}:table/quotes"]
"""


# ---- merge semantics -------------------------------------------------------------------

def test_merge_overrides_replaces_lists_and_null_clears():
    base = {"a": 1, "m": {"x": 1, "y": [1, 2]}, "gone": "v", "keep": True}
    over = {"a": 2, "m": {"y": [3]}, "gone": None, "new": {"z": 1}}
    origins_b = {("a",): Origin("b", 1, "service"), ("m", "x"): Origin("b", 2, "service"),
                 ("m", "y"): Origin("b", 3, "service"), ("gone",): Origin("b", 4, "service")}
    origins_o = {("a",): Origin("o", 10, "o"), ("m", "y"): Origin("o", 11, "o"),
                 ("new", "z"): Origin("o", 12, "o")}
    merged, origins = merge(base, origins_b, over, origins_o)
    assert merged == {"a": 2, "m": {"x": 1, "y": [3]}, "keep": True, "new": {"z": 1}}
    assert origins[("a",)].line == 10 and origins[("m", "x")].line == 2
    assert origins[("m", "y")].line == 11 and origins[("new", "z")].line == 12
    assert ("gone",) not in origins


def test_fleet_form_expands_one_spec_per_environment(platform, tmp_path):
    path = write(tmp_path, LAMBDA)
    sandbox, production = load_service_file(path, platform)
    assert (sandbox.environment, production.environment) == ("sandbox", "production")
    assert (sandbox.memory, production.memory) == (256, 1024)
    # Mappings merge key by key; null clears; a list replaces the shared one.
    assert sandbox.variables == {"TABLE": "quotes-sandbox", "MODE": "fast"}
    assert production.variables == {"TABLE": "quotes-production", "EXTRA": "1"}
    assert [s.actions for s in production.iam] == [["dynamodb:Query"]]
    # The platform's values, and the placeholders filled per environment.
    assert (sandbox.account_id, production.account_id) == ("111122223333", "444455556666")
    assert production.iam[0].resources == ["arn:aws:dynamodb:eu-west-1:444455556666:table/quotes"]
    assert production.telemetry.config_bucket == "golden-path-config-444455556666-eu-west-1"
    assert production.telemetry.endpoint == "https://otlp.vendor.example.com"


def test_only_one_environment(platform, tmp_path):
    path = write(tmp_path, LAMBDA)
    assert load_service(path, "production", platform).memory == 1024
    with pytest.raises(SpecError) as caught:
        load_service(path, "staging", platform)
    assert caught.value.hint == "the service does not run in this environment"
    with pytest.raises(SpecError) as caught:
        load_service(path, None, platform)
    assert "pass environment=" in caught.value.hint


def test_platform_is_found_above_the_service_files(tmp_path):
    (tmp_path / "platform.yaml").write_text(PLATFORM.read_text())
    (tmp_path / "services").mkdir()
    path = write(tmp_path / "services", LAMBDA)
    found = find_platform([path])
    assert found is not None and Path(found.file).resolve() == (tmp_path / "platform.yaml").resolve()
    assert load_service(path, "sandbox").region == "eu-west-1"
    assert [s.environment for s in load_service_file(path)] == ["sandbox", "production"]


# ---- provenance: errors point at the line that set the value ---------------------------

def test_error_from_an_override_points_at_the_override_line(platform, tmp_path):
    path = write(tmp_path, LAMBDA.replace("memory: 1024", "memory: 99999"))
    with pytest.raises(SpecError) as caught:
        load_service_file(path, platform)
    (problem,) = caught.value.problems
    assert (problem.field, problem.file, problem.line) == ("memory", str(path),
                                                           line_of(path, "memory: 99999"))


def test_error_from_a_shared_field_points_at_the_shared_line(platform, tmp_path):
    path = write(tmp_path, LAMBDA.replace("handler: index.handler", "handler: nope"))
    with pytest.raises(SpecError) as caught:
        load_service_file(path, platform)
    # Both environments inherit it: reported once, at the shared line.
    assert [(p.field, p.line) for p in caught.value.problems] == [("handler", 5)]


def test_error_caused_by_a_platform_value_points_at_platform_yaml(tmp_path):
    """A value the service takes from platform.yaml is placed at platform.yaml's line."""
    from dataclasses import replace

    loaded = load_platform(PLATFORM)
    env = loaded.platform.environments["sandbox"]
    # Bypass the platform's own validation to get a value only the service spec refuses.
    bad = env.model_copy(update={"telemetry": env.telemetry.model_copy(update={"endpoint": "http://x"})})
    platform = replace(loaded, platform=loaded.platform.model_copy(
        update={"environments": {**loaded.platform.environments, "sandbox": bad}}))
    path = write(tmp_path, LAMBDA)
    with pytest.raises(SpecError) as caught:
        load_service_file(path, platform)
    (problem,) = caught.value.problems
    assert problem.field == "telemetry.endpoint"
    assert (problem.file, problem.line) == (str(PLATFORM), line_of(PLATFORM, "endpoint: https://"))


def test_platform_errors_are_all_reported_with_lines(tmp_path):
    text = PLATFORM.read_text()
    text = text.replace('account: "222233334444"', 'account: "2222"')
    text = text.replace("vpc_id: vpc-0f1e2d3c4b5a69788", "vpc_id: nope")
    text = text.replace("endpoint: https://otlp.vendor.example.com", "endpoint: http://plain")
    path = write(tmp_path, text, "platform.yaml")
    with pytest.raises(SpecError) as caught:
        load_platform(path)
    found = {(p.field, p.line) for p in caught.value.problems}
    assert ("environments.staging.account", line_of(path, 'account: "2222"')) in found
    assert ("environments.production.vpc_id", line_of(path, "vpc_id: nope")) in found
    # A bad default fails every environment, each pointing at the defaults line.
    endpoint = line_of(path, "endpoint: http://plain")
    assert {(f"environments.{e}.telemetry.endpoint", endpoint)
            for e in ("sandbox", "staging", "production")} <= found


def test_platform_cross_checks(tmp_path):
    text = PLATFORM.read_text().replace(
        "secret:observability/otlp-api-key-Ty62Rb", "secret:observability/otlp-api-key-Ty62Rb").replace(
        "arn:aws:iam::222233334444:policy/golden-path-boundary",
        "arn:aws:iam::999999999999:policy/golden-path-boundary")
    text += "\n  # nothing\n"
    data = yaml.safe_load(text)
    data["environments"]["sandbox"]["state"] = {"backend": "local", "path": "/abs/state"}
    path = write(tmp_path, yaml.safe_dump(data, sort_keys=False), "platform.yaml")
    with pytest.raises(SpecError) as caught:
        load_platform(path)
    hints = {p.field: p.hint for p in caught.value.problems}
    assert "account 222233334444" in hints["environments.staging.permissions_boundary"]
    assert "relative" in hints["environments.sandbox.state.path"]


def test_unknown_platform_environment_and_section(tmp_path):
    data = yaml.safe_load(PLATFORM.read_text())
    data["environments"]["qa"] = {}
    data["networks"] = {}
    path = write(tmp_path, yaml.safe_dump(data), "platform.yaml")
    with pytest.raises(SpecError) as caught:
        load_platform(path)
    fields = {p.field for p in caught.value.problems}
    # qa is not a profile name: it needs profile: (and, empty, its account, network, ...).
    assert {"environments.qa.profile", "environments.qa.account", "networks"} <= fields
    assert {f for f in fields if not f.startswith("environments.qa")} == {"networks"}



def test_environments_with_their_own_names_and_profiles(tmp_path):
    """Renamed environments: the file's keys are the platform's names, the behaviour the
    profile's (docs/environments.md)."""
    from golden_path.spec.environments import profile_of

    data = yaml.safe_load(PLATFORM.read_text())
    envs = data["environments"]
    data["environments"] = {"dev": {**envs["sandbox"], "profile": "sandbox"},
                            "prod-eu": {**envs["production"], "profile": "production",
                                        "rollout": {"canary": {"services": ["quotes"]}}}}
    platform = load_platform(write(tmp_path, yaml.safe_dump(data), "platform.yaml"))
    assert {n: platform.context(n).profile for n in platform.environments} == {
        "dev": "sandbox", "prod-eu": "production"}
    path = write(tmp_path, LAMBDA.replace("  sandbox: {}", "  dev: {}").replace(
        "  production:\n", "  prod-eu:\n"))
    dev, prod = load_service_file(path, platform)
    assert (dev.environment, prod.environment) == ("dev", "prod-eu")
    assert (profile_of(dev).name, profile_of(prod).name) == ("sandbox", "production")
    assert dev.variables["TABLE"] == "quotes-dev"
    # The old names are no environments of this platform.
    with pytest.raises(SpecError) as caught:
        load_service_file(write(tmp_path, LAMBDA, "old.yaml"), platform)
    assert {p.field for p in caught.value.problems} == {"environments.sandbox",
                                                        "environments.production"}
    assert "(it has dev, prod-eu)" in caught.value.problems[0].hint

# ---- what the platform owns; environments the platform lacks ---------------------------

def test_platform_owned_fields_are_refused(platform, tmp_path):
    text = LAMBDA.replace("memory: 256\n", "memory: 256\n    account_id: '123456789012'\n"
                          "    telemetry: {endpoint: 'https://other.example.com'}\n")
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        load_service_file(path, platform)
    problems = {(p.field, p.line) for p in caught.value.problems}
    assert ("account_id", line_of(path, "account_id")) in problems
    assert ("telemetry.endpoint", line_of(path, "telemetry:")) in problems
    hint = next(p.hint for p in caught.value.problems if p.field == "account_id")
    assert hint.startswith("set by the platform for sandbox (") and "platform.yaml:" in hint


def test_unknown_and_missing_environments(platform, tmp_path):
    path = write(tmp_path, LAMBDA.replace("  sandbox: {}", "  qa: {}"))
    with pytest.raises(SpecError) as caught:
        load_service_file(path, platform)
    assert [(p.field, p.line) for p in caught.value.problems] == [
        ("environments.qa", line_of(path, "qa: {}"))]
    small = load_platform(write(tmp_path, yaml.safe_dump({
        **yaml.safe_load(PLATFORM.read_text()),
        "environments": {"sandbox": yaml.safe_load(PLATFORM.read_text())["environments"]["sandbox"]},
    }), "small-platform.yaml"))
    path = write(tmp_path, LAMBDA)
    with pytest.raises(SpecError) as caught:
        load_service_file(path, small)
    (problem,) = caught.value.problems
    assert problem.field == "environments.production"
    assert "defines no environment production (it has sandbox)" in problem.hint


def test_fleet_form_without_platform_or_with_environment(tmp_path):
    path = write(tmp_path, LAMBDA)
    assert find_platform([path]) is None  # nothing above tmp_path
    with pytest.raises(SpecError) as caught:
        load_service_file(path, None)
    assert "platform.yaml" in caught.value.hint
    path = write(tmp_path, "environment: sandbox\n" + textwrap.dedent(LAMBDA))
    with pytest.raises(SpecError) as caught:
        load_service_file(path, load_platform(PLATFORM))
    assert caught.value.field == "environment"


def test_listener_by_name(platform, tmp_path):
    web = """\
        name: shop
        team: checkout
        kind: web
        image: repo/shop:1.0.0
        cpu: 512
        memory: 1024
        port: 8000
        load_balancer: {listener: public, hosts: [shop.example.com], priority: 7}
        environments:
          sandbox: {}
          production: {load_balancer: {listener: internal}}
    """
    sandbox, production = load_service_file(write(tmp_path, web), platform)
    env = platform.environments
    assert sandbox.load_balancer.listener_arn == env["sandbox"].listeners["public"].arn
    assert production.load_balancer.listener_arn == env["production"].listeners["internal"].arn
    assert production.network.cluster_arn == "arn:aws:ecs:eu-west-1:444455556666:cluster/main"
    path = write(tmp_path, web.replace("listener: internal", "listener: private"))
    with pytest.raises(SpecError) as caught:
        load_service_file(path, platform)
    (problem,) = caught.value.problems
    assert problem.field == "load_balancer.listener" and problem.value == "private"
    assert problem.line == line_of(path, "listener: private")
    assert "listeners there: public, internal" in problem.hint


def test_org_rules_on_languages(platform, tmp_path):
    path = write(tmp_path, LAMBDA.replace("nodejs22.x", "nodejs20.x"))
    with pytest.raises(SpecError) as caught:
        load_service_file(path, platform)
    problem = caught.value.problems[0]
    assert (problem.field, problem.line) == ("language", line_of(path, "language:"))
    assert problem.hint.startswith("the platform allows Lambda languages nodejs22.x, python3.13, java21 (")


def test_single_environment_file_ignores_the_platform(platform, tmp_path, web):
    path = write(tmp_path, yaml.safe_dump(web))
    (spec,) = load_service_file(path, platform)
    assert spec.network.cluster_arn == web["network"]["cluster_arn"]
    assert spec._platform is None


# ---- state backends ------------------------------------------------------------------------

def test_environment_without_state_backend_is_an_error(tmp_path):
    data = yaml.safe_load(PLATFORM.read_text())
    del data["environments"]["production"]["state"]
    platform = load_platform(write(tmp_path, yaml.safe_dump(data), "platform.yaml"))
    path = write(tmp_path, LAMBDA)
    with pytest.raises(SpecError) as caught:
        load_service_file(path, platform)
    (problem,) = caught.value.problems
    assert (problem.field, problem.value) == ("environment", "production")
    assert problem.line == line_of(path, "  production:")
    assert "sets no state backend for production" in problem.hint


def test_state_key_per_service_and_local_backend_when_asked(platform, tmp_path):
    from golden_path.resolve import resolve_service

    sandbox, production = (resolve_service(s) for s in load_service_file(write(tmp_path, LAMBDA),
                                                                          platform))
    assert (sandbox.state.kind, production.state.settings) == ("s3", {
        "bucket": "golden-path-state-444455556666", "key": "golden-path/production/pricing/quotes.tfstate",
        "region": "eu-west-1", "encrypt": True, "use_lockfile": True,
        "kms_key_id": "arn:aws:kms:eu-west-1:444455556666:alias/golden-path-state"})
    data = yaml.safe_load(PLATFORM.read_text())
    data["environments"]["sandbox"]["state"] = {"backend": "local", "path": "state"}
    data["environments"]["production"]["state"]["role_arn"] = "arn:aws:iam::444455556666:role/state"
    local = load_platform(write(tmp_path, yaml.safe_dump(data), "platform.yaml"))
    sandbox, production = (resolve_service(s) for s in load_service_file(tmp_path / "svc.yaml", local))
    assert sandbox.state.settings == {"path": "state/golden-path/sandbox/pricing/quotes.tfstate"}
    assert production.state.settings["assume_role"] == {"role_arn": "arn:aws:iam::444455556666:role/state"}


def test_two_stacks_sharing_a_state_object_is_an_error(platform, tmp_path):
    from dataclasses import replace

    from golden_path.fleet import resolve_located
    from golden_path.fleet.state import duplicate_state

    a = resolve_located(load_service(write(tmp_path, LAMBDA), "sandbox", platform))
    b = resolve_located(load_service(write(tmp_path, LAMBDA.replace("name: quotes", "name: offers"),
                                           "b.yaml"), "sandbox", platform))
    assert duplicate_state([a, b]) == []
    (problem,) = duplicate_state([a, replace(b, state=a.state)])
    assert "quotes-sandbox and offers-sandbox would share the state " \
           "s3://golden-path-state-111122223333/golden-path/sandbox/pricing/quotes.tfstate" in problem.hint
    assert problem.file == str(tmp_path / "b.yaml")


def test_single_environment_files_warn_about_local_state(tmp_path, web, capsys):
    from golden_path.cli import main

    write(tmp_path, yaml.safe_dump(web))
    assert main(["validate", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "warning: 1 stack(s) keep their Terraform state in a local file" in err
    assert str(tmp_path / "svc.yaml") in err
