"""What the emulator step needs, said the same everywhere (issue 20, getting started): one
Terraform version, and a recipe for the hashicorp/aws mirror that works as written, on the
page (docs/getting-started.md, step 1) and in the message of a run that lacks the mirror."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

import emulator as em
from conftest import MIRROR_CANDIDATES, ROOT, _require_tool

DOCS = ROOT / "docs"
#: Pages that say which Terraform CLI the emulator step needs.
PAGES = ("getting-started.md", "emulator.md", "troubleshooting.md")
VERSION_SAID = re.compile(r"Terraform CLI\W{0,4}(?:,\s*)?\(?(\d+\.\d+) or newer")


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def test_one_terraform_version_everywhere():
    said = {page: VERSION_SAID.findall((DOCS / page).read_text()) for page in PAGES}
    said["README.md"] = VERSION_SAID.findall((ROOT / "README.md").read_text())
    assert all(said.values()), f"a page does not say which Terraform it needs: {said}"
    assert {v for found in said.values() for v in found} == {em.TERRAFORM_VERSION}, said
    hint = dict(em.missing_tools([]) if shutil.which("terraform") is None else [])
    if hint:  # no terraform on this machine: the message names the same version
        assert f"({em.TERRAFORM_VERSION} or newer)" in hint["terraform"]
    # the CI recipes pin a Terraform at least that new
    pinned = re.findall(r'terraform_version: "([\d.]+)"',
                        "".join(p.read_text() for p in (ROOT / "examples" / "ci").glob("*.yml")))
    assert pinned and all(_version(v)[:2] >= _version(em.TERRAFORM_VERSION) for v in pinned)


def test_the_missing_mirror_message_is_the_recipe(tmp_path):
    missing = dict(em.missing_tools([str(tmp_path / "none")]))
    hint = missing["a local mirror of hashicorp/aws"]
    assert hint.startswith(f"none in {tmp_path / 'none'}; make one, once")
    for part in (f"hashicorp/aws {em.AWS_PROVIDER_VERSION}", "terraform -chdir=/tmp/aws-mirror "
                 "providers mirror", 'export GOLDEN_PATH_TF_MIRROR="$HOME/tf-plugins"',
                 "docs/getting-started.md, step 1"):
        assert part in hint


def _page_recipe() -> str:
    """The sh block of step 1 that makes the mirror, as a reader copies it."""
    text = (DOCS / "getting-started.md").read_text()
    blocks = re.findall(r"^( *)```sh\n(.*?)^\1```", text, flags=re.S | re.M)
    found = [textwrap.dedent(re.sub(rf"^{indent}", "", body, flags=re.M))
             for indent, body in blocks if "providers mirror" in body]
    assert len(found) == 1, "step 1 of getting-started.md has no (or two) mirror recipes"
    return found[0]


def _message_recipe() -> str:
    hint = em.mirror_hint(["/nowhere"])
    make = re.search(r": (mkdir -p .*? providers mirror \"\$HOME/tf-plugins\"), then (export .*?) ",
                     hint)
    assert make, hint
    return f"{make.group(1)}\n{make.group(2)}\n"


@pytest.mark.parametrize("source", ["page", "message"])
def test_the_mirror_recipe_works_as_written(tmp_path, source):
    """The recipe run verbatim by bash, with HOME in tmp_path. Only `terraform providers
    mirror`'s download is stood in for (no registry here): a terraform on PATH that runs the
    real `terraform init` on the recipe's folder against this machine's mirror, so the
    versions.tf must be valid and pin the version the tests use, then writes the layout
    `providers mirror` writes. The harness must then find the mirror through the variable."""
    terraform = shutil.which("terraform")
    local = em.provider_mirror(MIRROR_CANDIDATES)
    if terraform is None or local is None:
        _require_tool("terraform and a mirror of hashicorp/aws",
                      "see docs/getting-started.md, step 1")
    recipe = _page_recipe() if source == "page" else _message_recipe()
    assert recipe.count("/tmp/aws-mirror") == 3  # made, written to, mirrored from
    recipe = recipe.replace("/tmp/aws-mirror", str(tmp_path / "aws-mirror"))
    shim = tmp_path / "bin" / "terraform"
    shim.parent.mkdir()
    (tmp_path / "cli.tfrc").write_text(f'provider_installation {{\n  filesystem_mirror {{\n'
                                       f'    path = "{local}"\n  }}\n}}\n')
    shim.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        [ "$2 $3" = "providers mirror" ] || {{ echo "unexpected: terraform $*" >&2; exit 9; }}
        TF_CLI_CONFIG_FILE={tmp_path / "cli.tfrc"} {terraform} "$1" init -backend=false \\
            -input=false -no-color >&2 || exit 1
        out="$4/registry.terraform.io/hashicorp/aws"
        mkdir -p "$out" && : > "$out/terraform-provider-aws_{em.AWS_PROVIDER_VERSION}_linux_amd64.zip"
        """))
    shim.chmod(0o755)
    finder = ("import sys; sys.path[:0] = [sys.argv[1]]; import emulator as em; "
              "from conftest import MIRROR_CANDIDATES; print(em.provider_mirror(MIRROR_CANDIDATES))")
    env = {k: v for k, v in os.environ.items() if k not in ("GOLDEN_PATH_TF_MIRROR", "CDPATH")}
    env.update(HOME=str(tmp_path / "home"), PATH=f"{shim.parent}{os.pathsep}{env['PATH']}")
    (tmp_path / "home").mkdir()
    script = f"set -e\n{recipe}\n{sys.executable} -c '{finder}' {ROOT / 'tests'}\n"
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lock = (tmp_path / "aws-mirror" / ".terraform.lock.hcl").read_text()
    assert f'version     = "{em.AWS_PROVIDER_VERSION}"' in lock
    # GOLDEN_PATH_TF_MIRROR, as the recipe exports it, comes before /opt/tf-plugins
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "home" / "tf-plugins")
