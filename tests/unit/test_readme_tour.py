"""The README's five-minute tour cannot go stale: its steps 1 to 3 (the fleet folder, `new`,
`validate`) run in a temporary folder, and every line the README shows for them is what the
commands print. (docs/getting-started.md has the same check, step by step.)"""

from __future__ import annotations

import re
import shutil

from conftest import EXAMPLES, ROOT
from golden_path.cli import main

README = (ROOT / "README.md").read_text()


def shown(command: str) -> list[str]:
    """The output lines the README shows under `$ golden-path <command> ...`."""
    block = re.search(r"```\n\$ golden-path " + re.escape(command) + r"[^\n]*\n(.*?)```",
                      README, re.S)
    assert block, f"the README's tour has no `$ golden-path {command}` block"
    return [line for line in block.group(1).splitlines() if line and line != "..."]


def test_the_tour_prints_what_the_readme_shows(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my-fleet" / "services").mkdir(parents=True)
    for name in ("platform.yaml", "teams.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / "my-fleet" / name)
    assert main(["new", "billing-api", "--team", "billing", "--kind", "web",
                 "--out", "my-fleet/services"]) == 0
    assert capsys.readouterr().out.splitlines() == shown("new billing-api")
    assert main(["validate", "my-fleet/"]) == 0
    out = capsys.readouterr()
    printed = (out.out + out.err).splitlines()
    for line in shown("validate my-fleet/"):
        assert line in printed, f"the README shows {line!r}; validate printed:\n" + "\n".join(printed)
