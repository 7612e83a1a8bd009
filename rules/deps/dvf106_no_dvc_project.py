"""DVF106 no-dvc-project: the repository has dvc.yaml files but no committed DVC project.

Why: DVC runs only inside a project, the folder holding `.dvc/config` (what `dvc init`
writes). When `.dvc/` is not committed (left out, or listed in `.gitignore`), a fresh clone
fails every `dvc repro`, `dvc pull` and `dvc status` with "you are not inside of a DVC
repository", and the remotes configured in `.dvc/config` are lost with it.

Reported once per run, on the first dvc.yaml, when the commit has dvc.yaml files but no
`.dvc/config` anywhere; every dvc.yaml is still linted as if the project were at the root of
the repository (the DVF1 and DVF3 rules run as usual; staleness, DVF2, needs DVC and is
checked only where the work tree has a project). In pre-commit mode it is reported when the
commit touches a dvc.yaml or dvc.lock, or removes `.dvc/config`; `--all` always reports it.

Wrong: `git ls-files` lists dvc.yaml, dvc.lock and params.yaml, but nothing under `.dvc/`.

Right: `.dvc/config`, `.dvc/.gitignore` and `.dvcignore` are committed beside them.

Fix: `dvc init` (when the work tree has no `.dvc/` folder) and `git add` the files it
writes; when `.dvc/config` exists but is not committed, `git add -f` it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity

CODE = "DVF106"
NAME = "no-dvc-project"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)

DVC_INIT_FILES = (".dvc/config", ".dvc/.gitignore", ".dvcignore")


def check(ctx: Context) -> Iterator[Diagnostic]:
    projects = ctx.projects("staged").projects
    if not projects or all(project.initialized for project in projects):
        return
    pipelines = sorted(ctx.pipelines("staged"), key=lambda p: (p.path.count("/"), p.path))
    touched = ctx.touches(*DVC_INIT_FILES) or any(
        ctx.touches(p.path, posixpath.join(posixpath.dirname(p.path), "dvc.lock"))
        for p in pipelines
    )
    if not pipelines or not touched:
        return
    yield RULE.at(
        pipelines[0].path,
        0,
        0,
        f"the repository has {_count(len(pipelines))} but no committed DVC project "
        "(.dvc/config is not in the commit): a fresh clone cannot run `dvc repro` or `dvc pull`",
        fix=_fix(ctx),
        target=".dvc/config",
    )


def _count(n: int) -> str:
    return "a dvc.yaml" if n == 1 else f"{n} dvc.yaml files"


def _fix(ctx: Context) -> str:
    present = [path for path in DVC_INIT_FILES if ctx.workspace.is_file(path)]
    if ".dvc/config" in present:
        return f"commit the project DVC set up: `git add -f {' '.join(present)}`"
    init = "dvc init -f" if ctx.workspace.is_dir(".dvc") else "dvc init"
    return f"`{init} && git add {' '.join(DVC_INIT_FILES)}` at the repository's root"
