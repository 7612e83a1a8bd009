"""The pipelines' stages and how DVC links them (an output of one is a dependency of another),
read from the run's context for the reporters that draw the DAG.

DVC links two stages of one project when a dep path and an out path overlap: the same path, or
one a folder holding the other (`dvc/repo/graph.py`); stages of different projects never link.
"""

from __future__ import annotations

import bisect
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from dvcflow.diagnostics import Diagnostic
from dvcflow.errors import DvcflowError

if TYPE_CHECKING:
    from dvcflow.context import Context
    from dvcflow.dvc.pipeline import Stage


@dataclass(frozen=True)
class DagStage:
    pipeline: str  # repo-relative path of its dvc.yaml
    name: str  # "train@us"
    definition: str  # the key under `stages:` ("train" for every foreach/matrix instance)
    address: str  # as DVC names it from its project's root: "sub/dvc.yaml:train@us"
    project: str  # the project's root folder ("" for the repository root)
    deps: tuple[str, ...] = field(default=(), compare=False, repr=False)
    outs: tuple[str, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Dag:
    stages: tuple[DagStage, ...]
    edges: frozenset[tuple[int, int]]  # (upstream, downstream) stage indices
    unavailable: str | None = None  # why the pipelines could not be read

    def stage_of(self, diagnostic: Diagnostic) -> int | None:
        """The stage a finding is about (its `stage` as DVC names it, in the finding's project)."""
        if diagnostic.stage is None:
            return None
        candidates = self._by_address.get(diagnostic.stage, [])
        if len(candidates) > 1:
            inside = [i for i in candidates if _within(diagnostic.path, self.stages[i].project)]
            candidates = inside or candidates
        return candidates[0] if candidates else None

    @cached_property
    def _by_address(self) -> dict[str, list[int]]:
        index: dict[str, list[int]] = defaultdict(list)
        for i, stage in enumerate(self.stages):
            index[stage.address].append(i)
        return index

    def downstream(self, sources: Iterable[int]) -> set[int]:
        """Every stage reached from `sources` along the edges (the sources excluded)."""
        children: dict[int, list[int]] = defaultdict(list)
        for up, down in self.edges:
            children[up].append(down)
        start = set(sources)
        seen: set[int] = set()
        todo = list(start)
        while todo:
            for child in children[todo.pop()]:
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen - start


def build_dag(ctx: Context) -> Dag:
    try:
        pipelines = ctx.pipelines()
    except DvcflowError as exc:
        return Dag((), frozenset(), unavailable=str(exc))
    stages = tuple(_dag_stage(stage) for pipeline in pipelines for stage in pipeline.stages)
    return Dag(stages, frozenset(link(stages)))


def _dag_stage(stage: Stage) -> DagStage:
    return DagStage(
        pipeline=stage.pipeline.path,
        name=stage.name,
        definition=stage.definition,
        address=stage.address,
        project=stage.pipeline.project.root,
        deps=tuple(d.repo_path for d in stage.deps),
        outs=tuple(o.repo_path for o in stage.outs),
    )


def link(stages: Sequence[DagStage]) -> Iterator[tuple[int, int]]:
    """(producer, consumer) for every dep that overlaps another stage's out, per project."""
    by_project: dict[str, list[int]] = defaultdict(list)
    for i, stage in enumerate(stages):
        by_project[stage.project].append(i)
    for members in by_project.values():
        yield from _link_project(stages, members)


def _link_project(stages: Sequence[DagStage], members: list[int]) -> Iterator[tuple[int, int]]:
    producers: dict[str, list[int]] = defaultdict(list)
    for i in members:
        for out in stages[i].outs:
            producers[out].append(i)
    paths = sorted(producers)
    for i in members:
        for dep in stages[i].deps:
            for producer in _overlapping(dep, producers, paths):
                if producer != i:
                    yield (producer, i)


def _overlapping(dep: str, producers: dict[str, list[int]], paths: list[str]) -> Iterator[int]:
    # the dep itself, or an out folder holding it
    folder = dep
    while folder:
        yield from producers.get(folder, ())
        folder = posixpath.dirname(folder)
    # outs inside the dep (the dep is a folder)
    prefix = dep.rstrip("/") + "/"
    start = bisect.bisect_left(paths, prefix)
    for path in paths[start:]:
        if not path.startswith(prefix):
            break
        yield from producers[path]


def _within(path: str, folder: str) -> bool:
    return not folder or path == folder or path.startswith(folder.rstrip("/") + "/")
