"""DVF502 and DVF503's analysis: what the Git index holds that belongs in DVC.

The index (the commit being made) is compared with the outputs the staged dvc.yaml and `.dvc`
files declare; added blobs are sized with one `git cat-file --batch-check`, and Git LFS
patterns are asked of Git itself (`git check-attr --cached filter`), so `.gitattributes`
works exactly as Git applies it.
"""

from __future__ import annotations

import posixpath
import shlex
import subprocess
from collections.abc import Iterable

from dvcflow.context import Context
from dvcflow.dvc.dvcfiles import load_dvc_files
from dvcflow.dvc.projects import DvcProject
from dvcflow.git.repo import _git_env
from dvcflow.git.snapshot import is_within


class TrackedOutput:
    """An output DVC caches, as the staged dvc.yaml or `.dvc` file declares it."""

    out: str  # repo-relative
    declared_in: str  # dvc.yaml or the .dvc file
    project: DvcProject

    __slots__ = ("declared_in", "out", "project")

    def __init__(self, out: str, declared_in: str, project: DvcProject) -> None:
        self.out = out
        self.declared_in = declared_in
        self.project = project


def tracked_outputs(ctx: Context) -> list[TrackedOutput]:
    return ctx.memo(tracked_outputs, lambda: _tracked_outputs(ctx))


def _tracked_outputs(ctx: Context) -> list[TrackedOutput]:
    found: dict[str, TrackedOutput] = {}
    for stage in ctx.stages("staged"):
        for decl in stage.outs:
            if decl.flag("cache", True):
                found.setdefault(
                    decl.repo_path,
                    TrackedOutput(decl.repo_path, stage.pipeline.path, stage.pipeline.project),
                )
    projects = ctx.projects("staged")
    for dvc_file in load_dvc_files(ctx.staged, projects):
        project = projects.owner(dvc_file.path)
        if project is None:  # never: load_dvc_files reads only the files a project holds
            continue
        for out in dvc_file.outs:
            found.setdefault(out.repo_path, TrackedOutput(out.repo_path, dvc_file.path, project))
    return sorted(found.values(), key=lambda o: o.out)


def indexed_under(ctx: Context, out: str) -> list[str]:
    """The index's files that are `out` or lie inside it."""
    staged = ctx.staged
    if staged.is_file(out):
        return [out]
    return staged.files_under(out) if staged.is_dir(out) else []


def added_files(ctx: Context) -> list[str]:
    """Files the commit adds (every indexed file under --all)."""
    if ctx.all_files:
        return ctx.staged.files()
    return sorted(path for path, status in ctx.repo.staged_status().items() if status == "A")


def blob_sizes(ctx: Context, paths: Iterable[str]) -> dict[str, int]:
    """Each indexed file's blob size in bytes (symlinks and submodules left out)."""
    index = ctx.repo.index()
    wanted = {
        p: index[p].sha
        for p in paths
        if p in index and not index[p].is_symlink and not index[p].is_submodule
    }
    if not wanted:
        return {}
    request = "".join(f"{sha}\n" for sha in dict.fromkeys(wanted.values())).encode()
    proc = subprocess.run(
        ["git", "cat-file", "--batch-check=%(objectname) %(objectsize)"],
        cwd=ctx.root,
        input=request,
        capture_output=True,
        env=_git_env(),
        check=False,
    )
    sizes: dict[str, int] = {}
    for line in proc.stdout.decode().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return {p: sizes[sha] for p, sha in wanted.items() if sha in sizes}


def lfs_tracked(ctx: Context, paths: list[str]) -> set[str]:
    """Paths whose `filter` attribute is `lfs`, as Git reads `.gitattributes` from the index."""
    if not paths:
        return set()
    proc = subprocess.run(
        ["git", "check-attr", "--cached", "-z", "--stdin", "filter"],
        cwd=ctx.root,
        input=b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths),
        capture_output=True,
        env=_git_env(),
        check=False,
    )
    fields = proc.stdout.split(b"\0")
    found: set[str] = set()
    for index in range(0, len(fields) - 2, 3):
        if fields[index + 2] == b"lfs":
            found.add(fields[index].decode("utf-8", "surrogateescape"))
    return found


def inside_output(path: str, outputs: list[TrackedOutput]) -> TrackedOutput | None:
    return next((o for o in outputs if is_within(path, o.out)), None)


def gitignore_fix(ctx: Context, out: str) -> str | None:
    """The command that adds the `.gitignore` line DVC writes for `out` (`/name` in the
    folder's .gitignore), or None when the work tree's .gitignore already has it."""
    folder, name = posixpath.split(out)
    ignore = posixpath.join(folder, ".gitignore")
    line = f"/{name}"
    path = ctx.root / ignore
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    if line in text.splitlines():
        return None
    quoted = shlex.quote(ignore)
    newline = f"echo >> {quoted} && " if text and not text.endswith("\n") else ""
    return f"{newline}echo {shlex.quote(line)} >> {quoted} && git add {quoted}"
