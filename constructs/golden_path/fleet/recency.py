"""Which of two lines of the fleet was written last: the one a clash is reported on.

Two services that collide (one listener rule priority) were fine until the second one
came; the problem belongs on the line that made the collision, not on the one that was
there first. "Written last" is decided, in this order:

1. a file named on the command line beats a file only loaded around it
   (``golden-path validate services/new.yaml``: that is the file being worked on);
2. ``git blame`` of the two lines, where the files are in a git work tree: a line not
   committed yet (or in a file git does not track) is newer than any commit, else the
   later committer time wins;
3. the files' modification times (git unavailable, or both lines from one commit or
   both uncommitted);
4. on an exact tie, the later path in sorted order; the message names the other file and
   line anyway, so both are in front of the reader.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from collections.abc import Collection
from pathlib import Path

#: The seconds one git call may take before it is given up (then: modification times).
GIT_TIMEOUT = 10


class Recency:
    """Decides which of two lines was written last (rules above); remembers each line's
    time for one run of the fleet checks. ``named``: the files named on the command line."""

    def __init__(self, named: Collection[str | os.PathLike] = ()):
        self.named = {_resolved(str(f)) for f in named}
        self._times: dict[tuple, float | int | None] = {}

    def is_named(self, file: str | None) -> bool:
        return bool(self.named) and file is not None and _resolved(file) in self.named

    def newer(self, a: tuple[str | None, int | None], b: tuple[str | None, int | None]) -> int:
        """0 when line ``a`` (file, line) was written after line ``b``, else 1."""
        if a[0] is None or b[0] is None:
            return 0 if b[0] is None and a[0] is not None else 1
        in_named = [self.is_named(a[0]), self.is_named(b[0])]
        if in_named[0] != in_named[1]:
            return 0 if in_named[0] else 1
        for key in (_blame_time, _mtime):
            ta, tb = self._time(key, a), self._time(key, b)
            if ta is not None and tb is not None and ta != tb:
                return 0 if ta > tb else 1
        return 0 if str(a[0]) > str(b[0]) else 1

    def _time(self, key, at: tuple) -> float | int | None:
        if (key, *at) not in self._times:
            self._times[(key, *at)] = key(*at)
        return self._times[(key, *at)]


def _resolved(file: str) -> str:
    return str(Path(file).resolve())


def _blame_time(file: str, line: int | None) -> float | None:
    """When ``line`` of ``file`` was committed (inf: not yet); None without git."""
    folder = Path(file).resolve().parent
    if line is None or shutil.which("git") is None or not _in_work_tree(str(folder)):
        return None
    try:
        done = subprocess.run(["git", "-C", str(folder), "blame", "--porcelain", "-L",
                               f"{line},{line}", "--", Path(file).name],
                              capture_output=True, text=True, timeout=GIT_TIMEOUT,
                              env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:  # in a work tree but not tracked: newer than any commit
        return math.inf
    first = done.stdout.split(" ", 1)[0]
    if set(first) == {"0"}:  # "Not Committed Yet"
        return math.inf
    for row in done.stdout.splitlines():
        if row.startswith("committer-time "):
            return float(row.split()[1])
    return None


def _in_work_tree(folder: str) -> bool:
    try:
        done = subprocess.run(["git", "-C", folder, "rev-parse", "--is-inside-work-tree"],
                              capture_output=True, text=True, timeout=GIT_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0 and done.stdout.strip() == "true"


def _mtime(file: str, line: int | None) -> int | None:
    try:
        return os.stat(file).st_mtime_ns
    except OSError:
        return None
