"""What DVC compares for each stage and `.dvc` file, planned from dvc.yaml, dvc.lock and `.dvc`
files: every dep, params file and out with the hash the lock records."""

from __future__ import annotations

import posixpath
from typing import Any

from dvcflow.dvc.dvcfiles import is_dvc_file
from dvcflow.dvc.hashing import HashName, dir_md5
from dvcflow.dvc.pipeline import ParamDecl, PathDecl, Stage
from dvcflow.dvc.projects import DvcProject
from dvcflow.dvc.status.ignore import DvcIgnore
from dvcflow.dvc.status.model import Unsupported
from dvcflow.dvc.yamlio import YamlError, load_yaml
from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot, normalize

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
_DVC_FILE_KEYS = frozenset({"outs", "deps", "md5", "desc", "meta", "frozen"})
_DVC_FILE_OUT_KEYS = _LOCK_ENTRY_KEYS | _OUT_FLAGS


class EntryPlan:
    """One dep or out to judge: where it is, how DVC prints it, what the lock recorded."""

    repo_path: str  # repo-relative; absolute for a file outside the Git work tree
    shown: str  # str(dep) as DVC prints it with the project root as cwd
    md5: str | None
    name: HashName
    use_cache: bool
    outside: bool  # outside the DVC project: no `.dvcignore`, files only

    __slots__ = ("md5", "name", "outside", "repo_path", "shown", "use_cache")

    def __init__(
        self,
        repo_path: str,
        shown: str,
        md5: str | None,
        name: HashName,
        use_cache: bool = False,
        outside: bool = False,
    ) -> None:
        self.repo_path = repo_path
        self.shown = shown
        self.md5 = md5
        self.name = name
        self.use_cache = use_cache
        self.outside = outside


class ParamsPlan:
    repo_path: str
    shown: str
    keys: tuple[str, ...] | None
    locked: dict[str, Any] | None  # None: no lock values for this file (status "new")

    __slots__ = ("keys", "locked", "repo_path", "shown")

    def __init__(
        self,
        repo_path: str,
        shown: str,
        keys: tuple[str, ...] | None,
        locked: dict[str, Any] | None,
    ) -> None:
        self.repo_path = repo_path
        self.shown = shown
        self.keys = keys
        self.locked = locked


class StagePlan:
    address: str
    deps: tuple[EntryPlan, ...]
    params: tuple[ParamsPlan, ...]
    outs: tuple[EntryPlan, ...]
    frozen: bool
    always_changed: bool
    command_changed: bool
    not_checked: str | None  # what needs the network and is left unchecked

    __slots__ = (
        "address",
        "always_changed",
        "command_changed",
        "deps",
        "frozen",
        "not_checked",
        "outs",
        "params",
    )

    def __init__(
        self,
        address: str,
        deps: tuple[EntryPlan, ...],
        params: tuple[ParamsPlan, ...],
        outs: tuple[EntryPlan, ...],
        frozen: bool = False,
        always_changed: bool = False,
        command_changed: bool = False,
        not_checked: str | None = None,
    ) -> None:
        self.address = address
        self.deps = deps
        self.params = params
        self.outs = outs
        self.frozen = frozen
        self.always_changed = always_changed
        self.command_changed = command_changed
        self.not_checked = not_checked


def is_url(path: str) -> bool:
    """A remote location (`https://`, `s3://`, `remote://`), not a local path."""
    head = path.split("://", 1)[0]
    return "://" in path and len(head) > 1 and head.replace("+", "").replace("-", "").isalnum()


class Planner:
    """Plans the stages and `.dvc` files of one DVC project."""

    def __init__(self, project: DvcProject, root: str, ignore: DvcIgnore) -> None:
        self.project = project
        self.root = root  # absolute real path of the Git work tree
        self.ignore = ignore

    def shown(self, repo_path: str) -> str:
        project = self.project
        return posixpath.relpath(repo_path, project.root) if project.root else repo_path

    def stage(self, stage: Stage) -> StagePlan:
        """What DVC's PipelineStage compares for this stage, from dvc.yaml and dvc.lock."""
        lock = stage.pipeline.lock.stages.get(stage.name) if stage.pipeline.lock else None
        dep_entries = {e.path: e.raw for e in lock.deps} if lock else {}
        out_entries = {e.path: e.raw for e in lock.outs} if lock else {}
        urls = [d.path for d in stage.deps if is_url(d.path)]
        deps: list[EntryPlan] = []
        for decl in stage.deps:
            if decl.flags:
                raise Unsupported(f"dep {decl.path} has fields")
            if not is_url(decl.path):
                deps.append(self._entry(decl.path, decl.repo_path, dep_entries, False, True))
        outs = tuple(
            self._entry(o.path, o.repo_path, out_entries, _out_cache_flag(o), False)
            for o in stage.outs
        )
        params = tuple(self._params(p, lock) for p in stage.params)
        callback = bool(stage.cmd) and not (stage.deps or stage.params or stage.outs)
        unchanged = lock is None or not _lock_has_data(lock) or lock.cmd == stage.cmd
        return StagePlan(
            address=stage.address,
            deps=tuple(deps),
            params=params,
            outs=outs,
            frozen=stage.frozen,
            always_changed=stage.always_changed or callback,
            command_changed=not unchanged,
            not_checked=_remote_deps(urls) if urls and not stage.frozen else None,
        )

    def _entry(
        self,
        path: str,
        repo_path: str,
        locked: dict[str, dict[str, Any]],
        use_cache: bool,
        is_dep: bool,
    ) -> EntryPlan:
        full, outside = self._check_path(path, repo_path, is_dep)
        md5, name = _lock_hash(locked.get(path))
        shown = self.shown(full) if not outside else _outside_shown(path, self.root, full)
        return EntryPlan(full, shown, md5, name, use_cache, outside)

    def _check_path(self, path: str, repo_path: str, is_dep: bool) -> tuple[str, bool]:
        """(path to look at, outside the project); Unsupported for what DVC must judge."""
        project = self.project
        if is_url(path) or path.startswith("\\") or (len(path) > 1 and path[1] == ":"):
            raise Unsupported(f"{path} is not a local path")
        absolute = posixpath.isabs(path)
        inside = not absolute and project.contains(repo_path) and not repo_path.startswith("..")
        if not inside:
            if not is_dep:
                raise Unsupported(f"{path} is an output outside the DVC project")
            full = posixpath.normpath(path) if absolute else repo_path
            if not absolute and (repo_path == ".." or repo_path.startswith("../")):
                full = posixpath.normpath(posixpath.join(self.root, repo_path))
            return full, True
        base = posixpath.basename(repo_path)
        if base in ("dvc.yaml", "dvc.lock", "Dvcfile") or is_dvc_file(repo_path):
            raise Unsupported(f"{path} is a DVC file")
        if not is_dep and self.ignore.is_ignored(repo_path):
            raise Unsupported(f"{path} is .dvcignored (DVC refuses such an output)")
        return repo_path, False

    def _params(self, decl: ParamDecl, lock: Any) -> ParamsPlan:
        full, outside = self._check_path(decl.file, decl.repo_path, True)
        if outside:
            raise Unsupported(f"params file {decl.file} is outside the DVC project")
        for key in decl.keys or ():
            if not key or _GLOB_CHARS & set(key) or ".." in key:
                raise Unsupported(f"param key {key!r}")
        locked = lock.params.get(decl.file) if lock is not None else None
        return ParamsPlan(
            full, self.shown(full), decl.keys, dict(locked) if isinstance(locked, dict) else None
        )

    def dvc_file(self, snapshot: Snapshot, path: str) -> StagePlan:
        """A `.dvc` file: `dvc add`'s outputs against the recorded md5, or an import's output.

        An import (`dvc import`, `dvc import-url`: one dep, one out, no cmd) is frozen: like
        dvcflow's hand-over, only its output is judged; its source is `dvc update`'s business.
        """
        data = _dvc_file_data(snapshot, path)
        deps = data.get("deps") or []
        outs = data.get("outs") or []
        if not isinstance(outs, list) or not isinstance(deps, list):
            raise Unsupported(f"{path}: outs or deps is not a list")
        if deps and (len(deps) != 1 or len(outs) != 1 or not isinstance(deps[0], dict)):
            raise Unsupported(f"{path}: deps without being an import")
        folder = posixpath.dirname(path)
        plans: list[EntryPlan] = []
        for raw in outs:
            if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
                raise Unsupported(f"{path}: unusual output")
            raw = _version_aware(raw, path)
            if set(raw) - _DVC_FILE_OUT_KEYS:
                extra = sorted(set(raw) - _DVC_FILE_OUT_KEYS)[0]
                raise Unsupported(f"{path}: output field {extra}")
            repo_path = normalize(posixpath.join(folder, raw["path"]))
            entry = self._entry(raw["path"], repo_path, {raw["path"]: raw}, True, False)
            cached = raw.get("cache", True) is not False
            plans.append(EntryPlan(entry.repo_path, entry.shown, entry.md5, entry.name, cached))
        return StagePlan(
            address=self.shown(path),
            deps=(),
            params=(),
            outs=tuple(plans),
            not_checked=_import_source(deps[0]) if deps else None,
        )


def _dvc_file_data(snapshot: Snapshot, path: str) -> dict[str, Any]:
    try:
        data = snapshot.parsed(path, load_yaml).data
    except (YamlError, DvcflowError, FileNotFoundError) as exc:
        raise Unsupported(f"{path}: unreadable") from exc
    if not isinstance(data, dict) or set(data) - _DVC_FILE_KEYS:
        raise Unsupported(f"{path}: not a `dvc add` or `dvc import` file")
    return data


def _import_source(dep: dict[str, Any]) -> str:
    repo = dep.get("repo")
    if isinstance(repo, dict):
        rev = repo.get("rev") or "its default branch"
        where = f"{repo.get('url')} ({dep.get('path')} at {rev})"
    else:
        where = str(dep.get("path"))
    return f"the import's source {where} is not checked for updates (`dvc update`)"


def _remote_deps(urls: list[str]) -> str:
    return f"remote deps are not checked (their ETag needs the network): {', '.join(urls)}"


def _outside_shown(path: str, root: str, full: str) -> str:
    """DVC's str(dep) for a path outside its project: as written if absolute, else absolute."""
    if posixpath.isabs(path):
        return path
    return full if posixpath.isabs(full) else posixpath.join(root, full)


def _version_aware(raw: dict[str, Any], path: str) -> dict[str, Any]:
    """A `.dvc` output pushed to a version-aware remote, as the status reads it: `cloud` (the
    remote's etags and version ids) takes no part, and a folder's `files` list stands for the
    `.dir` hash DVC computes from it (`Output._compute_meta_hash_info_from_files`: the md5 of
    Tree.as_bytes() of the listed relpaths and md5s, the same manifest as a cached folder's)."""
    if "cloud" not in raw and "files" not in raw:
        return raw
    cloud = raw.get("cloud")
    if isinstance(cloud, dict) and any(
        isinstance(meta, dict) and "md5" in meta for meta in cloud.values()
    ):  # merge_file_meta_from_cloud would take that md5 for the output's own
        raise Unsupported(f"{path}: an md5 under `cloud`")
    plain = {key: value for key, value in raw.items() if key not in ("cloud", "files")}
    files = raw.get("files")
    if not files:  # DVC computes nothing from an empty list either
        return plain
    if not isinstance(files, list) or not all(
        isinstance(item, dict)
        and isinstance(item.get("relpath"), str)
        and isinstance(item.get("md5"), str)
        for item in files
    ):
        raise Unsupported(f"{path}: a `files` entry without relpath and md5")
    plain["md5"] = dir_md5((item["relpath"], item["md5"]) for item in files)
    return plain


def _lock_hash(raw: dict[str, Any] | None) -> tuple[str | None, HashName]:
    """The md5 and algorithm of a lock or `.dvc` entry (raw md5 or legacy dos2unix)."""
    if raw is None:
        return None, "md5"
    raw = _version_aware(raw, "lock entry")
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


def _out_cache_flag(decl: PathDecl) -> bool:
    flags = dict(decl.flags)
    extra = set(flags) - _OUT_FLAGS
    if extra:
        raise Unsupported(f"output flag {sorted(extra)[0]}")
    cache = flags.get("cache", True)
    return cache is not False


def _lock_has_data(lock: Any) -> bool:
    """`if lock_data:` in DVC's loader: an empty lock entry sets nothing."""
    return bool(lock.cmd is not None or lock.deps or lock.outs or lock.params)
