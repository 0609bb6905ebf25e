"""A per-stack, content-addressed synth cache.

A stack's key is a SHA-256 over everything its synthesized JSON depends on:

- the resolved service (``repr`` of the frozen dataclasses: the effective spec
  with platform.yaml's values, the profile's decisions, names, sizes, the
  telemetry policy, boundary, default tags and state backend) or, for a
  team-route stack, its team, environment and its profile, account, region, tags and state;
- the team's entry in teams.yaml (alarms route through it);
- the code: golden_path's version and the bytes of its sources and templates;
- the backend: which one (``GOLDEN_PATH_BACKEND``) and the installed versions
  of cdktf/CDK Terrain and of the prebuilt AWS provider.

A hit is copied from the cache without constructing the stack. Entries are
written to a temporary directory and renamed into place (atomic; when two
synths race, one rename wins and the other is dropped). The cache lives in
``$GOLDEN_PATH_CACHE`` (default ``$XDG_CACHE_HOME/golden-path/synth`` or
``~/.cache/golden-path/synth``) and is trimmed to ``$GOLDEN_PATH_CACHE_MB``
(default 1024) megabytes, least recently used first.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
DEFAULT_LIMIT_MB = 1024
STACK_FILE = "cdk.tf.json"
ENTRY_FILE = "manifest-entry.json"


def cache_dir() -> Path:
    if os.environ.get("GOLDEN_PATH_CACHE"):
        return Path(os.environ["GOLDEN_PATH_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "golden-path" / "synth"


def _templates_dir() -> Path:
    from ..telemetry.render import templates_dir

    return templates_dir()


@cache
def code_fingerprint() -> str:
    """golden_path's sources and templates, and the backend packages' versions."""
    from .. import __version__

    h = hashlib.sha256(f"golden-path {__version__}\n".encode())
    for root in (PACKAGE, _templates_dir()):
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".yaml", ".j2", ".json"):
                h.update(str(path.relative_to(root)).encode())
                h.update(path.read_bytes())
    backend = os.environ.get("GOLDEN_PATH_BACKEND", "cdktf")
    h.update(f"backend {backend}\n".encode())
    for dist in ("cdktf", "cdktf-cdktf-provider-aws", "cdktn", "cdktn-provider-aws", "constructs",
                 "jsii"):
        try:
            h.update(f"{dist} {metadata.version(dist)}\n".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist} -\n".encode())
    return h.hexdigest()


def stack_key(plan, teams) -> str:
    """The cache key of one planned stack (see the module docstring)."""
    h = hashlib.sha256(code_fingerprint().encode())
    if plan.service is not None:
        h.update(repr(plan.service).encode())
        team = plan.service.spec.team
    else:
        h.update(repr((plan.team_route, sorted(plan.default_tags.items()), plan.state,
                       plan.profile, plan.uses)).encode())
        team = plan.team_route[0]
    entry = teams.teams.get(team) if teams is not None else None
    h.update(repr((teams is not None, entry.model_dump() if entry else None)).encode())
    h.update(plan.name.encode())
    return h.hexdigest()


class SynthCache:
    def __init__(self, root: Path | None = None, limit_mb: int | None = None):
        self.root = root or cache_dir()
        self.limit = (limit_mb if limit_mb is not None
                      else int(os.environ.get("GOLDEN_PATH_CACHE_MB", DEFAULT_LIMIT_MB))) * 2**20

    def _dir(self, key: str) -> Path:
        return self.root / key[:2] / key

    def get(self, key: str) -> tuple[bytes, dict] | None:
        entry = self._dir(key)
        try:
            stack = (entry / STACK_FILE).read_bytes()
            manifest = json.loads((entry / ENTRY_FILE).read_text())
        except (OSError, ValueError):
            return None
        os.utime(entry)  # recently used
        return stack, manifest

    def put(self, key: str, stack: bytes, manifest: dict) -> None:
        final = self._dir(key)
        if final.exists():
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=final.parent))
        try:
            (tmp / STACK_FILE).write_bytes(stack)
            (tmp / ENTRY_FILE).write_text(json.dumps(manifest))
            tmp.rename(final)
        except OSError:  # another synth stored the same key first
            pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def trim(self) -> int:
        """Drop the least recently used entries until the cache is within its limit."""
        if not self.root.is_dir():
            return 0
        entries = []
        for entry in self.root.glob("??/*"):
            if entry.name.startswith(".tmp-"):
                continue
            try:
                size = sum(f.stat().st_size for f in entry.iterdir())
                entries.append((entry.stat().st_mtime, size, entry))
            except OSError:
                continue
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, entry in sorted(entries, key=lambda e: e[0]):
            if total <= self.limit:
                break
            shutil.rmtree(entry, ignore_errors=True)
            total -= size
            removed += 1
        return removed
