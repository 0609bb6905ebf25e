"""The backend switch (golden_path/cdk.py): GOLDEN_PATH_BACKEND picks cdktf (default) or
CDK Terrain (cdktn, the `golden-path[cdktn]` extra); both synthesize the same stacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib.util import find_spec

import pytest

from conftest import EXAMPLES, ROOT

PACKAGE = ROOT / "constructs" / "golden_path"
BACKEND_MODULES = r"(cdktf|cdktn|constructs|cdktf_cdktf_provider_\w+|cdktn_provider_\w+)"
#: `import cdktf`, `from cdktn_provider_aws.x import Y`, `import_module("cdktn")`, `__import__("cdktf")`.
BACKEND_IMPORT = re.compile(
    rf"^\s*(from|import)\s+{BACKEND_MODULES}\b|(import_module|__import__)\(\s*[\"']{BACKEND_MODULES}\b", re.M)
CDKTN_INSTALLED = find_spec("cdktn") is not None and find_spec("cdktn_provider_aws") is not None
#: One ECS and one Lambda example stack, synthesized in-process under each backend.
PARITY_STACKS = ("storefront-production", "price-api-production")


def _python(code: str, backend: str | None, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "GOLDEN_PATH_BACKEND"}
    if backend is not None:
        env["GOLDEN_PATH_BACKEND"] = backend
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def _require_cdktn() -> None:
    if not CDKTN_INSTALLED:
        from conftest import _require_tool

        _require_tool("CDK Terrain (cdktn, cdktn-provider-aws)",
                      "install the extra: .venv/bin/pip install -e '.[dev,cdktn]'")


# ---- selection: cheap, no jsii ------------------------------------------------------

SELECTED = ("import sys, json, golden_path.cdk as c; "
            "print(json.dumps([c.BACKEND, c.BACKEND_VERSION, c.PROVIDER_VERSION, c.AWS_PROVIDER_VERSION, "
            "c.CONSTRUCTS_VERSION, sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('jsii', 'cdktf', 'cdktn', 'constructs', "
            "'cdktf_cdktf_provider_aws', 'cdktn_provider_aws'))]))")


@pytest.mark.parametrize(("setting", "expected"), [(None, "cdktf"), ("", "cdktf"), ("cdktf", "cdktf"),
                                                   ("cdktn", "cdktn"), (" CDKTN ", "cdktn")])
def test_the_setting_selects_the_backend(setting, expected):
    if expected == "cdktn":
        _require_cdktn()
    result = _python(SELECTED, setting)
    assert result.returncode == 0, result.stderr
    backend, version, provider, aws, constructs, loaded = json.loads(result.stdout)
    assert backend == expected
    # Versions come from package metadata: importing golden_path.cdk starts no jsii.
    assert loaded == []
    core, dist = {"cdktf": ("cdktf", "cdktf-cdktf-provider-aws"),
                  "cdktn": ("cdktn", "cdktn-provider-aws")}[expected]
    from importlib import metadata

    assert version == metadata.version(core)
    assert re.fullmatch(r"\d+\.\d+\.\d+", aws), aws
    assert provider == f"{metadata.version(dist)} (hashicorp/aws {aws})"
    assert constructs == metadata.version("constructs")


def test_an_unknown_backend_fails_clearly():
    result = _python("import golden_path.cdk", "cdk8s")
    assert result.returncode != 0
    assert ("golden_path.cdk.BackendError: golden-path: GOLDEN_PATH_BACKEND='cdk8s' is not a backend; "
            "choose one of: cdktf (default), cdktn") in result.stderr


def test_a_backend_not_installed_names_the_extra():
    # Whether or not cdktn is installed here: hide its distributions from the lookup.
    hide = ("import importlib.metadata as m; real = m.version\n"
            "def version(dist):\n"
            "    if dist.startswith('cdktn'):\n"
            "        raise m.PackageNotFoundError(dist)\n"
            "    return real(dist)\n"
            "m.version = version\n"
            "import golden_path.cdk\n")
    result = _python(hide, "cdktn")
    assert result.returncode != 0
    assert ("GOLDEN_PATH_BACKEND=cdktn needs the Python package 'cdktn', which is not installed"
            in result.stderr)
    assert "pip install 'golden-path[cdktn]'" in result.stderr


def test_unknown_attributes_are_attribute_errors():
    import golden_path.cdk as cdk

    with pytest.raises(AttributeError, match="no attribute 'NotAConstruct'"):
        cdk.NotAConstruct  # noqa: B018


def test_only_cdk_module_imports_a_backend():
    offenders = [f"{p.relative_to(ROOT)}:{m.group(0).strip()}" for p in sorted(PACKAGE.rglob("*.py"))
                 if p.name != "cdk.py" for m in BACKEND_IMPORT.finditer(p.read_text())]
    assert offenders == []
    assert BACKEND_IMPORT.search("from cdktn_provider_aws.iam_role import IamRole")  # the grep works
    assert BACKEND_IMPORT.search("    import cdktf\n")
    assert BACKEND_IMPORT.search('importlib.import_module("cdktn")')


# ---- parity: the same stacks from both backends --------------------------------------

SYNTH = """
import json, sys
import golden_path.cdk as cdk
from golden_path.fleet import load_all
from golden_path.l3.stack import ServiceStack
from golden_path.load.discover import find_teams

examples, out, *names = sys.argv[1:]
cdk.load()
core = cdk.BACKENDS[cdk.BACKEND]
origins = {n: getattr(cdk, n).__module__.split('.')[0] for n in sorted(cdk.BACKEND_NAMES)}
teams = find_teams([examples])
services = {s.stack_name: s for s in load_all([examples], teams)}
stacks = {}
for name in names:
    stack = ServiceStack(cdk.Testing.app(), services[name], teams=teams)
    stacks[name] = json.loads(cdk.Testing.synth(stack))
with open(out, 'w') as f:
    json.dump({'backend': cdk.BACKEND, 'core': core.core, 'provider': core.provider,
               'aws': cdk.AWS_PROVIDER_VERSION, 'origins': origins, 'stacks': stacks}, f)
"""


def _without_versions(stack: dict) -> dict:
    """Drop what names a backend version: the `//` metadata (its `version` is the
    core library's) and the pinned hashicorp/aws version. cdktf writes the provider
    source as "aws", cdktn as "hashicorp/aws": both mean registry.terraform.io/hashicorp/aws."""
    stack = json.loads(json.dumps(stack))
    stack.pop("//", None)
    for items in stack.get("resource", {}).values():
        for res in items.values():
            res.pop("//", None)
    aws = stack["terraform"]["required_providers"]["aws"]
    aws.pop("version")
    if aws.get("source") == "aws":
        aws["source"] = "hashicorp/aws"
    return stack


@pytest.mark.synth
def test_both_backends_synthesize_the_same_stacks(tmp_path):
    _require_cdktn()
    runs = {b: (tmp_path / f"{b}.json", subprocess.Popen(
        [sys.executable, "-c", SYNTH, str(EXAMPLES), str(tmp_path / f"{b}.json"), *PARITY_STACKS],
        cwd=ROOT, env={**os.environ, "GOLDEN_PATH_BACKEND": b},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)) for b in ("cdktf", "cdktn")}
    got = {}
    for backend, (out, proc) in runs.items():
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        got[backend] = json.loads(out.read_text())
    for backend, run in got.items():
        assert run["backend"] == backend
        # Every exported name comes from the selected backend (Construct from constructs).
        assert {n for n, m in run["origins"].items() if m not in (run["core"], run["provider"])} == {
            "Construct"}
        assert run["origins"]["Construct"] == "constructs"
        for stack in run["stacks"].values():
            assert stack["terraform"]["required_providers"]["aws"]["version"] == run["aws"]
    for name in PARITY_STACKS:
        assert _without_versions(got["cdktn"]["stacks"][name]) == _without_versions(
            got["cdktf"]["stacks"][name]), name


def test_parity_normalization_keeps_the_resources():
    stack = {"//": {"metadata": {"version": "0.21.0"}},
             "terraform": {"required_providers": {"aws": {"source": "aws", "version": "6.25.0"}}},
             "resource": {"aws_sqs_queue": {"q": {"//": {}, "name": "q"}}}}
    assert _without_versions(stack) == {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws"}}},
        "resource": {"aws_sqs_queue": {"q": {"name": "q"}}}}
