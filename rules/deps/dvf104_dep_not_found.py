"""DVF104 dep-not-found: a stage depends on a path that a fresh clone will not have.

Why: `dvc repro` on a fresh clone (CI, a colleague) fails with "missing dependencies" when a
dep is neither committed, nor produced by a stage, nor tracked by a `.dvc` file that
`dvc pull` restores. It usually means a file was not `git add`ed, a `.dvc` file was deleted,
or a path has a typo.

A dep is found when it is a file or folder in the commit, when any stage of any dvc.yaml in
the repository (or any dvc.lock) lists it, a folder above it or a path below it as an output,
or when a `.dvc` file tracks it (or a folder above it). URLs (`s3://`, `https://`, ...) and
paths outside the repository are not checked. A `foreach`/`matrix` stage is reported once
per dep entry, naming the instances.

Wrong (data/raw.csv exists only on the author's machine):

    stages:
      prepare:
        cmd: python prepare.py
        deps:
          - data/raw.csv

Right: `dvc add data/raw.csv` and commit `data/raw.csv.dvc` (or `git add` a small file),
or list the stage that creates it.

Fix: the message says whether the path exists in the work tree but is not committed.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.pipeline import PathDecl, Stage
from dvcflow.git.snapshot import is_within
from dvcflow.rules.deps.analysis import DepsAnalysis, analysis, data_location, definition_address

CODE = "DVF104"
NAME = "dep-not-found"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    an = analysis(ctx)
    for group in an.groups:
        missing: dict[tuple[int, int], list[tuple[Stage, PathDecl]]] = {}
        for stage in group:
            for dep in stage.deps:
                if _missing(an, dep) and _in_scope(ctx, an, stage, dep):
                    missing.setdefault((dep.line, dep.column), []).append((stage, dep))
        for (line, column), hits in missing.items():
            yield _diagnostic(ctx, an, group, line, column, hits)


def _missing(an: DepsAnalysis, dep: PathDecl) -> bool:
    path = dep.repo_path
    if data_location(dep.path) or dep.path.startswith("/") or path.startswith("../"):
        return False
    return not an.exists(path) and not an.is_produced(path)


def _in_scope(ctx: Context, an: DepsAnalysis, stage: Stage, dep: PathDecl) -> bool:
    """The stage is touched, or the commit removes the dep or the `.dvc` file tracking it."""
    if an.in_scope(stage):
        return True
    for changed in ctx.changed:
        tracked = changed[: -len(".dvc")] if changed.endswith(".dvc") else changed
        if is_within(tracked, dep.repo_path) or is_within(dep.repo_path, tracked):
            return True
    return False


def _diagnostic(
    ctx: Context,
    an: DepsAnalysis,
    group: list[Stage],
    line: int,
    column: int,
    hits: list[tuple[Stage, PathDecl]],
) -> Diagnostic:
    paths = list(dict.fromkeys(dep.repo_path for _, dep in hits))
    label = an.stage_label(group, (stage for stage, _ in hits))
    shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
    verb = "is" if len(paths) == 1 else "are"
    message = (
        f"stage {label} depends on {shown}, which {verb} not in the commit, not an output "
        "of any stage and not tracked by a .dvc file"
    )
    return RULE.at(
        group[0].pipeline.path,
        line,
        column,
        message,
        fix=_fix(ctx, hits[0][0], paths[0]),
        stage=definition_address(group[0]),
        target=paths[0],
    )


def _fix(ctx: Context, stage: Stage, path: str) -> str:
    project = stage.pipeline.project
    dvc_add = project.command(f"dvc add {shlex.quote(project.relative(path))}")
    if ctx.workspace.exists(path):
        return (
            f"`git add {shlex.quote(path)}` if it belongs in Git, or track data with "
            f"`{dvc_add}` and commit the .dvc file"
        )
    return f"correct the path, add the stage that creates it, or track it with `{dvc_add}`"
