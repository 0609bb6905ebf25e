"""Issue 20, item 6: a listener rule priority clash is one problem across the environments,
on the newer line (git, else modification time; never just the sorted order), with a
priority that is free on that listener in every environment."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from test_first_hour_fleet import first_hour_fleet, line_of, run, web

from golden_path.fleet.recency import Recency

ENVS = "sandbox, staging and production"


def clash(tmp_path, **more: str):
    """The user's change: a new web service with the priority menu-web has."""
    return first_hour_fleet(tmp_path, **{"menu-api": web("menu-api", 100), **more})


def expected(blamed, other, free: int = 110) -> list[str]:
    return ["golden-path: 1 problem:",
            f"  {blamed}:{line_of(blamed, 'priority:')}: load_balancer.priority = 100: "
            f"{other.stem} ({other}:{line_of(other, 'priority:')}) has the same priority on this "
            f"listener (public) in {ENVS}; priorities are unique per listener: pick another, "
            f"e.g. priority: {free} (free on that listener in {ENVS})"]


def test_the_newer_file_by_modification_time_is_blamed_whatever_its_name(tmp_path, capsys):
    root = clash(tmp_path)
    api, menu = root / "services" / "menu-api.yaml", root / "services" / "menu-web.yaml"
    # menu-api sorts first, and is the newer file: the sorted order would pick menu-web.
    os.utime(menu, (1_600_000_000, 1_600_000_000))
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert (code, err) == (2, expected(api, menu))
    os.utime(api, (1_500_000_000, 1_500_000_000))  # now menu-web changed last
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert (code, err) == (2, expected(menu, api))


def test_the_suggested_priority_is_free_in_every_environment(tmp_path, capsys):
    admin = web("menu-admin", 120).replace("  sandbox: {}\n", "")  # 120: staging, production
    root = clash(tmp_path, **{"menu-admin": admin, "menu-old": web("menu-old", 110)})
    for name, age in (("menu-web", 1), ("menu-admin", 2), ("menu-old", 3)):
        os.utime(root / "services" / f"{name}.yaml", (age, age))
    code, _, err = run(capsys, "validate", str(root / "services"))
    services = root / "services"
    assert (code, err) == (2, expected(services / "menu-api.yaml", services / "menu-web.yaml",
                                       free=130))


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_a_line_git_has_not_seen_is_newer_than_any_commit(tmp_path, capsys):
    root = clash(tmp_path)
    api, menu = root / "services" / "menu-api.yaml", root / "services" / "menu-web.yaml"

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                       env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
                            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"})

    git("init", "-q")
    git("add", "platform.yaml", "teams.yaml", "services")
    git("rm", "-q", "--cached", "services/menu-api.yaml")
    git("commit", "-q", "-m", "the fleet before the change")
    # menu-web was touched last, but menu-api's line is not committed yet: menu-api is blamed.
    os.utime(api, (1_500_000_000, 1_500_000_000))
    code, _, err = run(capsys, "validate", str(root / "services"))
    assert (code, err) == (2, expected(api, menu))
    assert Recency().newer((str(menu), 10), (str(api), 10)) == 1


def test_validating_the_older_file_alone_still_reports_the_clash_on_it(tmp_path, capsys):
    root = clash(tmp_path)
    api, menu = root / "services" / "menu-api.yaml", root / "services" / "menu-web.yaml"
    os.utime(menu, (1, 1))
    code, _, err = run(capsys, "validate", str(menu))
    assert (code, err) == (2, expected(menu, api))
