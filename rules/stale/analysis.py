"""The finding loop DVF201-DVF203 share: one diagnostic per judged stage or `.dvc` file.

`dvcflow.dvc.status` judges the workspace once; `stale_report` here adds what only the rules
know (the dvc version the project pins, `version_note`). Each rule only chooses which verdicts
it reports, its message and its fix. This module turns a verdict into a diagnostic the same
way for all three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Literal

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId
from dvcflow.dvc.status import Change, StaleReport, Verdict, install_dvc_fix
from dvcflow.dvc.status import stale_report as workspace_report
from dvcflow.errors import DvcflowError


def stale_report(ctx: Context) -> StaleReport:
    """The engine's report of the workspace, with the version note findings show."""
    return ctx.memo(stale_report, lambda: _with_version_note(ctx, workspace_report(ctx)))


def _with_version_note(ctx: Context, report: StaleReport) -> StaleReport:
    if report.problems or any(v.changes or v.missing for v in report.verdicts):
        report.version_note = version_note(ctx)  # only findings show it; it costs a lookup
    if any(p.needs_dvc for p in report.problems):
        requirement = _dvc_requirement(ctx)
        report.problems = [
            replace(p, fix=install_dvc_fix(requirement)) if p.needs_dvc else p
            for p in report.problems
        ]
    return report


def _dvc_requirement(ctx: Context) -> str:
    """`dvc==X` when the project pins one version of dvc, else `dvc`."""
    from dvcflow.rules.pin import scope as pins

    try:
        pinned = pins.status(pins.declarations(ctx), "dvc").versions
    except DvcflowError:
        return "dvc"
    return f"dvc=={pinned[0]}" if len(pinned) == 1 else "dvc"


def version_note(ctx: Context) -> str:
    """Say so when the dvc judging the workspace is not the version the project pins."""
    from dvcflow.requirements.model import same_version
    from dvcflow.rules.pin import scope as pins

    installed = pins.installed_version("dvc")
    try:
        pinned = pins.status(pins.declarations(ctx), "dvc").versions
    except DvcflowError:
        return ""
    if installed is None or len(pinned) != 1 or same_version(pinned[0], installed):
        return ""
    return f" (judged with dvc {installed}; the project pins dvc=={pinned[0]})"


def verdict_finding(
    rule: RuleId,
    verdict: Verdict,
    message: str,
    fix: str,
    changes: tuple[Change, ...],
    fallback: str,
) -> Diagnostic:
    """The diagnostic at the verdict's stage or `.dvc` file.

    Its target is the first of `changes` that names a path, else `fallback`.
    """
    return rule.at(
        verdict.path,
        verdict.line,
        verdict.column,
        message,
        fix=fix,
        stage=verdict.address,
        target=next((c.path for c in changes if c.path), fallback),
    )


def stale_findings(
    ctx: Context,
    rule: RuleId,
    kind: Literal["stage", "data"],
    message: Callable[[Verdict], str],
    fallback: Literal["address", "path"],
) -> Iterator[Diagnostic]:
    """One finding per stale verdict of this kind (not skipped), with the dvc version note.

    The target is the first stale path, else the verdict's address or path (`fallback`).
    """
    report = stale_report(ctx)
    for verdict in report.verdicts:
        if verdict.kind == kind and verdict.stale and not verdict.skipped:
            yield verdict_finding(
                rule,
                verdict,
                message(verdict) + report.version_note,
                verdict.fix,
                verdict.stale,
                verdict.address if fallback == "address" else verdict.path,
            )
