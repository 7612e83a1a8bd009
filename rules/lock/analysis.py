"""DVF3 (commit consistency): the facts DVF301-DVF304 judge the staged dvc.lock by.

Everything is read from the staged view (the Git index): dvc.yaml, dvc.lock, params files,
`.dvc` files and Git-tracked dependencies. No DVC import, no cache, no data: this works in a
fresh CI clone. This module computes facts only, once per run (`analysis(ctx)`, kept on the
Context): the lock graph (who writes what), the scope of a commit, parsed params and their
positions, and the hashes of committed files and folders. Each rule module compares them with
dvc.lock as DVC does and owns its findings and fix.

Scope without `--all`: stages whose dvc.yaml, dvc.lock, vars or params files, deps, outs or
`.dvc` files the commit touches, and every stage downstream of those through the pipeline graph.
"""

from __future__ import annotations

import contextlib
import posixpath
from functools import cached_property
from typing import Any

from dvcflow.context import Context
from dvcflow.dvc.dvcfiles import DvcFile, DvcFileOut, is_dvc_file, load_dvc_file, load_dvc_files
from dvcflow.dvc.hashing import (
    DVCIGNORE,
    FileHasher,
    HashName,
    collect_folder,
    folder_md5,
    snapshot_file_md5,
)
from dvcflow.dvc.lock import LockStage
from dvcflow.dvc.params import ParamsError, lookup, read_params
from dvcflow.dvc.pipeline import PathDecl, Stage
from dvcflow.dvc.projects import DvcProject
from dvcflow.dvc.yamlio import YamlError, child, load_yaml, position
from dvcflow.errors import DvcflowError
from dvcflow.git.blobcache import BlobCache, blob_cache, staged_blob
from dvcflow.git.snapshot import Snapshot, is_within
from dvcflow.rules.reprofix import StageGraph, ancestors, graph, lock_path

__all__ = ["MISSING", "LockAnalysis", "analysis", "lock_entry", "lock_path", "params_equal"]


class _Missing:
    """A param absent on one side (distinct from a `null` value)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()
FolderState = tuple[tuple[str, ...], FileHasher, str | None]


def lock_entry(stage: Stage) -> LockStage | None:
    lock = stage.pipeline.lock
    return lock.stages.get(stage.name) if lock is not None else None


def params_equal(actual: Any, recorded: Any) -> bool:
    """DVC's comparison: `!=` after loading both, except a tuple equals the same list."""
    if isinstance(actual, tuple) and list(actual) == recorded:
        return True
    return bool(actual == recorded)


def show_value(value: Any, limit: int = 60) -> str:
    """A param value as a user would write it in YAML (short)."""
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        text = repr(value)
    else:
        import json

        text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _has(node: Any, key: Any) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)


def stage_tree(stage: Stage) -> Any:
    document = stage.pipeline.document
    if document is None:
        return None
    node = child(child(document.tree, "stages"), stage.definition)
    do = child(node, "do")
    return do if do is not None else node


class LockAnalysis:
    """The DVF3 view of one run, shared by DVF301-DVF304 (built once per Context)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.staged: Snapshot = ctx.staged
        self._params: dict[str, Any] = {}
        self._trees: dict[str, Any] = {}
        self._md5: dict[tuple[str, str], str | None] = {}
        self._ws_md5: dict[tuple[str, str], str | None] = {}
        self._prefetched = False
        self._folders: dict[tuple[str, str, str], FolderState | None] = {}

    # -- the graph -------------------------------------------------------------------------
    @cached_property
    def stages(self) -> list[Stage]:
        return self.ctx.stages("staged")

    @cached_property
    def producers(self) -> dict[str, tuple[Stage, PathDecl]]:
        """Repo path of every stage output -> the stage that writes it and its declaration."""
        return {out.repo_path: (s, out) for s in self.stages for out in s.outs}

    @cached_property
    def dvc_outs(self) -> dict[str, tuple[DvcFile, DvcFileOut]]:
        return {
            out.repo_path: (f, out)
            for f in load_dvc_files(self.staged, self.ctx.projects("staged"))
            for out in f.outs
        }

    @cached_property
    def graph(self) -> StageGraph:
        return graph(self.ctx, "staged")

    @cached_property
    def _managed_under(self) -> dict[str, list[str]]:
        """Folder -> DVC-managed paths (stage outs, `.dvc` outs) anywhere below it."""
        return self.graph.managed_under

    @cached_property
    def project_roots(self) -> list[str]:
        return [p.root for p in self.ctx.projects("staged").projects]

    # -- scope -----------------------------------------------------------------------------
    @cached_property
    def in_scope(self) -> list[Stage]:
        if self.ctx.all_files:
            return list(self.stages)
        changed = self.ctx.changed
        if not changed:
            return []
        changed_dirs = {d for p in changed for d in ancestors(p)}
        changed_outs = self._changed_dvc_outs(changed)
        direct = [s for s in self.stages if self._touched(s, changed, changed_dirs, changed_outs)]
        return self.graph.downstream(*direct)

    def _changed_dvc_outs(self, changed: frozenset[str]) -> set[str]:
        outs: set[str] = set()
        for path in changed:
            if is_dvc_file(path):
                dvc_file = load_dvc_file(self.staged, path)
                outs.update(o.repo_path for o in (dvc_file.outs if dvc_file else []))
        return outs

    def _touched(
        self, stage: Stage, changed: frozenset[str], changed_dirs: set[str], dvc_outs: set[str]
    ) -> bool:
        pipeline = stage.pipeline
        own = {pipeline.path, lock_path(pipeline), *pipeline.vars_files, *stage.vars_files}
        own.update(p.repo_path for p in stage.params)
        paths = [d.repo_path for d in stage.deps] + [o.repo_path for o in stage.outs]
        if own & changed or any(p in changed or p in changed_dirs for p in paths):
            return True
        if self._dvcignore_changed(stage, changed) and any(self.staged.is_dir(p) for p in paths):
            return True  # a folder dep's hash depends on .dvcignore
        return any(
            is_within(dep.repo_path, out) or is_within(out, dep.repo_path)
            for dep in stage.deps
            for out in dvc_outs
        )

    def _dvcignore_changed(self, stage: Stage, changed: frozenset[str]) -> bool:
        project = stage.pipeline.project
        return any(posixpath.basename(p) == DVCIGNORE and project.contains(p) for p in changed)

    # -- params ------------------------------------------------------------------------------
    def params_data(self, path: str) -> Any:
        """Parsed params file: a dict, MISSING if not in the commit, None if unreadable."""
        if path not in self._params:
            if not self.staged.is_file(path):
                self._params[path] = MISSING
            else:
                try:
                    self._params[path] = read_params(self.staged, path)
                except (ParamsError, DvcflowError, FileNotFoundError):  # incl. a dangling symlink
                    self._params[path] = None
        return self._params[path]

    def _params_tree(self, path: str) -> Any:
        """The position tree of a params file, for positions (None if not YAML)."""
        if path not in self._trees:
            self._trees[path] = None
            if posixpath.splitext(path)[1].lower() not in (".json", ".toml", ".py"):
                with contextlib.suppress(YamlError, DvcflowError, FileNotFoundError):
                    self._trees[path] = self.staged.parsed(path, load_yaml).tree
        return self._trees[path]

    def param_position(self, path: str, key: str, dotted: bool) -> tuple[int, int]:
        """Line and column of a key in a YAML params file (or of its nearest ancestor)."""
        node = self._params_tree(path)
        if node is None:
            return (0, 0)
        best = (0, 0)
        for part in key.split(".") if dotted else [key]:
            index: Any = int(part) if isinstance(node, list) and part.isdigit() else part
            if not _has(node, index):
                break
            best = position(node, index)
            node = child(node, index)
        return best

    def has_param(self, path: str, key: str) -> bool:
        data = self.params_data(path)
        if not isinstance(data, dict):
            return False
        try:
            lookup(data, key)
        except KeyError:
            return False
        return True

    # -- hashes of the commit ------------------------------------------------------------------
    def file_md5(self, path: str, name: HashName) -> str | None:
        """A committed file's md5; remembered by blob id across runs (dvcflow.git.blobcache)."""
        key = (path, name)
        if key not in self._md5:
            blob = staged_blob(self.ctx, path)
            md5 = self._blobs.get(name, blob) if blob is not None else None
            if not isinstance(md5, str):
                self._prefetch_hashed()
                md5 = snapshot_file_md5(self.staged, path, name)
                if md5 is not None and blob is not None:
                    self._blobs.put(name, blob, md5)
            self._md5[key] = md5
        return self._md5[key]

    def _hashed_before(self, path: str) -> bool:
        blob = staged_blob(self.ctx, path)
        return blob is not None and any(
            self._blobs.get(name, blob) is not None for name in ("md5", "md5-dos2unix")
        )

    @cached_property
    def _blobs(self) -> BlobCache:
        return blob_cache(self.ctx)

    @cached_property
    def _hash_targets(self) -> list[str]:
        """The committed files DVF303 may hash: deps and outs of the stages in scope."""
        files: set[str] = set()
        folders: set[str] = set()
        for stage in self.in_scope:
            for decl in [*stage.deps, *stage.outs]:
                if self.staged.is_file(decl.repo_path):
                    files.add(decl.repo_path)
                elif decl.repo_path not in folders and self.staged.is_dir(decl.repo_path):
                    folders.add(decl.repo_path)
                    files.update(self.staged.files_under(decl.repo_path))
        return sorted(files)

    def _prefetch_hashed(self) -> None:
        """Read those files in batches before the first hash, not in a round trip each."""
        if not self._prefetched:
            self._prefetched = True
            unknown = [path for path in self._hash_targets if not self._hashed_before(path)]
            self.staged.prefetch(unknown)

    def folder_state(self, folder: str, project: DvcProject, name: HashName) -> FolderState | None:
        """(files DVC hashes, how each is hashed, the folder's hash) of a committed folder;
        None if it cannot be known. Computed once per folder: many stages share a folder dep."""
        key = (folder, project.root, name)
        if key not in self._folders:
            self._folders[key] = None
            managed = self._managed_files(folder)
            if managed is None:
                return None
            listing = collect_folder(
                [*self.staged.files_under(folder), *managed], folder, project, self.project_roots
            )
            if listing.blocked is not None:
                return None

            def committed(path: str) -> str | None:
                if path in managed and not self.staged.is_file(path):
                    return managed[path]
                return self.file_md5(path, name)

            actual = folder_md5(folder, listing.files, committed)
            self._folders[key] = (listing.files, committed, actual)
        return self._folders[key]

    def _managed_files(self, folder: str) -> dict[str, str] | None:
        """DVC-managed files below a folder (not in Git) -> the md5 recorded for them; None if
        one of them is a folder or has no recorded hash (the folder's hash cannot be known)."""
        found: dict[str, str] = {}
        for path in self._managed_under.get(folder, []):
            md5 = self.recorded_md5(path)
            if md5 is None or md5.endswith(".dir"):
                if self.staged.is_file(path):
                    continue  # a Git-tracked output: hashed from its blob
                return None
            found[path] = md5
        return found

    def recorded_md5(self, path: str) -> str | None:
        tracked = self.dvc_outs.get(path)
        if tracked is not None:
            return tracked[1].md5
        producer = self.producers.get(path)
        if producer is None:
            return None
        entry = lock_entry(producer[0])
        out = next((e for e in entry.outs if e.path == producer[1].path), None) if entry else None
        return out.md5 if out is not None else None

    def untracked_explaining(
        self,
        folder: str,
        project: DvcProject,
        tracked: tuple[str, ...],
        committed: FileHasher,
        name: HashName,
        recorded: str,
    ) -> tuple[str, ...]:
        """Files on disk but not in the commit, if adding them gives exactly the locked hash."""
        workspace = self.ctx.workspace
        if not workspace.is_dir(folder):
            return ()
        known = {posixpath.join(folder, rel) if folder else rel for rel in tracked}
        on_disk = [p for p in workspace.files_under(folder) if p not in known]
        listing = collect_folder(on_disk, folder, project, self.project_roots)
        if listing.blocked is not None or not listing.files:
            return ()
        extras = tuple(posixpath.join(folder, rel) if folder else rel for rel in listing.files)

        def hashed(path: str) -> str | None:
            if path in known:
                return committed(path)
            key = (path, name)
            if key not in self._ws_md5:
                self._ws_md5[key] = snapshot_file_md5(workspace, path, name)
            return self._ws_md5[key]

        combined = folder_md5(folder, sorted({*tracked, *listing.files}), hashed)
        return extras if combined == recorded else ()


def analysis(ctx: Context) -> LockAnalysis:
    """The run's shared analysis (each DVF3 rule asks for it; built once, kept on the Context)."""
    return ctx.memo(analysis, lambda: LockAnalysis(ctx))


def stages_in_scope(ctx: Context) -> list[Stage]:
    return analysis(ctx).in_scope
