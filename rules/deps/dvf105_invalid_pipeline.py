"""DVF105 invalid-pipeline: a dvc.yaml, dvc.lock, `.dvc` file or `.dvcignore` DVC would refuse.

Why: DVC validates dvc.yaml and dvc.lock as a whole before it runs anything; one bad key makes
every `dvc repro`, `dvc status` and `dvc exp run` fail, for everyone who pulls the commit.
The same holds for a `.dvc` file (what `dvc add` and `dvc import` write) and for a `.dvcignore`
line DVC cannot compile: every `dvc` command stops with "Invalid git pattern".

Reported: YAML syntax errors, unresolved merge-conflict markers, unknown keys, wrong types,
a `${}` that cannot be resolved, bad `foreach`/`matrix`, duplicate stage names or outputs,
a dvc.lock in the DVC 1.x format or with an unknown schema version; in a `.dvc` file, what
DVC's schema refuses (a `size` that is not an integer, a checksum shorter than 3 characters,
an output without `path`, an unknown key) and values DVC crashes on (a date such as
`2020-13-45`, an unquoted all-digit md5); in a `.dvcignore`, a line that is only `!`, or
that ends in a backslash once DVC strips its trailing spaces (an escaped trailing space).
In pre-commit mode a file is checked when the commit touches it (a dvc.yaml with its
dvc.lock and `vars` files); `--all` checks every file.

Wrong (some guides recommend `outs_persist`, which DVC rejects):

    stages:
      train:
        cmd: python train.py
        outs_persist:
          - model.pkl

Right:

    stages:
      train:
        cmd: python train.py
        outs:
          - model.pkl:
              persist: true

Fix: edit the line named in the finding; for dvc.lock, regenerate it with `dvc repro`; for a
`.dvc` file written by `dvc add`, correct the value or delete the file and run `dvc add` again.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.dvcfiles import dvc_file_problems, is_dvc_file, load_dvc_file
from dvcflow.dvc.pipeline import Pipeline, Problem, source_line
from dvcflow.dvc.projects import DvcProject

CODE = "DVF105"
NAME = "invalid-pipeline"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)

_FIXES = {
    "unknown key 'outs_persist'": "declare it under outs: `- <path>:` then `persist: true`",
    "merge-conflict marker": "resolve the merge conflict, keeping one side of each hunk",
    "duplicate key": "rename or merge the repeated key",
}


def check(ctx: Context) -> Iterator[Diagnostic]:
    for pipeline in ctx.pipelines("staged"):
        if not _in_scope(ctx, pipeline):
            continue
        for problem in pipeline.problems:
            yield RULE.at(
                problem.path,
                problem.line,
                problem.column,
                _message(problem),
                fix=problem.fix or _fix_for(ctx, problem),
                stage=_stage_address(pipeline, problem.stage),
                target=problem.path,
            )
    yield from _dvcignore_findings(ctx)
    yield from _dvc_file_findings(ctx)


def _dvcignore_findings(ctx: Context) -> Iterator[Diagnostic]:
    """`.dvcignore` lines DVC cannot compile (dvcflow.dvc.projects skips them, DVC stops)."""
    for project in ctx.projects("staged").projects:
        for problem in project.ignore_problems:
            if ctx.touches(problem.path):
                yield RULE.at(
                    problem.path,
                    problem.line,
                    1,
                    f"DVC would refuse this file: {problem.message}",
                    fix=problem.fix,
                    target=problem.path,
                )


def _dvc_file_findings(ctx: Context) -> Iterator[Diagnostic]:
    """`.dvc` files DVC collects (inside a project, not .dvcignored) that it would refuse."""
    candidates = ctx.staged.files() if ctx.all_files else sorted(ctx.changed)
    projects = ctx.projects("staged")
    for path in candidates:
        if not is_dvc_file(path) or not ctx.staged.is_file(path):
            continue
        project = projects.owner(path)
        if project is None or project.is_ignored(path):
            continue
        for problem in dvc_file_problems(ctx.staged, path):
            yield RULE.at(
                problem.path,
                problem.line,
                problem.column,
                f"DVC would refuse this file: {problem.message}",
                fix=_dvc_file_fix(ctx, project, path),
                target=path,
            )


def _dvc_file_fix(ctx: Context, project: DvcProject, path: str) -> str:
    """Correct the value; for a file `dvc add` wrote (`data.dvc` for `data`), re-adding works."""
    fix = "correct the value shown; `dvc status` confirms DVC accepts the file"
    dvc_file = load_dvc_file(ctx.staged, path)
    if dvc_file is None or dvc_file.is_import or dvc_file.entries != 1 or not dvc_file.outs:
        return fix
    out = dvc_file.outs[0].repo_path
    if f"{out}.dvc" != path:
        return fix
    rel_out, rel_file = project.relative(out), project.relative(path)
    quoted = shlex.quote(rel_file)
    redo = f"rm {quoted} && dvc add {shlex.quote(rel_out)} && git add {quoted}"
    return f"correct the value shown, or re-create the file: `{project.command(redo)}`"


def _in_scope(ctx: Context, pipeline: Pipeline) -> bool:
    return ctx.touches(pipeline.path, *(p for p in [pipeline.lock_path] if p), *pipeline.vars_files)


def _message(problem: Problem) -> str:
    return f"DVC would refuse this file: {problem.message}"


def _fix_for(ctx: Context, problem: Problem) -> str:
    for needle, fix in _FIXES.items():
        if needle in problem.message:
            return fix
    shown = source_line(ctx.staged, problem.path, problem.line)
    line = f"correct line {problem.line} of {problem.path}" + (f" (`{shown}`)" if shown else "")
    return f"{line}; `dvc stage list` confirms DVC accepts the file"


def _stage_address(pipeline: Pipeline, stage: str | None) -> str | None:
    if stage is None:
        return None
    rel = pipeline.project.relative(pipeline.path)
    return stage if rel == "dvc.yaml" else f"{rel}:{stage}"
