"""The golden-path command without cdktf: schema, validate, bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from golden_path.cli import main, schema


def test_schema_describes_service_yaml(capsys):
    assert main(["schema"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["title"] == "golden_path service file"
    ecs, fn, fleet_ecs, fleet_fn = (doc["$defs"][ref["$ref"].rsplit("/", 1)[1]] for ref in doc["anyOf"])
    assert {"name", "team", "environment", "kind", "image", "cpu", "memory", "network",
            "telemetry"} <= set(ecs["required"])
    assert {"runtime", "language", "code", "account_id", "region"} <= set(fn["required"])
    assert ecs["properties"]["environment"]["enum"] == ["sandbox", "staging", "production"]
    assert ecs["additionalProperties"] is False and fn["additionalProperties"] is False
    # The fleet form: shared fields plus environments; what the platform owns is absent.
    assert fleet_ecs["required"] == fleet_fn["required"] == ["name", "team", "environments"]
    assert "environment" not in fleet_ecs["properties"] and "account_id" not in fleet_fn["properties"]
    # Any environment platform.yaml names (docs/environments.md).
    assert fleet_ecs["properties"]["environments"]["propertyNames"] == {
        "pattern": "^[a-z][a-z0-9-]*[a-z0-9]$", "maxLength": 20}
    lb = doc["$defs"]["FleetLoadBalancer"]["properties"]
    assert "listener" in lb and "listener_arn" not in lb
    assert set(doc["$defs"]["FleetNetwork"]["properties"]) == {"security_group_ids"}


def test_platform_schema(capsys):
    assert main(["schema", "--platform"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["title"] == "golden_path platform.yaml"
    env = doc["$defs"]["PlatformEnvironment"]
    assert {"account", "region", "ecs_cluster", "vpc_id", "subnet_ids", "telemetry"} <= set(env["required"])
    assert "required" not in doc["$defs"]["PartialPlatformEnvironment"]
    assert doc["properties"]["environments"]["propertyNames"] == {
        "pattern": "^[a-z][a-z0-9-]*[a-z0-9]$", "maxLength": 20}
    assert env["properties"]["profile"]["anyOf"][0]["enum"] == ["sandbox", "staging", "production"]
    assert {"profile", "rollout"}.isdisjoint(doc["$defs"]["PlatformDefaults"]["properties"])


def test_committed_schema_is_current():
    """examples/service.schema.json (used by editors) matches the model."""
    from conftest import EXAMPLES

    committed = json.loads((EXAMPLES / "service.schema.json").read_text())
    assert committed == schema(), "run: golden-path schema > examples/service.schema.json"
    committed = json.loads((EXAMPLES / "platform.schema.json").read_text())
    assert committed == schema(platform=True), \
        "run: golden-path schema --platform > examples/platform.schema.json"


def test_validate_examples(capsys):
    from conftest import EXAMPLES

    assert main(["validate", str(EXAMPLES)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 13 and all(line.startswith("ok  ") for line in out[:12])
    assert "ok  price-api-production: lambda of team pricing, nodejs22.x arm64" in "\n".join(out)
    assert out[-1].startswith("fleet: 12 stacks, 9 calls between services, 0 acknowledged loops")


def test_validate_bad_file_prints_file_line_and_exits_2(tmp_path, web, capsys):
    web["cpu"] = 300
    path = tmp_path / "svc.yaml"
    path.write_text(yaml.safe_dump(web, sort_keys=False))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t.startswith("cpu:"))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}: cpu = 300: Fargate cpu must be one of" in err
    assert "Traceback" not in err


def test_validate_reports_resolve_problems_with_line(tmp_path, web, capsys):
    web["port"] = 4317
    path = tmp_path / "svc.yaml"
    path.write_text(yaml.safe_dump(web, sort_keys=False))
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if t.startswith("port:"))
    assert main(["validate", str(path)]) == 2
    assert f"{path}:{line}: port = 4317: port 4317 is used by" in capsys.readouterr().err


def test_validate_reports_every_bad_file(tmp_path, web, capsys):
    for name, mutation in (("a.yaml", {"cpu": 300}), ("b.yaml", {"kind": "cron"})):
        (tmp_path / name).write_text(yaml.safe_dump({**web, **mutation}))
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "2 problems" in err and "a.yaml" in err and "b.yaml" in err


def test_duplicate_stack_is_an_error(tmp_path, web, capsys):
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(yaml.safe_dump(web))
    assert main(["validate", str(tmp_path)]) == 2
    assert "already defines billing-api-staging" in capsys.readouterr().err


def test_missing_file(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_spec_resolve_render_do_not_import_cdktf():
    code = ("import sys, golden_path, golden_path.synth, golden_path.cli, golden_path.resolve.containers, "
            "golden_path.resolve.policies; from golden_path.synth import load_all; "
            "load_all(['examples']); "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('cdktf', 'constructs', 'cdktf_cdktf_provider_aws', 'jsii')]; "
            "assert not bad, bad")
    from conftest import ROOT

    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
