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

Right:

    $ dvc repro --downstream train && git add dvc.lock && git commit -am "lower lr"

Fix: `dvc repro <stage>` (`dvc repro --downstream <stage>` when other stages depend on it; for
a dvc.yaml in a sub-folder, `dvc repro sub/dvc.yaml:stage`; for a `dvc init --subdir` project,
from inside it), then `git add dvc.lock`.
"""

from __future__ import annotations

from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.status import Verdict
from dvcflow.rules.stale.analysis import stale_findings, stale_report

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
    yield from stale_findings(ctx, RULE, "stage", message, fallback="address")


def message(verdict: Verdict) -> str:
    if not verdict.locked:
        text = f"stage '{verdict.address}' has never been run: it has no entry in dvc.lock"
    else:
        text = f"stage '{verdict.address}' is stale: {verdict.reasons}"
    if verdict.missing and verdict.locked:
        text += f" (its data is also missing: {verdict.missing_reasons})"
    if verdict.downstream:
        text += f"; will also re-run: {', '.join(verdict.downstream)}"
    return text
