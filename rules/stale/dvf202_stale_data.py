"""DVF202 stale-data: data tracked by a `.dvc` file was edited without `dvc add`.

Why: a `.dvc` file records the md5 of the data it tracks; `dvc push` and every clone use that
md5. Data edited in place without `dvc add` is data nobody else can get: the commit points at
the old version while the workspace (and everything computed from it) uses the new one.

Reported, one finding per `.dvc` file whose output's content differs from the recorded md5
(raw md5, legacy dos2unix md5 or a folder's `.dir` manifest, as DVC computes them), naming
the pipeline stages that depend on it. Data that is absent (not pulled yet) is DVF203.

Wrong:

    $ echo "5,6" >> data/raw.csv && git commit -am "more data"
    data/raw.csv.dvc:2:3: DVF202 data/raw.csv changed since `dvc add` (data/raw.csv.dvc
    records another md5); will also re-run: prepare

Right:

    $ dvc add data/raw.csv && git add data/raw.csv.dvc && git commit -m "more data"

Fix: `dvc add <path>` then `git add <path>.dvc` (and `dvc push`).
"""

from __future__ import annotations

from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.status import Verdict
from dvcflow.rules.stale.analysis import stale_findings

CODE = "DVF202"
NAME = "stale-data"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    yield from stale_findings(ctx, RULE, "data", message, fallback="path")


def message(verdict: Verdict) -> str:
    paths = [c.path for c in verdict.stale if c.path and c.kind == "out"]
    if paths:
        text = f"{', '.join(paths)} changed since `dvc add` ({verdict.address} records another md5)"
    else:
        text = f"{verdict.address} no longer matches its data: {verdict.reasons}"
    if verdict.downstream:
        text += f"; will also re-run: {', '.join(verdict.downstream)}"
    return text
