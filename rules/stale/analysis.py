"""The finding loop DVF201-DVF203 share: one diagnostic per judged stage or `.dvc` file.

`dvcflow.dvc.status` judges the workspace once (`stale_report`); each rule only chooses which
verdicts it reports, its message and its fix. This module turns a verdict into a diagnostic
the same way for all three.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId
from dvcflow.dvc.status import Change, Verdict, stale_report


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
