"""The one fix for a stage whose results must be computed again, shared by DVF2 and DVF3.

A stage is stale (DVF201), or the commit holds inputs its dvc.lock entry was not computed from
(DVF301-DVF303): either way the cause is one, and so is the fix, whichever rule reports it:

    dvc repro <stage> <the last stages downstream of it> && git add <everything that run changes>

`dvc repro` re-runs the stage, the stages after it (they read its outputs) and any stale stage
before it; it does nothing when the work tree is already up to date (the results were computed
but not staged). The `git add` names every file the commit needs so that the next commit passes
and a clone is up to date: the dvc.lock of each stage re-run, its params files, its Git-tracked
outputs (`cache: false` outs, metrics and plots), its Git-tracked deps (the versions the run
read) and the `.dvc` files of the data it reads.

`dvc commit -f` is never the fix for changed content: it records the work tree's deps in dvc.lock
without running the stage and so hides that the results are stale (`commit_fix` exists for
bookkeeping only: entries dvc.lock keeps for declarations dvc.yaml dropped, when no dep changed).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Hashable, Iterable, Iterator, Sequence

from dvcflow.context import Context
from dvcflow.dvc.dvcfiles import DvcFile, load_dvc_files
from dvcflow.dvc.pipeline import Pipeline, Stage
from dvcflow.git.snapshot import View


def lock_path(pipeline: Pipeline) -> str:
    """The repo path of a pipeline's dvc.lock (where `dvc repro` writes it)."""
    return pipeline.lock_path or posixpath.join(pipeline.folder, "dvc.lock")


def ancestors(path: str) -> Iterator[str]:
    """`a/b/c` -> `a/b`, `a` (never "" and never loops on an absolute path)."""
    parent = posixpath.dirname(path)
    while parent and parent != posixpath.dirname(parent):
        yield parent
        parent = posixpath.dirname(parent)
    if parent:
        yield parent


class StageGraph:
    """The stages of one view and what each writes and reads (DVC's pipeline graph)."""

    def __init__(self, ctx: Context, view: View) -> None:
        self.ctx = ctx
        self.view: View = view
        self.stages = ctx.stages(view)
        self.producers = {out.repo_path: s for s in self.stages for out in s.outs}
        self.dvc_files: dict[str, DvcFile] = {
            out.repo_path: f
            for f in load_dvc_files(ctx.snapshot(view), ctx.projects(view))
            for out in f.outs
        }
        self.managed_under: dict[str, list[str]] = {}
        for path in [*self.producers, *self.dvc_files]:
            for folder in ancestors(path):
                self.managed_under.setdefault(folder, []).append(path)
        self._downstream: dict[int, list[Stage]] = {}
        for stage in self.stages:
            for upstream in self.upstream_of(stage):
                self._downstream.setdefault(id(upstream), []).append(stage)
        # What `repro_plan` computes, once per run: by stage, by dep path, by plan asked.
        self.results: dict[int, tuple[str, ...]] = {}
        self.dep_results: dict[str, tuple[str, ...]] = {}
        self.plans: dict[Hashable, ReproPlan] = {}
        self.ignores_asked = False

    def upstream_of(self, stage: Stage) -> Iterator[Stage]:
        """Stages writing a dep of this stage (the same path, a folder of it, or inside it)."""
        for dep in stage.deps:
            for path in self.managed_paths(dep.repo_path):
                producer = self.producers.get(path)
                if producer is not None and producer is not stage:
                    yield producer

    def managed_paths(self, path: str) -> list[str]:
        """DVC-managed paths a dep reads: itself, a folder holding it, paths below it."""
        return [path, *ancestors(path), *self.managed_under.get(path, [])]

    def downstream(self, *stages: Stage) -> list[Stage]:
        """The stages and every stage after them, in pipeline order."""
        seen = {id(s) for s in stages}
        queue = list(stages)
        while queue:
            for nxt in self._downstream.get(id(queue.pop()), []):
                if id(nxt) not in seen:
                    seen.add(id(nxt))
                    queue.append(nxt)
        return [s for s in self.stages if id(s) in seen]

    def is_last(self, stage: Stage, among: set[int]) -> bool:
        """No stage directly after `stage` is among these (their ids)."""
        return not any(id(s) in among for s in self._downstream.get(id(stage), []))


def graph(ctx: Context, view: View) -> StageGraph:
    return ctx.memo((graph, view), lambda: StageGraph(ctx, view))


class ReproPlan:
    """What re-runs (`targets`, as DVC addresses them) and what to stage after it."""

    first: tuple[Stage, ...]  # the stages whose inputs changed
    targets: tuple[str, ...]
    paths: tuple[str, ...]  # repo-relative
    force: bool
    before: str  # a command to run first, from the project root (`dvc add data.csv`)

    __slots__ = ("before", "first", "force", "paths", "targets")

    def __init__(
        self,
        first: tuple[Stage, ...],
        targets: tuple[str, ...],
        paths: tuple[str, ...],
        force: bool = False,
        before: str = "",
    ) -> None:
        self.first = first
        self.targets = targets
        self.paths = paths
        self.force = force
        self.before = before

    @property
    def command(self) -> str:
        project = self.first[0].pipeline.project
        targets = " ".join(shlex.quote(t) for t in self.targets)
        steps = [self.before] if self.before else []
        if self.force:  # the stage's recorded inputs cannot be trusted: run it again anyway
            forced = " ".join(shlex.quote(s.address) for s in self.first)
            steps.append(f"dvc repro --force --single-item {forced}")
        steps.append(f"dvc repro {targets}")
        rel = list(dict.fromkeys(project.relative(p) for p in self.paths))
        steps.append(f"git add {' '.join(shlex.quote(p) for p in rel)}")
        return project.command(" && ".join(steps))


def repro_plan(
    ctx: Context,
    stages: Stage | Sequence[Stage],
    view: View = "staged",
    also: Iterable[str] = (),
    force: bool = False,
    before: str = "",
) -> ReproPlan:
    """Re-run `stages` and what follows them; stage every result, plus the paths `also` names.

    Computed once per run for the same question (findings of DVF2 and DVF3 share plans)."""
    first = (stages,) if isinstance(stages, Stage) else tuple(stages)
    extra = tuple(also)
    pipeline_graph = graph(ctx, view)
    key = (tuple(id(s) for s in first), extra, force, before)
    if key not in pipeline_graph.plans:
        pipeline_graph.plans[key] = _plan(ctx, pipeline_graph, first, extra, force, before)
    return pipeline_graph.plans[key]


def _plan(
    ctx: Context,
    pipeline_graph: StageGraph,
    first: tuple[Stage, ...],
    also: tuple[str, ...],
    force: bool,
    before: str,
) -> ReproPlan:
    chain = pipeline_graph.downstream(*first)
    ids = {id(s) for s in chain}
    last = [s for s in chain if s not in first and pipeline_graph.is_last(s, ids)]
    targets = tuple(dict.fromkeys(s.address for s in [*first, *last]))
    paths: list[str] = []
    for member in chain:
        paths.extend(_results(ctx, pipeline_graph, member))
    paths.extend(also)
    return ReproPlan(first, targets, tuple(dict.fromkeys(paths)), force, before)


def repro_fix(
    ctx: Context,
    stages: Stage | Sequence[Stage],
    view: View = "staged",
    also: Iterable[str] = (),
    force: bool = False,
) -> str:
    return repro_plan(ctx, stages, view, also, force).command


def readers(ctx: Context, view: View, paths: Iterable[str]) -> list[Stage]:
    """The stages that read any of these paths (a dep on them, a folder of them, inside them)."""
    wanted = set(paths)
    pipeline_graph = graph(ctx, view)
    return [
        s
        for s in pipeline_graph.stages
        if any(wanted.intersection(pipeline_graph.managed_paths(d.repo_path)) for d in s.deps)
    ]


def commit_fix(stage: Stage, *also_stage: str) -> str:
    """`dvc commit -f <stage>`: rewrite the lock entry from dvc.yaml without re-running (only
    right when no dep's content changed)."""
    project = stage.pipeline.project
    paths = [lock_path(stage.pipeline), *also_stage]
    rel = " ".join(shlex.quote(p) for p in dict.fromkeys(project.relative(p) for p in paths))
    return project.command(f"dvc commit -f {shlex.quote(stage.address)} && git add {rel}")


def _results(ctx: Context, pipeline_graph: StageGraph, stage: Stage) -> tuple[str, ...]:
    """dvc.lock, params files, Git-tracked outs and deps, `.dvc` files of the data it reads."""
    key = id(stage)
    if key not in pipeline_graph.results:
        _ask_ignores(ctx, pipeline_graph)
        pipeline_graph.results[key] = tuple(_stage_results(ctx, pipeline_graph, stage))
    return pipeline_graph.results[key]


def _stage_results(ctx: Context, pipeline_graph: StageGraph, stage: Stage) -> Iterator[str]:
    yield lock_path(stage.pipeline)
    workspace = ctx.workspace
    for param in stage.params:
        if workspace.is_file(param.repo_path) or ctx.staged.is_file(param.repo_path):
            yield param.repo_path
    for out in stage.outs:
        if out.flag("cache", True) is False and git_may_track(ctx, out.repo_path):
            yield out.repo_path
    for dep in stage.deps:
        yield from _dep_results(ctx, pipeline_graph, dep.repo_path)


def _dep_results(ctx: Context, pipeline_graph: StageGraph, path: str) -> tuple[str, ...]:
    if path not in pipeline_graph.dep_results:
        pipeline_graph.dep_results[path] = tuple(_compute_dep_results(ctx, pipeline_graph, path))
    return pipeline_graph.dep_results[path]


def _compute_dep_results(ctx: Context, pipeline_graph: StageGraph, path: str) -> Iterator[str]:
    managed = pipeline_graph.managed_paths(path)
    data = [pipeline_graph.dvc_files[p].path for p in managed if p in pipeline_graph.dvc_files]
    if data:
        yield from data
        return
    if any(p in pipeline_graph.producers for p in managed):
        return  # another stage's output: in the cache, recorded by that stage's dvc.lock
    if ctx.staged.is_file(path) or ctx.workspace.is_file(path):
        if git_may_track(ctx, path):
            yield path
    elif ctx.staged.is_dir(path):
        yield path  # a folder Git tracks: DVC hashed all of it, Git must have all of it


def git_may_track(ctx: Context, path: str) -> bool:
    """In the index, or a path Git does not ignore: in the work tree, or not written yet (a
    clone without the results, an output the next run writes)."""
    if ctx.staged.exists(path):
        return True
    if (ctx.root / path).exists():
        visible = ctx.memo(git_may_track, lambda: frozenset(ctx.workspace.files()))
        return path in visible or any(p.startswith(path + "/") for p in visible)
    return not _git_ignores(ctx, path)


def _ask_ignores(ctx: Context, pipeline_graph: StageGraph) -> None:
    """Ask Git in one batch about every path a plan of this graph may ask about: the
    `cache: false` outputs absent from the index and the work tree."""
    if pipeline_graph.ignores_asked:
        return
    pipeline_graph.ignores_asked = True
    absent = [
        out.repo_path
        for stage in pipeline_graph.stages
        for out in stage.outs
        if out.flag("cache", True) is False
        and not ctx.staged.exists(out.repo_path)
        and not (ctx.root / out.repo_path).exists()
    ]
    _ignored(ctx, absent)


def _git_ignores(ctx: Context, path: str) -> bool:
    """`git check-ignore` for a path absent from the work tree, asked once per run and path."""
    return _ignored(ctx, [path])[path]


def _ignored(ctx: Context, paths: list[str]) -> dict[str, bool]:
    """Whether Git ignores each path (`git check-ignore`): the paths not asked before this run
    go to one `git check-ignore -z --stdin`, or one call each if that batch fails."""
    answers: dict[str, bool] = ctx.memo(_git_ignores, dict)
    new = list(dict.fromkeys(p for p in paths if p not in answers))
    if new:
        from dvcflow.git.repo import check_ignore, check_ignore_one

        found = check_ignore(ctx.root, new)
        if found is None:
            found = {p for p in new if check_ignore_one(ctx.root, p)}
        answers.update((p, p in found) for p in new)
    return answers
