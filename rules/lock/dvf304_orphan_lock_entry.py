"""DVF304 orphan-lock-entry: dvc.lock records a stage that dvc.yaml no longer defines.

Why: DVC keeps the entries of removed or renamed stages in dvc.lock (neither `dvc repro` nor
`dvc status` mentions them). They mislead readers and tools about what the pipeline ran, and a
later stage with the same name inherits a stale record. A warning: DVC itself ignores them.

Wrong (stage `prepare` renamed to `featurize` in dvc.yaml):

    # dvc.lock
    stages:
      prepare:      # no such stage in dvc.yaml any more
        cmd: python prepare.py
      featurize:
        cmd: python prepare.py

Right: dvc.lock has entries only for the stages of its dvc.yaml.

Fix: delete the `prepare:` entry from dvc.lock, then `git add dvc.lock`.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.lock import LockStage
from dvcflow.dvc.pipeline import Pipeline
from dvcflow.rules.lock.analysis import lock_path

CODE = "DVF304"
NAME = "orphan-lock-entry"
SEVERITY: Severity = "warning"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    for pipeline, entry in orphans(ctx):
        lock = lock_path(pipeline)
        project = pipeline.project
        yield RULE.at(
            lock,
            entry.line,
            1,
            f"{lock} records stage '{entry.name}', which {pipeline.path} no longer defines",
            fix=f"delete the `{entry.name}:` entry from {lock}, then "
            f"`{project.command(f'git add {shlex.quote(project.relative(lock))}')}`",
            stage=address(pipeline, entry.name),
            target=entry.name,
        )


def address(pipeline: Pipeline, name: str) -> str:
    """The stage as DVC would address it from its project's root (`sub/dvc.yaml:train`)."""
    rel = pipeline.project.relative(pipeline.path)
    return name if rel == "dvc.yaml" else f"{rel}:{name}"


def orphans(ctx: Context) -> Iterator[tuple[Pipeline, LockStage]]:
    """Lock entries of the pipelines the commit touches that name no stage of their dvc.yaml."""
    for pipeline in ctx.pipelines("staged"):
        if not ctx.touches(pipeline.path, lock_path(pipeline)):
            continue  # (before `lock`: an untouched pipeline's dvc.lock is never parsed)
        if pipeline.lock is None or pipeline.document is None:
            continue
        if any(p.path == pipeline.path for p in pipeline.problems):
            continue  # stages that failed to load would all look orphaned
        names = {s.name for s in pipeline.stages}
        for name, entry in pipeline.lock.stages.items():
            if name not in names:
                yield pipeline, entry
