"""DVF105 invalid-pipeline: a dvc.yaml or dvc.lock that DVC would refuse to load.

Why: DVC validates dvc.yaml and dvc.lock as a whole before it runs anything; one bad key makes
every `dvc repro`, `dvc status` and `dvc exp run` fail, for everyone who pulls the commit.

Reported: YAML syntax errors, unresolved merge-conflict markers, unknown keys, wrong types,
a `${}` that cannot be resolved, bad `foreach`/`matrix`, duplicate stage names or outputs,
a dvc.lock in the DVC 1.x format or with an unknown schema version.

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

Fix: edit the line named in the finding; for dvc.lock, regenerate it with `dvc repro`.
"""

from __future__ import annotations

from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.pipeline import Pipeline, Problem

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
                fix=problem.fix or _fix_for(problem),
                stage=_stage_address(pipeline, problem.stage),
                target=problem.path,
            )


def _in_scope(ctx: Context, pipeline: Pipeline) -> bool:
    return ctx.touches(pipeline.path, *(p for p in [pipeline.lock_path] if p), *pipeline.vars_files)


def _message(problem: Problem) -> str:
    return f"DVC would refuse this file: {problem.message}"


def _fix_for(problem: Problem) -> str:
    for needle, fix in _FIXES.items():
        if needle in problem.message:
            return fix
    return "correct the line shown; `dvc stage list` confirms DVC accepts the file"


def _stage_address(pipeline: Pipeline, stage: str | None) -> str | None:
    if stage is None:
        return None
    rel = pipeline.project.relative(pipeline.path)
    return stage if rel == "dvc.yaml" else f"{rel}:{stage}"
