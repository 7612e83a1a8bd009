"""DVF101 script-not-in-deps: a stage runs a local script that its `deps` do not list.

Why: DVC decides whether to re-run a stage by hashing its deps. When the script a stage runs
is not among them, editing the script changes nothing for DVC: `dvc status` says "up to date",
`dvc repro` skips the stage, and the outputs (a model, metrics) silently come from the old code.

The check reads each stage's `cmd` statically (never runs it). It splits the command on `&&`,
`||`, `;`, `|` and newlines (each line of a string `cmd` and each item of a list `cmd` is its
own shell, as in DVC), skips `VAR=value` prefixes and wrappers (`env`, `time`, `nice`,
`xvfb-run`, `uv run`, `poetry run`, `pipenv run`, `pdm run`, `hatch run`, `conda run -n X`,
`pixi run`), follows `cd`, and recognises `python [-u -O -W x -X y] file` and `python -m pkg.mod`,
`Rscript`, `R -f`, `bash`/`sh`/`zsh`, `source`, `./file`, `julia`, `node`,
`jupyter nbconvert --execute`, `papermill`, `quarto render` and `jupytext`. Scripts run by a
shell script the stage runs, and notebooks' `%run x.py`, count too. Only files that exist in
the commit count, so data arguments and third-party commands are never reported. A dep folder
covers every file below it. Paths are relative to the stage's `wdir`. A `foreach`/`matrix`
stage is reported once, naming the instances.

Wrong:

    stages:
      train:
        cmd: python src/train.py data/features model.pkl
        deps:
          - data/features
        outs:
          - model.pkl

Right:

    stages:
      train:
        cmd: python src/train.py data/features model.pkl
        deps:
          - data/features
          - src/train.py
        outs:
          - model.pkl

Fix: the help line is one shell line. `dvcflow-check --fix-only --stage-fixes` (under
pre-commit, `pre-commit run --hook-stage manual dvcflow-fix --all-files`) inserts the dep into
dvc.yaml, keeping every other byte, and stages it; then `dvc repro` runs the stage again (its
deps changed) and `git add` stages what the run wrote. Stages whose deps are built by `${...}`
get the line to add in words.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.rules.deps.analysis import Unlisted, analysis, insert_deps
from dvcflow.rules.deps.findings import missing_dep_finding

if TYPE_CHECKING:
    from dvcflow.fixing import Edit

CODE = "DVF101"
NAME = "script-not-in-deps"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    for unlisted in analysis(ctx).unlisted(lambda dep: dep.kind == "script"):
        yield finding(ctx, unlisted)


def finding(ctx: Context, unlisted: Unlisted) -> Diagnostic:
    chain = unlisted.dependency.chain
    via = f" (via {' -> '.join(chain[:-1])})" if len(chain) > 1 else ""
    message = f"stage {unlisted.label} runs {unlisted.path}{via} but does not list it in deps"
    return missing_dep_finding(ctx, RULE, unlisted, message)


def fix(ctx: Context, diagnostics: list[Diagnostic]) -> Iterator[Edit]:
    yield from insert_deps(ctx, diagnostics)
