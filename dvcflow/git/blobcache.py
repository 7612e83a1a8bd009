"""Facts about committed files, remembered between runs by Git blob id.

The pre-commit hook reads, parses and hashes the same files on every commit, yet a file's
imports and md5 depend on its bytes alone, which the index names by blob id. The cache is one
JSON file in the Git common dir (`.git/dvcflow/blob-cache.json`, shared by worktrees, never
committed), written atomically when a run learned something new. It is only an accelerator:
a missing, unreadable, corrupt or foreign file is ignored and rewritten, a failed write is
ignored, and `DVCFLOW_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvcflow import __version__
from dvcflow.fixing import atomic_write

if TYPE_CHECKING:
    from dvcflow.context import Context

FILENAME = "blob-cache.json"
MAX_ENTRIES = 100_000  # a few MB; the least recently used go first


def _format() -> str:
    """Entries from another dvcflow or Python, or from an edited checkout of the modules that
    compute them, are not reused."""
    from dvcflow.dvc import hashing
    from dvcflow.scripts import python as imports

    stamps = []
    for module in (imports, hashing):
        try:
            stamps.append(str(os.stat(module.__file__ or "").st_mtime_ns))
        except OSError:
            stamps.append("0")
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return f"1:{__version__}:{python}:{':'.join(stamps)}"


class BlobCache:
    """`kind:blob id` -> a JSON value, for one run (loaded lazily, saved when it closes)."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / FILENAME if folder is not None else None
        self._entries: dict[str, Any] | None = None
        self._used: dict[str, Any] = {}
        self._added = False

    def get(self, kind: str, blob: str) -> Any:
        key = f"{kind}:{blob}"
        value = self._load().get(key)
        if value is not None:
            self._used[key] = value
        return value

    def put(self, kind: str, blob: str, value: Any) -> None:
        key = f"{kind}:{blob}"
        self._load()[key] = value
        self._used[key] = value
        self._added = True

    def _load(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = self._read()
        return self._entries

    def _read(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError, RecursionError):
            return {}
        if not isinstance(data, dict) or data.get("format") != _format():
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def save(self) -> None:
        """Write the file if this run added entries, the ones it used last (kept longest)."""
        if not self._added or self.path is None or self._entries is None:
            return
        kept = {k: v for k, v in self._entries.items() if k not in self._used}
        kept.update(self._used)
        entries = dict(list(kept.items())[-MAX_ENTRIES:])
        text = json.dumps({"format": _format(), "entries": entries}, separators=(",", ":"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, text.encode("utf-8"))
        except OSError:
            pass  # a read-only .git: the cache only saves time
        self._added = False


def blob_cache(ctx: Context) -> BlobCache:
    """The run's cache, saved when the run's context closes."""
    return ctx.memo(blob_cache, lambda: _open_cache(ctx))


def _open_cache(ctx: Context) -> BlobCache:
    common = ctx.repo.common_dir
    enabled = common is not None and os.environ.get("DVCFLOW_NO_CACHE") != "1"
    cache = BlobCache(common / "dvcflow" if enabled and common is not None else None)
    ctx.at_close(cache.save)
    return cache


def staged_blob(ctx: Context, path: str) -> str | None:
    """The blob id of a regular file in the index (None for symlinks, submodules, absent)."""
    entry = ctx.repo.index().get(path)
    if entry is None or entry.is_symlink or entry.is_submodule:
        return None
    return entry.sha
