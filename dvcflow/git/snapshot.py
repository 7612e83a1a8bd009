"""Two read-only views of a repository's files: the staged one (the Git index) and the workspace.

Every rule reads files through a view, never through `open()`: the staged view returns the blob
the commit will contain even when the work tree was edited after `git add -p`. Each file is read
once per run and cached; symlinks are never followed out of the repository, and nothing but
a regular file is ever opened (a FIFO, a device, a symlink loop or a dangling link is refused
with a sentence naming it: `filekinds`).
"""

from __future__ import annotations

import bisect
import os
import posixpath
import stat
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterable
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from dvcflow.errors import DvcflowError
from dvcflow.git.filekinds import DANGLING, kind_of, refusal, refusals
from dvcflow.git.repo import BlobTooLarge, GitRepo

T = TypeVar("T")

View = Literal["staged", "workspace"]
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_BINARY_SNIFF = 8000
PREFETCH_MAX_BYTES = 1 << 20  # larger blobs are streamed when read, never held by a prefetch
PREFETCH_BUDGET = 32 << 20  # bytes one prefetch may hold


class UnreadableFile(DvcflowError):
    """A file exists but cannot be read as text: binary, not UTF-8, too large, bad symlink."""


class DanglingSymlink(UnreadableFile, FileNotFoundError):
    """A symlink to nothing: unreadable (its message says so), and absent for the readers that
    treat it as DVC does (a missing file: `except FileNotFoundError`)."""


def normalize(path: str) -> str:
    """A repo-relative posix path without `./`, `..` segments or a trailing slash."""
    norm = posixpath.normpath(path.replace("\\", "/"))
    return "" if norm == "." else norm


def is_within(path: str, folder: str) -> bool:
    return folder == "" or path == folder or path.startswith(folder + "/")


class Snapshot(ABC):
    view: View

    def __init__(self, repo: GitRepo, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.repo = repo
        self.root = repo.root
        self.max_bytes = max_bytes
        self._bytes: dict[str, bytes] = {}
        self._text: dict[str, str] = {}
        self._listing: list[str] | None = None  # files(), listed once per run
        self._memo: dict[Hashable, Any] = {}  # what readers parsed from this view (memo())

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """What was computed once from this view under `key` (a parsed file), as Context.memo."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])

    # -- listing ---------------------------------------------------------------------------
    @abstractmethod
    def files(self) -> list[str]:
        """Every file in this view, sorted, repo-relative posix paths."""

    @cached_property
    def _file_set(self) -> frozenset[str]:
        return frozenset(self.files())

    @cached_property
    def _dir_set(self) -> frozenset[str]:
        dirs: set[str] = {""}
        for path in self._file_set:
            parent = posixpath.dirname(path)
            while parent not in dirs:
                dirs.add(parent)
                parent = posixpath.dirname(parent)
        return frozenset(dirs)

    @cached_property
    def _sorted_files(self) -> list[str]:
        return sorted(self.files())  # (already sorted: a linear pass, and a guarantee)

    @cached_property
    def _by_name(self) -> dict[str, list[str]]:
        named: dict[str, list[str]] = {}
        for path in self._sorted_files:
            named.setdefault(posixpath.basename(path), []).append(path)
        return named

    def files_named(self, name: str) -> list[str]:
        return list(self._by_name.get(name, ()))

    def is_file(self, path: str) -> bool:
        return normalize(path) in self._file_set

    def is_dir(self, path: str) -> bool:
        return normalize(path) in self._dir_set

    def exists(self, path: str) -> bool:
        return self.is_file(path) or self.is_dir(path)

    def files_under(self, folder: str) -> list[str]:
        folder = normalize(folder)
        files = self._sorted_files
        if not folder:
            return list(files)
        # The paths below `folder/` are one block of the sorted list, before `folder0`.
        start = bisect.bisect_left(files, folder + "/")
        return files[start : bisect.bisect_left(files, folder + "0", start)]

    # -- content ---------------------------------------------------------------------------
    @abstractmethod
    def _load(self, path: str) -> bytes:
        """The file's bytes; FileNotFoundError if absent, UnreadableFile past max_bytes."""

    @abstractmethod
    def stream(self, path: str) -> Iterable[bytes]:
        """The file's bytes in chunks, for hashing large files without loading them."""

    def refusals(self, paths: Iterable[str], *, below: bool = False) -> list[tuple[str, str]]:
        """(path, why) for the paths that must not be read, hashed or handed to DVC: FIFOs,
        devices, sockets, symlink loops, dangling links, names too long; with `below`, the
        entries below folders among them too. Git's index holds none of these (the staged
        view reads symlinks itself and refuses the bad ones when read)."""
        return []

    def prefetch(self, paths: Iterable[str]) -> None:  # noqa: B027 (a hint, not required)
        """Hint: these files will be read soon (the staged view reads them in one batch)."""

    def _too_large(self, path: str, size: int) -> UnreadableFile:
        return UnreadableFile(
            f"file is too large to check ({size / 2**20:.1f} MiB; the limit is "
            f"{self.max_bytes / 2**20:.0f} MiB, set by max-file-size-mb in [tool.dvcflow])",
            path,
        )

    def read_bytes(self, path: str) -> bytes:
        path = normalize(path)
        if path not in self._bytes:
            self._bytes[path] = self._load(path)
        return self._bytes[path]

    def parsed(self, path: str, parse: Callable[[str], T], kind: Hashable = None) -> T:
        """`parse(text)` of the file, parsed once per run for every view holding the same text
        (the index and the work tree usually do): keyed by `kind` (default: `parse` itself,
        so a module-level function, never a lambda) and the text. Errors are not kept (a
        second view raises them again). The result is shared: treat it as read-only."""
        return self.parsed_text(self.read_text(path), parse, kind)

    def parsed_text(self, text: str, parse: Callable[[str], T], kind: Hashable = None) -> T:
        """`parse(text)` once per run, shared as `parsed` shares it (for text read elsewhere)."""
        return self.repo.parsed((parse if kind is None else kind, text), lambda: parse(text))

    def read_text(self, path: str) -> str:
        path = normalize(path)
        if path not in self._text:
            data = self.read_bytes(path)
            if b"\0" in data[:_BINARY_SNIFF]:
                raise UnreadableFile("binary file, expected text", path)
            try:
                self._text[path] = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                line = data[: exc.start].count(b"\n") + 1
                raise UnreadableFile(
                    f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", path, line
                ) from exc
        return self._text[path]


class StagedSnapshot(Snapshot):
    """The Git index: exactly what `git commit` will record."""

    view: View = "staged"

    def files(self) -> list[str]:
        if self._listing is None:
            self._listing = sorted(p for p, e in self.repo.index().items() if not e.is_submodule)
        return list(self._listing)

    def _entry_sha(self, path: str, hops: int = 0) -> str:
        entry = self.repo.index().get(path)
        if entry is None or entry.is_submodule:
            raise FileNotFoundError(path)
        if not entry.is_symlink:
            return entry.sha
        target = self.repo.blobs.read(entry.sha).decode("utf-8", "surrogateescape")
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
        if target.startswith("/") or resolved == ".." or resolved.startswith("../"):
            raise UnreadableFile(f"symlink to {target} points outside the repository", path)
        if hops > 8:
            raise UnreadableFile("is a symlink loop (too many levels of symbolic links)", path)
        try:
            return self._entry_sha(resolved, hops + 1)
        except DanglingSymlink:
            raise
        except FileNotFoundError:
            raise DanglingSymlink(
                f"{DANGLING} (to {target}, which the commit does not contain)", path
            ) from None

    def _load(self, path: str) -> bytes:
        try:
            return self.repo.blobs.read(self._entry_sha(path), self.max_bytes)
        except BlobTooLarge as exc:
            raise self._too_large(path, exc.size) from exc

    def stream(self, path: str) -> Iterable[bytes]:
        path = normalize(path)
        if path in self._bytes:
            return iter((self._bytes[path],))
        return self.repo.blobs.stream(self._entry_sha(path))

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read the small blobs among these files in batches, not one `cat-file` round trip
        each; symlinks, larger blobs and anything past a memory budget are read when asked."""
        index = self.repo.index()
        wanted: dict[str, list[str]] = {}
        for path in paths:
            path = normalize(path)
            entry = index.get(path)
            if path in self._bytes or entry is None or entry.is_submodule or entry.is_symlink:
                continue
            wanted.setdefault(entry.sha, []).append(path)
        if not wanted:
            return
        limit = min(PREFETCH_MAX_BYTES, self.max_bytes)
        for sha, data in self.repo.blobs.read_many(list(wanted), limit, PREFETCH_BUDGET).items():
            for path in wanted[sha]:
                self._bytes[path] = data


class WorkspaceSnapshot(Snapshot):
    """The work tree on disk, including files Git ignores (DVC outputs usually are)."""

    view: View = "workspace"

    def files(self) -> list[str]:
        if self._listing is None:
            self._listing = self.repo.workspace_files()  # one `git ls-files` per run
        return list(self._listing)

    def _real(self, path: str) -> Path:
        full = self.root / path
        real = Path(os.path.realpath(full))
        root = Path(os.path.realpath(self.root))
        if real != root and root not in real.parents:
            raise UnreadableFile("symlink points outside the repository; not followed", path)
        return real

    def is_file(self, path: str) -> bool:
        try:
            return self._real(normalize(path)).is_file()
        except (UnreadableFile, OSError):  # outside, or a name too long for the file system
            return False

    def is_dir(self, path: str) -> bool:
        try:
            return self._real(normalize(path)).is_dir()
        except (UnreadableFile, OSError):
            return False

    def refusals(self, paths: Iterable[str], *, below: bool = False) -> list[tuple[str, str]]:
        return list(refusals(str(self.root), [normalize(p) for p in paths], below=below))

    def files_under(self, folder: str) -> list[str]:
        folder = normalize(folder)
        base = self._real(folder)
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d != ".git")
            rel = Path(dirpath).relative_to(base).as_posix()
            prefix = folder if rel == "." else posixpath.join(folder, rel)
            found.extend(posixpath.join(prefix, f) if prefix else f for f in sorted(filenames))
        return found

    def _open(self, path: str) -> int:
        """A descriptor of the regular file at `path`; UnreadableFile naming what it is else.

        Opened without blocking (a FIFO that appeared after the check cannot hang the read)
        and checked again on the descriptor itself."""
        why = refusal(str(self.root), path)
        if why is not None:
            raise (DanglingSymlink if why.startswith(DANGLING) else UnreadableFile)(why, path)
        real = self._real(path)
        try:
            fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except IsADirectoryError:
            raise FileNotFoundError(path) from None
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            if stat.S_ISDIR(mode):
                raise FileNotFoundError(path)
            raise UnreadableFile(f"is {kind_of(mode)}, not a regular file", path)
        return fd

    def _load(self, path: str) -> bytes:
        fd = self._open(path)
        with os.fdopen(fd, "rb") as handle:
            size = os.fstat(fd).st_size
            if size > self.max_bytes:
                raise self._too_large(path, size)
            return handle.read()

    def stream(self, path: str) -> Iterable[bytes]:
        fd = self._open(normalize(path))
        with os.fdopen(fd, "rb") as handle:
            while chunk := handle.read(1 << 20):
                yield chunk
