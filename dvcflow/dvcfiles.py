"""`.dvc` files (what `dvc add` and `dvc import` write), read from a view of the repository.

    outs:
    - md5: 3a1ec7c5f2cfe6e8ac8e5b6b5ea32a2f
      size: 1024
      hash: md5          # absent in files written by DVC 2.x (legacy dos2unix md5)
      path: data.csv     # relative to the .dvc file's folder (and its `wdir:`)

`nfiles` is present for folders, whose md5 ends in `.dir`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from dvcflow.errors import DvcflowError
from dvcflow.snapshot import Snapshot, normalize
from dvcflow.yamlio import YamlDocument, YamlError, child, load_yaml, position

DVC_FILE_SUFFIX = ".dvc"


@dataclass(frozen=True)
class DvcFileOut:
    """One output a `.dvc` file records."""

    path: str  # as written, relative to the .dvc file's wdir
    repo_path: str
    md5: str | None
    hash: str | None  # "md5" (DVC 3) or None (DVC 2.x legacy md5)
    size: int | None
    nfiles: int | None
    where: Callable[[], int] = field(compare=False, repr=False)

    @property
    def line(self) -> int:
        """Computed on first use: positions need the round-trip tree of the .dvc file."""
        return self.where()

    @property
    def is_dir(self) -> bool:
        return bool(self.md5 and self.md5.endswith(".dir"))


@dataclass
class DvcFile:
    path: str  # repo-relative path of the .dvc file
    outs: list[DvcFileOut] = field(default_factory=list)
    is_import: bool = False  # has deps: `dvc import` / `dvc import-url`
    frozen: bool = False


def is_dvc_file(path: str) -> bool:
    """A `*.dvc` file (not the `.dvc/` folder of a project)."""
    name = posixpath.basename(path)
    return name.endswith(DVC_FILE_SUFFIX) and name != DVC_FILE_SUFFIX and "/.dvc/" not in f"/{path}"


_LOADED: WeakKeyDictionary[Snapshot, dict[str, DvcFile | None]] = WeakKeyDictionary()


def load_dvc_file(snapshot: Snapshot, path: str) -> DvcFile | None:
    """Parse one `.dvc` file (once per view); None if absent, unreadable or not a mapping."""
    loaded = _LOADED.setdefault(snapshot, {})
    if path not in loaded:
        loaded[path] = _load_dvc_file(snapshot, path)
    return loaded[path]


def _load_dvc_file(snapshot: Snapshot, path: str) -> DvcFile | None:
    try:
        document = load_yaml(snapshot.read_text(path))
    except (YamlError, DvcflowError, FileNotFoundError):
        return None
    data = document.data
    if not isinstance(data, dict):
        return None
    folder = posixpath.dirname(path)
    wdir = normalize(posixpath.join(folder, str(data.get("wdir") or ".")))
    dvc_file = DvcFile(path, is_import=bool(data.get("deps")), frozen=bool(data.get("frozen")))
    for index, raw in enumerate(data.get("outs") or []):
        out = _out(raw, wdir, _out_line(document, index))
        if out is not None:
            dvc_file.outs.append(out)
    return dvc_file


def _out_line(document: YamlDocument, index: int) -> Callable[[], int]:
    """The line of `outs[index]`, from the round-trip tree parsed only if a finding asks."""

    def where() -> int:
        outs_tree = child(document.tree, "outs")
        return position(outs_tree, index)[0] if outs_tree is not None else 0

    return where


def _out(raw: Any, wdir: str, line: Callable[[], int]) -> DvcFileOut | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
        return None
    md5 = raw.get("md5")
    size, nfiles, hash_ = raw.get("size"), raw.get("nfiles"), raw.get("hash")
    return DvcFileOut(
        path=raw["path"],
        repo_path=normalize(posixpath.join(wdir, raw["path"])),
        md5=str(md5) if md5 is not None else None,
        hash=hash_ if isinstance(hash_, str) else None,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        nfiles=nfiles if isinstance(nfiles, int) and not isinstance(nfiles, bool) else None,
        where=line,
    )


def load_dvc_files(snapshot: Snapshot) -> list[DvcFile]:
    """Every readable `.dvc` file in the view, sorted by path."""
    found = (load_dvc_file(snapshot, p) for p in snapshot.files() if is_dvc_file(p))
    return [f for f in found if f is not None]


def outs_by_path(dvc_files: list[DvcFile]) -> dict[str, tuple[DvcFile, DvcFileOut]]:
    """Repo-relative output path -> the `.dvc` file tracking it and its entry."""
    return {out.repo_path: (f, out) for f in dvc_files for out in f.outs}
