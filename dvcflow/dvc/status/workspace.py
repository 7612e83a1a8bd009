"""The workspace as DVC's local filesystem sees it: files stat'ed once, hashed at most once.

Folders are walked like DVC's `_build_tree` (`.dvcignore` applied), file hashes come from DVC's
state database when it knows the file as it is now, and cache objects are probed like
`Output.changed_cache()`.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import stat
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from dvcflow.dvc.hashing import DIR_SUFFIX, HashName, collect_folder, dir_md5, md5_of_chunks
from dvcflow.dvc.params import parse_params
from dvcflow.dvc.projects import DvcProject
from dvcflow.dvc.status.config import DvcSettings
from dvcflow.dvc.status.ignore import DvcIgnore
from dvcflow.dvc.status.model import Unsupported
from dvcflow.dvc.status.statedb import StateDb, decode_entries, state_hash
from dvcflow.dvc.yamlio import YamlDocument, YamlError, load_yaml

if TYPE_CHECKING:
    from dvcflow.git.blobcache import BlobCache

CACHE_MODE = 0o444  # dvc_data LocalHashFileDB.CACHE_MODE: a verified, protected object
_HAS_INODES = os.name != "nt"
CHUNK = 2**20


class FileNode:
    path: str  # absolute
    st: os.stat_result

    __slots__ = ("path", "st")

    def __init__(self, path: str, st: os.stat_result) -> None:
        self.path = path
        self.st = st


class DirNode:
    path: str  # absolute
    files: tuple[tuple[str, FileNode], ...]  # (relpath inside the folder, file)

    __slots__ = ("files", "path")

    def __init__(self, path: str, files: tuple[tuple[str, FileNode], ...]) -> None:
        self.path = path
        self.files = files


Node = FileNode | DirNode | None  # None: absent


class Workspace:
    """Files as DVC's local filesystem sees them, stat'ed once, hashed at most once."""

    def __init__(
        self,
        root: str,
        project: DvcProject,
        nested_roots: tuple[str, ...],
        settings: DvcSettings,
        state: StateDb,
        memo: BlobCache | None = None,
    ) -> None:
        self.root = root  # absolute real path of the Git work tree
        self.project = project
        self.nested_roots = nested_roots
        self.settings = settings
        self.state = state
        self._nodes: dict[str, Node] = {}
        self._hashes: dict[tuple[str, str], str] = {}
        self._state: dict[str, object] = {}  # decoded state entries
        self._pending: set[str] = set()
        self._params: dict[str, dict[str, Any]] = {}
        self._cache_bases: dict[str, str] = {}  # hash name -> objects' folder
        self.memo = memo  # folder hashes from earlier runs (see _folder_md5)
        # load_yaml, or the run's shared parses of it (Snapshot.parsed_text): read-only documents
        self.load_yaml: Callable[[str], YamlDocument] = load_yaml
        self.ignore = DvcIgnore(self.project)

    def absolute(self, repo_path: str) -> str:
        return os.path.join(self.root, repo_path) if repo_path else self.root

    def node(self, repo_path: str) -> Node:
        if repo_path not in self._nodes:
            self._nodes[repo_path] = self._load(repo_path)
        return self._nodes[repo_path]

    def _load(self, repo_path: str) -> Node:
        full = self.absolute(repo_path)
        try:
            st = os.lstat(full)
        except (FileNotFoundError, NotADirectoryError):
            return None
        if stat.S_ISLNK(st.st_mode) or os.path.realpath(full) != os.path.normpath(full):
            raise Unsupported(f"{repo_path} is or goes through a symlink")
        if stat.S_ISREG(st.st_mode):
            self._pending.add(full)
            return FileNode(full, st)
        if stat.S_ISDIR(st.st_mode):
            return self._walk(repo_path, full)
        raise Unsupported(f"{repo_path} is neither a file nor a folder")

    def _walk(self, repo_path: str, full: str) -> DirNode:
        """DVC's `_build_tree` walk: every file below, `.dvcignore` applied."""
        stats: dict[str, os.stat_result] = {}
        self._scan(repo_path, full, repo_path, stats)
        if self.ignore.active:  # DVC prunes ignored folders while it walks; `!` re-includes
            stats = {k: v for k, v in stats.items() if not self.ignore.is_ignored(k)}
        listing = collect_folder(stats, repo_path, None, self.nested_roots)
        if listing.blocked:
            raise Unsupported(listing.blocked)
        files: list[tuple[str, FileNode]] = []
        prefix = self.root + os.sep
        for rel in listing.files:
            repo_file = f"{repo_path}/{rel}" if repo_path else rel
            files.append((rel, FileNode(prefix + repo_file, stats[repo_file])))
        return DirNode(full, tuple(files))  # its files' state is read only if it is hashed

    def _scan(
        self, top: str, folder: str, repo_folder: str, stats: dict[str, os.stat_result]
    ) -> None:
        """lstat every file below `folder` into `stats` (repo-relative posix keys); a folder
        that cannot be read or a file that vanishes mid-walk (a running `dvc repro`) is left
        to DVC."""
        try:
            self._scan_folder(top, folder, repo_folder, stats)
        except OSError as exc:
            raise Unsupported(f"{top}: {exc.strerror or exc}") from exc

    def _scan_folder(
        self, top: str, folder: str, repo_folder: str, stats: dict[str, os.stat_result]
    ) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                repo_file = f"{repo_folder}/{entry.name}" if repo_folder else entry.name
                if entry.is_dir(follow_symlinks=False):
                    if entry.name in (".git", ".dvc", ".hg"):
                        raise Unsupported(f"{top} holds a nested repository")
                    self._scan_folder(top, entry.path, repo_file, stats)
                    continue
                if entry.is_symlink():
                    raise Unsupported(f"{top} holds a symlink")
                # (on Windows a DirEntry's stat has no inode, which DVC's state checksum uses)
                st = entry.stat(follow_symlinks=False) if _HAS_INODES else os.lstat(entry.path)
                if not stat.S_ISREG(st.st_mode):
                    raise Unsupported(f"{top} holds a symlink or special file")
                stats[repo_file] = st

    def prefetch(self) -> None:
        """Read DVC's state entries for every file seen so far in one batch."""
        if self._pending:
            self._state.update(decode_entries(self.state.lookup(sorted(self._pending))))
            self._pending.clear()

    def file_md5(self, node: FileNode, name: HashName) -> str:
        key = (node.path, name)
        if key not in self._hashes:
            self._hashes[key] = self._file_md5(node, name)
        return self._hashes[key]

    def _file_md5(self, node: FileNode, name: HashName) -> str:
        entry = self._state.get(node.path)
        known = state_hash(entry, node.st) if entry is not None else None
        if known is not None and known[0] == name:
            return known[1]
        return md5_of_chunks(_read_chunks(node.path), name)

    def md5(self, node: FileNode | DirNode, name: HashName) -> str:
        if isinstance(node, FileNode):
            return self.file_md5(node, name)
        key = (node.path, name)
        if key not in self._hashes:  # a folder is often one stage's out and another's dep
            self._hashes[key] = self._folder_md5(node, name)
        return self._hashes[key]

    def _folder_md5(self, node: DirNode, name: HashName) -> str:
        """A folder's `.dir` hash; remembered between runs under its files' (path, inode,
        mtime, size) signature, the same stat signature DVC's state database trusts per file,
        so an unchanged folder of 10,000 files is not looked up file by file again."""
        signature = _stat_signature(node, name) if self.memo is not None else None
        if self.memo is not None and signature is not None:
            known = self.memo.get("folder", signature)
            if isinstance(known, str):
                return known
        self._pending.update(f.path for _, f in node.files)
        self.prefetch()
        md5 = dir_md5((rel, self.file_md5(f, name)) for rel, f in node.files)
        if self.memo is not None and signature is not None and not _racy(node):
            self.memo.put("folder", signature, md5)
        return md5

    def params(self, path: str, shown: str) -> dict[str, Any]:
        """A params file's data as DVC reads it, parsed once per run."""
        if path not in self._params:
            self._params[path] = _read_params(path, shown, self.load_yaml)
        return self._params[path]

    # -- the cache ---------------------------------------------------------------------------
    def in_cache(self, md5: str, name: HashName) -> bool:
        """dvc Output.changed_cache() negated: the object (and a folder's files) are cached."""
        if md5.endswith(DIR_SUFFIX):
            entries = self._manifest(md5, name)
            if entries is None:
                return False
            if not all(self._cached_object(oid, name) for oid in entries):
                return False
        return self._cached_object(md5, name)

    def _object_path(self, oid: str, name: HashName) -> str:
        if name not in self._cache_bases:
            base = self.settings.cache_dir
            if name == "md5":
                base = os.path.join(base, "files", "md5")
            self._cache_bases[name] = base + os.sep
        return f"{self._cache_bases[name]}{oid[:2]}{os.sep}{oid[2:]}"

    def _manifest(self, oid: str, name: HashName) -> list[str] | None:
        try:
            with open(self._object_path(oid, name), encoding="utf-8") as handle:
                data = json.load(handle)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise Unsupported(f"cache object {oid} unreadable: {exc}") from exc
        if not isinstance(data, list) or not all(
            isinstance(item, dict) and isinstance(item.get("md5"), str) for item in data
        ):
            raise Unsupported(f"cache object {oid} is not a manifest")
        return [str(item["md5"]) for item in data]

    def _cached_object(self, oid: str, name: HashName) -> bool:
        try:
            st = os.stat(self._object_path(oid, name))
        except (FileNotFoundError, NotADirectoryError):
            return False
        if stat.S_IMODE(st.st_mode) != CACHE_MODE:
            raise Unsupported(f"cache object {oid} is not protected; DVC would re-verify it")
        return True


def _racy(node: DirNode, window_ns: int = 2_000_000_000) -> bool:
    """A file modified in the last two seconds could change again within the same mtime tick
    with the same size (Git's "racily clean" files): such a folder's hash is not remembered."""
    recent = time.time_ns() - window_ns
    return any(file.st.st_mtime_ns > recent for _, file in node.files)


def _stat_signature(node: DirNode, name: HashName) -> str:
    parts = [f"{name}\0{node.path}"]
    for rel, file in node.files:
        st = file.st
        parts.append(f"{rel}\0{st.st_ino}\0{st.st_mtime_ns}\0{st.st_size}")
    return hashlib.md5("\n".join(parts).encode(), usedforsecurity=False).hexdigest()


def _read_chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _read_params(path: str, shown: str, load: Callable[[str], YamlDocument]) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise Unsupported(f"{shown}: {exc}") from exc
    suffix = posixpath.splitext(shown)[1].lower()
    try:
        if suffix in (".toml", ".py"):  # tomllib / DVC's `ast` reading, as dvcflow.dvc.params
            data = parse_params(text, shown)
        else:
            data = (json.loads(text) if suffix == ".json" else _safe_yaml(text, load)) or {}
    except Exception as exc:  # DVC fails the whole status on a bad params file
        raise Unsupported(f"{shown}: cannot be parsed") from exc
    if not isinstance(data, dict):
        raise Unsupported(f"{shown}: not a mapping")
    return data


def _safe_yaml(text: str, load: Callable[[str], YamlDocument]) -> Any:
    """dvc.utils.serialize.parse_yaml: ruamel's safe loader, YAML 1.2.

    load_yaml's data is that (its tests compare the two) where it reads the file, usually
    already parsed for a view; ruamel itself reads what load_yaml refuses and DVC may not
    (merge-conflict markers, alias bombs)."""
    try:
        return load(text).data
    except YamlError:
        pass
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(text)
