"""Stale outputs: `dvc status` per stage, judged like `dvc repro --allow-missing --dry`.

The engine behind the staleness rules (hook `dvcflow-stale`).

1. The status. For each DVC project of the workspace, the result of DVC's `Repo.status()`
   (`{"train": [{"changed deps": {"params.yaml": {"train.lr": "modified"}}}]}`): computed by
   `dvcflow.dvc.status.fast` without importing DVC; a stage or `.dvc` file it does not model
   is handed over alone, as a target, to DVC's own Python API (`handover`, imported lazily,
   only then); the whole project only for config it does not model.
2. The verdict. Each reported change is either *stale* (what `dvc repro --allow-missing`
   would re-run a stage for: a modified or new dep, changed params, a modified output, a
   changed command) or *missing* data (a deleted dep, an output deleted or not in the cache:
   a fresh clone before `dvc pull`). A deleted dep still counts as stale when the stage that
   produces it recorded another version of it than this stage's dvc.lock entry (DVC's
   `upstream` check). `frozen`, `always_changed` and cmd-only stages, and stages listed in
   `[tool.dvcflow.stale] ignore-stages`, are never reported.

The workspace is judged as a whole in every mode (pre-commit and `--all`): dvc.yaml and
dvc.lock are read from the work tree, as DVC reads them. The `dvc` package is needed only when
DVC itself must answer, and only for the stages it must judge; then its absence is a warning
problem naming them and how to install it. A project whose dvc.yaml or dvc.lock DVC would
refuse is left to the rule that validates pipelines.
"""

from __future__ import annotations

import os
import posixpath
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from dvcflow.dvc.dvcfiles import is_dvc_file
from dvcflow.dvc.pipeline import Pipeline
from dvcflow.dvc.projects import DvcProject
from dvcflow.dvc.status.fast import FastStatus, project_status
from dvcflow.dvc.status.gitignore import skipped_by_dvc
from dvcflow.dvc.status.handover import dvc_status
from dvcflow.dvc.status.ignore import DvcIgnore
from dvcflow.dvc.status.locks import busy_reason, is_busy
from dvcflow.dvc.status.model import RawStatus, StatusEntry, Unsupported
from dvcflow.dvc.status.report import (
    Change,
    ChangeKind,
    DvcBusy,
    DvcFailed,
    DvcNotInstalled,
    Problem,
    StaleReport,
    Verdict,
)
from dvcflow.dvc.status.verdicts import judge, parse_changes
from dvcflow.git.blobcache import blob_cache
from dvcflow.git.snapshot import is_within

if TYPE_CHECKING:
    from dvcflow.context import Context

__all__ = [
    "Change",
    "ChangeKind",
    "DvcBusy",
    "DvcFailed",
    "DvcNotInstalled",
    "Problem",
    "RawStatus",
    "StaleReport",
    "StatusEntry",
    "Unsupported",
    "Verdict",
    "build_report",
    "busy_reason",
    "dvc_status",
    "install_dvc_fix",
    "is_busy",
    "parse_changes",
    "stale_report",
]


# --------------------------------------------------------------------------- entry point


def stale_report(ctx: Context) -> StaleReport:
    """The workspace's staleness, computed once per run and shared by the staleness rules."""
    return ctx.memo(stale_report, lambda: build_report(ctx))


def build_report(ctx: Context, *, engine: Literal["auto", "fast", "dvc"] = "auto") -> StaleReport:
    """Judge every stage and `.dvc` file of every DVC project in the workspace.

    `engine` forces one path (tests compare both); "fast" raises Unsupported where the fast
    path would hand over to DVC.
    """
    report = StaleReport()
    project_map = ctx.projects("workspace")
    if not project_map.projects:
        return report
    pipelines = ctx.pipelines("workspace")
    dvc_files = _dvc_files(ctx)
    roots = tuple(p.root for p in project_map.projects)
    ignored = [str(s) for s in ctx.config.option("stale", "ignore-stages")]
    for project in project_map.projects:
        if not project.initialized:  # no `.dvc/` in the work tree: DVC cannot run there
            continue
        mine = [p for p in pipelines if p.project.root == project.root]
        files = [f for f in dvc_files if project_map.owner(f) is project]
        hidden = skipped_by_dvc(ctx.root, project.root, [*files, *(p.path for p in mine)])
        if hidden:  # DVC's index does not load DVC files Git ignores: neither does its status
            mine = [p for p in mine if p.path not in hidden]
            files = [f for f in files if f not in hidden]
        raw = _project_raw(ctx, report, project, mine, files, roots, engine)
        if raw is not None:
            report.raw[project.root] = raw
            report.verdicts.extend(judge(ctx, project, mine, files, raw, ignored))
    return report


def _dvc_files(ctx: Context) -> list[str]:
    snapshot = ctx.workspace
    project_map = ctx.projects("workspace")
    found: list[str] = []
    ignores: dict[str, DvcIgnore] = {}
    for path in snapshot.files():
        if not is_dvc_file(path):
            continue
        owner = project_map.owner(path)
        if owner is None:
            continue
        if owner.root not in ignores:
            ignores[owner.root] = DvcIgnore(owner)
        if not ignores[owner.root].is_ignored(path):
            found.append(path)
    return found


def _project_raw(
    ctx: Context,
    report: StaleReport,
    project: DvcProject,
    pipelines: list[Pipeline],
    dvc_files: list[str],
    roots: tuple[str, ...],
    engine: str,
) -> RawStatus | None:
    where = _problem_path(project, pipelines)
    folder = project_dir(ctx.root, project)
    if any(p.problems for p in pipelines):  # the pipeline rules report why DVC refuses them
        report.engines[project.root] = "skipped: a dvc.yaml or dvc.lock DVC would refuse"
        report.problems.extend(_unstaged_refusals(ctx, pipelines))
        return None
    busy = busy_reason(folder)
    if busy is not None:
        report.problems.append(_busy_problem(project, where, busy))
        return None
    if _refuse_unsafe_inputs(ctx, report, project, pipelines, dvc_files, deep=False):
        return None
    nested = tuple(r for r in roots if r != project.root and is_within(r, project.root))
    fast: FastStatus | None = None
    if engine == "dvc":
        report.engines[project.root] = "dvc: requested"
    else:
        try:
            fast = project_status(
                ctx.root, project, pipelines, dvc_files, ctx.workspace, nested, blob_cache(ctx)
            )
        except Unsupported as exc:
            if engine == "fast":
                raise
            report.engines[project.root] = f"dvc: {exc}"
            report.handed_over[_label(project, "(the whole project)")] = str(exc)
    if fast is not None:
        if engine == "fast" and fast.handed:
            raise Unsupported(next(iter(fast.handed.values())))
        _count_fast(report, project, fast)
        if not fast.handed:
            return fast.raw
    targets = list(fast.handed) if fast is not None else None
    report.judged["dvc"] += len(targets) if targets is not None else _size(pipelines, dvc_files)
    if _refuse_unsafe_inputs(ctx, report, project, pipelines, dvc_files, deep=True):
        return None
    try:
        return {**(fast.raw if fast else {}), **dvc_status(folder, targets)}
    except DvcNotInstalled:
        report.problems.append(_no_dvc_problem(project, where, targets, report.handed_over))
    except DvcBusy as exc:
        report.problems.append(_busy_problem(project, where, str(exc).splitlines()[0]))
    except DvcFailed as exc:
        report.problems.append(
            Problem(
                where,
                f"DVC cannot compute the status of the pipelines: {exc}",
                project.command("dvc status"),
            )
        )
    return fast.raw if fast is not None else None


def _count_fast(report: StaleReport, project: DvcProject, fast: FastStatus) -> None:
    report.judged["fast"] += fast.judged
    for address, what in fast.not_checked.items():
        report.not_checked[_label(project, address)] = what
    for address, why in fast.handed.items():
        # A `.dvc` file's reason starts with its own path: the label says it once.
        report.handed_over[_label(project, address)] = why.removeprefix(f"{address}: ")
    report.engines[project.root] = "fast"
    if fast.handed:
        report.engines[project.root] = f"fast; dvc for {', '.join(fast.handed)}"


def _no_dvc_problem(
    project: DvcProject, where: str, targets: list[str] | None, why: dict[str, str]
) -> Problem:
    """DVC must judge some stages, and it is not installed: a warning, not an error exit."""
    what = ", ".join(targets) if targets else "this project"
    reason = next(iter(why.values()), "") if why else ""
    message = (
        f"staleness of {what} was not checked: it needs DVC's own engine"
        f"{f' ({reason})' if reason else ''}, and the `dvc` package is not installed where "
        "dvcflow runs"
    )
    return Problem(where, message, install_dvc_fix("dvc"), severity="warning", needs_dvc=True)


def install_dvc_fix(requirement: str) -> str:
    """How to make `dvc` importable: the hook's environment under pre-commit, else pip."""
    if os.environ.get("PRE_COMMIT") == "1":
        return (
            f'add `additional_dependencies: ["{requirement}"]` to the dvcflow hook in '
            ".pre-commit-config.yaml"
        )
    return f"pip install {shlex.quote(requirement)}"


def _label(project: DvcProject, address: str) -> str:
    """A stage or `.dvc` file as the user finds it from the repository root."""
    return f"{address} (project {project.root}/)" if project.root else address


def _size(pipelines: list[Pipeline], dvc_files: list[str]) -> int:
    return sum(len(p.stages) for p in pipelines) + len(dvc_files)


def _refuse_unsafe_inputs(
    ctx: Context,
    report: StaleReport,
    project: DvcProject,
    pipelines: list[Pipeline],
    dvc_files: list[str],
    *,
    deep: bool,
) -> bool:
    """Never hand DVC a FIFO, a device or a symlink loop to hash (it hangs or reads forever):
    a problem naming the first such file instead (issue 16). Every dvc.yaml, dvc.lock, .dvc
    file, dep, out and params file is checked before the fast path; with `deep` (before the
    hand-over to DVC) the files below folders too."""
    paths = [*dvc_files, *(p.path for p in pipelines)]
    paths.extend(posixpath.join(posixpath.dirname(p.path), "dvc.lock") for p in pipelines)
    for stage in (s for p in pipelines for s in p.stages):
        paths.extend(d.repo_path for d in (*stage.deps, *stage.outs))
        paths.extend(p.repo_path for p in stage.params)
    refused = ctx.workspace.refusals(dict.fromkeys(paths), below=deep)
    if not refused:
        return False
    path, why = refused[0]
    report.engines[project.root] = f"skipped: {path} {why}"
    report.problems.append(
        Problem(
            path,
            f"{path} {why}; staleness was not checked (dvcflow never hands such a file to DVC)",
            f"replace {path} with a regular file or folder",
        )
    )
    return True


def _unstaged_refusals(ctx: Context, pipelines: list[Pipeline]) -> Iterator[Problem]:
    """The pipeline rules judge the commit; when only the work tree's files (a dvc.yaml, its
    dvc.lock, params or `vars` files) are what DVC refuses, say so rather than skip staleness
    silently (`dvc status` fails on them)."""
    staged = {p.path: p for p in ctx.pipelines("staged")}
    for pipeline in pipelines:
        committed = staged.get(pipeline.path)
        if not pipeline.problems or (committed is not None and committed.problems):
            continue  # the commit has the problem too: the pipeline rules report it
        problem = pipeline.problems[0]
        yield Problem(
            problem.path,
            "staleness was not checked: DVC refuses the work tree's files, which differ from "
            f"the commit (unstaged changes): {problem.message}",
            "correct them, or set the unstaged changes aside: `git stash --keep-index`",
            problem.line,
        )


def _problem_path(project: DvcProject, pipelines: list[Pipeline]) -> str:
    if pipelines:
        return pipelines[0].path
    return posixpath.join(project.root, ".dvc", "config") if project.root else ".dvc/config"


def _busy_problem(project: DvcProject, where: str, why: str) -> Problem:
    return Problem(
        where,
        f"DVC is busy ({why.rstrip(':. ')}); staleness was not checked",
        "wait for it to finish and commit again (if no DVC process runs, see "
        "https://dvc.org/doc/user-guide/troubleshooting#lock-issue)",
    )


def project_dir(root: Path, project: DvcProject) -> str:
    return str(root / project.root) if project.root else str(root)
