"""Writing files: the edits a rule's `fix()` proposes, and one atomic write for every file.

Every file dvcflow writes (a `--fix` edit, the blob cache, the MLflow tag queue) goes through
`atomic_write`, so an interrupted run never leaves a half-written file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Edit:
    """A whole-file replacement a rule's `fix()` proposes; written atomically."""

    path: str  # repo-relative
    content: str
    summary: str


def apply_edits(root: Path, edits: Iterable[Edit]) -> list[Edit]:
    applied: list[Edit] = []
    for edit in edits:
        atomic_write(root / edit.path, edit.content.encode("utf-8"))
        applied.append(edit)
    return applied


def atomic_write(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write to a temporary file in the same folder, flush it to disk, then rename it over.

    The file keeps its permission bits (`mode` for a new file, 0o644 by default), and a reader
    sees either the old content or the new, never a half-written file.
    """
    import tempfile  # only --fix and dvcflow's own state files write

    if mode is None:
        mode = path.stat().st_mode if path.exists() else 0o644
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".dvcflow")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
