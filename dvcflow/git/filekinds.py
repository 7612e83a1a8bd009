"""What a path in the work tree is, found without reading it: a regular file or folder inside
the repository, or something dvcflow must neither read nor hand to DVC.

A FIFO blocks its reader forever, `/dev/zero` and `/dev/urandom` never end, a symlink loop or a
name over the file system's limit fails every call: each gets one sentence naming what it is,
so the snapshot can refuse it instead of hanging or crashing.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator

DANGLING = "is a dangling symlink"

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    """`a FIFO (named pipe)`, `a character device`, ... for a mode that is not a file/folder."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def is_regular(mode: int) -> bool:
    return stat.S_ISREG(mode) or stat.S_ISDIR(mode)


def refusal(root: str, rel: str) -> str | None:
    """Why `rel` (repo-relative) must not be read; None for a regular file or folder inside
    the repository, or for a path that does not exist (the caller's "missing")."""
    full = os.path.join(root, rel)
    try:
        st = os.stat(full)
    except OSError as exc:
        return _stat_failure(full, exc)
    link = _link_note(full)
    if not is_regular(st.st_mode):
        return f"is {link}{kind_of(st.st_mode)}, not a regular file"
    if not link:
        return None
    real = os.path.realpath(full)
    top = os.path.realpath(root)
    if real != top and not real.startswith(top.rstrip(os.sep) + os.sep):
        return f"is {link}outside the repository; not followed"
    return None


def _link_note(full: str) -> str:
    """`a symlink to /dev/zero, ` when `full` is a symlink, else ""."""
    try:
        return f"a symlink to {os.readlink(full)}, " if os.path.islink(full) else ""
    except OSError:
        return ""


def _stat_failure(full: str, exc: OSError) -> str | None:
    if exc.errno == errno.ENAMETOOLONG:
        link = _link_note(full)
        return f"{f'is {link}' if link else 'has '}a name too long for the file system"
    if exc.errno == errno.ELOOP:
        return "is a symlink loop (too many levels of symbolic links)"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        if os.path.lexists(full):
            return f"{DANGLING} (its target {os.readlink(full)} does not exist)"
        return None  # simply absent
    return f"cannot be read ({exc.strerror or exc})"


def refusals(root: str, paths: Iterable[str], *, below: bool) -> Iterator[tuple[str, str]]:
    """(path, why) for each path that must not be read or hashed, and with `below` each entry
    below a folder among them (what DVC would open when it hashes the folder)."""
    for rel in paths:
        why = refusal(root, rel)
        if why is not None:
            yield rel, why
        elif below and os.path.isdir(os.path.join(root, rel)):
            yield from _refusals_below(root, rel)


def _refusals_below(root: str, folder: str) -> Iterator[tuple[str, str]]:
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, folder)):
        dirnames[:] = [d for d in dirnames if d not in (".git", ".dvc")]
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        for name in [
            *filenames,
            *(d for d in dirnames if os.path.islink(os.path.join(dirpath, d))),
        ]:
            rel = f"{rel_dir}/{name}"
            why = refusal(root, rel)
            if why is not None:
                yield rel, why
