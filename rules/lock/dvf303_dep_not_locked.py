"""DVF303 dep-not-locked: a dependency's content in this commit is not what dvc.lock records.

Why: dvc.lock records the hash of every dependency a stage ran with. A commit whose code or
data differs from those hashes claims results the committed inputs did not produce, and
`dvc status` in a clone of it reports the stage as changed. Checked from the commit alone, with
DVC's hashes (raw md5 for entries with `hash: md5`, DVC 2.x's dos2unix md5 for entries without
it, `<md5>.dir` manifests for folders, `.dvcignore` respected):

- a Git-tracked file dep (and a Git-tracked output such as a `cache: false` metrics file):
  the md5 of the staged blob, read as a stream;
- a Git-tracked folder dep: DVC's directory hash. DVC hashes the folder as it is on disk, so
  files Git does not track (`__pycache__/`) end up in dvc.lock; when only they explain the
  difference, the finding says so and suggests the `.dvcignore` line instead of a re-run;
- data tracked by a `.dvc` file: the hash the staged `.dvc` file records (data re-added with
  `dvc add` but the pipeline not reproduced);
- an output of an upstream stage: the hash the upstream stage records in the staged dvc.lock
  (the upstream stage was reproduced and committed, this one was not).

Frozen stages are skipped, as DVC skips their deps.

Wrong: `git add -p train.py` stages half of an edit while `dvc repro` hashed the whole file.

Right: the commit holds the train.py that dvc.lock's md5 describes.

Fix: `dvc repro train && git add dvc.lock train.py` (right whether or not the work tree's
dvc.lock is already up to date).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.rules.lock.analysis import (
    DepDiff,
    LockAnalysis,
    commit_fix,
    lock_path,
    repro_fix,
    scoped_diffs,
)

CODE = "DVF303"
NAME = "dep-not-locked"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)
_SHOWN_FILES = 3


def check(ctx: Context) -> Iterator[Diagnostic]:
    for diff in scoped_diffs(ctx, LockAnalysis.dep_diffs):
        yield RULE.at(
            diff.stage.pipeline.path,
            diff.decl.line,
            diff.decl.column,
            _message(diff),
            fix=_fix(ctx, diff),
            stage=diff.stage.address,
            target=diff.decl.repo_path,
        )


def _short(md5: str | None) -> str:
    return (md5 or "none")[:8] + (".dir" if md5 and md5.endswith(".dir") else "")


def _message(diff: DepDiff) -> str:
    stage = f"stage '{diff.stage.address}'"
    lock = lock_path(diff.stage.pipeline)
    path = diff.decl.repo_path
    hashes = f"({_short(diff.actual)} in this commit, {_short(diff.entry.md5)} in {lock})"
    what = "output" if diff.decl.kind != "deps" else "dep"
    if diff.kind == "file":
        return (
            f"{what} {path} in this commit is not the version {lock} records for {stage} {hashes}"
        )
    if diff.kind == "folder":
        return (
            f"{what} folder {path} in this commit is not what {lock} records for {stage} {hashes}"
        )
    if diff.kind == "untracked":
        return (
            f"{what} folder {path} matches what {lock} records for {stage} only with files Git "
            f"does not track ({_list(diff.untracked)}): a clone of this commit sees it as changed"
        )
    if diff.kind == "dvc-file":
        return (
            f"{path} is tracked by {diff.source}, whose hash in this commit is not the one "
            f"{lock} records for {stage} {hashes}: the data changed but the stage was not "
            "reproduced"
        )
    return (
        f"{stage} ran with {path} {_short(diff.entry.md5)}, but stage '{diff.source}', which "
        f"writes it, records {_short(diff.actual)} in this commit: the upstream stage was "
        "reproduced and this one was not"
    )


def _list(paths: tuple[str, ...]) -> str:
    shown = ", ".join(paths[:_SHOWN_FILES])
    more = len(paths) - _SHOWN_FILES
    return shown + (f" and {more} more" if more > 0 else "")


def _fix(ctx: Context, diff: DepDiff) -> str:
    stage = diff.stage
    if diff.kind in ("upstream", "dvc-file"):  # stage the other half too: its lock or .dvc
        return repro_fix(stage, *[p for p in [diff.source_path] if p])
    if diff.kind != "untracked":
        return repro_fix(stage, diff.decl.repo_path)
    parts: list[str] = []
    visible = [p for p in diff.untracked if p not in diff.git_ignored]
    if visible:
        parts.append(f"commit them if they belong to the dep (`git add {shlex.join(visible)}`)")
    if diff.git_ignored:
        lines = _dvcignore_lines(ctx, diff.decl.repo_path, diff.git_ignored)
        ignore_file = posixpath.join(stage.pipeline.project.root, ".dvcignore")
        parts.append(
            f"add {' and '.join(f'`{line}`' for line in lines)} to {ignore_file} so DVC hashes "
            f"only what Git tracks, then `{commit_fix(stage, ignore_file)}`"
        )
    return "; ".join(parts)


def _dvcignore_lines(ctx: Context, folder: str, paths: tuple[str, ...]) -> list[str]:
    """The shortest `.dvcignore` patterns: the first folder holding no Git-tracked file, else
    the file's name."""
    staged_dirs = {posixpath.dirname(p) for p in ctx.staged.files_under(folder)}
    tracked_dirs = {a for d in staged_dirs for a in _self_and_ancestors(d)}
    lines: list[str] = []
    for path in paths:
        rel = posixpath.relpath(path, folder) if folder else path
        parts = rel.split("/")
        line = parts[-1]
        for depth in range(1, len(parts)):
            candidate = posixpath.join(folder, *parts[:depth])
            if candidate not in tracked_dirs:
                line = parts[depth - 1] + "/"
                break
        if line not in lines:
            lines.append(line)
    return lines


def _self_and_ancestors(path: str) -> Iterator[str]:
    while path:
        yield path
        if path == posixpath.dirname(path):  # "/": an absolute path outside the repository
            return
        path = posixpath.dirname(path)
