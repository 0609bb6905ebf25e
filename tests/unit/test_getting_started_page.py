"""docs/getting-started.md cannot go stale (issue 20): its own commands of steps 2 to 5 (the
set-up of `my-fleet/`, `golden-path new`, step 4's example fields written into the new file,
`validate`, `explain`) are read from the Markdown and run, in that order, in a temporary copy
of the clone's `examples/`, and every output line the page shows must be what the command
prints (`...` on the page stands for lines it leaves out). Nothing is synthesized: these
commands import no cdktf."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from golden_path.cli import main

PAGE = ROOT / "docs" / "getting-started.md"
#: The steps whose commands run here; later ones synthesize, review and apply.
STEPS = (2, 3, 4, 5)
#: What those steps may run: shell set-up of the fleet folder, and golden-path's quick commands.
SHELL = {"mkdir", "cp"}
GOLDEN_PATH = {"new", "validate", "explain"}


@dataclass
class Block:
    step: int
    lang: str
    lines: list[str]


def blocks(text: str) -> list[Block]:
    """The page's fenced code blocks, each with the number of its `## N.` step (0 before)."""
    found, step, fence = [], 0, None
    for line in text.splitlines():
        heading = re.match(r"## (\d+)\. ", line)
        if heading and fence is None:
            step = int(heading.group(1))
        elif fence is None and (opening := re.match(r"( *)```(\w*)$", line)):
            fence = opening.group(1)
            found.append(Block(step, opening.group(2), []))
        elif fence is not None and line == f"{fence}```":
            fence = None
        elif fence is not None:
            found[-1].lines.append(line[len(fence):])
    assert fence is None, "an unclosed code block"
    return found


def commands(lines: list[str]) -> list[str]:
    """Shell command lines of an sh block: comments dropped, `\\` continuations joined."""
    joined = re.sub(r"\\\n\s*", "", "\n".join(lines))
    return [c for c in (re.sub(r"\s+#.*$", "", x).strip() for x in joined.splitlines())
            if c and not c.startswith("#")]


def shown_lines_match(shown: list[str], printed: list[str]) -> bool:
    pattern = "".join(r"(?:[^\n]*\n)*" if line == "..." else re.escape(line) + "\n"
                      for line in shown)
    return re.fullmatch(pattern, "".join(f"{line}\n" for line in printed)) is not None


@pytest.fixture
def clone(tmp_path, monkeypatch):
    """What the page's commands need of a clone, copied: examples/."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("__pycache__", "cdktf.out*"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def golden_path(capsys, command: str, clone: Path) -> tuple[int, list[str]]:
    argv = shlex.split(command)
    assert argv[0] == "golden-path" and argv[1] in GOLDEN_PATH, command
    code = main(argv[1:])
    out = capsys.readouterr()
    text = (out.out + out.err).replace(f"{clone}/", "")  # a path is shown as given
    return code, text.splitlines()


def test_the_page_is_what_its_commands_print(clone, capsys):
    text = PAGE.read_text()
    ran: list[str] = []
    empty_checked = False
    for block in (b for b in blocks(text) if b.step in STEPS):
        if block.lang == "sh":
            for command in commands(block.lines):
                name = shlex.split(command)[0]
                if name in SHELL:
                    subprocess.run(["bash", "-c", command], cwd=clone, check=True)
                elif name == "golden-path":
                    code, printed = golden_path(capsys, command, clone)
                    assert code == 0, f"step {block.step}: `{command}` exited {code}: {printed}"
                    if command.startswith("golden-path explain"):
                        assert printed[0].startswith("# billing-api-production: billing-api")
                else:
                    pytest.fail(f"step {block.step} runs `{command}`, which this test does not "
                                f"run: add it to SHELL or GOLDEN_PATH if it is quick")
                ran.append(command)
        elif block.lang == "yaml" and block.step == 4:
            # "the shared fields could say": put them into the file `new` wrote
            written = list((clone / "my-fleet" / "services").glob("*.yaml"))
            assert len(written) == 1, written
            data = yaml.safe_load(written[0].read_text())
            data.update(yaml.safe_load("\n".join(block.lines)))
            written[0].write_text(yaml.safe_dump(data, sort_keys=False))
            ran.append(f"edit {written[0].name}")
        elif block.lang == "" and block.lines and block.lines[0].startswith("$ "):
            command, shown = block.lines[0][2:], block.lines[1:]
            if command.startswith("golden-path validate my-fleet/") and not any(
                    c.startswith("golden-path new") for c in ran):
                pytest.fail("the page validates my-fleet/ before it has a service")
            code, printed = golden_path(capsys, command, clone)
            assert code == 0, f"step {block.step}: `{command}` exited {code}: {printed}"
            if "..." not in shown:
                assert printed == shown, f"step {block.step}: `{command}` prints otherwise"
            assert shown_lines_match(shown, printed), (
                f"step {block.step}: `{command}` printed\n" + "\n".join(printed))
            ran.append(command)
        if not empty_checked and any(c.startswith("cp ") for c in ran):
            empty_checked = True
            # step 2's promise: until the folder holds a service, validate says so
            said = re.search(r"until the\s+folder holds a service it says `([^`]+)`", text)
            assert said, "step 2 no longer says what validate prints for an empty fleet"
            assert main(["validate", "my-fleet/"]) == 2
            assert said.group(1) in capsys.readouterr().err
    names = [" ".join(shlex.split(c)[:2]) for c in ran]
    for expected in ("mkdir -p", "cp examples/platform.yaml", "golden-path new", "edit",
                     "golden-path validate", "golden-path explain"):
        assert any(n.startswith(expected) for n in names), (expected, ran)
    assert sum(n == "golden-path validate" for n in names) >= 2, ran


def test_shown_lines_match():
    assert shown_lines_match(["a", "...", "d"], ["a", "b", "c", "d"])
    assert shown_lines_match(["a", "...", "d"], ["a", "d"])
    assert not shown_lines_match(["a", "...", "d"], ["a", "b", "c"])
    assert not shown_lines_match(["a", "b"], ["a", "b", "c"])


def test_commands_of_an_sh_block():
    assert commands(["golden-path review --base a \\", "  --fail-on x   # why", "# only"]) == [
        "golden-path review --base a --fail-on x"]
