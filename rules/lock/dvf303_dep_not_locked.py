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
- a Git-tracked output (`cache: false`) that dvc.lock records but the commit lacks (a clone
  of the commit would lack the file), unless Git ignores it;
- an output of an upstream stage: the hash the upstream stage records in the staged dvc.lock
  (the upstream stage was reproduced and committed, this one was not).

Frozen stages are skipped, as DVC skips their deps.

Wrong: `git add -p train.py` stages half of an edit while `dvc repro` hashed the whole file.

Right: the commit holds the train.py that dvc.lock's md5 describes.

Fix: `dvc repro train && git add dvc.lock train.py metrics.json ...` (the stage, the last
stages after it and every result they change; right whether or not the work tree is already up
to date: then `dvc repro` does nothing and `git add` stages what it computed before).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable, Iterator
from typing import Literal

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.hashing import HashName, hash_name
from dvcflow.dvc.lock import LockEntry
from dvcflow.dvc.pipeline import PathDecl, Stage
from dvcflow.rules.lock.analysis import LockAnalysis, analysis, lock_entry, lock_path
from dvcflow.rules.reprofix import ancestors, commit_fix, git_may_track, repro_fix

CODE = "DVF303"
NAME = "dep-not-locked"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)
_SHOWN_FILES = 3

DepKind = Literal["file", "folder", "untracked", "dvc-file", "upstream", "absent"]


class DepDiff:
    """A dep (or Git-tracked out) whose committed content is not what dvc.lock records."""

    stage: Stage
    decl: PathDecl
    entry: LockEntry
    kind: DepKind
    actual: str  # the hash this commit has ("" when the commit lacks the file)
    source: str | None  # the .dvc file, or the upstream stage's address
    source_path: str | None  # repo path of the .dvc file or the upstream dvc.lock
    untracked: tuple[str, ...]  # untracked files that explain a folder mismatch
    git_ignored: tuple[str, ...]  # those of them Git ignores

    __slots__ = (
        "actual",
        "decl",
        "entry",
        "git_ignored",
        "kind",
        "source",
        "source_path",
        "stage",
        "untracked",
    )

    def __init__(
        self,
        stage: Stage,
        decl: PathDecl,
        entry: LockEntry,
        kind: DepKind,
        actual: str,
        source: str | None = None,
        source_path: str | None = None,
        untracked: tuple[str, ...] = (),
        git_ignored: tuple[str, ...] = (),
    ) -> None:
        self.stage = stage
        self.decl = decl
        self.entry = entry
        self.kind = kind
        self.actual = actual
        self.source = source
        self.source_path = source_path
        self.untracked = untracked
        self.git_ignored = git_ignored


Judge = Callable[[LockAnalysis, Stage, PathDecl, LockEntry], "DepDiff | None"]


def check(ctx: Context) -> Iterator[Diagnostic]:
    lock = analysis(ctx)
    for stage in lock.in_scope:
        for diff in dep_diffs(lock, stage):
            yield RULE.at(
                diff.stage.pipeline.path,
                diff.decl.line,
                diff.decl.column,
                _message(diff),
                fix=_fix(ctx, diff),
                stage=diff.stage.address,
                target=diff.decl.repo_path,
            )


def dep_diffs(lock: LockAnalysis, stage: Stage) -> Iterator[DepDiff]:
    entry = lock_entry(stage)
    if entry is None:
        return
    if not stage.frozen:
        yield from _recorded_diffs(lock, stage, stage.deps, entry.deps, _dep_diff)
    yield from _recorded_diffs(lock, stage, stage.outs, entry.outs, _out_diff)


def _recorded_diffs(
    lock: LockAnalysis,
    stage: Stage,
    decls: list[PathDecl],
    entries: tuple[LockEntry, ...],
    judge: Judge,
) -> Iterator[DepDiff]:
    """`judge` each declaration against the entry dvc.lock records for its path (if any)."""
    for decl in decls:
        recorded = next((e for e in entries if e.path == decl.path), None)
        diff = judge(lock, stage, decl, recorded) if recorded is not None else None
        if diff is not None:
            yield diff


def _dep_diff(
    lock: LockAnalysis, stage: Stage, decl: PathDecl, recorded: LockEntry
) -> DepDiff | None:
    if recorded.md5 is None or hash_name(recorded.hash) is None:
        return None
    path = decl.repo_path
    producer = lock.producers.get(path)
    if producer is not None and producer[0] is not stage:
        return _upstream_diff(lock, stage, decl, recorded, *producer)
    tracked = lock.dvc_outs.get(path)
    if tracked is not None:
        dvc_file, out = tracked
        if out.md5 is None or out.md5 == recorded.md5:
            return None
        return DepDiff(stage, decl, recorded, "dvc-file", out.md5, dvc_file.path, dvc_file.path)
    if any(a in lock.producers or a in lock.dvc_outs for a in ancestors(path)):
        return None  # inside a DVC-managed folder: its files' hashes are in the cache only
    return _git_diff(lock, stage, decl, recorded)


def _upstream_diff(
    lock: LockAnalysis,
    stage: Stage,
    decl: PathDecl,
    recorded: LockEntry,
    upstream: Stage,
    out: PathDecl,
) -> DepDiff | None:
    up_entry = lock_entry(upstream)
    if up_entry is None:
        return None  # DVF302 reports the upstream stage
    up = next((e for e in up_entry.outs if e.path == out.path), None)
    if up is None or up.md5 is None or up.md5 == recorded.md5:
        return None
    return DepDiff(
        stage,
        decl,
        recorded,
        "upstream",
        up.md5,
        upstream.address,
        lock_path(upstream.pipeline),
    )


def _git_diff(
    lock: LockAnalysis, stage: Stage, decl: PathDecl, recorded: LockEntry
) -> DepDiff | None:
    name = hash_name(recorded.hash)
    if recorded.md5 is None or name is None:
        return None
    path = decl.repo_path
    if lock.staged.is_file(path):
        actual = lock.file_md5(path, name)
        if actual is None or actual == recorded.md5:
            return None
        return DepDiff(stage, decl, recorded, "file", actual)
    if lock.staged.is_dir(path):
        return _folder_diff(lock, stage, decl, recorded, name)
    return None


def _folder_diff(
    lock: LockAnalysis, stage: Stage, decl: PathDecl, recorded: LockEntry, name: HashName
) -> DepDiff | None:
    folder = decl.repo_path
    project = stage.pipeline.project
    state = lock.folder_state(folder, project, name)
    if state is None:
        return None
    files, committed, actual = state
    if actual is None or actual == recorded.md5:
        return None
    extras = lock.untracked_explaining(folder, project, files, committed, name, recorded.md5 or "")
    if extras:
        visible = set(lock.ctx.workspace.files())  # tracked or untracked, not Git-ignored
        return DepDiff(
            stage,
            decl,
            recorded,
            "untracked",
            actual,
            untracked=extras,
            git_ignored=tuple(p for p in extras if p not in visible),
        )
    return DepDiff(stage, decl, recorded, "folder", actual)


def _out_diff(
    lock: LockAnalysis, stage: Stage, decl: PathDecl, recorded: LockEntry
) -> DepDiff | None:
    """A Git-tracked output: its committed content, or its absence from the commit."""
    if decl.flag("cache", True) is not False or recorded.md5 is None:
        return _git_diff(lock, stage, decl, recorded)
    path = decl.repo_path
    if lock.staged.exists(path) or not git_may_track(lock.ctx, path):
        return _git_diff(lock, stage, decl, recorded)
    return DepDiff(stage, decl, recorded, "absent", "")


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
    if diff.kind == "absent":
        return (
            f"{lock} records {what} {path} of {stage} ({_short(diff.entry.md5)}), but this "
            "commit lacks it: Git tracks it (`cache: false`), so a clone of the commit would not "
            "have it"
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
    if diff.kind != "untracked":  # the one fix for a stage to re-run (it stages the .dvc file)
        return repro_fix(ctx, stage, also=[p for p in [diff.source_path] if p])
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
