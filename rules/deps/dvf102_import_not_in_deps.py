"""DVF102 import-not-in-deps: a script imports a local module that the stage's `deps` omit.

Why: DVC only tracks the files listed in `deps`. A stage that runs `src/train.py`, which
imports `src/models/net.py`, is not re-run when `net.py` changes; DVC has no notion of import
trees, so the model is silently built from old code while `dvc status` says "up to date".

Each Python script the stage runs (see DVF101) is parsed with `ast`, never imported, and its
imports are followed when they resolve to files in the commit: the script's folder, the
`wdir`, PYTHONPATH set in the command, the repository (and DVC project) root and a `src/`
layout, and literal `sys.path.insert/append` folders. Relative imports, `from pkg import mod`
(a module, or `pkg/__init__.py`), `importlib.import_module("x")`, and imports inside functions
and `try` blocks count; `if TYPE_CHECKING:` blocks, the standard library and third-party
packages do not. Notebooks are read cell by cell, Quarto/R Markdown by code chunk, R scripts
by `source("x.R")` literals. An `__init__.py` holding nothing but a docstring is not required.
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

Fix: add the line shown under the stage's `deps` (`dvcflow-check --fix` inserts it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.rules.deps.analysis import fix_missing_deps, missing_deps

if TYPE_CHECKING:
    from dvcflow.fixing import Edit

CODE = "DVF102"
NAME = "import-not-in-deps"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    mode = ctx.option("deps", "imports")
    if mode == "off":
        return
    yield from missing_deps(ctx, RULE, "import", direct_only=mode == "direct")


def fix(ctx: Context, diagnostics: list[Diagnostic]) -> Iterator[Edit]:
    yield from fix_missing_deps(ctx, diagnostics)
