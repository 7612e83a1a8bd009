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

Fix: `dvc repro train && git add dvc.lock params.yaml metrics.json` (the stage and the last
stages after it, then every result: see `dvcflow.rules.reprofix`; if the work tree is already
up to date, `dvc repro` does nothing and the `git add` stages it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.params import lookup
from dvcflow.dvc.pipeline import ParamDecl, Stage
from dvcflow.rules.lock.analysis import (
    MISSING,
    LockAnalysis,
    analysis,
    lock_entry,
    lock_path,
    params_equal,
    show_value,
)
from dvcflow.rules.reprofix import repro_fix

CODE = "DVF301"
NAME = "params-not-locked"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


class ParamDiff:
    """A declared param whose committed value is not the one dvc.lock records."""

    stage: Stage
    decl: ParamDecl
    key: str | None  # None: the params file itself is missing from the commit
    actual: Any  # MISSING when the commit lacks it
    recorded: Any  # MISSING when dvc.lock lacks it
    line: int
    column: int

    __slots__ = ("actual", "column", "decl", "key", "line", "recorded", "stage")

    def __init__(
        self,
        stage: Stage,
        decl: ParamDecl,
        key: str | None,
        actual: Any,
        recorded: Any,
        line: int,
        column: int,
    ) -> None:
        self.stage = stage
        self.decl = decl
        self.key = key
        self.actual = actual
        self.recorded = recorded
        self.line = line
        self.column = column


def check(ctx: Context) -> Iterator[Diagnostic]:
    lock = analysis(ctx)
    for stage in lock.in_scope:
        for diff in param_diffs(lock, stage):
            path = diff.decl.repo_path
            yield RULE.at(
                path,
                diff.line,
                diff.column,
                _message(diff),
                fix=_fix(ctx, diff),
                stage=diff.stage.address,
                target=f"{path}:{diff.key}" if diff.key else path,
            )


def param_diffs(lock: LockAnalysis, stage: Stage) -> Iterator[ParamDiff]:
    """DVC's `ParamsDependency.workspace_status`, on the commit: every declared key (or every
    top-level key of a whole-file param) whose value differs from the lock's."""
    entry = lock_entry(stage)
    if entry is None or stage.frozen:
        return
    for decl in stage.params:
        recorded = entry.params.get(decl.file)
        if recorded is None:
            continue  # the whole file is unlocked: DVF302
        data = lock.params_data(decl.repo_path)
        if data is None:
            continue  # unreadable: DVF103/DVF105 say why
        if data is MISSING:
            yield ParamDiff(stage, decl, None, MISSING, recorded, decl.line, decl.column)
            continue
        yield from _key_diffs(lock, stage, decl, data, recorded)


def _key_diffs(
    lock: LockAnalysis,
    stage: Stage,
    decl: ParamDecl,
    data: dict[str, Any],
    recorded: dict[str, Any],
) -> Iterator[ParamDiff]:
    if decl.keys is None:
        actual = data
        keys = list(dict.fromkeys([*data, *recorded]))
    else:
        actual = {}
        for key in decl.keys:
            try:
                actual[key] = lookup(data, key)
            except KeyError:
                continue
        keys = list(dict.fromkeys(decl.keys))
    for key in keys:
        value, locked = actual.get(key, MISSING), recorded.get(key, MISSING)
        if locked is MISSING and (decl.keys is not None or value is MISSING):
            continue  # a declared key dvc.lock lacks: DVF302
        if value is MISSING and locked is MISSING:
            continue
        if value is not MISSING and locked is not MISSING and params_equal(value, locked):
            continue
        line, column = lock.param_position(decl.repo_path, key, decl.keys is not None)
        yield ParamDiff(stage, decl, key, value, locked, line, column)


def _fix(ctx: Context, diff: ParamDiff) -> str:
    path = diff.decl.repo_path
    if diff.key is None:
        return (
            f"commit {path} (`git add {path}`) or drop it from the params of stage "
            f"'{diff.stage.address}', then `{repro_fix(ctx, diff.stage)}`"
        )
    return repro_fix(ctx, diff.stage)


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
        f"{show_value(diff.recorded)} for stage '{stage}'{_first_difference(diff)}"
    )


def _first_difference(diff: ParamDiff) -> str:
    """For a whole section tracked as one param (`cv`), the first nested key that differs,
    since both values are cut short in the message: ` (cv.folds: 9 here, 10 in dvc.lock)`."""
    key, actual, recorded = str(diff.key), diff.actual, diff.recorded
    while isinstance(actual, dict) and isinstance(recorded, dict):
        differing = next(
            (
                k
                for k in dict.fromkeys([*actual, *recorded])
                if not params_equal(actual.get(k, MISSING), recorded.get(k, MISSING))
            ),
            None,
        )
        if differing is None:
            return ""
        key, actual, recorded = (
            f"{key}.{differing}",
            actual.get(differing, MISSING),
            recorded.get(differing, MISSING),
        )
    if key == diff.key:
        return ""
    return f" ({key}: {show_value(actual)} here, {show_value(recorded)} in dvc.lock)"
