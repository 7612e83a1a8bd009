"""DVC's content hashes, computed from a view of the repository without importing DVC.

Three hashes, exactly as dvc-data computes them (dvc_data/hashfile/hash.py, tree.py, build.py):

- `md5`: the raw md5 of a file's bytes. dvc.lock and `.dvc` entries with `hash: md5` (DVC 3).
- `md5-dos2unix`: DVC 2.x entries (no `hash:` line). The file is read in 1 MiB chunks; each
  chunk whose first 512 bytes look like text (no NUL byte, at most 30% of bytes outside
  printable ASCII and `\\n\\r\\t\\f\\b`) has its CRLF pairs turned into LF before hashing. The
  text test is made per chunk and a CRLF pair split by a chunk boundary is left as is, like
  DVC 3's `Dos2UnixHashStreamFile` (DVC 2.x tested the first 512 bytes once per file; both
  agree on every file below 1 MiB and on every file whose chunks are all text or all binary).
- a folder: `<md5>.dir`, the raw md5 of the JSON manifest `[{"md5": ..., "relpath": ...}]`
  sorted by relpath and serialised by `json.dumps(..., sort_keys=True)`; each file's `md5` is
  computed with the entry's scheme (raw or dos2unix). `.dvcignore` patterns are respected.

Files are hashed from `Snapshot.stream()` chunks: a large blob is never held in memory whole.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

from dvcflow.dvc.projects import DvcProject
from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot, is_within

HashName = Literal["md5", "md5-dos2unix"]
CHUNK_SIZE = 2**20  # dvc_data.hashfile.hash.fobj_md5's chunk_size
TEXT_BLOCK_SIZE = 512  # dvc_data.hashfile.istextfile.DEFAULT_CHUNK_SIZE
TEXT_CHARS = bytes(range(32, 127)) + b"\n\r\t\f\b"
DIR_SUFFIX = ".dir"
DVCIGNORE = ".dvcignore"
_LFS_POINTER = b"version https://git-lfs.github.com/spec/"
# Folders DVC never collects (dvc/ignore.py default patterns).
_ALWAYS_IGNORED = frozenset({".git", ".hg", ".dvc"})

FileHasher = Callable[[str], "str | None"]


def hash_name(entry_hash: str | None) -> HashName | None:
    """The algorithm DVC uses for an entry: `hash: md5` is raw md5, no `hash:` is DVC 2.x.

    None for anything else (cloud etags, checksums): those cannot be recomputed here.
    """
    if entry_hash is None:
        return "md5-dos2unix"
    return "md5" if entry_hash == "md5" else None


def is_text_block(block: bytes) -> bool:
    """dvc-data's `istextblock`: empty is text; NUL is binary; else at most 30% non-text."""
    if not block:
        return True
    if b"\x00" in block:
        return False
    nontext = block.translate(None, TEXT_CHARS)
    return len(nontext) / len(block) <= 0.30


def dos2unix(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


def rechunk(chunks: Iterable[bytes], size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Regroup a byte stream into blocks of exactly `size` bytes (the last one shorter).

    `md5-dos2unix` depends on where chunk boundaries fall, so they must fall where a local
    file read of `size` bytes puts them, whatever sizes the source yields.
    """
    pending = b""
    for chunk in chunks:
        if pending:
            chunk = pending + chunk
        start = 0
        while len(chunk) - start >= size:
            yield chunk if start == 0 and len(chunk) == size else chunk[start : start + size]
            start += size
        pending = chunk[start:]
    if pending:
        yield pending


def md5_of_chunks(chunks: Iterable[bytes], name: HashName = "md5") -> str:
    """The md5 DVC records for a file with these bytes, under algorithm `name`."""
    import hashlib  # (OpenSSL loads in a few ms: a warm run hashes nothing)

    hasher = hashlib.md5(usedforsecurity=False)
    if name == "md5":
        for chunk in chunks:
            hasher.update(chunk)
        return hasher.hexdigest()
    for chunk in rechunk(chunks):
        is_text = is_text_block(chunk[:TEXT_BLOCK_SIZE])
        hasher.update(dos2unix(chunk) if is_text else chunk)
    return hasher.hexdigest()


def md5_of_bytes(data: bytes, name: HashName = "md5") -> str:
    return md5_of_chunks([data], name)


def manifest_bytes(entries: Iterable[tuple[str, str]]) -> bytes:
    """DVC's directory manifest for (relpath, md5) pairs, byte for byte (Tree.as_bytes).

    That is `json.dumps([{"md5": ..., "relpath": ...}, ...], sort_keys=True)` sorted by relpath,
    written out here with json's own string encoder: a tenth of the time for 10,000 files.
    """
    quote = json.encoder.encode_basestring_ascii  # what json.dumps uses (ensure_ascii)
    items = sorted(entries, key=lambda entry: entry[0])
    body = ", ".join(f'{{"md5": {quote(md5)}, "relpath": {quote(rel)}}}' for rel, md5 in items)
    return f"[{body}]".encode()


def dir_md5(entries: Iterable[tuple[str, str]]) -> str:
    """The `<md5>.dir` hash DVC records for a folder with these (relpath, md5) files."""
    import hashlib

    return hashlib.md5(manifest_bytes(entries), usedforsecurity=False).hexdigest() + DIR_SUFFIX


def is_lfs_pointer(head: bytes) -> bool:
    return head.startswith(_LFS_POINTER)


def snapshot_file_md5(snapshot: Snapshot, path: str, name: HashName = "md5") -> str | None:
    """The md5 of a file in a view, streamed; None if it cannot be hashed as DVC would see it.

    None for an unreadable file, a symlink out of the repository, and a Git LFS pointer (DVC
    hashes the real content, which the index does not hold).
    """
    try:
        chunks = iter(snapshot.stream(path))
        first = next(chunks, b"")
        if is_lfs_pointer(first[:100]):
            for _ in chunks:  # drain: the blob reader needs each stream consumed
                pass
            return None
        return md5_of_chunks(_prepend(first, chunks), name)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, DvcflowError):
        return None


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


class FolderListing:
    """The files DVC would collect in a folder, relative to it; `blocked` if DVC would refuse."""

    files: tuple[str, ...]
    blocked: str | None

    __slots__ = ("blocked", "files")

    def __init__(self, files: tuple[str, ...], blocked: str | None = None) -> None:
        self.files = files
        self.blocked = blocked


def collect_folder(
    paths: Iterable[str], folder: str, project: DvcProject | None, nested_roots: Iterable[str] = ()
) -> FolderListing:
    """Filter repo-relative file paths under `folder` as DVC's walk would.

    Drops `.git`/`.hg`/`.dvc` folders, nested DVC projects and `.dvcignore`d paths. A
    `.dvcignore` inside the folder makes DVC refuse to hash it (IgnoreInCollectedDirError).
    """
    nested = [r for r in nested_roots if r != folder and is_within(r, folder)]
    prefix = folder + "/" if folder else ""
    cut = len(prefix)
    checks_ignored = project is not None and bool(project.ignore_files)
    files: list[str] = []
    for path in paths:
        if not path.startswith(prefix) or path == folder:
            continue
        rel = path[cut:]  # posixpath.relpath, without its cost
        dvcignore = False
        if rel.startswith(".") or "/." in rel:  # the names looked for all start with a dot
            parts = rel.split("/")
            if any(part in _ALWAYS_IGNORED for part in parts[:-1]) or parts[-1] == ".git":
                continue
            dvcignore = parts[-1] == DVCIGNORE
        if nested and any(is_within(path, root) for root in nested):
            continue
        if checks_ignored and project is not None and project.is_ignored(path):
            continue
        if dvcignore:  # (one that DVC's walk reaches: not in a nested project, not ignored)
            return FolderListing((), blocked=f"{path} is inside a folder DVC hashes")
        files.append(rel)
    return FolderListing(tuple(sorted(files)))


def folder_md5(folder: str, relpaths: Iterable[str], file_hash: FileHasher) -> str | None:
    """`<md5>.dir` of a folder whose files' hashes `file_hash(repo_path)` gives; None if any
    file's hash is unknown."""
    entries: list[tuple[str, str]] = []
    for rel in relpaths:
        md5 = file_hash(posixpath.join(folder, rel) if folder else rel)
        if md5 is None:
            return None
        entries.append((rel, md5))
    return dir_md5(entries)
