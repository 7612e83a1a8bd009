"""What DVC compares for each stage and `.dvc` file, planned from dvc.yaml, dvc.lock and `.dvc`
files: every dep, params file and out with the hash the lock records."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from dvcflow.dvc.dvcfiles import is_dvc_file
from dvcflow.dvc.hashing import HashName
from dvcflow.dvc.pipeline import ParamDecl, PathDecl, Stage
from dvcflow.dvc.projects import DvcProject
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
_DVC_FILE_KEYS = frozenset({"outs", "desc", "meta", "frozen"})
_DVC_FILE_OUT_KEYS = _LOCK_ENTRY_KEYS | _OUT_FLAGS


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
