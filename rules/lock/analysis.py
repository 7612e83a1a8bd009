"""DVF3 (commit consistency): does the staged dvc.lock describe what the commit contains?

Everything is read from the staged view (the Git index): dvc.yaml, dvc.lock, params files,
`.dvc` files and Git-tracked dependencies. No DVC import, no cache, no data: this works in a
fresh CI clone. DVC's own decisions are the specification:

- params: `ParamsDependency.workspace_status` (dvc/dependency/param.py): Python equality after
  a YAML 1.2 load; keyed params are looked up by dotted path; a whole-file param compares every
  top-level key of the file and of the lock.
- stage definition: `PipelineStage.changed_stage` (cmd equality) and `StageLoader.fill_from_lock`
  (deps and outs matched to lock entries by the path as written in dvc.yaml). Entries that
  dvc.yaml declares but dvc.lock lacks make DVC re-run the stage; entries dvc.lock keeps for
  deps, outs or params dvc.yaml no longer declares are ignored by DVC (and never cleaned by
  `dvc repro`), so they are reported as warnings.
- frozen stages: DVC skips their deps and params (`Stage.status`), so only cmd and outs count.

Scope without `--all`: stages whose dvc.yaml, dvc.lock, vars or params files, deps, outs or
`.dvc` files the commit touches, and every stage downstream of those through the pipeline graph.
"""

from __future__ import annotations

import contextlib
import posixpath
import shlex
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal, TypeVar
from weakref import WeakKeyDictionary

from dvcflow.context import Context
from dvcflow.dvc.dvcfiles import DvcFile, DvcFileOut, is_dvc_file, load_dvc_file, load_dvc_files
from dvcflow.dvc.hashing import (
    DVCIGNORE,
    FileHasher,
    HashName,
    collect_folder,
    folder_md5,
    hash_name,
    snapshot_file_md5,
)
from dvcflow.dvc.lock import LockEntry, LockStage
from dvcflow.dvc.params import ParamsError, lookup, parse_params
from dvcflow.dvc.pipeline import ParamDecl, PathDecl, Pipeline, Stage
from dvcflow.dvc.projects import DvcProject
from dvcflow.dvc.yamlio import YamlError, child, load_yaml, position
from dvcflow.errors import DvcflowError
from dvcflow.git.blobcache import BlobCache, blob_cache, staged_blob
from dvcflow.git.snapshot import Snapshot, is_within


class _Missing:
    """A param absent on one side (distinct from a `null` value)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


# ------------------------------------------------------------------------------------ results
@dataclass(frozen=True)
class ParamDiff:
    """DVF301: a declared param whose committed value is not the one dvc.lock records."""

    stage: Stage
    decl: ParamDecl
    key: str | None  # None: the params file itself is missing from the commit
    actual: Any  # MISSING when the commit lacks it
    recorded: Any  # MISSING when dvc.lock lacks it
    line: int
    column: int


DefinitionKind = Literal[
    "unlocked",
    "cmd",
    "dep",
    "out",
    "params-file",
    "param",
    "stale-dep",
    "stale-out",
    "stale-params-file",
    "stale-param",
]


@dataclass(frozen=True)
class DefinitionDiff:
    """DVF302: a stage missing from dvc.lock or defined differently from its lock entry.

    `stale-*` kinds (dvc.lock keeps something dvc.yaml no longer declares) are warnings.
    """

    stage: Stage
    kind: DefinitionKind
    target: str | None
    line: int
    column: int
    recorded: Any = None

    @property
    def stale(self) -> bool:
        return self.kind.startswith("stale-")


DepKind = Literal["file", "folder", "untracked", "dvc-file", "upstream"]


@dataclass(frozen=True)
class DepDiff:
    """DVF303: a dep (or Git-tracked out) whose committed content is not what dvc.lock records."""

    stage: Stage
    decl: PathDecl
    entry: LockEntry
    kind: DepKind
    actual: str  # the hash this commit has
    source: str | None = None  # the .dvc file, or the upstream stage's address
    source_path: str | None = None  # repo path of the .dvc file or the upstream dvc.lock
    untracked: tuple[str, ...] = ()  # untracked files that explain a folder mismatch
    git_ignored: tuple[str, ...] = field(default=())  # those of them Git ignores


# ------------------------------------------------------------------------------------ helpers
def lock_entry(stage: Stage) -> LockStage | None:
    lock = stage.pipeline.lock
    return lock.stages.get(stage.name) if lock is not None else None


def lock_path(pipeline: Pipeline) -> str:
    return pipeline.lock_path or posixpath.join(pipeline.folder, "dvc.lock")


def git_add(pipeline: Pipeline, paths: Iterable[str]) -> str:
    """`git add ...` with paths relative to the project root (commands run there)."""
    project = pipeline.project
    rel = list(dict.fromkeys(project.relative(p) for p in paths))
    return "git add " + " ".join(shlex.quote(p) for p in rel)


def repro_fix(stage: Stage, *also_stage: str) -> str:
    """`dvc repro <target> && git add dvc.lock ...`: right whether or not the work tree's lock is
    already up to date (`dvc repro` then only says the stage didn't change)."""
    paths = [lock_path(stage.pipeline), *also_stage]
    return f"{stage.repro_command} && {git_add(stage.pipeline, paths)}"


def commit_fix(stage: Stage, *also_stage: str) -> str:
    """`dvc commit -f <target>`: rewrite the lock entry from dvc.yaml without re-running."""
    paths = [lock_path(stage.pipeline), *also_stage]
    command = f"dvc commit -f {shlex.quote(stage.address)} && {git_add(stage.pipeline, paths)}"
    return stage.pipeline.project.command(command)


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


def _ancestors(path: str) -> Iterator[str]:
    parent = posixpath.dirname(path)
    while parent:
        yield parent
        if parent == posixpath.dirname(parent):  # "/": an absolute path outside the repository
            return
        parent = posixpath.dirname(parent)


def _has(node: Any, key: Any) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node)


def _stage_tree(stage: Stage) -> Any:
    document = stage.pipeline.document
    if document is None:
        return None
    node = child(child(document.tree, "stages"), stage.definition)
    do = child(node, "do")
    return do if do is not None else node


# ------------------------------------------------------------------------------------ analysis
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
        self._folders: dict[
            tuple[str, str, str], tuple[tuple[str, ...], FileHasher, str | None] | None
        ] = {}

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
        return {out.repo_path: (f, out) for f in load_dvc_files(self.staged) for out in f.outs}

    @cached_property
    def _managed_under(self) -> dict[str, list[str]]:
        """Folder -> DVC-managed paths (stage outs, `.dvc` outs) anywhere below it."""
        under: dict[str, list[str]] = {}
        for path in [*self.producers, *self.dvc_outs]:
            for folder in _ancestors(path):
                under.setdefault(folder, []).append(path)
        return under

    @cached_property
    def project_roots(self) -> list[str]:
        return [p.root for p in self.ctx.projects("staged").projects]

    def upstream_of(self, stage: Stage) -> Iterator[Stage]:
        """Stages writing a dep of this stage (the same path, a folder of it, or inside it)."""
        for dep in stage.deps:
            for path in [
                dep.repo_path,
                *_ancestors(dep.repo_path),
                *self._managed_under.get(dep.repo_path, []),
            ]:
                producer = self.producers.get(path)
                if producer is not None and producer[0] is not stage:
                    yield producer[0]

    # -- scope -----------------------------------------------------------------------------
    @cached_property
    def in_scope(self) -> list[Stage]:
        if self.ctx.all_files:
            return list(self.stages)
        changed = self.ctx.changed
        if not changed:
            return []
        changed_dirs = {d for p in changed for d in _ancestors(p)}
        changed_outs = self._changed_dvc_outs(changed)
        direct = [s for s in self.stages if self._touched(s, changed, changed_dirs, changed_outs)]
        return self._with_downstream(direct)

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

    def _with_downstream(self, direct: list[Stage]) -> list[Stage]:
        downstream: dict[int, list[Stage]] = {}
        for stage in self.stages:
            for upstream in self.upstream_of(stage):
                downstream.setdefault(id(upstream), []).append(stage)
        seen = {id(s) for s in direct}
        queue = deque(direct)
        while queue:
            for nxt in downstream.get(id(queue.popleft()), []):
                if id(nxt) not in seen:
                    seen.add(id(nxt))
                    queue.append(nxt)
        return [s for s in self.stages if id(s) in seen]

    # -- DVF301 ----------------------------------------------------------------------------
    def param_diffs(self, stage: Stage) -> Iterator[ParamDiff]:
        entry = lock_entry(stage)
        if entry is None or stage.frozen:
            return
        for decl in stage.params:
            recorded = entry.params.get(decl.file)
            if recorded is None:
                continue  # the whole file is unlocked: DVF302
            data = self._params_data(decl.repo_path)
            if data is None:
                continue  # unreadable: DVF103/DVF105 say why
            if data is MISSING:
                yield ParamDiff(stage, decl, None, MISSING, recorded, decl.line, decl.column)
                continue
            yield from self._key_diffs(stage, decl, data, recorded)

    def _key_diffs(
        self, stage: Stage, decl: ParamDecl, data: dict[str, Any], recorded: dict[str, Any]
    ) -> Iterator[ParamDiff]:
        if decl.keys is None:
            actual = data
            keys = list(dict.fromkeys([*data, *recorded]))
        else:
            actual = {}
            for key in decl.keys:
                try:
                    actual[key] = lookup(data, key)
                except KeyError:
                    continue
            keys = list(dict.fromkeys(decl.keys))
        for key in keys:
            value, locked = actual.get(key, MISSING), recorded.get(key, MISSING)
            if locked is MISSING and (decl.keys is not None or value is MISSING):
                continue  # a declared key dvc.lock lacks: DVF302
            if value is MISSING and locked is MISSING:
                continue
            if value is not MISSING and locked is not MISSING and params_equal(value, locked):
                continue
            line, column = self._param_position(decl.repo_path, key, decl.keys is not None)
            yield ParamDiff(stage, decl, key, value, locked, line, column)

    def _params_data(self, path: str) -> Any:
        """Parsed params file: a dict, MISSING if not in the commit, None if unreadable."""
        if path not in self._params:
            if not self.staged.is_file(path):
                self._params[path] = MISSING
            else:
                try:
                    self._params[path] = parse_params(self.staged.read_text(path), path)
                except (ParamsError, DvcflowError, FileNotFoundError):  # incl. a dangling symlink
                    self._params[path] = None
        return self._params[path]

    def _params_tree(self, path: str) -> Any:
        """The round-trip YAML tree of a params file, for positions (None if not YAML)."""
        if path not in self._trees:
            self._trees[path] = None
            if posixpath.splitext(path)[1].lower() not in (".json", ".toml", ".py"):
                with contextlib.suppress(YamlError, DvcflowError, FileNotFoundError):
                    self._trees[path] = load_yaml(self.staged.read_text(path)).tree
        return self._trees[path]

    def _param_position(self, path: str, key: str, dotted: bool) -> tuple[int, int]:
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

    # -- DVF302 ----------------------------------------------------------------------------
    def definition_diffs(self, stage: Stage) -> Iterator[DefinitionDiff]:
        entry = lock_entry(stage)
        if entry is None:
            yield DefinitionDiff(stage, "unlocked", None, stage.line, stage.column)
            return
        if entry.cmd != stage.cmd:
            tree = _stage_tree(stage)
            line, column = position(tree, "cmd") if tree is not None else (stage.line, 0)
            yield DefinitionDiff(stage, "cmd", None, line, column, recorded=entry.cmd)
        yield from self._path_diffs(stage, stage.deps, entry.deps, "dep", unlocked=not stage.frozen)
        if not stage.frozen:
            yield from self._param_key_diffs(stage, entry)
        yield from self._path_diffs(stage, stage.outs, entry.outs, "out")

    def _path_diffs(
        self,
        stage: Stage,
        decls: list[PathDecl],
        entries: tuple[LockEntry, ...],
        kind: Literal["dep", "out"],
        *,
        unlocked: bool = True,
    ) -> Iterator[DefinitionDiff]:
        """Declared paths dvc.lock lacks (if `unlocked`), then the `stale-*` entries: paths
        dvc.lock records that dvc.yaml no longer declares."""
        if unlocked:
            locked = {e.path for e in entries}
            for decl in decls:
                if decl.path not in locked:
                    yield DefinitionDiff(stage, kind, decl.path, decl.line, decl.column)
        declared = {d.path for d in decls}
        stale: DefinitionKind = "stale-dep" if kind == "dep" else "stale-out"
        for e in entries:
            if e.path not in declared:
                yield DefinitionDiff(stage, stale, e.path, stage.line, stage.column)

    def _param_key_diffs(self, stage: Stage, entry: LockStage) -> Iterator[DefinitionDiff]:
        declared = {d.file for d in stage.params}
        for decl in stage.params:
            recorded = entry.params.get(decl.file)
            if decl.keys is None:
                if recorded is None:
                    yield DefinitionDiff(stage, "params-file", decl.file, decl.line, decl.column)
                continue
            for key in decl.keys:
                unlocked = recorded is None or key not in recorded
                if unlocked and self._has_param(decl.repo_path, key):
                    yield DefinitionDiff(
                        stage, "param", f"{decl.file}:{key}", decl.line, decl.column
                    )
            for key in recorded or {}:
                if key not in decl.keys:
                    yield DefinitionDiff(
                        stage, "stale-param", f"{decl.file}:{key}", decl.line, decl.column
                    )
        for file in entry.params:
            if file not in declared:
                yield DefinitionDiff(stage, "stale-params-file", file, stage.line, stage.column)

    def _has_param(self, path: str, key: str) -> bool:
        data = self._params_data(path)
        if not isinstance(data, dict):
            return False
        try:
            lookup(data, key)
        except KeyError:
            return False
        return True

    # -- DVF303 ----------------------------------------------------------------------------
    def dep_diffs(self, stage: Stage) -> Iterator[DepDiff]:
        entry = lock_entry(stage)
        if entry is None:
            return
        if not stage.frozen:
            yield from self._recorded_diffs(stage, stage.deps, entry.deps, self._dep_diff)
        yield from self._recorded_diffs(stage, stage.outs, entry.outs, self._git_diff)

    def _recorded_diffs(
        self,
        stage: Stage,
        decls: list[PathDecl],
        entries: tuple[LockEntry, ...],
        judge: Callable[[Stage, PathDecl, LockEntry], DepDiff | None],
    ) -> Iterator[DepDiff]:
        """`judge` each declaration against the entry dvc.lock records for its path (if any)."""
        for decl in decls:
            recorded = next((e for e in entries if e.path == decl.path), None)
            diff = judge(stage, decl, recorded) if recorded is not None else None
            if diff is not None:
                yield diff

    def _dep_diff(self, stage: Stage, decl: PathDecl, recorded: LockEntry) -> DepDiff | None:
        if recorded.md5 is None or hash_name(recorded.hash) is None:
            return None
        path = decl.repo_path
        producer = self.producers.get(path)
        if producer is not None and producer[0] is not stage:
            return self._upstream_diff(stage, decl, recorded, *producer)
        tracked = self.dvc_outs.get(path)
        if tracked is not None:
            dvc_file, out = tracked
            if out.md5 is None or out.md5 == recorded.md5:
                return None
            return DepDiff(stage, decl, recorded, "dvc-file", out.md5, dvc_file.path, dvc_file.path)
        if any(a in self.producers or a in self.dvc_outs for a in _ancestors(path)):
            return None  # inside a DVC-managed folder: its files' hashes are in the cache only
        return self._git_diff(stage, decl, recorded)

    def _upstream_diff(
        self, stage: Stage, decl: PathDecl, recorded: LockEntry, upstream: Stage, out: PathDecl
    ) -> DepDiff | None:
        up_entry = lock_entry(upstream)
        if up_entry is None:
            return None  # DVF302 reports the upstream stage
        up = next((e for e in up_entry.outs if e.path == out.path), None)
        if up is None or up.md5 is None or up.md5 == recorded.md5:
            return None
        return DepDiff(
            stage,
            decl,
            recorded,
            "upstream",
            up.md5,
            upstream.address,
            lock_path(upstream.pipeline),
        )

    def _git_diff(self, stage: Stage, decl: PathDecl, recorded: LockEntry) -> DepDiff | None:
        name = hash_name(recorded.hash)
        if recorded.md5 is None or name is None:
            return None
        path = decl.repo_path
        if self.staged.is_file(path):
            actual = self.file_md5(path, name)
            if actual is None or actual == recorded.md5:
                return None
            return DepDiff(stage, decl, recorded, "file", actual)
        if self.staged.is_dir(path):
            return self._folder_diff(stage, decl, recorded, name)
        return None

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

    def _folder_diff(
        self, stage: Stage, decl: PathDecl, recorded: LockEntry, name: HashName
    ) -> DepDiff | None:
        folder = decl.repo_path
        project = stage.pipeline.project
        state = self._folder_state(folder, project, name)
        if state is None:
            return None
        files, committed, actual = state
        if actual is None or actual == recorded.md5:
            return None
        extras = self._untracked_explaining(
            folder, project, files, committed, name, recorded.md5 or ""
        )
        if extras:
            visible = set(self.ctx.workspace.files())  # tracked or untracked, not Git-ignored
            return DepDiff(
                stage,
                decl,
                recorded,
                "untracked",
                actual,
                untracked=extras,
                git_ignored=tuple(p for p in extras if p not in visible),
            )
        return DepDiff(stage, decl, recorded, "folder", actual)

    def _folder_state(
        self, folder: str, project: DvcProject, name: HashName
    ) -> tuple[tuple[str, ...], FileHasher, str | None] | None:
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
            md5 = self._recorded_md5(path)
            if md5 is None or md5.endswith(".dir"):
                if self.staged.is_file(path):
                    continue  # a Git-tracked output: hashed from its blob
                return None
            found[path] = md5
        return found

    def _recorded_md5(self, path: str) -> str | None:
        tracked = self.dvc_outs.get(path)
        if tracked is not None:
            return tracked[1].md5
        producer = self.producers.get(path)
        if producer is None:
            return None
        entry = lock_entry(producer[0])
        out = next((e for e in entry.outs if e.path == producer[1].path), None) if entry else None
        return out.md5 if out is not None else None

    def _untracked_explaining(
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

    # -- DVF304 ----------------------------------------------------------------------------
    def orphans(self) -> Iterator[tuple[Pipeline, LockStage]]:
        for pipeline in self.ctx.pipelines("staged"):
            if not self.ctx.touches(pipeline.path, lock_path(pipeline)):
                continue  # (before `lock`: an untouched pipeline's dvc.lock is never parsed)
            if pipeline.lock is None or pipeline.document is None:
                continue
            if any(p.path == pipeline.path for p in pipeline.problems):
                continue  # stages that failed to load would all look orphaned
            names = {s.name for s in pipeline.stages}
            for name, entry in pipeline.lock.stages.items():
                if name not in names:
                    yield pipeline, entry


_ANALYSES: WeakKeyDictionary[Context, LockAnalysis] = WeakKeyDictionary()


def analysis(ctx: Context) -> LockAnalysis:
    """The run's shared analysis (each DVF3 rule asks for it; it is built once)."""
    if ctx not in _ANALYSES:
        _ANALYSES[ctx] = LockAnalysis(ctx)
    return _ANALYSES[ctx]


Diff = TypeVar("Diff", ParamDiff, DefinitionDiff, DepDiff)


def scoped_diffs(
    ctx: Context, diffs: Callable[[LockAnalysis, Stage], Iterable[Diff]]
) -> Iterator[Diff]:
    """What `diffs` (e.g. `LockAnalysis.param_diffs`) finds in each stage in scope, in order."""
    lock = analysis(ctx)
    for stage in lock.in_scope:
        yield from diffs(lock, stage)
