"""`golden-path explain` while an incident override applies (issue 20, item 3): the values
in effect are the override's, named as such, with what applies without it; the same
floor `validate` reports."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from golden_path.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _lines(text: str) -> dict[str, str]:
    """Value -> origin, first occurrence (the incident block itself repeats its values)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#") and "# " in line:
            out.setdefault(line.split("#")[0].strip(), line.split("# ", 1)[1])
    return out


def test_explain_shows_the_incident_override_values_in_effect(tmp_path, capsys):
    fleet = tmp_path / "fleet"
    shutil.copytree(EXAMPLES, fleet, ignore=shutil.ignore_patterns("ci", "*.py"))
    path = fleet / "services" / "storefront.yaml"
    expires = (date.today() + timedelta(days=3)).isoformat()
    text = path.read_text()
    # storefront production writes `log_level: info`; the incident lowers it to debug.
    text = text.replace("      log_level: info               # production's default floor is warn\n",
                        "      log_level: info\n      incident:\n        sampling_percent: 20\n"
                        f"        log_level: debug\n        reason: INC-7 checkout 5xx\n"
                        f"        expires: {expires}\n")
    path.write_text(text)
    incident_line = text.splitlines().index("        sampling_percent: 20") + 1

    assert main(["validate", str(fleet)]) == 0
    validated = capsys.readouterr().out
    assert "storefront-production:" in validated and "traces 20 %, logs >= debug" in validated

    assert main(["explain", str(path), "-e", "production"]) == 0
    out = _lines(capsys.readouterr().out)
    tag = f"INCIDENT INC-7 checkout 5xx (until {expires}) {path}:{incident_line} (override:production)"
    assert out["sampling_percent: 20.0"] == f"{tag}; without it: 0.1 (profile production)"
    assert out["log_level: debug"].startswith(f"{tag.replace(str(incident_line), str(incident_line + 1))}"
                                              "; without it: info (")
    assert "sampling_percent: 0.1" not in out and "log_level: info" not in out
