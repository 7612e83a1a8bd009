"""DVF201 stale-stage: a stage whose deps, params or command changed since `dvc repro` ran.

Why: dvc.lock records what each stage's outputs were computed from. Committing a changed
script, param or cmd without re-running the stage commits outputs (and metrics) that no longer
follow from the code: the commit says one thing and its results another. DVC's own
`dvc-pre-commit` hook prints `dvc status` but never fails the commit; this rule does.

Reported, one finding per stage at its line in dvc.yaml, with every reason DVC gives: changed
deps (files, folders, params keys), modified outputs, a changed cmd, a stage never run. The
stages `dvc repro` would re-run after it are named too ("will also re-run: evaluate"). Missing
data (a fresh clone before `dvc pull`) is not staleness: see DVF203. `frozen`,
`always_changed` and cmd-only stages are never reported, nor stages listed in
`[tool.dvcflow.stale] ignore-stages`. When a `dvc repro` is running, the finding says DVC is
busy instead of waiting for it.

Wrong (params.yaml edited, stage not re-run):

    $ sed -i 's/lr: 0.1/lr: 0.01/' params.yaml && git commit -am "lower lr"
    dvc.yaml:8:3: DVF201 stage 'train' is stale: params.yaml: train.lr modified; will also
    re-run: evaluate

When the only change is a Git-tracked output (`cache: false` metrics or plots) that is not the
version dvc.lock records, the finding says so: after `dvc repro`, results left unstaged look
exactly like this while pre-commit sets the unstaged changes aside.

Right:

    $ dvc repro train evaluate && git add dvc.lock params.yaml metrics.json train.py
    $ git commit -m "lower lr"

Fix: the one fix DVF3 prints for the same cause (`dvcflow.rules.reprofix`): `dvc repro` of the
stage and of the last stages after it (for a dvc.yaml in a sub-folder `sub/dvc.yaml:stage`, for
a `dvc init --subdir` project from inside it), then one `git add` of dvc.lock, the params files,
the Git-tracked outputs, metrics and plots, the Git-tracked deps and the `.dvc` files.
"""

from __future__ import annotations

from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.pipeline import Stage
from dvcflow.dvc.status import Verdict
from dvcflow.rules.reprofix import repro_fix
from dvcflow.rules.stale.analysis import stale_report, verdict_finding

CODE = "DVF201"
NAME = "stale-stage"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    report = stale_report(ctx)
    for problem in report.problems:
        text = problem.message + report.version_note
        yield RULE.at(
            problem.path,
            problem.line,
            0,
            text,
            fix=problem.fix,
            target=problem.path,
            severity=problem.severity,
        )
    for verdict in report.verdicts:
        if verdict.kind == "stage" and verdict.stale and not verdict.skipped:
            stage = workspace_stage(ctx, verdict)
            yield verdict_finding(
                RULE,
                verdict,
                message(verdict, stage) + report.version_note,
                repro_fix(ctx, stage, "workspace") if stage is not None else verdict.fix,
                verdict.stale,
                verdict.address,
            )


def workspace_stage(ctx: Context, verdict: Verdict) -> Stage | None:
    """The pipeline stage a verdict is about (as the work tree defines it)."""
    stages = ctx.memo(
        workspace_stage,
        lambda: {(s.pipeline.project.root, s.address): s for s in ctx.stages("workspace")},
    )
    return stages.get((verdict.project.root, verdict.address))


def unstaged_results(verdict: Verdict, stage: Stage | None) -> list[str]:
    """The Git-tracked outputs that are the only change, if that is the whole verdict."""
    if stage is None or not verdict.locked:
        return []
    git_outs = {
        stage.pipeline.project.relative(o.repo_path)
        for o in stage.outs
        if o.flag("cache", True) is False
    }
    paths = [c.path for c in verdict.stale if c.kind == "out" and c.path in git_outs]
    return paths if len(paths) == len(verdict.stale) else []


def message(verdict: Verdict, stage: Stage | None = None) -> str:
    results = unstaged_results(verdict, stage)
    if not verdict.locked:
        text = f"stage '{verdict.address}' has never been run: it has no entry in dvc.lock"
    elif results:
        text = (
            f"stage '{verdict.address}': {', '.join(results)} (tracked by Git) is not the "
            "version dvc.lock records: the results of `dvc repro` are not staged (pre-commit "
            "sets unstaged changes aside), or the file was edited by hand"
        )
    else:
        text = f"stage '{verdict.address}' is stale: {verdict.reasons}"
    if verdict.missing and verdict.locked:
        text += f" (its data is also missing: {verdict.missing_reasons})"
    if verdict.downstream:
        text += f"; will also re-run: {', '.join(verdict.downstream)}"
    return text
