"""service.yaml loading: errors carry file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from golden_path import SpecError, load_service


def line_of(path: str, prefix: str) -> int:
    return next(i for i, text in enumerate(Path(path).read_text().splitlines(), 1)
                if text.startswith(prefix))


def write(tmp_path, data) -> str:
    path = tmp_path / "service.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return str(path)


def test_valid_file_loads(tmp_path, web):
    spec = load_service(write(tmp_path, web))
    assert (spec.name, spec.kind, spec.cpu) == ("billing-api", "web", 512)


def test_error_points_at_the_line_of_the_field(tmp_path, web):
    web["memory"] = 8192
    path = write(tmp_path, web)
    line = line_of(path, "memory:")
    with pytest.raises(SpecError) as caught:
        load_service(path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.line, problem.field) == (path, line, "memory")
    assert str(problem).startswith(f"{path}:{line}: memory = 8192: with cpu 512")


def test_nested_error_points_at_nested_line(tmp_path, web):
    web["iam"][0]["actions"] = ["s3:GetObject", "s3:*"]
    path = write(tmp_path, web)
    lines = Path(path).read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip() == "- s3:*")
    with pytest.raises(SpecError) as caught:
        load_service(path)
    assert caught.value.problems[0].line == line
    assert caught.value.field == "iam[0].actions[1]"


def test_missing_field_points_at_its_parent(tmp_path, web):
    del web["network"]["vpc_id"]
    path = write(tmp_path, web)
    line = line_of(path, "network:")
    with pytest.raises(SpecError) as caught:
        load_service(path)
    assert (caught.value.field, caught.value.problems[0].line) == ("network.vpc_id", line)


def test_invalid_yaml_reports_line(tmp_path):
    path = write(tmp_path, "name: a\nteam: [unclosed\nkind: web\n")
    with pytest.raises(SpecError) as caught:
        load_service(path)
    assert caught.value.hint.startswith("invalid YAML")
    assert caught.value.problems[0].line == 3


def test_duplicate_keys_are_an_error(tmp_path, web):
    text = yaml.safe_dump(web, sort_keys=False) + "cpu: 1024\n"
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        load_service(path)
    assert caught.value.field == "cpu"
    assert caught.value.hint == "this key appears twice; keep one"
    assert caught.value.problems[0].line == len(text.splitlines())


def test_non_mapping_document(tmp_path):
    path = write(tmp_path, "- just\n- a list\n")
    with pytest.raises(SpecError) as caught:
        load_service(path)
    assert caught.value.hint.startswith("a service.yaml is a mapping")


def test_examples_all_load():
    """The fleet-form examples: four service files, each in three environments."""
    from conftest import EXAMPLES
    from golden_path.load.platform import load_platform
    from golden_path.load.service_file import load_service_file

    platform = load_platform(EXAMPLES / "platform.yaml")
    files = sorted((EXAMPLES / "services").glob("*.yaml"))
    assert len(files) == 4
    specs = [spec for f in files for spec in load_service_file(f, platform)]
    envs = [(spec.name, spec.environment) for spec in specs]
    assert sorted(envs) == sorted((name, env) for env in ("sandbox", "staging", "production") for name in (
        "storefront", "order-fulfilment-worker", "price-api", "invoice-consumer"))


def test_yaml_comment_and_quoting_preserved_semantics(tmp_path, web):
    text = textwrap.dedent("""\
        # comment
        name: "billing-api"
    """) + yaml.safe_dump({k: v for k, v in web.items() if k != "name"}, sort_keys=False)
    assert load_service(write(tmp_path, text)).name == "billing-api"
