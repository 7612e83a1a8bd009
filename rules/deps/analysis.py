"""What each stage runs, imports and reads, for the DVF1 rules (DVF101-DVF104), once per run.

The analysis reads the staged view (what the commit records): each stage's `cmd` through
dvcflow.scripts.scanner, what those scripts import through dvcflow.scripts.graph, and what the
repository produces (stage outputs of every dvc.yaml, outputs recorded in every dvc.lock,
`.dvc`-tracked paths). Findings are reported once per stage *definition*: the instances of a
`foreach` or `matrix` stage that share a finding are named in one message. Fixes insert the missing
deps with dvcflow.dvc.yamledit."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic
from dvcflow.dvc.dvcfiles import load_dvc_files
from dvcflow.dvc.pipeline import Pipeline, Stage
from dvcflow.dvc.yamledit import add_deps, deps_keypath, editable, scalar
from dvcflow.errors import DvcflowError
from dvcflow.git.blobcache import blob_cache, staged_blob
from dvcflow.git.snapshot import is_within, normalize
from dvcflow.scripts.graph import Dependency, DependencyGraph
from dvcflow.scripts.invocation import LISTED, Invocation
from dvcflow.scripts.python import StoredParses
from dvcflow.scripts.scanner import CommandScanner

if TYPE_CHECKING:
    from dvcflow.fixing import Edit

MAX_NAMED_INSTANCES = 5


class StageFiles:
    """The local files one stage needs, as found in its command and the scripts it runs."""

    def __init__(self) -> None:
        self.scripts: list[Dependency] = []  # run by the cmd or by a script
        self.imports: list[Dependency] = []  # imported / sourced by them

    @property
    def paths(self) -> list[str]:
        return [d.path for d in (*self.scripts, *self.imports)]


class DepsAnalysis:
    """Per-run cache: dependency graphs per DVC project, stage files, scope, fixes."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.snapshot = ctx.staged
        self._graphs: dict[str, DependencyGraph] = {}
        self._parsed: dict[str, Any] = {}  # Python files parsed once, shared by all graphs
        self._files: dict[int, StageFiles] = {}
        self._reachable: dict[int, frozenset[str]] = {}
        self._invocations: dict[int, list[Invocation]] = {}
        self._listed: dict[int, list[Invocation]] = {}
        self.fixes: dict[Diagnostic, DepInsertion] = {}
        self.params_data: dict[str, Any] = {}  # params file -> data or its ParamsError

    @cached_property
    def _stored(self) -> StoredParses:
        """Imports of committed files, remembered by blob id across commits (blobcache)."""
        return StoredParses(blob_cache(self.ctx), lambda path: staged_blob(self.ctx, path))

    # -- stages ----------------------------------------------------------------------------
    @cached_property
    def groups(self) -> list[list[Stage]]:
        """Stages grouped by definition: one group per key under `stages:` of each dvc.yaml."""
        grouped: dict[tuple[str, str], list[Stage]] = {}
        for stage in self.ctx.stages("staged"):
            grouped.setdefault((stage.pipeline.path, stage.definition), []).append(stage)
        return list(grouped.values())

    def graph(self, project_root: str) -> DependencyGraph:
        if project_root not in self._graphs:
            roots = [project_root, _join(project_root, "src"), "", "src"]
            snapshot = self.snapshot
            self._graphs[project_root] = DependencyGraph(
                snapshot.read_text,
                snapshot.is_file,
                snapshot.is_dir,
                roots,
                self._parsed,
                prefetch=snapshot.prefetch,
                stored=self._stored,
                files_under=snapshot.files_under,
            )
        return self._graphs[project_root]

    def invocations(self, stage: Stage) -> list[Invocation]:
        """What the stage's cmd runs (the scripts of every stage are read in one batch)."""
        if not self._invocations:
            for each in self.ctx.stages("staged"):
                scanner: CommandScanner = self.graph(each.pipeline.project.root).scanner
                self._invocations[id(each)] = scanner.scan_cmd(each.cmd, each.wdir)
            scripts = [
                i.script
                for each in self.ctx.stages("staged")
                for i in self._invocations[id(each)]
                if i.language != "python"
                or not self.graph(each.pipeline.project.root).known_python(i.script)
            ]
            self.snapshot.prefetch(list(dict.fromkeys(scripts)))
        if id(stage) not in self._invocations:  # a stage of no staged pipeline
            scanner = self.graph(stage.pipeline.project.root).scanner
            self._invocations[id(stage)] = scanner.scan_cmd(stage.cmd, stage.wdir)
        return self._invocations[id(stage)]

    def listed_modules(self, stage: Stage) -> list[Invocation]:
        """The Python files the stage lists in deps, read for what they import: with the
        search path of the Python scripts the cmd runs (their folders, PYTHONPATH)."""
        key = id(stage)
        if key not in self._listed:
            modules = [
                dep.repo_path
                for dep in stage.deps
                if dep.repo_path.endswith(".py") and self.snapshot.is_file(dep.repo_path)
            ]
            folders: list[str] = []
            for invocation in self.invocations(stage):
                if invocation.language == "python":
                    if invocation.module is not None:
                        folders.extend(filter(None, (invocation.cwd, invocation.module_root)))
                    else:
                        folders.append(posixpath.dirname(invocation.script))
                    folders.extend(invocation.pythonpath)
            path = tuple(dict.fromkeys(folders))
            self._listed[key] = [
                Invocation(LISTED, module, stage.wdir, "python", pythonpath=path)
                for module in modules
            ]
        return self._listed[key]

    def files(self, stage: Stage) -> StageFiles:
        """Scripts the stage's cmd runs and everything they import (transitively)."""
        key = id(stage)
        if key not in self._files:
            graph = self.graph(stage.pipeline.project.root)
            found = StageFiles()
            seen: set[str] = set()
            listed = self.listed_modules(stage)
            seen.update(i.script for i in listed)
            for invocation in self.invocations(stage):
                if invocation.script not in seen:
                    seen.add(invocation.script)
                    found.scripts.append(
                        Dependency(invocation.script, (invocation.script,), "script", True)
                    )
            for invocation in (*self.invocations(stage), *listed):
                for dep in graph.dependencies(invocation):
                    if dep.path not in seen:
                        seen.add(dep.path)
                        (found.scripts if dep.kind == "script" else found.imports).append(dep)
            self._files[key] = found
        return self._files[key]

    def reachable(self, stage: Stage) -> frozenset[str]:
        """A superset of `files(stage).paths`, from closures shared by all stages (cheap)."""
        key = id(stage)
        if key not in self._reachable:
            graph = self.graph(stage.pipeline.project.root)
            found: set[str] = set()
            for invocation in (*self.invocations(stage), *self.listed_modules(stage)):
                found.update(graph.reachable(invocation))
            self._reachable[key] = frozenset(found)
        return self._reachable[key]

    def covered(self, stage: Stage, path: str) -> bool:
        """Whether one of the stage's deps is the path or a folder holding it."""
        return any(is_within(path, dep.repo_path) for dep in stage.deps)

    def all_covered(self, stage: Stage) -> bool:
        """Whether the deps cover every file the stage could need: no DVF101/DVF102 finding."""
        files = {dep.repo_path for dep in stage.deps}
        if "" in files:
            return True  # the project root folder as a dep
        folders = tuple(f"{path}/" for path in files)
        return all(path.startswith(folders) for path in self.reachable(stage) - files)

    def in_scope(self, stage: Stage) -> bool:
        """Pre-commit mode: the commit changes the stage's definition, a script, module,
        params or vars file it reads."""
        if self.ctx.all_files:
            return True
        return self._definition_changed(stage) or self.ctx.touches(
            *self.reachable(stage),
            *(p.repo_path for p in stage.params),
            *stage.vars_files,
        )

    def _definition_changed(self, stage: Stage) -> bool:
        """The commit changes this stage's entry in its dvc.yaml, or what all entries share
        (a new file, `vars`, anything outside `stages`). An edit of one stage, such as the
        dep `--fix` adds, does not bring the file's other stages into the commit's scope."""
        path = stage.pipeline.path
        if not self.ctx.touches(path):
            return False
        changed = self.ctx.memo(
            (changed_definitions, path), lambda: changed_definitions(self.ctx, stage.pipeline)
        )
        return changed is None or stage.definition in changed

    # -- what the repository produces ------------------------------------------------------
    @cached_property
    def _declared(self) -> frozenset[str]:
        """Paths dvc.yaml files and `.dvc` files declare as outputs (no dvc.lock read)."""
        paths: set[str] = set()
        for pipeline in self.ctx.pipelines("staged"):
            for stage in pipeline.stages:
                paths.update(out.repo_path for out in stage.outs)
        for dvc_file in load_dvc_files(self.snapshot, self.ctx.projects("staged")):
            paths.update(out.repo_path for out in dvc_file.outs)
        return frozenset(paths)

    @cached_property
    def produced(self) -> frozenset[str]:
        """Paths DVC creates or pulls: stage outputs, dvc.lock outputs, `.dvc`-tracked data."""
        paths = set(self._declared)
        for pipeline in self.ctx.pipelines("staged"):
            paths.update(_lock_outs(pipeline))
        return frozenset(paths)

    def is_produced(self, path: str) -> bool:
        """Created by DVC: an output itself, inside an output folder, or a folder of outputs.

        Declared outputs answer first: every dvc.lock is parsed only for a path they miss.
        """
        return _within(path, self._declared, self._declared_folders) or _within(
            path, self.produced, self._produced_folders
        )

    @cached_property
    def _declared_folders(self) -> frozenset[str]:
        return _folders(self._declared)

    @cached_property
    def _produced_folders(self) -> frozenset[str]:
        return _folders(self.produced)

    @cached_property
    def submodules(self) -> list[str]:
        return [path for path, entry in self.ctx.repo.index().items() if entry.is_submodule]

    def exists(self, path: str) -> bool:
        return self.snapshot.exists(path) or any(is_within(path, s) for s in self.submodules)

    # -- reporting -------------------------------------------------------------------------
    def stage_label(self, group: list[Stage], hits: Iterable[Stage]) -> str:
        """`'train'`, or `'train' (train@us, train@eu)` for instances of foreach/matrix."""
        first = group[0]
        names = list(dict.fromkeys(s.name for s in hits))
        if len(group) == 1 and first.name == first.definition:
            return f"'{first.definition}'"
        shown = ", ".join(names[:MAX_NAMED_INSTANCES])
        if len(names) > MAX_NAMED_INSTANCES:
            shown += f" and {len(names) - MAX_NAMED_INSTANCES} more"
        return f"'{first.definition}' ({shown})"

    def insertion(self, group: list[Stage], path: str) -> DepInsertion:
        """Where and how a missing `path` goes under the group's deps (one line to add)."""
        first = group[0]
        pipeline = first.pipeline
        # The position tree read with dvc.yaml answers, the one `--fix` edits from.
        tree = pipeline.document.tree if pipeline.document is not None else None
        texts = {scalar(posixpath.relpath(path, s.wdir or ".")) for s in group}
        keypath = deps_keypath(tree, first.definition) if tree is not None else "deps"
        return DepInsertion(
            pipeline=pipeline.path,
            definition=first.definition,
            dep=posixpath.relpath(path, first.wdir or "."),
            keypath=keypath,
            line=f"- {sorted(texts)[0]}",
            fixable=tree is not None and len(texts) == 1 and editable(tree, first.definition),
        )

    def unlisted(self, wanted: Callable[[Dependency], bool]) -> Iterator[Unlisted]:
        """Files the stages in scope need (and `wanted` selects) that their deps do not cover,
        one fact per stage definition and file, with every instance that needs it."""
        for group in self.groups:
            if not any(self.in_scope(stage) for stage in group):
                continue
            missing: dict[str, list[tuple[Stage, Dependency]]] = {}
            for stage in group:
                if self.all_covered(stage):
                    continue
                files = self.files(stage)
                for dep in (*files.scripts, *files.imports):
                    if wanted(dep) and not self.covered(stage, dep.path):
                        missing.setdefault(dep.path, []).append((stage, dep))
            for path, hits in missing.items():
                label = self.stage_label(group, (stage for stage, _ in hits))
                yield Unlisted(group, path, hits[0][1], label, self.insertion(group, path))


class DepInsertion:
    """A path to add under one stage definition's deps: the line shown and where it goes."""

    pipeline: str  # the dvc.yaml
    definition: str  # the key under `stages:`
    dep: str  # the path as it should be written under deps (relative to the wdir)
    keypath: str  # stages.<name>.deps (or .do.deps)
    line: str  # `- path`, as a user would type it
    fixable: bool  # `--fix` can insert it (deps not built by `${...}`, one text for all)

    __slots__ = ("definition", "dep", "fixable", "keypath", "line", "pipeline")

    def __init__(
        self, pipeline: str, definition: str, dep: str, keypath: str, line: str, fixable: bool
    ) -> None:
        self.pipeline = pipeline
        self.definition = definition
        self.dep = dep
        self.keypath = keypath
        self.line = line
        self.fixable = fixable


class Unlisted:
    """A file a stage definition needs that its deps do not list."""

    group: list[Stage]  # the instances of the definition
    path: str  # repo-relative
    dependency: Dependency  # how the first instance reaches it (the chain)
    label: str  # `'train'` or `'train' (train@us, train@eu)`
    insertion: DepInsertion

    __slots__ = ("dependency", "group", "insertion", "label", "path")

    def __init__(
        self,
        group: list[Stage],
        path: str,
        dependency: Dependency,
        label: str,
        insertion: DepInsertion,
    ) -> None:
        self.group = group
        self.path = path
        self.dependency = dependency
        self.label = label
        self.insertion = insertion


def changed_definitions(ctx: Context, pipeline: Pipeline) -> frozenset[str] | None:
    """The stage definitions the commit changes in this dvc.yaml, compared with HEAD's; None
    when the change reaches every stage (a new or unreadable file, an edit outside `stages`)."""
    from dvcflow.dvc.yamlio import YamlError, load_yaml
    from dvcflow.git.repo import run_git

    if pipeline.document is None or not ctx.repo.has_head:
        return None
    head = run_git(["cat-file", "blob", f"HEAD:{pipeline.path}"], ctx.root, check=False)
    try:
        before = load_yaml(head.decode("utf-8")).data if head else None
    except (UnicodeDecodeError, YamlError):
        return None
    after = pipeline.document.data
    if not isinstance(before, dict) or not isinstance(after, dict):
        return None
    old, new = before.get("stages"), after.get("stages")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return None
    if {k: v for k, v in before.items() if k != "stages"} != {
        k: v for k, v in after.items() if k != "stages"
    }:
        return None
    return frozenset(name for name in {*old, *new} if old.get(name) != new.get(name))


def analysis(ctx: Context) -> DepsAnalysis:
    """The run's shared analysis (DVF101-DVF104 read the same scripts and imports)."""
    return ctx.memo(DepsAnalysis, lambda: DepsAnalysis(ctx))


def definition_address(stage: Stage) -> str:
    """How DVC addresses the stage definition (all instances of a foreach/matrix stage)."""
    rel = stage.pipeline.project.relative(stage.pipeline.path)
    return stage.definition if rel == "dvc.yaml" else f"{rel}:{stage.definition}"


def remember_insertion(ctx: Context, diagnostic: Diagnostic, insertion: DepInsertion) -> None:
    """Keep what `insert_deps` needs to fix `diagnostic` (a rule's own finding)."""
    if insertion.fixable:
        analysis(ctx).fixes[diagnostic] = insertion


def insert_deps(ctx: Context, diagnostics: list[Diagnostic]) -> Iterator[Edit]:
    """Insert the deps remembered for `diagnostics` into the work tree's dvc.yaml files.

    Calls with one context build on each other's pending text, so the result is right
    whether the engine applies each rule's edits before the next rule runs (a fresh context
    then reads the work tree) or collects every rule's edits first (the last one holds all).
    """
    from dvcflow.fixing import Edit

    an = analysis(ctx)
    wanted: dict[str, dict[tuple[str, str], list[str]]] = {}
    for diagnostic in diagnostics:
        fixable = an.fixes.get(diagnostic)
        if fixable is not None:
            per_stage = wanted.setdefault(fixable.pipeline, {})
            per_stage.setdefault((fixable.definition, fixable.keypath), []).append(fixable.dep)
    pending: dict[str, str] = ctx.memo(insert_deps, dict)
    for path, per_stage in wanted.items():
        text = _current_text(ctx, pending, path)
        if text is None:
            continue
        new, added = text, []
        for (definition, keypath), deps in per_stage.items():
            result = add_deps(new, definition, deps)
            if result is not None and result != new:
                new = result
                lines = ", ".join(f"`- {scalar(d)}`" for d in dict.fromkeys(deps))
                added.append(f"added {lines} to {keypath}")
        if new != text:
            pending[path] = new
            yield Edit(path, new, "; ".join(added))


def _current_text(ctx: Context, pending: dict[str, str], path: str) -> str | None:
    if path in pending:
        return pending[path]
    try:
        return ctx.workspace.read_text(path)
    except (OSError, DvcflowError):
        return None


def _lock_outs(pipeline: Pipeline) -> Iterator[str]:
    if pipeline.lock is None:
        return
    for name, locked in pipeline.lock.stages.items():
        stage = pipeline.stage(name)
        wdir = stage.wdir if stage is not None else pipeline.folder
        for entry in locked.outs:
            yield normalize(posixpath.join(wdir, entry.path))


def _folders(paths: frozenset[str]) -> frozenset[str]:
    """Every folder that holds one of the paths."""
    folders: set[str] = set()
    for path in paths:
        parent = posixpath.dirname(path)
        while parent and parent not in folders:
            folders.add(parent)
            parent = posixpath.dirname(parent)
    return frozenset(folders)


def _within(path: str, paths: frozenset[str], folders: frozenset[str]) -> bool:
    """The path is one of `paths`, inside one of them, or a folder holding one of them."""
    if path in folders:
        return True
    while path:
        if path in paths:
            return True
        parent = posixpath.dirname(path)
        if parent == path:  # "/" of an absolute path (a wdir outside the repository)
            return False
        path = parent
    return False


def _join(folder: str, name: str) -> str:
    return normalize(posixpath.join(folder, name))


def git_add_fix(path: str) -> str:
    return f"git add {shlex.quote(path)}"


def data_location(value: Any) -> bool:
    """A dep that is a URL (`s3://`, `https://`, `remote://`): not a path in the repository."""
    return isinstance(value, str) and "://" in value
