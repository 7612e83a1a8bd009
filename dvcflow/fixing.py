"""Writing files: the edits a rule's `fix()` proposes, and one atomic write for every file.

Every file dvcflow writes (a `--fix` edit, the blob cache, the MLflow tag queue) goes through
`atomic_write`, so an interrupted run never leaves a half-written file. An edit of a symlink
writes the file it points to when that lies inside the repository (the link stays a link);
any other edit of something that is not a regular file is refused with the reason.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

FIX_HOOK = "dvcflow-fix"  # the manual-stage pre-commit hook that runs FIX_OPTIONS
FIX_OPTIONS = "--fix-only --stage-fixes"


def fix_command(environ: Mapping[str, str], *, all_files: bool) -> str:
    """The command a help line gives for applying the safe fixes and staging them, judging
    what the run that printed it judged (`--all`, or the commit being made).

    Under pre-commit (which sets PRE_COMMIT=1 for its hooks) dvcflow lives in pre-commit's own
    environment, not on the user's PATH: the fix is then the manual-stage hook, with
    `--all-files` so that pre-commit does not set unstaged edits aside: putting them back on
    top of a staged fix can conflict, and pre-commit then stops with the edits out of the work
    tree. The hook sees them instead and leaves a file that has some unstaged.
    """
    if environ.get("PRE_COMMIT") == "1":
        return f"pre-commit run --hook-stage manual {FIX_HOOK} --all-files"
    return f"dvcflow-check {'--all ' if all_files else ''}{FIX_OPTIONS}"


class Edit(NamedTuple):
    """A whole-file replacement a rule's `fix()` proposes; written atomically."""

    path: str  # repo-relative
    content: str
    summary: str
    refused: str | None = None  # why it was not written (set by apply_edits)
    data: bytes | None = None  # the bytes to write when not `content` in UTF-8 (a UTF-16 file)


def apply_edits(root: Path, edits: Iterable[Edit]) -> list[Edit]:
    """Write each edit; the result says which were refused (`refused`) and why."""
    done: list[Edit] = []
    for edit in edits:
        target = edit_target(root, edit.path)
        if isinstance(target, str):
            done.append(edit._replace(refused=target))
            continue
        atomic_write(target, edit.content.encode("utf-8") if edit.data is None else edit.data)
        written = target.relative_to(root.resolve()).as_posix()
        if written != edit.path:  # through a symlink: name the file to `git add`
            edit = edit._replace(path=written, summary=f"{edit.summary} (via {edit.path})")
        done.append(edit)
    return done


def edit_target(root: Path, rel: str) -> Path | str:
    """The file to write for an edit of `rel`: itself, or the file its symlink leads to inside
    the repository; else the reason it is not written."""
    full = root.resolve() / rel
    if not full.is_symlink():
        if full.exists() and not full.is_file():
            return "is not a regular file"
        return full
    real = Path(os.path.realpath(full))
    top = Path(os.path.realpath(root))
    if top not in real.parents:
        target = os.readlink(full)
        return f"is a symlink to {target}, outside the repository: edit that file yourself"
    try:
        mode = real.stat().st_mode
    except OSError:
        return f"is a symlink to {os.readlink(full)}, which leads nowhere (dangling or a loop)"
    if not stat.S_ISREG(mode):
        return f"is a symlink to {os.readlink(full)}, not a regular file"
    return real


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
