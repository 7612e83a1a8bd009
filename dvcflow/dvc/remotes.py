"""DVC remotes: which one an output goes to, and which objects it holds.

Two layers:

- Without importing DVC: the remote names and URLs of a project, read from the same files
  DVC merges (system, global, `.dvc/config`, `.dvc/config.local`, in that order), and a
  record of objects already seen on each remote (`known_present`). A push whose objects are
  all known to be on their remote never imports DVC and never touches the network.
- With DVC (imported only to ask a remote): DVC's own config loader, filesystem classes and
  object databases (`dvc.fs.get_cloud_fs`, `dvc_data.hashfile.db.get_odb`), so every remote
  type DVC supports works with its own credentials and options. The query runs under a
  timeout: a remote that does not answer is reported, never waited on forever.
"""

from __future__ import annotations

import configparser
import contextlib
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

LEGACY = "md5-dos2unix"  # dvc.lock / .dvc entries without `hash: md5` (DVC 2.x)
MODERN = "md5"
_URL_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][\w+.-]*://)(?P<user>[^/@:]*):[^/@]*@")


def redact(url: str) -> str:
    """A URL without the password of a `user:password@` part."""
    return _URL_USERINFO.sub(r"\g<scheme>\g<user>:***@", url)


# -- the config files, as DVC merges them -----------------------------------------------------


def _system_dir() -> Path:
    env = os.environ.get("DVC_SYSTEM_CONFIG_DIR")
    if env:
        return Path(env)
    dirs = os.environ.get("XDG_CONFIG_DIRS", "").split(":")[0] or "/etc/xdg"
    return Path(dirs) / "dvc"


def _global_dir() -> Path:
    env = os.environ.get("DVC_GLOBAL_CONFIG_DIR")
    if env:
        return Path(env)
    home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(home) / "dvc"


def config_files(project_dir: Path) -> list[Path]:
    """The files DVC reads for a project, weakest first (DVC's Config.LEVELS)."""
    dvc_dir = project_dir / ".dvc"
    return [
        _system_dir() / "config",
        _global_dir() / "config",
        dvc_dir / "config",
        dvc_dir / "config.local",
    ]


def section_name(raw: str) -> str:
    """`'remote "storage"'` (configobj's quoting) -> `remote "storage"`."""
    name = raw.strip()
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "'\"":
        name = name[1:-1]
    return name


def parse_config(text: str) -> dict[str, dict[str, str]]:
    """A DVC config file's sections (configobj syntax, read with configparser)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    return {
        section_name(name): {k: _unquote(v) for k, v in parser[name].items()}
        for name in parser.sections()
    }


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


class RemoteConfig:
    default: str | None  # core.remote
    urls: dict[str, str]  # remote name -> URL (relative local paths resolved)

    __slots__ = ("default", "urls")

    def __init__(self, default: str | None, urls: dict[str, str]) -> None:
        self.default = default
        self.urls = urls


def read_remotes(project_dir: Path) -> RemoteConfig:
    default: str | None = None
    urls: dict[str, str] = {}
    for path in config_files(project_dir):
        try:
            sections = parse_config(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        default = sections.get("core", {}).get("remote", default)
        for name, values in sections.items():
            if name.startswith('remote "') and name.endswith('"') and "url" in values:
                urls[name[8:-1]] = _resolve_url(path.parent, values["url"])
    return RemoteConfig(default or None, urls)


def defines_remote(text: str, name: str) -> bool:
    """Whether a config file's text defines remote `name` (a `['remote "name"']` section)."""
    return f'remote "{name}"' in parse_config(text)


def defined_outside_repo_config(project_dir: Path, name: str) -> bool:
    """Whether system, global or `config.local` defines remote `name`: DVC reads those from
    the work tree for every revision, the committed `.dvc/config` from each revision."""
    repo_config = project_dir / ".dvc" / "config"
    for path in config_files(project_dir):
        if path == repo_config:
            continue
        try:
            if defines_remote(path.read_text(encoding="utf-8"), name):
                return True
        except (OSError, UnicodeDecodeError):
            continue
    return False


def _resolve_url(folder: Path, url: str) -> str:
    if re.match(r"\w+://", url) or os.path.isabs(url):
        return url
    expanded = os.path.expanduser(url)
    if os.path.isabs(expanded):
        return expanded
    return os.path.abspath(os.path.join(folder, url))


# -- what is known to be on a remote (kept between runs) --------------------------------------


class KnownPresent:
    """Objects seen on one remote, one `KIND OID` line each, in the Git directory.

    DVC never deletes from a remote except by `dvc gc --cloud`; after one, delete the folder
    `.git/dvcflow/remote-objects` (or the remote's file in it).
    """

    def __init__(self, folder: Path, name: str, url: str) -> None:
        key = hashlib.sha256(f"{name}\0{url}".encode()).hexdigest()[:20]
        self.path = folder / f"{key}.txt"
        self._known: set[tuple[str, str]] | None = None

    @property
    def known(self) -> set[tuple[str, str]]:
        if self._known is None:
            found: set[tuple[str, str]] = set()
            with contextlib.suppress(OSError, UnicodeDecodeError):
                for line in self.path.read_text(encoding="ascii").splitlines():
                    kind, _, oid = line.partition(" ")
                    if oid:
                        found.add((kind, oid))
            self._known = found
        return self._known

    def add(self, objects: Iterable[tuple[str, str]]) -> None:
        new = sorted(set(objects) - self.known)
        if not new:
            return
        self.known.update(new)
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="ascii") as handle:
                handle.write("".join(f"{kind} {oid}\n" for kind, oid in new))


# -- asking the remote, with DVC ---------------------------------------------------------------


class RemoteUnavailable(Exception):
    """The remote could not be asked: not configured, unreachable, refused, too slow."""


class RemoteStore:
    """One remote, opened with DVC's own machinery, and the project's local cache."""

    def __init__(
        self,
        name: str,
        fs: Any,
        odbs: dict[str, Any],
        cache_dirs: dict[str, Path],
    ) -> None:
        self.name = name
        self.fs = fs
        self.odbs = odbs  # kind -> HashFileDB on the remote
        self.cache_dirs = cache_dirs  # kind -> local cache folder of that kind

    def present(self, wanted: set[tuple[str, str]]) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for kind in (MODERN, LEGACY):
            oids = sorted(oid for k, oid in wanted if k == kind)
            if oids:
                found.update((kind, oid) for oid in self._exist(self.odbs[kind], oids))
        return found

    def _exist(self, odb: Any, oids: list[str]) -> Iterable[str]:
        if self.fs.protocol == "local":  # a file test each (LocalHashFileDB re-hashes them)
            return list(odb.list_oids_exists(oids))
        return list(odb.oids_exist(oids, jobs=_jobs()))

    def local_path(self, kind: str, oid: str) -> Path:
        return self.cache_dirs[kind] / oid[:2] / oid[2:]

    def in_local_cache(self, kind: str, oid: str) -> bool:
        return self.local_path(kind, oid).is_file()

    def manifest(self, kind: str, oid: str) -> list[tuple[str, str]] | None:
        """A directory's entries (relpath, oid) from its `.dir` file in the local cache."""
        try:
            data = json.loads(self.local_path(kind, oid).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, list):
            return None
        return [
            (str(item["relpath"]), str(item["md5"]))
            for item in data
            if isinstance(item, dict) and "relpath" in item and "md5" in item
        ]


def _jobs() -> int:
    return 4 * (os.cpu_count() or 1)


def open_remote(project_dir: Path, name: str) -> RemoteStore:
    """The remote as DVC would push to it (DVC's config, all levels, validated)."""
    try:
        from dvc.config import Config  # type: ignore[import-untyped]
        from dvc.fs import get_cloud_fs  # type: ignore[import-untyped]
        from dvc_data.hashfile.db import get_odb
    except ImportError as exc:
        raise RemoteUnavailable(
            f"DVC is not installed here ({exc.name}); pip install dvc (and the remote's plugin)"
        ) from exc
    try:
        config = Config(dvc_dir=str(project_dir / ".dvc"))
        cls, conf, fs_path = get_cloud_fs(config, name=name)
        if conf.get("worktree") or conf.get("version_aware"):
            raise RemoteUnavailable("a cloud-versioned remote (objects are not kept by hash)")
        fs = cls(**conf)
    except RemoteUnavailable:
        raise
    except Exception as exc:  # DVC's config errors, a missing plugin (dvc-s3, ...)
        raise RemoteUnavailable(_one_line(exc)) from exc
    odbs = {
        MODERN: _odb(get_odb, fs, fs.join(fs_path, "files", "md5"), MODERN, conf),
        LEGACY: _odb(get_odb, fs, fs_path, LEGACY, conf),
    }
    _probe(fs, fs_path)
    cache = Path(config["cache"].get("dir") or (project_dir / ".dvc" / "cache"))
    return RemoteStore(name, fs, odbs, {MODERN: cache / "files" / "md5", LEGACY: cache})


def _probe(fs: Any, path: str) -> None:
    """Ask for the remote's root once: fsspec's `exists` answers False on any error (a refused
    connection, bad credentials), which would read as "not pushed"; `info` raises them."""
    try:
        fs.info(path)
    except FileNotFoundError as exc:  # a remote nothing was pushed to yet, or (HTTP) offline
        cause = _connection_error(exc)
        if cause is not None:
            raise RemoteUnavailable(_one_line(cause)) from exc
    except Exception as exc:
        raise RemoteUnavailable(_one_line(exc)) from exc


def _connection_error(exc: BaseException) -> BaseException | None:
    """The network error behind a FileNotFoundError (DVC's HTTP filesystem raises one for a
    name that does not resolve), or None for a path that truly is not there."""
    seen: set[int] = set()
    current: BaseException | None = exc.__cause__ or exc.__context__
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and not isinstance(current, FileNotFoundError):
            return current
        current = current.__cause__ or current.__context__
    return None


def _odb(get_odb: Any, fs: Any, path: str, hash_name: str, conf: dict[str, Any]) -> Any:
    return get_odb(fs, path, hash_name=hash_name, **conf)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact(text)[:300]


def with_timeout(seconds: float, what: str, call: Any, *args: Any) -> Any:
    """`call(*args)` in a daemon thread; RemoteUnavailable if it raises or outlives `seconds`.

    A thread, not a signal: it works off the main thread and on every platform, and a
    connection stuck in DVC's filesystem layer is left behind when the run ends.
    """
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = call(*args)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target, name=f"dvcflow-{what}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise RemoteUnavailable(f"no answer within {seconds:g} s while {what}")
    if "error" in result:
        error = result["error"]
        if isinstance(error, RemoteUnavailable):
            raise error
        raise RemoteUnavailable(_one_line(error)) from error
    return result.get("value")


def batches(items: list[tuple[str, str]], size: int = 10_000) -> Iterator[set[tuple[str, str]]]:
    for start in range(0, len(items), size):
        yield set(items[start : start + size])
