"""A read-only view of one commit's files, for rules that judge commits already made (pre-push).

It is a `Snapshot`, so everything that reads DVC files from a view (projects, pipelines,
dvc.lock, `.dvc` files) reads a commit the same way it reads the index.
"""

from __future__ import annotations

from collections.abc import Iterable

from dvcflow.git.repo import SYMLINK_MODE, BlobTooLarge, GitRepo, run_git
from dvcflow.git.snapshot import (
    DEFAULT_MAX_BYTES,
    PREFETCH_BUDGET,
    PREFETCH_MAX_BYTES,
    Snapshot,
    UnreadableFile,
    View,
    normalize,
)


class CommitSnapshot(Snapshot):
    """The tree of `commit`: `files()` is `git ls-tree -r`, contents are its blobs."""

    view: View = "staged"  # read-only Git blobs, like the index

    def __init__(self, repo: GitRepo, commit: str, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__(repo, max_bytes)
        self.commit = commit
        self._blobs: dict[str, tuple[str, str]] | None = None  # path -> (mode, sha)

    @property
    def entries(self) -> dict[str, tuple[str, str]]:
        if self._blobs is None:
            out = run_git(["ls-tree", "-r", "-z", "--full-tree", self.commit], self.root)
            blobs: dict[str, tuple[str, str]] = {}
            for record in out.split(b"\0"):
                if not record:
                    continue
                meta, _, raw = record.partition(b"\t")
                mode, kind, sha = meta.decode().split()
                if kind == "blob":
                    blobs[raw.decode("utf-8", "surrogateescape")] = (mode, sha)
            self._blobs = blobs
        return self._blobs

    def files(self) -> list[str]:
        if self._listing is None:
            self._listing = sorted(self.entries)
        return list(self._listing)

    def blob_sha(self, path: str) -> str | None:
        entry = self.entries.get(normalize(path))
        return entry[1] if entry else None

    def _sha(self, path: str) -> str:
        entry = self.entries.get(path)
        if entry is None:
            raise FileNotFoundError(path)
        if entry[0] == SYMLINK_MODE:
            raise UnreadableFile("symlink; not followed in a commit view", path)
        return entry[1]

    def _load(self, path: str) -> bytes:
        try:
            return self.repo.blobs.read(self._sha(path), self.max_bytes)
        except BlobTooLarge as exc:
            raise self._too_large(path, exc.size) from exc

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read these files' blobs in batches (one `git cat-file` round trip per batch)."""
        wanted: dict[str, list[str]] = {}
        for path in paths:
            path = normalize(path)
            entry = self.entries.get(path)
            if entry is None or entry[0] == SYMLINK_MODE or path in self._bytes:
                continue
            wanted.setdefault(entry[1], []).append(path)
        if not wanted:
            return
        limit = min(PREFETCH_MAX_BYTES, self.max_bytes)
        for sha, data in self.repo.blobs.read_many(list(wanted), limit, PREFETCH_BUDGET).items():
            for path in wanted[sha]:
                self._bytes[path] = data

    def stream(self, path: str) -> Iterable[bytes]:
        return self.repo.blobs.stream(self._sha(normalize(path)))
