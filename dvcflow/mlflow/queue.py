"""Pending MLflow taggings, kept in the Git directory until the tracking server acknowledges them.

The queue is `<git common dir>/dvcflow/mlflow-queue.jsonl` (shared by every worktree of the
repository), one JSON object a line:

    {"id": "…", "op": "tag", "commit": "…", …}      an entry, appended before delivery starts
    {"done": "…"}                                     the server acknowledged that entry

Appends are single `O_APPEND` writes followed by `fsync`, so a crash leaves at most one torn
last line, which readers skip and the next append never glues to. An entry stays pending until
its `done` line is written, which happens only after the server confirmed every request of the
entry; delivering an entry twice is harmless (tagging is idempotent). Compaction rewrites the
file atomically (temporary file, fsync, rename) and removes it when nothing is pending.
Credentials never reach the file: an entry whose text contains the value of a credential
environment variable is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from dvcflow.fixing import atomic_write
from dvcflow.mlflow.redact import sanitize_uri, secrets

FOLDER = "dvcflow"
QUEUE_FILE = "mlflow-queue.jsonl"
SET_ASIDE_FILE = "mlflow-queue.set-aside.jsonl"
LOCK_FILE = "mlflow-queue.lock"
DELIVERY_LOCK_FILE = "mlflow-delivery.lock"
LOCK_WAIT = 2.0  # seconds an append waits for a concurrent compaction


class QueueError(Exception):
    """The queue cannot be written (permissions, disk full, something else in its place, or
    an entry holding a secret)."""


def _why(exc: OSError) -> str:
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        return "a file is in the way of its folder"
    if isinstance(exc, IsADirectoryError):
        return "a folder is in its place"
    return str(exc.strerror or exc)


def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def _file_lock(path: Path, wait: float) -> Iterator[bool]:
    """An exclusive lock on `path`, waiting up to `wait` seconds; yields whether it was taken."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        end = time.monotonic() + wait
        acquired = _try_lock(fd)
        while not acquired and time.monotonic() < end:
            time.sleep(0.01)
            acquired = _try_lock(fd)
        try:
            yield acquired
        finally:
            if acquired:
                _unlock(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        if handle.seek(0, os.SEEK_END) == 0:
            return True
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _encode(record: Mapping[str, Any]) -> bytes:
    line = json.dumps(record, sort_keys=True, separators=(",", ":"))
    if any(secret in line for secret in secrets()):
        raise QueueError("refusing to queue an entry that contains a credential")
    return line.encode("utf-8") + b"\n"


class TagQueue:
    """The pending-tag queue of one repository."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / QUEUE_FILE
        self.set_aside_path = folder / SET_ASIDE_FILE

    @classmethod
    def for_git_dir(cls, common_dir: Path) -> TagQueue:
        """The queue of a repository, from `git rev-parse --git-common-dir`."""
        return cls(common_dir / FOLDER)

    def append(self, entry: Mapping[str, Any]) -> str:
        """Durably add an entry (before any attempt to deliver it); return its id."""
        record = dict(entry)
        record.setdefault("id", uuid.uuid4().hex)
        record.setdefault("queued_at", round(time.time(), 3))
        if isinstance(record.get("uri"), str):
            record["uri"] = sanitize_uri(record["uri"])
        self._write(_encode(record))
        return str(record["id"])

    def ack(self, entry_id: str) -> None:
        """Record that the server acknowledged an entry."""
        self._write(_encode({"done": entry_id}))

    def set_aside(self, entry: Mapping[str, Any], reason: str) -> None:
        """Move an entry that cannot be delivered (malformed) to the set-aside file, for the
        user to read; it no longer blocks the queue."""
        record = {**entry, "set_aside_because": reason}
        try:
            line = _encode(record)
        except QueueError:  # a secret in it: keep the reason, never the secret
            line = _encode({"id": entry.get("id"), "set_aside_because": reason})
        self._write(line, self.set_aside_path)
        self.ack(str(entry.get("id")))

    def _write(self, data: bytes, path: Path | None = None) -> None:
        target = path or self.path
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with _file_lock(self.folder / LOCK_FILE, LOCK_WAIT):
                self._append_bytes(data, target)
        except OSError as exc:
            raise QueueError(f"cannot write {target} ({_why(exc)})") from exc

    def _append_bytes(self, data: bytes, path: Path) -> None:
        new = not path.exists()
        if not new and not _ends_with_newline(path):
            data = b"\n" + data  # never glue onto a line torn by a crash
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if new:
            _fsync_folder(self.folder)

    def _records(self) -> Iterator[dict[str, Any]]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        for line in raw.splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash: its entry was never acknowledged
            if isinstance(record, dict):
                yield record

    def pending(self) -> list[dict[str, Any]]:
        """Entries not yet acknowledged, oldest first."""
        entries: dict[str, dict[str, Any]] = {}
        done: set[str] = set()
        for record in self._records():
            if "done" in record:
                done.add(str(record["done"]))
            elif "id" in record and "op" in record:
                entries.setdefault(str(record["id"]), record)
        return [entry for key, entry in entries.items() if key not in done]

    def compact(self) -> None:
        """Drop acknowledged entries; remove the file when nothing is pending (best effort:
        a queue that cannot be rewritten stays as it is, every entry still readable)."""
        with contextlib.suppress(OSError):
            self._compact()

    def _compact(self) -> None:
        if not self.path.is_file():
            return
        with _file_lock(self.folder / LOCK_FILE, LOCK_WAIT) as locked:
            if not locked:
                return
            pending = self.pending()
            if not pending:
                self.path.unlink(missing_ok=True)
                _fsync_folder(self.folder)
                return
            data = b"".join(_encode(entry) for entry in pending)
            if data == self.path.read_bytes():
                return
            atomic_write(self.path, data, mode=0o600)
            _fsync_folder(self.folder)

    @contextlib.contextmanager
    def delivering(self) -> Iterator[bool]:
        """Hold the delivery lock if no other process holds it; yields whether it is held.

        Raises QueueError when the lock cannot even be made (the folder is unwritable)."""
        with contextlib.ExitStack() as stack:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                acquired = stack.enter_context(_file_lock(self.folder / DELIVERY_LOCK_FILE, 0.0))
            except OSError as exc:
                raise QueueError(f"cannot use {self.folder} ({_why(exc)})") from exc
            yield acquired
