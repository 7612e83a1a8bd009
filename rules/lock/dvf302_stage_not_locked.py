"""DVF302 stage-not-locked: a stage dvc.lock does not record, or records with another definition.

Why: a stage without a dvc.lock entry was never reproduced (or its dvc.lock was left out of
the commit); a stage whose resolved `cmd`, deps, outs (outs, metrics and plots) or declared
param keys differ from its entry was edited in dvc.yaml without `dvc repro`. Either way the
commit's results were not produced by the pipeline it contains, and `dvc status` in a clone
reports the stage as changed. foreach/matrix instances are matched by DVC's generated names
(`train@us`). Deps, outs, params files or keys that dvc.lock still records but dvc.yaml no
longer declares are reported as warnings: DVC ignores them (and `dvc repro` keeps them), so
`dvc commit -f <stage>` is what removes them. Frozen stages are compared on cmd and outs only,
as DVC does.

Wrong (dvc.yaml staged with a new dep, dvc.lock from before the edit):

    stages:
      train:
        cmd: python train.py
        deps:
          - train.py
          - features.py   # not in dvc.lock

Right: `dvc repro train`, then commit dvc.yaml and dvc.lock together.

Fix: `dvc repro train && git add dvc.lock` (right whether or not the work tree's dvc.lock is
already up to date); for the warnings, `dvc commit -f train && git add dvc.lock`.
"""

from __future__ import annotations

from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.rules.lock.analysis import (
    DefinitionDiff,
    LockAnalysis,
    commit_fix,
    lock_path,
    repro_fix,
    scoped_diffs,
)

CODE = "DVF302"
NAME = "stage-not-locked"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    for diff in scoped_diffs(ctx, LockAnalysis.definition_diffs):
        stage = diff.stage
        yield RULE.at(
            stage.pipeline.path,
            diff.line,
            diff.column,
            _message(diff),
            fix=commit_fix(stage) if diff.stale else repro_fix(stage),
            stage=stage.address,
            target=diff.target or stage.address,
            severity="warning" if diff.stale else None,
        )


def _message(diff: DefinitionDiff) -> str:
    stage = f"stage '{diff.stage.address}'"
    lock = lock_path(diff.stage.pipeline)
    dvc_yaml = diff.stage.pipeline.path
    target = diff.target
    messages = {
        "unlocked": f"{stage} has no entry in {lock}: it was never reproduced, or the "
        f"{lock} that records it is not staged",
        "cmd": f"the cmd of {stage} is not the one {lock} records "
        f"({_cmd(diff.stage.cmd)} in this commit, {_cmd(diff.recorded)} in {lock})",
        "dep": f"{stage} depends on {target}, which {lock} does not record",
        "out": f"{stage} outputs {target}, which {lock} does not record",
        "params-file": f"{stage} tracks params file {target}, which {lock} does not record",
        "param": f"{stage} declares param {target}, which {lock} does not record",
        "stale-dep": f"{lock} records dep {target} for {stage}, which {dvc_yaml} no longer "
        "declares",
        "stale-out": f"{lock} records output {target} for {stage}, which {dvc_yaml} no longer "
        "declares",
        "stale-params-file": f"{lock} records params from {target} for {stage}, which "
        f"{dvc_yaml} no longer declares",
        "stale-param": f"{lock} records param {target} for {stage}, which {dvc_yaml} no "
        "longer declares",
    }
    return messages[diff.kind]


def _cmd(cmd: object) -> str:
    if isinstance(cmd, list):
        text = " && ".join(str(c) for c in cmd)
    else:
        text = str(cmd) if cmd is not None else "none"
    return f"`{text if len(text) <= 80 else text[:77] + '...'}`"
