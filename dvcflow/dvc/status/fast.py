"""`dvc status` for one DVC project without importing DVC: the fast path of rules DVF201-DVF203.

It recomputes what DVC's `Stage.status()` computes (dvc/stage/__init__.py, dvc/output.py,
dvc/dependency/param.py) for the common case, entry for entry, in DVC's own result format
(`{"train": [{"changed deps": {"params.yaml": {"train.lr": "modified"}}}]}`):

- a dep or out is `deleted` when absent, `modified` when its md5 differs from the lock entry
  (raw md5 for `hash: md5`, legacy dos2unix md5 without it, the `.dir` manifest hash for a
  folder, `.dvcignore` respected), `not in cache` when a cached out's objects are missing;
- params are read like DVC (`YAML(typ="safe")`, JSON) and looked up like `dpath.get`;
- `changed command` when dvc.lock records another cmd; `always changed` for `always_changed`
  stages and stages with a cmd but no deps and no outs.

File hashes come from DVC's own state database (its hash cache keyed by inode, mtime and size,
in DVC's site cache folder), opened read-only and immutable, so nothing is written; files it
does not know are hashed here. Anything this module does not fully understand raises
`Unsupported` and the caller asks DVC itself: imports and remote or external paths, unusual
lock or `.dvc` fields, symlinks, `.dvcignore` negations, TOML and Python params files, a cache
object DVC would re-verify, DVC config it does not model (remote caches, `parsing`, hardlink
locks). tests/test_rules_stale.py checks it against `dvc status` on generated repositories.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvcflow.dvc.dvcfiles import is_dvc_file
from dvcflow.dvc.hashing import DIR_SUFFIX, HashName, collect_folder, dir_md5, md5_of_chunks
from dvcflow.dvc.params import AmbiguousParamKey, has_empty_key, lookup
from dvcflow.dvc.pipeline import ParamDecl, PathDecl, Pipeline, Stage
from dvcflow.dvc.projects import DvcProject
from dvcflow.dvc.yamlio import YamlError, load_yaml
from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot, normalize

if TYPE_CHECKING:
    import configparser
    import sqlite3

    from dvcflow.git.blobcache import BlobCache

StatusEntry = str | dict[str, Any]
RawStatus = dict[str, list[StatusEntry]]  # DVC's `Repo.status()` result, by stage address

CACHE_MODE = 0o444  # dvc_data LocalHashFileDB.CACHE_MODE: a verified, protected object
_HAS_INODES = os.name != "nt"
STATE_HASH_VERSION = 1  # dvc_data.hashfile.state.State.HASH_VERSION
SQLITE_MAX_VARIABLES = 999
CHUNK = 2**20
_GLOB_CHARS = frozenset("*?[]")
_LOCK_ENTRY_KEYS = frozenset({"path", "md5", "hash", "size", "nfiles", "isexec"})
_OUT_FLAGS = frozenset(
    {
        "cache",
        "persist",
        "desc",
        "type",
        "labels",
        "meta",
        "remote",
        "push",
        "template",
        "x",
        "y",
        "x_label",
        "y_label",
        "title",
        "header",
    }
)
_DVC_FILE_KEYS = frozenset({"outs", "desc", "meta", "frozen"})
_DVC_FILE_OUT_KEYS = _LOCK_ENTRY_KEYS | _OUT_FLAGS
_CACHE_KEYS = frozenset({"dir", "type", "protected", "slow_link_warning"})
_YAML_SUFFIXES = frozenset({".yaml", ".yml"})


class Unsupported(Exception):
    """Something the fast path does not model; DVC itself must answer."""


# --------------------------------------------------------------------------- DVC config


@dataclass(frozen=True)
class DvcSettings:
    """The few DVC config values the fast path depends on, merged like DVC's config levels."""

    project_dir: str  # absolute, real path of the project root
    cache_dir: str  # absolute
    site_cache_dir: str | None
    hardlink_lock: bool = False


def _config_dirs() -> tuple[str, str]:
    """platformdirs' site and user config folders for DVC (dvc.dirs), with or without it."""
    try:
        import platformdirs
    except ImportError:  # installed with dvc; its Linux and macOS answers, without it
        home = os.path.expanduser("~")
        if sys.platform == "darwin":
            return (
                "/Library/Application Support/dvc",
                os.path.join(home, "Library", "Application Support", "dvc"),
            )
        if sys.platform.startswith("win"):
            raise Unsupported("DVC's config folders are unknown without platformdirs") from None
        xdg_dirs = os.getenv("XDG_CONFIG_DIRS", "").split(os.pathsep)[0] or "/etc/xdg"
        xdg_home = os.getenv("XDG_CONFIG_HOME", "").strip() or os.path.join(home, ".config")
        return os.path.join(xdg_dirs, "dvc"), os.path.join(xdg_home, "dvc")
    return (
        platformdirs.site_config_dir("dvc", "iterative"),
        platformdirs.user_config_dir("dvc", "iterative"),
    )


def _config_files(dvc_dir: str) -> list[str]:
    """DVC's config levels, lowest priority first: system, global, repo, local."""
    site, user_dir = _config_dirs()
    system = os.getenv("DVC_SYSTEM_CONFIG_DIR") or site
    user = os.getenv("DVC_GLOBAL_CONFIG_DIR") or user_dir
    return [
        os.path.join(system, "config"),
        os.path.join(user, "config"),
        os.path.join(dvc_dir, "config"),
        os.path.join(dvc_dir, "config.local"),
    ]


def read_settings(project_dir: str) -> DvcSettings:
    """Merge the config levels; raise Unsupported for settings the fast path does not model."""
    dvc_dir = os.path.join(project_dir, ".dvc")
    cache_dir = os.path.join(dvc_dir, "cache")
    site_cache_dir: str | None = None
    hardlink_lock = False
    for level, path in enumerate(_config_files(dvc_dir)):
        parser = _parse_config(path)
        if parser is None:
            continue
        # dvcflow.dvc.projects reads [parsing] from the repo and local levels only.
        if (parser.has_section("parsing") and level < 2) or parser.has_section("feature"):
            raise Unsupported(f"{path}: [parsing]/[feature] settings")
        if parser.has_section("cache"):
            extra = set(parser.options("cache")) - _CACHE_KEYS
            if extra:
                raise Unsupported(f"{path}: cache.{sorted(extra)[0]}")
            if parser.has_option("cache", "dir"):
                value = parser.get("cache", "dir")
                cache_dir = os.path.normpath(os.path.join(os.path.dirname(path), value))
        if parser.has_option("core", "site_cache_dir"):
            site_cache_dir = parser.get("core", "site_cache_dir")
        if parser.has_option("core", "hardlink_lock"):
            hardlink_lock = parser.get("core", "hardlink_lock").strip().lower() in ("true", "1")
    site_cache_dir = os.getenv("DVC_SITE_CACHE_DIR") or site_cache_dir
    return DvcSettings(project_dir, cache_dir, site_cache_dir, hardlink_lock)


def _parse_config(path: str) -> configparser.RawConfigParser | None:
    import configparser

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise Unsupported(f"{path}: {exc}") from exc
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        raise Unsupported(f"{path}: {exc}") from exc
    return parser


def default_site_cache_dir() -> str | None:
    """dvc.dirs.site_cache_dir() without DVC: `/var/tmp/dvc` on Linux, platformdirs elsewhere."""
    android = hasattr(sys, "getandroidapilevel") or os.getenv("ANDROID_DATA") == "/data"
    if sys.platform.startswith("linux") and not android:
        return "/var/tmp/dvc"  # platformdirs' Unix class, without importing it
    try:
        import platformdirs
        from platformdirs import PlatformDirs
        from platformdirs.unix import Unix
    except ImportError:
        return "/var/tmp/dvc" if sys.platform.startswith("linux") else None
    if issubclass(Unix, PlatformDirs):
        return "/var/tmp/dvc"
    return str(platformdirs.site_cache_dir("dvc", "iterative", opinion=True))


# --------------------------------------------------------------------------- DVC's state database


class StateDb:
    """DVC's hash cache (dvc_data.hashfile.state.State), read without taking locks or writing.

    The database is `<site_cache_dir>/repo/<token>/hashes/local/cache.db`, the token being the
    md5 of `(root_dir, None, btime, user, dvc major version, 0)` as `Repo.site_cache_dir`
    computes it. An entry is used only if its checksum (of inode, mtime and size) matches the
    file as it is now, exactly as DVC uses it.
    """

    def __init__(self, path: str | None) -> None:
        import sqlite3
        import urllib.parse

        self._connection: sqlite3.Connection | None = None
        if path and os.path.isfile(path):
            uri = f"file:{urllib.parse.quote(path)}?mode=ro&immutable=1"
            try:
                self._connection = sqlite3.connect(uri, uri=True)
            except sqlite3.Error:
                self._connection = None

    @classmethod
    def for_project(cls, settings: DvcSettings) -> StateDb:
        return cls(_state_path(settings))

    def lookup(self, paths: Iterable[str]) -> dict[str, str]:
        """Raw JSON entries for these absolute paths (missing ones are left out)."""
        import sqlite3

        found: dict[str, str] = {}
        if self._connection is None:
            return found
        keys = list(paths)
        try:
            if len(keys) > SQLITE_MAX_VARIABLES and 3 * len(keys) >= self._entries():
                rows = self._scan(set(keys))  # a third of the table: one pass beats probes
            else:
                rows = self._probe(keys)
            for key, value in rows:
                if isinstance(key, str) and isinstance(value, str):
                    found[key] = value
        except sqlite3.Error:
            return {}
        return found

    def _probe(self, keys: list[str]) -> Iterator[tuple[object, object]]:
        assert self._connection is not None
        for start in range(0, len(keys), SQLITE_MAX_VARIABLES):
            chunk = keys[start : start + SQLITE_MAX_VARIABLES]
            marks = ", ".join("?" * len(chunk))
            query = f"SELECT key, value FROM Cache WHERE key IN ({marks}) AND raw = 1"
            yield from self._connection.execute(query, chunk)

    def _scan(self, wanted: set[str]) -> Iterator[tuple[object, object]]:
        assert self._connection is not None
        for key, value in self._connection.execute("SELECT key, value FROM Cache WHERE raw = 1"):
            if key in wanted:
                yield key, value

    def _entries(self) -> int:
        """The row count diskcache keeps in its Settings table (no count(*) scan)."""
        assert self._connection is not None
        row = self._connection.execute("SELECT value FROM Settings WHERE key = 'count'").fetchone()
        return row[0] if row is not None and isinstance(row[0], int) else 1 << 62

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _state_path(settings: DvcSettings) -> str | None:
    import getpass

    from dvcflow.requirements.dists import installed_version

    btime_file = os.path.join(settings.project_dir, ".dvc", "tmp", "btime")
    version = installed_version("dvc")
    if version is None:
        return None
    try:
        btime = os.path.getmtime(btime_file)
        major = int(version.split(".")[0])
        user = getpass.getuser()
    except (OSError, ValueError, KeyError):
        return None
    base = settings.site_cache_dir or default_site_cache_dir()
    if base is None:
        return None
    token = hashlib.md5(
        str((settings.project_dir, None, btime, user, major, 0)).encode(), usedforsecurity=False
    ).hexdigest()
    return os.path.join(base, "repo", token, "hashes", "local", "cache.db")


def state_checksum(st: os.stat_result) -> str:
    """dvc_data.hashfile.state._checksum: fsspec's tokenize of [inode, mtime, size]."""
    text = f"([{st.st_ino}, {st.st_mtime!r}, {st.st_size}],)"  # str() of that tuple, faster
    return str(int(hashlib.md5(text.encode(), usedforsecurity=False).hexdigest(), 16))


def decode_entries(raw: dict[str, str]) -> dict[str, object]:
    """State entries' JSON decoded in one pass (one parse of 10,000 entries, not 10,000)."""
    keys = list(raw)
    try:
        values = json.loads("[" + ",".join(raw[k] for k in keys) + "]")
    except (ValueError, RecursionError):
        values = None
    if not isinstance(values, list) or len(values) != len(keys):  # a broken entry (or one
        # that is two values, or none): decode one by one, skipping what does not parse
        return {k: entry for k in keys if (entry := _decode(raw[k])) is not None}
    return dict(zip(keys, values, strict=True))


def _decode(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def state_hash(entry: object, st: os.stat_result) -> tuple[str, str] | None:
    """(hash name, value) of a decoded state entry if it is valid for the file's current stat."""
    if not isinstance(entry, dict) or entry.get("checksum") != state_checksum(st):
        return None
    version = entry.get("version")
    if version is not None and (not isinstance(version, int) or version > STATE_HASH_VERSION):
        return None
    info = entry.get("hash_info")
    if not isinstance(info, dict) or len(info) != 1:
        return None
    ((name, value),) = info.items()
    if version is None and name == "md5":
        name = "md5-dos2unix"
    return (str(name), str(value)) if isinstance(value, str) else None


# --------------------------------------------------------------------------- the workspace


@dataclass(frozen=True)
class FileNode:
    path: str  # absolute
    st: os.stat_result


@dataclass(frozen=True)
class DirNode:
    path: str  # absolute
    files: tuple[tuple[str, FileNode], ...]  # (relpath inside the folder, file)


Node = FileNode | DirNode | None  # None: absent


@dataclass
class Workspace:
    """Files as DVC's local filesystem sees them, stat'ed once, hashed at most once."""

    root: str  # absolute real path of the Git work tree
    project: DvcProject
    nested_roots: tuple[str, ...]
    settings: DvcSettings
    state: StateDb
    _nodes: dict[str, Node] = field(default_factory=dict)
    _hashes: dict[tuple[str, str], str] = field(default_factory=dict)
    _state: dict[str, object] = field(default_factory=dict)  # decoded state entries
    _pending: set[str] = field(default_factory=set)
    _params: dict[str, dict[str, Any]] = field(default_factory=dict)
    _cache_bases: dict[str, str] = field(default_factory=dict)  # hash name -> objects' folder
    memo: BlobCache | None = None  # folder hashes from earlier runs (see _folder_md5)

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
        listing = collect_folder(stats, repo_path, self.project, self.nested_roots)
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
            self._params[path] = _read_params(path, shown)
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


# --------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class EntryPlan:
    """One dep or out to judge: where it is, how DVC prints it, what the lock recorded."""

    repo_path: str
    shown: str  # str(dep) as DVC prints it with the project root as cwd
    md5: str | None
    name: HashName
    use_cache: bool = False


@dataclass(frozen=True)
class ParamsPlan:
    repo_path: str
    shown: str
    keys: tuple[str, ...] | None
    locked: dict[str, Any] | None  # None: no lock values for this file (status "new")


@dataclass(frozen=True)
class StagePlan:
    address: str
    deps: tuple[EntryPlan, ...]
    params: tuple[ParamsPlan, ...]
    outs: tuple[EntryPlan, ...]
    frozen: bool = False
    always_changed: bool = False
    command_changed: bool = False


def _shown(project: DvcProject, repo_path: str) -> str:
    return posixpath.relpath(repo_path, project.root) if project.root else repo_path


def _check_path(project: DvcProject, path: str, repo_path: str) -> None:
    if "://" in path or path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":"):
        raise Unsupported(f"{path} is not a local path in the repository")
    if repo_path == ".." or repo_path.startswith("../") or not project.contains(repo_path):
        raise Unsupported(f"{path} is outside the DVC project")
    base = posixpath.basename(repo_path)
    if base in ("dvc.yaml", "dvc.lock", "Dvcfile") or is_dvc_file(repo_path):
        raise Unsupported(f"{path} is a DVC file")
    if project.is_ignored(repo_path):
        raise Unsupported(f"{path} is .dvcignored")


def _lock_hash(raw: dict[str, Any] | None) -> tuple[str | None, HashName]:
    """The md5 and algorithm of a lock or `.dvc` entry (raw md5 or legacy dos2unix)."""
    if raw is None:
        return None, "md5"
    extra = set(raw) - _LOCK_ENTRY_KEYS - _OUT_FLAGS
    if extra:
        raise Unsupported(f"lock entry field {sorted(extra)[0]}")
    hash_ = raw.get("hash")
    if hash_ not in (None, "md5"):
        raise Unsupported(f"hash {hash_}")
    md5 = raw.get("md5")
    if md5 is not None and not isinstance(md5, str):
        raise Unsupported("md5 is not a string")
    return md5 or None, "md5" if hash_ == "md5" else "md5-dos2unix"


def _entry_plan(
    project: DvcProject, decl: PathDecl, locked: dict[str, dict[str, Any]], use_cache: bool
) -> EntryPlan:
    _check_path(project, decl.path, decl.repo_path)
    md5, name = _lock_hash(locked.get(decl.path))
    return EntryPlan(decl.repo_path, _shown(project, decl.repo_path), md5, name, use_cache)


def _out_cache_flag(decl: PathDecl) -> bool:
    flags = dict(decl.flags)
    extra = set(flags) - _OUT_FLAGS
    if extra:
        raise Unsupported(f"output flag {sorted(extra)[0]}")
    cache = flags.get("cache", True)
    return cache is not False


def _params_plan(project: DvcProject, decl: ParamDecl, lock: Any) -> ParamsPlan:
    _check_path(project, decl.file, decl.repo_path)
    suffix = posixpath.splitext(decl.repo_path)[1].lower()
    if suffix in (".toml", ".py"):
        raise Unsupported(f"{decl.file}: {suffix} params are left to DVC")
    for key in decl.keys or ():
        if not key or _GLOB_CHARS & set(key) or ".." in key:
            raise Unsupported(f"param key {key!r}")
    locked = lock.params.get(decl.file) if lock is not None else None
    return ParamsPlan(
        decl.repo_path,
        _shown(project, decl.repo_path),
        decl.keys,
        dict(locked) if isinstance(locked, dict) else None,
    )


def stage_plan(project: DvcProject, stage: Stage) -> StagePlan:
    """What DVC's PipelineStage compares for this stage, from dvc.yaml and dvc.lock."""
    lock = stage.pipeline.lock.stages.get(stage.name) if stage.pipeline.lock else None
    dep_entries = {e.path: e.raw for e in lock.deps} if lock else {}
    out_entries = {e.path: e.raw for e in lock.outs} if lock else {}
    for decl in stage.deps:
        if decl.flags:
            raise Unsupported(f"dep {decl.path} has fields")
    deps = tuple(_entry_plan(project, d, dep_entries, False) for d in stage.deps)
    outs = tuple(_entry_plan(project, o, out_entries, _out_cache_flag(o)) for o in stage.outs)
    params = tuple(_params_plan(project, p, lock) for p in stage.params)
    has_cmd = bool(stage.cmd)
    callback = has_cmd and not (stage.deps or stage.params or stage.outs)
    return StagePlan(
        address=stage.address,
        deps=deps,
        params=params,
        outs=outs,
        frozen=stage.frozen,
        always_changed=stage.always_changed or callback,
        command_changed=bool(lock is not None and _lock_has_data(lock) and lock.cmd != stage.cmd),
    )


def _lock_has_data(lock: Any) -> bool:
    """`if lock_data:` in DVC's loader: an empty lock entry sets nothing."""
    return bool(lock.cmd is not None or lock.deps or lock.outs or lock.params)


def dvc_file_plan(project: DvcProject, snapshot: Snapshot, path: str) -> StagePlan:
    """A `.dvc` file written by `dvc add`: its outputs against the recorded md5."""
    try:
        data = load_yaml(snapshot.read_text(path)).data
    except (YamlError, DvcflowError, FileNotFoundError) as exc:
        raise Unsupported(f"{path}: unreadable") from exc
    if not isinstance(data, dict) or set(data) - _DVC_FILE_KEYS:
        raise Unsupported(f"{path}: not a plain `dvc add` file")
    outs = data.get("outs") or []
    if not isinstance(outs, list):
        raise Unsupported(f"{path}: outs is not a list")
    folder = posixpath.dirname(path)
    plans: list[EntryPlan] = []
    for raw in outs:
        if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
            raise Unsupported(f"{path}: unusual output")
        if set(raw) - _DVC_FILE_OUT_KEYS:
            raise Unsupported(f"{path}: output field {sorted(set(raw) - _DVC_FILE_OUT_KEYS)[0]}")
        repo_path = normalize(posixpath.join(folder, raw["path"]))
        _check_path(project, raw["path"], repo_path)
        md5, name = _lock_hash(raw)
        plans.append(
            EntryPlan(
                repo_path,
                _shown(project, repo_path),
                md5,
                name,
                raw.get("cache", True) is not False,
            )
        )
    return StagePlan(address=_shown(project, path), deps=(), params=(), outs=tuple(plans))


# --------------------------------------------------------------------------- judging


def _dep_status(ws: Workspace, entry: EntryPlan) -> str | None:
    node = ws.node(entry.repo_path)
    if node is None:
        return "deleted"
    actual = ws.md5(node, entry.name)
    return None if entry.md5 is not None and actual == entry.md5 else "modified"


def _out_status(ws: Workspace, entry: EntryPlan) -> str | None:
    if entry.md5 is not None and entry.use_cache and not ws.in_cache(entry.md5, entry.name):
        return "not in cache"
    return _dep_status(ws, entry)


def _params_status(ws: Workspace, plan: ParamsPlan) -> str | dict[str, str] | None:
    node = ws.node(plan.repo_path)
    if node is None:
        return "deleted"
    if isinstance(node, DirNode):
        raise Unsupported(f"{plan.shown} is a folder")
    if plan.locked is None:
        return "new"
    config = ws.params(node.path, plan.repo_path)
    if plan.keys is None:
        actual = config
        info = plan.locked
        keys = list(dict.fromkeys([*actual, *info]))
    else:
        actual = _tracked_values(config, plan.keys)
        info = {k: plan.locked[k] for k in plan.keys if k in plan.locked}
        keys = list(dict.fromkeys(plan.keys))
    changes: dict[str, str] = {}
    for key in keys:
        if key not in actual:
            changes[key] = "deleted"
        elif key not in info:
            changes[key] = "new"
        elif actual[key] != info[key]:
            changes[key] = "modified"
    return changes or None


def _read_params(path: str, shown: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise Unsupported(f"{shown}: {exc}") from exc
    suffix = posixpath.splitext(shown)[1].lower()
    try:
        data = (json.loads(text) if suffix == ".json" else _safe_yaml(text)) or {}
    except Exception as exc:  # DVC fails the whole status on a bad params file
        raise Unsupported(f"{shown}: cannot be parsed") from exc
    if not isinstance(data, dict):
        raise Unsupported(f"{shown}: not a mapping")
    return data


def _safe_yaml(text: str) -> Any:
    """dvc.utils.serialize.parse_yaml: ruamel's safe loader, YAML 1.2."""
    from ruamel.yaml import YAML

    return YAML(typ="safe").load(text)


def _tracked_values(config: Any, keys: Iterable[str]) -> dict[str, Any]:
    """`read_param_file(..., flatten=True)`: the keys DVC finds, by `params.lookup`."""
    if has_empty_key(config):
        raise Unsupported("a params file has an empty key (dpath refuses it)")
    actual: dict[str, Any] = {}
    for key in keys:
        try:
            actual[key] = lookup(config, key)
        except AmbiguousParamKey as exc:
            raise Unsupported(f"param key {key!r} is ambiguous") from exc
        except KeyError:
            continue
    return actual


def plan_status(ws: Workspace, plan: StagePlan) -> RawStatus:
    """`Stage.status()` for one planned stage, in DVC's format."""
    result: list[StatusEntry] = []
    if not plan.frozen:
        deps: dict[str, Any] = {}
        for entry in plan.deps:
            if (dep := _dep_status(ws, entry)) is not None:
                deps[entry.shown] = dep
        for params in plan.params:
            if (param := _params_status(ws, params)) is not None:
                deps[params.shown] = param
        if deps:
            result.append({"changed deps": deps})
    outs: dict[str, Any] = {}
    for entry in plan.outs:
        if (out := _out_status(ws, entry)) is not None:
            outs[entry.shown] = out
    if outs:
        result.append({"changed outs": outs})
    if plan.always_changed:
        result.append("always changed")
    if plan.command_changed:
        result.append("changed command")
    return {plan.address: result} if result else {}


def _touch_nodes(ws: Workspace, plan: StagePlan) -> None:
    """Stat and walk every path of a stage up front, so state entries load in one batch."""
    entries = [*plan.outs] if plan.frozen else [*plan.deps, *plan.outs]
    for entry in entries:
        ws.node(entry.repo_path)
    if not plan.frozen:
        for params in plan.params:
            ws.node(params.repo_path)


def _has_negation(project: DvcProject, snapshot: Snapshot) -> bool:
    for folder in project.ignore_files:
        path = posixpath.join(folder, ".dvcignore") if folder else ".dvcignore"
        try:
            lines = snapshot.read_text(path).splitlines()
        except (DvcflowError, FileNotFoundError):
            return True
        if any(line.strip().startswith("!") for line in lines):
            return True
    return False


def project_status(
    root: Path,
    project: DvcProject,
    pipelines: list[Pipeline],
    dvc_files: list[str],
    snapshot: Snapshot,
    nested_roots: tuple[str, ...] = (),
    memo: BlobCache | None = None,
) -> RawStatus:
    """`Repo.status()` of one DVC project, computed here; Unsupported if DVC must answer.

    `memo` keeps folder hashes between runs, keyed by their files' stat signature.
    """
    real_root = os.path.realpath(root)
    settings = read_settings(os.path.join(real_root, project.root) if project.root else real_root)
    if _has_negation(project, snapshot):
        raise Unsupported(".dvcignore has negated patterns")
    if any(p.problems for p in pipelines):
        raise Unsupported("a dvc.yaml or dvc.lock DVC would refuse")
    if any(posixpath.basename(f) == "Dvcfile" for f in snapshot.files() if project.contains(f)):
        raise Unsupported("a legacy Dvcfile")
    plans = [stage_plan(project, s) for p in pipelines for s in p.stages]
    plans += [dvc_file_plan(project, snapshot, f) for f in dvc_files]
    ws = Workspace(real_root, project, nested_roots, settings, StateDb.for_project(settings))
    ws.memo = memo
    try:
        for plan in plans:
            _touch_nodes(ws, plan)
        ws.prefetch()
        status: RawStatus = {}
        for plan in plans:
            status.update(plan_status(ws, plan))
        return status
    finally:
        ws.state.close()
