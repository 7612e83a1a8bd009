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

from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.rules.lock.analysis import analysis, git_add

CODE = "DVF304"
NAME = "orphan-lock-entry"
SEVERITY: Severity = "warning"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    for pipeline, entry in analysis(ctx).orphans():
        lock = pipeline.lock_path or "dvc.lock"
        yield RULE.at(
            lock,
            entry.line,
            1,
            f"{lock} records stage '{entry.name}', which {pipeline.path} no longer defines",
            fix=f"delete the `{entry.name}:` entry from {lock}, then "
            f"`{pipeline.project.command(git_add(pipeline, [lock]))}`",
            target=entry.name,
        )
