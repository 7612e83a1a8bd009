"""DVF503 large-file-in-git: the commit adds a large file that neither DVC nor Git LFS tracks.

Why: in a DVC project, data belongs in DVC: Git keeps every version of every file forever, so
a 50 MB CSV committed once makes every clone 50 MB larger, even after it is deleted. The
threshold is `check-added-large-files`'s, 500 KB, set by `[tool.dvcflow.data] large-file-kb`.
Files under a Git LFS pattern (`filter=lfs` in `.gitattributes`, as Git applies it) are
meant to be large; DVC's own files (dvc.yaml, dvc.lock, `.dvc` files), files outside every
DVC project, files inside a DVC output (DVF502 reports those), dependency lock files
(`uv.lock`, `pixi.lock`, `package-lock.json`, ...) and notebooks are not reported. Before
`--all`, only files the commit adds are checked (like `check-added-large-files`).

Wrong:

    $ git add data/raw.csv        # 80 MB

Right:

    $ dvc add data/raw.csv && git add data/raw.csv.dvc data/.gitignore

Fix: `git rm --cached data/raw.csv && dvc add data/raw.csv && git add data/raw.csv.dvc
data/.gitignore` (then `dvc push`). Turn the rule off with `ignore = ["DVF503"]`.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.dvcfiles import is_dvc_file
from dvcflow.rules.data.gitdata import (
    added_files,
    blob_sizes,
    inside_output,
    lfs_tracked,
    tracked_outputs,
)

CODE = "DVF503"
NAME = "large-file-in-git"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)

DVC_FILES = ("dvc.yaml", "dvc.lock", ".gitignore", ".gitattributes", ".dvcignore")
# Code, not data, however large: dependency lock files (uv.lock, pixi.lock, poetry.lock, ...
# seen over 500 KB in real DVC projects) and notebooks.
CODE_FILES = frozenset(
    {"package-lock.json", "pnpm-lock.yaml", "conda-lock.yml", "go.sum", "renv.lock"}
)
CODE_SUFFIXES = (".lock", ".ipynb")


def _is_code(path: str) -> bool:
    name = posixpath.basename(path)
    return name in CODE_FILES or name.endswith(CODE_SUFFIXES)


def check(ctx: Context) -> Iterator[Diagnostic]:
    limit_kb = float(ctx.option("data", "large-file-kb"))  # type: ignore[arg-type]
    projects = ctx.projects("staged")
    candidates = [
        path
        for path in added_files(ctx)
        if not is_dvc_file(path)
        and posixpath.basename(path) not in DVC_FILES
        and not _is_code(path)
        and "/.dvc/" not in f"/{path}"
        and projects.owner(path) is not None
    ]
    sizes = blob_sizes(ctx, candidates)
    large = [p for p in candidates if sizes.get(p, 0) > limit_kb * 1024]
    if not large:
        return
    lfs = lfs_tracked(ctx, large)
    outputs = tracked_outputs(ctx)
    for path in large:
        if path in lfs or inside_output(path, outputs) is not None:
            continue
        project = projects.owner(path)
        assert project is not None
        yield RULE.at(
            path,
            0,
            0,
            f"{path} ({sizes[path] / 1024:,.0f} KB) is added to Git; data this large belongs in "
            f"DVC (the limit is {limit_kb:g} KB, [tool.dvcflow.data] large-file-kb)",
            fix=_fix(project.relative(path), project.root, path),
            target=path,
        )


def _fix(relative: str, project: str, path: str) -> str:
    folder = posixpath.dirname(relative)
    dvc_file = shlex.quote(f"{relative}.dvc")
    ignore = shlex.quote(posixpath.join(folder, ".gitignore"))
    add = f"dvc add {shlex.quote(relative)} && git add {dvc_file} {ignore}"
    if project:
        add = f"cd {shlex.quote(project)} && {add}"
    return f"git rm -q --cached {shlex.quote(path)} && {add}"
