"""DVF102 import-not-in-deps: a script imports a local module that the stage's `deps` omit.

Why: DVC only tracks the files listed in `deps`. A stage that runs `src/train.py`, which
imports `src/models/net.py`, is not re-run when `net.py` changes; DVC has no notion of import
trees, so the model is silently built from old code while `dvc status` says "up to date".

Each Python script the stage runs (see DVF101), and each Python file the stage lists in deps,
is parsed with `ast`, never imported, and its imports are followed when they resolve to files
in the commit: the script's folder, the `wdir`, PYTHONPATH set in the command, the repository
(and DVC project) root and a `src/` layout (`python -m pkg.mod` included), and literal
`sys.path.insert/append` folders. Relative imports, `from pkg import mod` (a module, or
`pkg/__init__.py`), `importlib.import_module("x")`, and imports inside functions and `try`
blocks count; `if TYPE_CHECKING:` blocks, the standard library and third-party packages do not.
Notebooks are read cell by cell; Quarto `.qmd` and R Markdown `.Rmd` documents (`quarto render`,
`Rscript -e "rmarkdown::render('x.Rmd')"`) by R and Python chunk, run from the document's
folder, with their `{{< include >}}` files; R scripts by `source()` / `sys.source()` of a
literal, `file.path()`, `here::here()` or `list.files(...)` passed to `source`, relative to R's
working directory (the `wdir`), and by the documents they render (DVF101 then names them); shell
scripts by `source x.sh` / `. x.sh`; Julia by `include("x.jl")`. `library()` of a local R
package is not followed. An `__init__.py` holding nothing but a docstring is not required.
The message names the import chain, e.g. `src/train.py -> src/models/net.py -> src/utils.py`.

Option (pyproject.toml):

    [tool.dvcflow.deps]
    imports = "transitive"   # default; "direct": only modules the scripts import themselves;
                             # "off": disable this rule

Wrong:

    stages:
      train:
        cmd: python src/train.py      # src/train.py: from models.net import Net
        deps:
          - src/train.py

Right (list the module, or the package folder):

    stages:
      train:
        cmd: python src/train.py
        deps:
          - src/train.py
          - src/models

Fix: the help line is one shell line. `dvcflow-check --fix-only --stage-fixes` (under
pre-commit, `pre-commit run --hook-stage manual dvcflow-fix --all-files`) inserts the dep into
dvc.yaml, keeping every other byte, and stages it; then `dvc repro` runs the stage again (its
deps changed) and `git add` stages what the run wrote. Stages whose deps are built by `${...}`
get the line to add in words.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.rules.deps.analysis import analysis, insert_deps
from dvcflow.rules.deps.findings import missing_dep_finding

if TYPE_CHECKING:
    from dvcflow.fixing import Edit

CODE = "DVF102"
NAME = "import-not-in-deps"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)
_VERBS = {
    ".r": "sources",
    ".sh": "sources",
    ".bash": "sources",
    ".jl": "includes",
    ".qmd": "includes",
    ".rmd": "includes",
}


def check(ctx: Context) -> Iterator[Diagnostic]:
    mode = ctx.option("deps", "imports")
    if mode == "off":
        return
    direct_only = mode == "direct"
    for unlisted in analysis(ctx).unlisted(
        lambda dep: dep.kind == "import" and (dep.direct or not direct_only)
    ):
        dep = unlisted.dependency
        verb = _VERBS.get(posixpath.splitext(dep.path)[1].lower(), "imports")
        message = (
            f"stage {unlisted.label} {verb} {dep.path} ({dep.via}) but does not list it in deps"
        )
        yield missing_dep_finding(ctx, RULE, unlisted, message)


def fix(ctx: Context, diagnostics: list[Diagnostic]) -> Iterator[Edit]:
    yield from insert_deps(ctx, diagnostics)
