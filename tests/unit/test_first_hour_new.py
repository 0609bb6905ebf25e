"""Issue 20, the first hour, on the way to item 4 (which starts from the file `golden-path
new` writes; not a numbered item of its own): `new` with a platform.yaml that lacks what a new
service needs (the state backend; a Lambda's telemetry.config_bucket) names the platform.yaml
field to add, exits 2 and writes nothing."""

from __future__ import annotations

from test_first_hour_fleet import TEAMS, line_of, platform_yaml, run


def platform(tmp_path, text: str):
    (tmp_path / "platform.yaml").write_text(text)
    (tmp_path / "teams.yaml").write_text(TEAMS)
    return tmp_path / "platform.yaml"


def new(capsys, tmp_path, kind: str) -> tuple[int, list[str]]:
    code, _, err = run(capsys, "new", "menu-worker", "--team", "menu", "--kind", kind,
                       "--out", str(tmp_path / "services"))
    assert not (tmp_path / "services").exists()  # nothing written
    return code, err


def test_no_state_anywhere_names_defaults_state(tmp_path, capsys):
    file = platform(tmp_path, platform_yaml(without_state=("sandbox", "staging", "production")))
    assert new(capsys, tmp_path, "worker") == (2, [
        "golden-path: 1 problem:",
        f"  {file}:1: defaults.state: no environment sets the Terraform state backend its stacks "
        "need: add defaults.state: {bucket: <the S3 bucket that keeps the stacks' state>} (or "
        "environments.<name>.state each); golden-path new writes nothing until then"])


def test_no_state_in_one_environment_names_it_at_its_line(tmp_path, capsys):
    file = platform(tmp_path, platform_yaml(without_state=("staging",)))
    assert new(capsys, tmp_path, "web") == (2, [
        "golden-path: 1 problem:",
        f"  {file}:{line_of(file, '  staging:')}: environments.staging.state: staging sets no "
        "Terraform state backend, which the stacks of a new service need there: add "
        "environments.staging.state: {bucket: <the S3 bucket that keeps the stacks' state>} (or "
        "defaults.state for every environment); golden-path new writes nothing until then"])


def test_a_function_without_any_config_bucket_names_the_field(tmp_path, capsys):
    text = "\n".join(line for line in platform_yaml().splitlines() if "config_bucket" not in line)
    file = platform(tmp_path, text + "\n")
    assert new(capsys, tmp_path, "lambda") == (2, [
        "golden-path: 1 problem:",
        f"  {file}:1: defaults.telemetry.config_bucket: no environment sets "
        "telemetry.config_bucket, the S3 bucket a Lambda function's collector layer reads its "
        "config from: add it under defaults.telemetry (or environments.<name>.telemetry), or use "
        "--kind web or worker"])
