"""DVC's own locks, probed without waiting or writing: is a `dvc repro` running?"""

from __future__ import annotations

import json
import os

from dvcflow.dvc.status.config import read_settings
from dvcflow.dvc.status.model import Unsupported


def is_busy(project_dir: str) -> bool:
    return busy_reason(project_dir) is not None


def busy_reason(project_dir: str) -> str | None:
    """Why DVC is busy in this project (a running `dvc repro`), probed without waiting or writing.

    `dvc repro` holds the repo lock (`.dvc/tmp/lock`) while it plans and records, and while a
    stage's command runs it releases it but lists the outputs being written, with its PID, in
    `.dvc/tmp/rwlock`; `dvc status` waits for the first and fails on the second. The repo lock
    (zc.lockfile) is an exclusive `flock`: a shared, non-blocking `flock` on a read-only handle
    fails exactly while it is held. With `core.hardlink_lock` the lock file exists only while
    held.
    """
    tmp = os.path.join(project_dir, ".dvc", "tmp")
    if _repo_lock_held(os.path.join(tmp, "lock"), project_dir):
        return "another DVC process holds .dvc/tmp/lock"
    writer = _rwlock_writer(os.path.join(tmp, "rwlock"))
    if writer is not None:
        return f"`{writer[1]}` (PID {writer[0]}) is writing {writer[2]}"
    return None


def _repo_lock_held(lock: str, project_dir: str) -> bool:
    if not os.path.exists(lock):  # never held (DVC has not run here): no config to read
        return False
    try:
        hardlink = read_settings(project_dir).hardlink_lock
    except Unsupported:
        hardlink = False
    if hardlink:
        return os.path.exists(lock)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: DVC's own lock error is reported instead
        return False
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _rwlock_writer(path: str) -> tuple[int, str, str] | None:
    """(pid, cmd, path) of a live process DVC's rwlock file says is writing an output."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    writes = data.get("write") if isinstance(data, dict) else None
    if not isinstance(writes, dict):
        return None
    for target, info in writes.items():
        if not isinstance(info, dict):
            continue
        pid, cmd = info.get("pid"), info.get("cmd")
        if isinstance(pid, int) and pid != os.getpid() and _alive(pid):
            return pid, str(cmd), str(target)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
