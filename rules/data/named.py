"""The data objects a view of the repository names: dvc.lock outs and `.dvc` file outs.

What `dvc push` would upload for that view: cached outputs (`cache: true`, the default) that
are pushable (`push: true`, the default), of stages dvc.yaml defines and of `.dvc` files that
are not `dvc import`s from another Git repository (DVC never pushes those).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from typing import Any

from dvcflow.dvc.dvcfiles import is_dvc_file, load_dvc_file
from dvcflow.dvc.pipeline import Pipeline, load_pipeline
from dvcflow.dvc.projects import DvcProject, discover_projects, pipeline_files
from dvcflow.dvc.remotes import LEGACY, MODERN
from dvcflow.dvc.yamlio import YamlError, load_yaml
from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot


def _no_line() -> int:
    return 0


class NamedObject:
    """One output's object as a dvc.lock or `.dvc` file records it."""

    def __init__(
        self,
        project: str,
        source: str,
        out: str,
        target: str,
        stage: str | None,
        remote: str | None,
        kind: str,
        oid: str,
        where: Callable[[], int] = _no_line,
    ) -> None:
        self.project = project  # the DVC project's folder, repo-relative ("" for the root)
        self.source = source  # the dvc.lock or .dvc file, repo-relative
        self.out = out  # the output, repo-relative
        self.target = target  # the output as `dvc push` takes it, from the project's folder
        self.stage = stage  # the stage's address, for dvc.lock outs
        self.remote = remote  # the out's `remote:`, if it names one
        self.kind = kind  # MODERN ("md5") or LEGACY ("md5-dos2unix", entries without `hash: md5`)
        self.oid = oid  # the md5; a directory's ends in ".dir"
        self.where = where

    @property
    def is_dir(self) -> bool:
        return self.oid.endswith(".dir")

    @property
    def line(self) -> int:
        return self.where()


def _kind(hash_name: str | None) -> str:
    return MODERN if hash_name == MODERN else LEGACY


Parsed = dict[tuple[str, ...], list[NamedObject]]


def objects_in(snapshot: Snapshot, parsed: Parsed | None = None) -> Iterator[NamedObject]:
    """Every pushable object the view's dvc.lock and `.dvc` files name.

    With `parsed` (a commit view, whose files have blob ids), a file already parsed for another
    commit (the same path and blob) is not read again.
    """
    projects = discover_projects(snapshot)
    parsed = {} if parsed is None else parsed
    blob = getattr(snapshot, "blob_sha", None)
    for project, path in pipeline_files(snapshot, projects):
        lock = posixpath.join(posixpath.dirname(path), "dvc.lock")
        key: tuple[str, ...] = (path, str(blob(path)), str(blob(lock))) if blob else ()
        if not key or key not in parsed:
            found = list(pipeline_objects(load_pipeline(snapshot, project, path)))
            if not key:
                yield from found
                continue
            parsed[key] = found
        yield from parsed[key]
    paths = [p for p in snapshot.files() if is_dvc_file(p)]
    fresh = [p for p in paths if not blob or (p, str(blob(p))) not in parsed]
    snapshot.prefetch(fresh)
    for path in paths:
        key = (path, str(blob(path))) if blob else ()  # (a tuple[str, ...] too)
        if key and key in parsed:
            yield from parsed[key]
            continue
        owner = projects.owner(path)
        found = []
        if owner is not None and not owner.is_ignored(path):
            found = list(dvc_file_objects(snapshot, owner, path))
        if key:
            parsed[key] = found
        yield from found


def pipeline_objects(pipeline: Pipeline) -> Iterator[NamedObject]:
    lock = pipeline.lock
    if lock is None:
        return
    project = pipeline.project
    for stage in pipeline.stages:
        locked = lock.stages.get(stage.name)
        if locked is None:
            continue
        declared = {decl.repo_path: decl for decl in stage.outs}
        for entry in locked.outs:
            out = stage.resolve_path(entry.path)
            decl = declared.get(out)
            if decl is None or not entry.md5 or "md5" not in entry.raw:
                continue  # not an out of the stage as defined, or not a local md5 (cloud etag)
            if not decl.flag("cache", True) or not decl.flag("push", True):
                continue
            remote = decl.flag("remote")
            yield NamedObject(
                project=project.root,
                source=lock.path,
                out=out,
                target=project.relative(out),
                stage=stage.address,
                remote=str(remote) if remote else None,
                kind=_kind(entry.hash),
                oid=entry.md5,
                where=entry.where,
            )


def _raw_outs(snapshot: Snapshot, path: str) -> tuple[dict[str, Any], list[Any]] | None:
    try:
        data = snapshot.parsed(path, load_yaml).data
    except (YamlError, DvcflowError, FileNotFoundError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("outs"), list):
        return None
    return data, data["outs"]


def _is_repo_import(data: dict[str, Any]) -> bool:
    deps = data.get("deps")
    return isinstance(deps, list) and any(isinstance(d, dict) and "repo" in d for d in deps)


def dvc_file_objects(snapshot: Snapshot, project: DvcProject, path: str) -> Iterator[NamedObject]:
    dvc_file = load_dvc_file(snapshot, path)
    raw = _raw_outs(snapshot, path)
    if dvc_file is None or raw is None or _is_repo_import(raw[0]):
        return
    flags = {str(o.get("path")): o for o in raw[1] if isinstance(o, dict)}
    for out in dvc_file.outs:
        entry = flags.get(out.path, {})
        if not out.md5 or "md5" not in entry:
            continue
        if not entry.get("cache", True) or not entry.get("push", True):
            continue
        remote = entry.get("remote")
        yield NamedObject(
            project=project.root,
            source=path,
            out=out.repo_path,
            target=project.relative(out.repo_path),
            stage=None,
            remote=str(remote) if remote else None,
            kind=_kind(out.hash),
            oid=out.md5,
            where=out.where,
        )
