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

    $ dvc add data/raw.csv && dvc repro prepare train && git add data/raw.csv.dvc dvc.lock ...
    $ git commit -m "more data"

Fix: `dvc add <path>`, then (when stages read the data) the one repro fix of DVF201/DVF3 for
the stages that read it, so the next commit needs no second round; `git add` names the `.dvc`
file with every result (and `dvc push` shares the data).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.status import Verdict
from dvcflow.rules.reprofix import readers, repro_plan
from dvcflow.rules.stale.analysis import stale_report, verdict_finding

CODE = "DVF202"
NAME = "stale-data"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    report = stale_report(ctx)
    for verdict in report.verdicts:
        if verdict.kind == "data" and verdict.stale and not verdict.skipped:
            yield verdict_finding(
                RULE,
                verdict,
                message(verdict) + report.version_note,
                _fix(ctx, verdict),
                verdict.stale,
                verdict.path,
            )


def _fix(ctx: Context, verdict: Verdict) -> str:
    """`dvc add` the data, re-run the stages reading it, stage the `.dvc` file and results."""
    outs = [c.path for c in verdict.stale if c.path and c.kind == "out"]
    project = verdict.project
    repo_paths = [posixpath.normpath(posixpath.join(project.root, p)) for p in outs]
    stages = [
        s for s in readers(ctx, "workspace", repo_paths) if s.pipeline.project.root == project.root
    ]
    if not outs or not stages or "dvc add" not in verdict.fix:
        return verdict.fix  # an import restored by checkout, or no stage reads the data
    add = f"dvc add {' '.join(shlex.quote(o) for o in outs)}"
    return repro_plan(ctx, stages, "workspace", also=[verdict.path], before=add).command


def message(verdict: Verdict) -> str:
    paths = [c.path for c in verdict.stale if c.path and c.kind == "out"]
    if paths:
        text = f"{', '.join(paths)} changed since `dvc add` ({verdict.address} records another md5)"
    else:
        text = f"{verdict.address} no longer matches its data: {verdict.reasons}"
    if verdict.downstream:
        text += f"; will also re-run: {', '.join(verdict.downstream)}"
    return text
