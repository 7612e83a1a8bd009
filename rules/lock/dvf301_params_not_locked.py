"""DVF301 params-not-locked: a param's value in this commit is not the one dvc.lock records.

Why: dvc.lock is the record of which params produced the committed results. When params.yaml
is edited and committed without `dvc repro` (or reproduced but dvc.lock left unstaged), the
commit claims results for params that never produced them; `dvc status` in a clone of it
reports the stage as changed and `dvc repro` re-runs it. Values are compared as DVC compares
them: Python equality after a YAML 1.2 load (`1` equals `1.0`, `true` equals `1`, `2e-1`
equals `0.2`; `yes` is a string and `'1'` differs from `1`); nested mappings and lists compare
whole; a whole-file param (`- params.yaml:` with no keys) compares every top-level key. A key
present on one side only is a difference too. Params used only through `${}` in `cmd` are not
recorded under `params` in dvc.lock: a change to them shows up as a changed command (DVF302).

Wrong (params.yaml staged with `lr: 0.2`, dvc.lock staged from the run with `lr: 0.1`):

    # params.yaml
    train:
      lr: 0.2
    # dvc.lock
    stages:
      train:
        params:
          params.yaml:
            train.lr: 0.1

Right: `dvc repro train`, then commit params.yaml and dvc.lock together (dvc.lock then
records `train.lr: 0.2`).

Fix: `dvc repro train && git add dvc.lock params.yaml` (if the work tree's dvc.lock is already
up to date, `dvc repro` does nothing and the `git add` stages it).
"""

from __future__ import annotations

from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.rules.lock.analysis import (
    MISSING,
    LockAnalysis,
    ParamDiff,
    lock_path,
    repro_fix,
    scoped_diffs,
    show_value,
)

CODE = "DVF301"
NAME = "params-not-locked"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    for diff in scoped_diffs(ctx, LockAnalysis.param_diffs):
        path = diff.decl.repo_path
        yield RULE.at(
            path,
            diff.line,
            diff.column,
            _message(diff),
            fix=_fix(diff),
            stage=diff.stage.address,
            target=f"{path}:{diff.key}" if diff.key else path,
        )


def _fix(diff: ParamDiff) -> str:
    path = diff.decl.repo_path
    if diff.key is None:
        return (
            f"commit {path} (`git add {path}`) or drop it from the params of stage "
            f"'{diff.stage.address}', then `{repro_fix(diff.stage)}`"
        )
    return repro_fix(diff.stage, path)


def _message(diff: ParamDiff) -> str:
    stage = diff.stage.address
    lock = lock_path(diff.stage.pipeline)
    if diff.key is None:
        return (
            f"{diff.decl.repo_path} is not in this commit but {lock} records params from it "
            f"for stage '{stage}'"
        )
    if diff.actual is MISSING:
        return (
            f"{diff.key} is missing in this commit but {lock} records "
            f"{show_value(diff.recorded)} for stage '{stage}'"
        )
    if diff.recorded is MISSING:
        return (
            f"{diff.key} is {show_value(diff.actual)} in this commit but {lock} records no "
            f"value for stage '{stage}'"
        )
    return (
        f"{diff.key} is {show_value(diff.actual)} in this commit but {lock} records "
        f"{show_value(diff.recorded)} for stage '{stage}'"
    )
