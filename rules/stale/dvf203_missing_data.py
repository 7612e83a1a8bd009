"""DVF203 missing-data: outputs or `.dvc` data absent from the workspace or from the cache.

Why: a fresh clone has dvc.yaml, dvc.lock and the `.dvc` files but not the data until
`dvc pull`; `dvc status` then reports everything as deleted or not in cache, although nothing
is stale. DVF201 and DVF202 follow `dvc repro --allow-missing --dry` and say nothing about
missing data, so `dvcflow-check --all` stays green in CI without the data. Select this rule
(off by default, a warning) to list what is missing, for instance on a workstation.

Reported, one warning per stage or `.dvc` file that is otherwise up to date: deps deleted,
outputs deleted or not in the cache.

Wrong (a clone where `dvc pull` was not run):

    dvc.yaml:8:3: DVF203 stage 'train' lacks data: model.pkl not in cache

Right: `dvc pull` (or `dvc checkout` when only the workspace copy was deleted).

Fix: `dvc pull --with-deps <stage>`, `dvc pull <file>.dvc`, or `dvc checkout <target>`.
"""

from __future__ import annotations

from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.status import Verdict
from dvcflow.rules.stale.analysis import stale_report, verdict_finding

CODE = "DVF203"
NAME = "missing-data"
SEVERITY: Severity = "warning"
DEFAULT_ENABLED = False
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    for verdict in stale_report(ctx).verdicts:
        if verdict.missing and not verdict.stale and not verdict.skipped:
            yield verdict_finding(
                RULE, verdict, message(verdict), verdict.pull_fix, verdict.missing, verdict.address
            )


def message(verdict: Verdict) -> str:
    what = f"stage '{verdict.address}'" if verdict.kind == "stage" else verdict.address
    return f"{what} lacks data: {verdict.missing_reasons}"
