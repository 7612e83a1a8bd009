"""The `.dvc` and dvc.yaml files DVC's index skips because Git ignores them.

DVC's `collect_files` (dvc/repo/index.py) walks the project and skips a DVC file that Git
ignores, and every folder Git ignores (checked as `folder/`), whether or not the files are
tracked: `scm.is_ignored` reads the ignore patterns only. `git check-ignore --no-index` gives
the same answer.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from pathlib import Path

from dvcflow.git.repo import run_git

_CHUNK = 500  # paths per `git check-ignore` call (the command line's length)


def skipped_by_dvc(root: Path, project_root: str, files: Iterable[str]) -> set[str]:
    """The repo-relative DVC files DVC's index would not load (ignored, or below an ignored
    folder of the project)."""
    files = list(files)
    asked: dict[str, list[str]] = {}  # path as given to git -> DVC files it hides
    for file in files:
        asked.setdefault(file, []).append(file)
        folder = posixpath.dirname(file)
        while folder and folder != project_root:
            asked.setdefault(folder + "/", []).append(file)
            folder = posixpath.dirname(folder)
    hidden: set[str] = set()
    paths = sorted(asked)
    for start in range(0, len(paths), _CHUNK):
        chunk = paths[start : start + _CHUNK]
        args = ["-c", "core.quotePath=false", "check-ignore", "--no-index", "--", *chunk]
        out = run_git(args, root, check=False)  # (a path Git must quote is taken as not ignored)
        for ignored in out.decode("utf-8", "surrogateescape").splitlines():
            hidden.update(asked.get(ignored, ()))
    return hidden
