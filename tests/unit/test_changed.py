"""`golden-path changed`: stacks added, changed and removed, in dependency order."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from golden_path import SpecError
from golden_path.cli import main
from golden_path.fleet.changed import changed_stacks, make_shards

TOPIC = "arn:aws:sns:eu-west-1:{account}:golden-path-{team}-{env}-notify"
ACCOUNTS = {"sandbox": "111122223333", "staging": "222233334444", "production": "444455556666"}
EXAMPLE_PLATFORM = Path(__file__).resolve().parents[2] / "examples" / "platform.yaml"


def team_stack(team: str, extra: str = "", env: str = "sandbox") -> dict:
    return {"//": {"metadata": {"version": "0.21.0"}},
            "provider": {"aws": [{"region": "eu-west-1", "allowed_account_ids": [ACCOUNTS[env]]}]},
            "resource": {"aws_sns_topic": {
        "notify": {"name": f"golden-path-{team}-{env}-notify", "tags": {"x": extra}}}}}


def service_stack(team: str, threshold: int = 5, env: str = "sandbox", name: str = "a") -> dict:
    topic = TOPIC.format(account=ACCOUNTS[env], team=team, env=env)
    return {"//": {"metadata": {"stackName": "s"}},
            "provider": {"aws": [{"region": "eu-west-1", "allowed_account_ids": [ACCOUNTS[env]]}]},
            "resource": {"aws_cloudwatch_metric_alarm": {
        "a": {"alarm_name": f"{env}-{team}-{name}-error-rate", "threshold": threshold,
              "alarm_actions": [topic], "ok_actions": [topic]}}}}


def team_name(team: str, env: str) -> str:
    return f"team-{team}-{env}-{ACCOUNTS[env]}-eu-west-1"


def write(out: Path, stacks: dict[str, dict]) -> Path:
    for name, stack in stacks.items():
        (out / "stacks" / name).mkdir(parents=True)
        (out / "stacks" / name / "cdk.tf.json").write_text(json.dumps(stack))
    return out


@pytest.fixture
def base(tmp_path) -> Path:
    return write(tmp_path / "base", {
        "team-checkout-sandbox": team_stack("checkout"), "shop-sandbox": service_stack("checkout"),
        "blog-sandbox": service_stack("checkout"), "old-sandbox": service_stack("billing"),
        "team-billing-sandbox": team_stack("billing")})


def test_added_changed_removed_in_dependency_order(tmp_path, base):
    head = write(tmp_path / "head", {
        "team-checkout-sandbox": team_stack("checkout", extra="new tag"),
        "shop-sandbox": service_stack("checkout", threshold=9),
        "blog-sandbox": {**service_stack("checkout"), "//": {"metadata": {"other": 1}}},
        "api-sandbox": service_stack("checkout")})
    result = changed_stacks(base, head)
    assert (result.added, result.changed, result.removed) == (
        ["api-sandbox"], ["shop-sandbox", "team-checkout-sandbox"],
        ["old-sandbox", "team-billing-sandbox"])
    # A metadata-only difference is no change; the team stack comes before its services.
    assert result.unchanged == 1
    assert result.apply_order == ["team-checkout-sandbox", "api-sandbox", "shop-sandbox"]
    assert result.waves == [["team-checkout-sandbox"], ["api-sandbox", "shop-sandbox"]]
    # Destroy: the service before the team stack it published to.
    assert result.destroy_order == ["old-sandbox", "team-billing-sandbox"]
    deps = {s.name: s.depends_on for s in result.stacks}
    assert deps["shop-sandbox"] == ("team-checkout-sandbox",) and deps["team-checkout-sandbox"] == ()


def test_cli_text_and_json(tmp_path, base, capsys):
    head = write(tmp_path / "head", {
        "team-checkout-sandbox": team_stack("checkout"), "shop-sandbox": service_stack("checkout", 7),
        "blog-sandbox": service_stack("checkout"), "old-sandbox": service_stack("billing"),
        "team-billing-sandbox": team_stack("billing")})
    assert main(["changed", "--base", str(base), "--head", str(head)]) == 0
    assert capsys.readouterr().out == (
        "1 stack(s) to plan and apply in 1 wave(s), 0 removed, 4 unchanged\n"
        "wave 1: sandbox, 1 stack(s); bake 0 min, then the alarm gate\n"
        "  changed  shop-sandbox (after team-checkout-sandbox)\n")
    assert main(["changed", "--base", str(base), "--head", str(head), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["apply_order"] == ["shop-sandbox"] and doc["removed"] == []
    # Dependencies are listed whether or not they change (they must exist first).
    assert doc["stacks"] == [{"name": "shop-sandbox", "status": "changed",
                              "depends_on": ["team-checkout-sandbox"], "account": "111122223333",
                              "region": "eu-west-1", "environment": "sandbox", "wave": 1}]
    assert doc["waves"] == [["shop-sandbox"]]
    assert doc["rollout"] == [{"number": 1, "environment": "sandbox", "kind": "main",
                               "bake_minutes": 0, "stacks": ["shop-sandbox"],
                               "steps": [["shop-sandbox"]], "shards": []}]
    assert doc["plan_shards"] == []


def test_first_synth_has_no_base_stacks(tmp_path, base):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = changed_stacks(empty, base)
    assert result.apply_order[:2] == ["team-billing-sandbox", "team-checkout-sandbox"]
    assert len(result.added) == 5


def test_missing_output_is_an_error(tmp_path, base, capsys):
    with pytest.raises(SpecError) as caught:
        changed_stacks(tmp_path / "nope", base)
    assert "no such synth output" in caught.value.hint
    assert main(["changed", "--base", str(tmp_path / "nope"), "--head", str(base)]) == 2


# ---- rollout: environments in order, dependencies second, a canary, bake times ----------

def three_environments(tmp_path: Path, services: list[str], changed_team: bool = False) -> tuple[Path, Path]:
    """base and head where ``services`` change in every environment (and, if asked, the
    production team route)."""
    base, head = {}, {}
    for env in ACCOUNTS:
        base[team_name("checkout", env)] = team_stack("checkout", env=env)
        head[team_name("checkout", env)] = team_stack(
            "checkout", "new" if changed_team and env == "production" else "", env=env)
        for name in services:
            base[f"{name}-{env}"] = service_stack("checkout", env=env, name=name)
            head[f"{name}-{env}"] = service_stack("checkout", 9, env=env, name=name)
    return write(tmp_path / "base", base), write(tmp_path / "head", head)


def canary_platform(tmp_path: Path, canary: dict) -> Path:
    """The example platform.yaml with a canary in production."""
    import yaml

    doc = yaml.safe_load(EXAMPLE_PLATFORM.read_text())
    doc["environments"]["production"]["rollout"] = {"canary": canary}
    path = tmp_path / "platform.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_rollout_environments_first_then_dependencies(tmp_path):
    # The bug: production (alphabetically first) was applied before sandbox, in one wave.
    base, head = three_environments(tmp_path, ["account-api", "shop"], changed_team=True)
    result = changed_stacks(base, head)
    team = team_name("checkout", "production")
    assert [(w.number, w.environment, w.kind, w.bake_minutes) for w in result.rollout] == [
        (1, "sandbox", "main", 0), (2, "staging", "main", 15), (3, "production", "main", 30)]
    assert [w.steps for w in result.rollout] == [
        [["account-api-sandbox", "shop-sandbox"]], [["account-api-staging", "shop-staging"]],
        [[team], ["account-api-production", "shop-production"]]]
    assert result.apply_order == ["account-api-sandbox", "shop-sandbox", "account-api-staging",
                                  "shop-staging", team, "account-api-production", "shop-production"]
    # `waves` (kept for CI scripts): the dependency steps of all waves, in order.
    assert result.waves == [s for w in result.rollout for s in w.steps]
    by_name = {s.name: s for s in result.stacks}
    assert (by_name["shop-staging"].environment, by_name["shop-staging"].wave) == ("staging", 2)
    assert by_name["shop-production"].account == "444455556666"


def test_canary_named_services_and_a_share(tmp_path, capsys):
    services = [f"svc{i:02d}" for i in range(20)] + ["shop"]
    base, head = three_environments(tmp_path, services, changed_team=True)
    platform = canary_platform(tmp_path, {"services": ["shop"], "share": 10, "bake_minutes": 45})
    assert main(["changed", "--base", str(base), "--head", str(head), "--platform", str(platform),
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    canary, rest = doc["rollout"][2], doc["rollout"][3]
    assert (canary["environment"], canary["kind"], canary["bake_minutes"]) == ("production", "canary", 45)
    assert (rest["environment"], rest["kind"], rest["bake_minutes"]) == ("production", "main", 30)
    # shop, then 10 % of the 21 services (3) by a stable hash of the stack name; the team
    # route they publish to comes first, in the canary wave.
    leaves = sorted((f"{s}-production" for s in services if s != "shop"),
                    key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    assert canary["steps"] == [[team_name("checkout", "production")],
                               sorted(["shop-production", *leaves[:3]])]
    assert sorted(rest["stacks"]) == sorted(leaves[3:]) and len(rest["steps"]) == 1
    # The same change gives the same canary.
    assert main(["changed", "--base", str(base), "--head", str(head), "--platform", str(platform),
                 "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["rollout"] == doc["rollout"]
    assert main(["changed", "--base", str(base), "--head", str(head), "--platform", str(platform)]) == 0
    text = capsys.readouterr().out
    assert "wave 3: production canary, 5 stack(s); bake 45 min, then the alarm gate\n" in text
    assert "wave 4: production, 17 stack(s); bake 30 min, then the alarm gate\n" in text


def test_canary_is_at_least_one_stack(tmp_path):
    from golden_path.load.platform import load_platform

    base, head = three_environments(tmp_path, ["a", "b", "c"])
    platform = load_platform(canary_platform(tmp_path, {"share": 1}))
    rollout = changed_stacks(base, head, platform).rollout
    assert [(w.environment, w.kind, len(w.stacks)) for w in rollout] == [
        ("sandbox", "main", 3), ("staging", "main", 3), ("production", "canary", 1),
        ("production", "main", 2)]
    assert rollout[2].bake_minutes == 30  # the environment's, when the canary names none


# ---- shards ------------------------------------------------------------------------------

def test_shards_balanced_one_account_each_deterministic():
    names = [f"s{i:03d}-{env}" for env in ACCOUNTS for i in range(312)]
    where = {n: (ACCOUNTS[n.rsplit("-", 1)[1]], "eu-west-1") for n in names}
    weight = {n: (40 if n.startswith("s00") else 10) for n in names}
    shards = make_shards(names, where, weight, 20)
    assert len(shards) == 20 and [s.shard for s in shards] == list(range(1, 21))
    assert sorted(n for s in shards for n in s.stacks) == sorted(names)
    for s in shards:
        assert {where[n] for n in s.stacks} == {(s.account, s.region)} and s.count == len(s.stacks)
    sizes = [s.count for s in shards]
    assert max(sizes) - min(sizes) <= 1 + 312 // 6 - 312 // 7  # 7, 7 and 6 shards per account
    heavy = [sum(n.startswith("s00") for n in s.stacks) for s in shards]
    assert max(heavy) - min(heavy) <= 1  # the big stacks are spread
    assert make_shards(list(reversed(names)), where, weight, 20) == shards
    # Fewer stacks than shards: one stack each.
    assert [s.count for s in make_shards(names[:3], where, weight, 20)] == [1, 1, 1]


def test_shards_refused_over_256_or_below_the_accounts():
    names = ["a-sandbox", "b-production"]
    where = {"a-sandbox": ("111122223333", "eu-west-1"), "b-production": ("444455556666", "eu-west-1")}
    with pytest.raises(SpecError) as caught:
        make_shards(names, where, {}, 257)
    assert "256" in caught.value.hint
    with pytest.raises(SpecError) as caught:
        make_shards(names, where, {}, 1)
    assert "at least 2 shards" in caught.value.hint


def test_cli_matrix(tmp_path, capsys):
    base, head = three_environments(tmp_path, ["a", "b", "c"], changed_team=True)
    assert main(["changed", "--base", str(base), "--head", str(head), "--format", "matrix",
                 "--shards", "5"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # one line, for $GITHUB_OUTPUT
    include = json.loads(out)["include"]
    assert len(include) == 5 and sum(s["count"] for s in include) == 10
    assert include[0] == {"shard": 1, "account": "111122223333", "region": "eu-west-1",
                          "stacks": ["a-sandbox", "c-sandbox"], "count": 2}
    assert main(["changed", "--base", str(base), "--head", str(head), "--shards", "300"]) == 2
    assert "256" in capsys.readouterr().err
    # --format json --shards: every wave's steps in shards too.
    assert main(["changed", "--base", str(base), "--head", str(head), "--format", "json",
                 "--shards", "3"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["count"] for s in doc["plan_shards"]] == [3, 3, 4]  # one per account
    assert [[s["stacks"] for s in step] for step in doc["rollout"][2]["shards"]] == [
        [[team_name("checkout", "production")]],
        [["a-production"], ["b-production"], ["c-production"]]]


# ---- the platform's own environment names: dev, qa, prod-eu (a canary), prod-us --------

CUSTOM = Path(__file__).resolve().parents[1] / "fixtures" / "custom-environments"
#: tests/fixtures/custom-environments/platform.yaml: environment -> (account, region).
CUSTOM_WHERE = {"dev": ("111100001111", "eu-west-1"), "qa": ("222200002222", "eu-west-1"),
                "prod-eu": ("333300003333", "eu-west-1"), "prod-us": ("444400004444", "us-east-1")}


def custom_team(env: str, extra: str = "") -> tuple[str, dict]:
    account, region = CUSTOM_WHERE[env]
    return f"team-checkout-{env}-{account}-{region}", {
        "provider": {"aws": [{"region": region, "allowed_account_ids": [account]}]},
        "resource": {"aws_sns_topic": {"notify": {"name": f"golden-path-checkout-{env}-notify",
                                                  "tags": {"x": extra}}}}}


def custom_service(name: str, env: str, threshold: int) -> dict:
    account, region = CUSTOM_WHERE[env]
    topic = f"arn:aws:sns:{region}:{account}:golden-path-checkout-{env}-notify"
    return {"provider": {"aws": [{"region": region, "allowed_account_ids": [account]}]},
            "resource": {"aws_cloudwatch_metric_alarm": {"a": {
                "alarm_name": f"{env}-checkout-{name}-errors", "threshold": threshold,
                "alarm_actions": [topic]}}}}


def custom_fleet(tmp_path: Path, services: list[str], platform: bool = True) -> tuple[Path, Path]:
    """Every service and every team route changes in all four environments; the
    fixture's platform.yaml above the synth outputs (where `changed` looks for it)."""
    base, head = {}, {}
    for env in CUSTOM_WHERE:
        name, stack = custom_team(env)
        base[name], head[name] = stack, custom_team(env, "new")[1]
        for service in services:
            base[f"{service}-{env}"] = custom_service(service, env, 5)
            head[f"{service}-{env}"] = custom_service(service, env, 9)
    if platform:
        (tmp_path / "platform.yaml").write_text((CUSTOM / "platform.yaml").read_text())
    return write(tmp_path / "base.out", base), write(tmp_path / "cdktf.out", head)


def test_rollout_in_the_platforms_own_environments(tmp_path, capsys):
    services = ["shop", "svc1", "svc2", "svc3", "svc4"]
    base, head = custom_fleet(tmp_path, services)
    # No --platform: the platform.yaml above --head gives order, canary and bake.
    assert main(["changed", "--base", str(base), "--head", str(head), "--format", "json",
                 "--shards", "20"]) == 0
    rollout = json.loads(capsys.readouterr().out)["rollout"]
    assert [(w["number"], w["environment"], w["kind"], w["bake_minutes"]) for w in rollout] == [
        (1, "dev", "main", 0), (2, "qa", "main", 45), (3, "prod-eu", "canary", 20),
        (4, "prod-eu", "main", 30), (5, "prod-us", "main", 60)]
    team = {env: custom_team(env)[0] for env in CUSTOM_WHERE}
    # Inside a wave, the team route before the services that publish to it.
    for wave, env in ((0, "dev"), (1, "qa"), (4, "prod-us")):
        assert rollout[wave]["steps"] == [[team[env]], [f"{s}-{env}" for s in services]]
    # The canary: shop (named), 10 % of the 5 services by a stable hash (1), their route.
    others = sorted((f"{s}-prod-eu" for s in services if s != "shop"),
                    key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    assert rollout[2]["steps"] == [[team["prod-eu"]], sorted(["shop-prod-eu", others[0]])]
    assert rollout[3]["steps"] == [sorted(others[1:])]
    # Shards keep to one account and region: prod-us is in us-east-1.
    assert {(s["account"], s["region"]) for step in rollout[4]["shards"] for s in step} == {
        CUSTOM_WHERE["prod-us"]}


def test_single_environment_stacks_roll_out_by_their_profile(tmp_path):
    """A single-environment file (no platform) names its environment by its profile:
    beside a platform of dev .. prod-us, `legacy-production` rolls out as production."""
    from golden_path.load.platform import load_platform

    base, head = custom_fleet(tmp_path, ["shop"])
    (head / "stacks" / "legacy-production").mkdir()
    (head / "stacks" / "legacy-production" / "cdk.tf.json").write_text(
        json.dumps(service_stack("checkout", env="production", name="legacy")))
    rollout = changed_stacks(base, head, load_platform(tmp_path / "platform.yaml")).rollout
    assert [(w.environment, w.kind, w.bake_minutes) for w in rollout] == [
        ("dev", "main", 0), ("qa", "main", 45), ("prod-eu", "canary", 20),
        ("production", "main", 30), ("prod-us", "main", 60)]
    assert rollout[3].stacks == ["legacy-production"]


def test_stacks_of_no_environment_are_an_error_naming_them(tmp_path, capsys):
    """The bug: without the platform.yaml (none in or above --head) the whole dev .. prod-us
    fleet matched no environment and went out in one last wave, unbaked."""
    base, head = custom_fleet(tmp_path, ["shop"], platform=False)
    assert main(["changed", "--base", str(base), "--head", str(head)]) == 2
    err = capsys.readouterr().err
    assert "8 stack(s) to apply are in no environment: no platform.yaml in or above --head, " \
           "so the environments are sandbox, staging and production" in err
    assert "shop-dev, shop-prod-eu, shop-prod-us, shop-qa, team-checkout-dev-" in err
    assert "Pass --platform with the platform.yaml they were synthesized with" in err
    # With the platform.yaml named, the same outputs roll out.
    (tmp_path / "p").mkdir()
    platform = tmp_path / "p" / "platform.yaml"
    platform.write_text((CUSTOM / "platform.yaml").read_text())
    assert main(["changed", "--base", str(base), "--head", str(head), "--platform",
                 str(platform)]) == 0
    assert "8 stack(s) to plan and apply in 4 wave(s)" in capsys.readouterr().out  # shop: the canary
    # A platform whose environments the stacks are not in says which it has.
    with pytest.raises(SpecError) as caught:
        changed_stacks(base, head, load_example_platform())
    assert caught.value.problems[0].hint.startswith(
        f"8 stack(s) to apply are in no environment: {EXAMPLE_PLATFORM} has the environments "
        "sandbox, staging, production")
    # Removed stacks are not applied: no error for them.
    (tmp_path / "empty").mkdir()
    removed = changed_stacks(base, tmp_path / "empty", load_example_platform())
    assert (removed.apply_order, len(removed.removed)) == ([], 8)


def load_example_platform():
    from golden_path.load.platform import load_platform

    return load_platform(EXAMPLE_PLATFORM)
