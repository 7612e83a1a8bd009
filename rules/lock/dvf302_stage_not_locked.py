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

Fix: `dvc repro train && git add dvc.lock ...` (the stage, the last stages after it and every
result they change; right whether or not the work tree is already up to date). For the
warnings, `dvc commit -f train && git add dvc.lock` when no dep's content changed; when one did
(a dep dropped from dvc.yaml while its file was edited), `dvc commit` would record the edit
without running the stage, so the fix re-runs it: `dvc repro --force --single-item train && ...`.
When the work tree's dvc.yaml still declares what dvc.lock keeps (the lock was written from it,
the commit lacks that dvc.yaml edit), the fix is `git add dvc.yaml`.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator
from typing import Any, Literal

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.hashing import hash_name
from dvcflow.dvc.lock import LockEntry, LockStage
from dvcflow.dvc.pipeline import PathDecl, Stage
from dvcflow.dvc.yamlio import position
from dvcflow.rules.lock.analysis import (
    LockAnalysis,
    analysis,
    lock_entry,
    lock_path,
    stage_tree,
)
from dvcflow.rules.lock.dvf301_params_not_locked import param_diffs
from dvcflow.rules.lock.dvf303_dep_not_locked import dep_diffs
from dvcflow.rules.reprofix import commit_fix, repro_fix

CODE = "DVF302"
NAME = "stage-not-locked"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)

DefinitionKind = Literal[
    "unlocked",
    "cmd",
    "dep",
    "out",
    "params-file",
    "param",
    "stale-dep",
    "stale-out",
    "stale-params-file",
    "stale-param",
]


class DefinitionDiff:
    """A stage missing from dvc.lock or defined differently from its lock entry.

    `stale-*` kinds (dvc.lock keeps something dvc.yaml no longer declares) are warnings.
    """

    stage: Stage
    kind: DefinitionKind
    target: str | None
    line: int
    column: int
    recorded: Any

    __slots__ = ("column", "kind", "line", "recorded", "stage", "target")

    def __init__(
        self,
        stage: Stage,
        kind: DefinitionKind,
        target: str | None,
        line: int,
        column: int,
        recorded: Any = None,
    ) -> None:
        self.stage = stage
        self.kind = kind
        self.target = target
        self.line = line
        self.column = column
        self.recorded = recorded

    @property
    def stale(self) -> bool:
        return self.kind.startswith("stale-")


def check(ctx: Context) -> Iterator[Diagnostic]:
    lock = analysis(ctx)
    for stage in lock.in_scope:
        diffs = list(definition_diffs(lock, stage))
        fix = _fix(ctx, lock, stage, diffs) if diffs else None
        for diff in diffs:
            yield RULE.at(
                stage.pipeline.path,
                diff.line,
                diff.column,
                _message(diff),
                fix=fix,
                stage=stage.address,
                target=diff.target or stage.address,
                severity="warning" if diff.stale else None,
            )


def _fix(ctx: Context, lock: LockAnalysis, stage: Stage, diffs: list[DefinitionDiff]) -> str:
    """One fix for the stage: re-run it when anything but bookkeeping is off; `dvc commit`
    only when every dep, recorded or declared, still has the content dvc.lock records."""
    if not all(d.stale for d in diffs):
        return repro_fix(ctx, stage)
    if _declared_in_work_tree(ctx, stage, diffs):
        project = stage.pipeline.project
        return project.command(f"git add {shlex.quote(project.relative(stage.pipeline.path))}")
    if any(param_diffs(lock, stage)) or any(dep_diffs(lock, stage)):
        return repro_fix(ctx, stage)
    entry = lock_entry(stage)
    dropped = [d.target for d in diffs if d.kind == "stale-dep"]
    recorded = [e for e in (entry.deps if entry else ()) if e.path in dropped]
    if any(_changed(lock, stage, e) for e in recorded):
        return repro_fix(ctx, stage, force=True)
    return commit_fix(stage)


def _declared_in_work_tree(ctx: Context, stage: Stage, diffs: list[DefinitionDiff]) -> bool:
    """The work tree's dvc.yaml still declares every dep and output dvc.lock keeps for the
    stage: the lock was written from it (`dvc repro`), the commit lacks the dvc.yaml edit."""
    kept = {(d.kind, d.target) for d in diffs}
    if any(kind not in ("stale-dep", "stale-out") for kind, _ in kept):
        return False
    current = next((s for s in ctx.stages("workspace") if s.address == stage.address), None)
    if current is None:
        return False
    declared = {("stale-dep", d.path) for d in current.deps}
    declared |= {("stale-out", o.path) for o in current.outs}
    return kept <= declared


def _changed(lock: LockAnalysis, stage: Stage, entry: LockEntry) -> bool:
    """Whether a dep dvc.lock records (dvc.yaml no longer declares it) has other content in the
    commit; True when that cannot be known."""
    name = hash_name(entry.hash)
    path = posixpath.normpath(posixpath.join(stage.wdir, entry.path))
    if entry.md5 is None or name is None:
        return True
    if lock.staged.is_file(path):
        return lock.file_md5(path, name) != entry.md5
    if lock.staged.is_dir(path):
        state = lock.folder_state(path, stage.pipeline.project, name)
        return state is None or state[2] != entry.md5
    return lock.recorded_md5(path) != entry.md5


def definition_diffs(lock: LockAnalysis, stage: Stage) -> Iterator[DefinitionDiff]:
    entry = lock_entry(stage)
    if entry is None:
        yield DefinitionDiff(stage, "unlocked", None, stage.line, stage.column)
        return
    if entry.cmd != stage.cmd:
        tree = stage_tree(stage)
        line, column = position(tree, "cmd") if tree is not None else (stage.line, 0)
        yield DefinitionDiff(stage, "cmd", None, line, column, recorded=entry.cmd)
    yield from _path_diffs(stage, stage.deps, entry.deps, "dep", unlocked=not stage.frozen)
    if not stage.frozen:
        yield from _param_key_diffs(lock, stage, entry)
    yield from _path_diffs(stage, stage.outs, entry.outs, "out")


def _path_diffs(
    stage: Stage,
    decls: list[PathDecl],
    entries: tuple[LockEntry, ...],
    kind: Literal["dep", "out"],
    *,
    unlocked: bool = True,
) -> Iterator[DefinitionDiff]:
    """Declared paths dvc.lock lacks (if `unlocked`), then the `stale-*` entries: paths
    dvc.lock records that dvc.yaml no longer declares."""
    if unlocked:
        locked = {e.path for e in entries}
        for decl in decls:
            if decl.path not in locked:
                yield DefinitionDiff(stage, kind, decl.path, decl.line, decl.column)
    declared = {d.path for d in decls}
    stale: DefinitionKind = "stale-dep" if kind == "dep" else "stale-out"
    for e in entries:
        if e.path not in declared:
            yield DefinitionDiff(stage, stale, e.path, stage.line, stage.column)


def _param_key_diffs(
    lock: LockAnalysis, stage: Stage, entry: LockStage
) -> Iterator[DefinitionDiff]:
    declared = {d.file for d in stage.params}
    for decl in stage.params:
        recorded = entry.params.get(decl.file)
        if decl.keys is None:
            if recorded is None:
                yield DefinitionDiff(stage, "params-file", decl.file, decl.line, decl.column)
            continue
        for key in decl.keys:
            unlocked = recorded is None or key not in recorded
            if unlocked and lock.has_param(decl.repo_path, key):
                yield DefinitionDiff(stage, "param", f"{decl.file}:{key}", decl.line, decl.column)
        for key in recorded or {}:
            if key not in decl.keys:
                yield DefinitionDiff(
                    stage, "stale-param", f"{decl.file}:{key}", decl.line, decl.column
                )
    for file in entry.params:
        if file not in declared:
            yield DefinitionDiff(stage, "stale-params-file", file, stage.line, stage.column)


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
