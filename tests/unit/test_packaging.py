"""Packaging rules: one door to the CDK backend, templates inside the wheel."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile

from conftest import ROOT

PACKAGE = ROOT / "constructs" / "golden_path"
BACKEND_IMPORT = re.compile(r"^\s*(from|import)\s+(cdktf|constructs|cdktf_cdktf_provider_\w+)\b",
                            re.M)


def test_only_cdk_module_imports_the_backend():
    offenders = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py")
                 if p.name != "cdk.py" and BACKEND_IMPORT.search(p.read_text())]
    assert offenders == []


def test_constructs_is_a_source_root_not_a_package():
    assert not (ROOT / "constructs" / "__init__.py").exists()


def test_wheel_ships_templates_and_console_script(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(tmp_path), str(ROOT)], check=True)
    (wheel,) = tmp_path.glob("golden_path-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry_points = next(zf.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert "golden_path/templates/otel-collector.yaml.j2" in names
    assert "golden_path/l3/application_service.py" in names
    assert "golden-path = golden_path.cli:main" in entry_points
    assert not any(n.startswith(("tests/", "examples/")) for n in names)
