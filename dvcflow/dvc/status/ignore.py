"""`.dvcignore` as DVC's DvcIgnoreFilter applies it, negated (`!`) patterns included.

DVC (dvc/ignore.py) merges the `.dvcignore` files of a folder and its parents into one list of
patterns, the deeper file's patterns last; for a path it checks each ancestor folder first
(an ignored folder hides everything below it, whatever a later `!` says, as in Git), then the
path itself. For one path the last matching pattern decides: an ignore, or a `!` re-include.
A pattern ending in `/` only matches folders.
"""

from __future__ import annotations

import posixpath
import re

from dvcflow.dvc.projects import DvcProject


class _Pattern:
    folder: str  # the `.dvcignore`'s folder, repo-relative
    regex: re.Pattern[str]
    ignore: bool  # False: a `!` pattern
    dir_only: bool

    __slots__ = ("dir_only", "folder", "ignore", "regex")

    def __init__(self, folder: str, regex: re.Pattern[str], ignore: bool, dir_only: bool) -> None:
        self.folder = folder
        self.regex = regex
        self.ignore = ignore
        self.dir_only = dir_only


class DvcIgnore:
    """The ignore rules of one DVC project; verdicts for folders are remembered."""

    def __init__(self, project: DvcProject) -> None:
        self.project = project
        self._patterns: list[_Pattern] = []
        self._folders: dict[str, bool] = {}
        for folder in sorted(self.project.ignore_files, key=_depth):
            for pattern in self.project.ignore_files[folder].patterns:
                include = getattr(pattern, "include", None)
                regex = getattr(pattern, "regex", None)
                if include is None or regex is None:
                    continue  # blank lines and comments
                raw = str(getattr(pattern, "pattern", "")).rstrip()
                self._patterns.append(_Pattern(folder, regex, bool(include), raw.endswith("/")))

    @property
    def active(self) -> bool:
        return bool(self._patterns)

    def is_ignored(self, repo_path: str, is_dir: bool = False) -> bool:
        """Whether DVC's walk and `exists` hide this path (repo-relative, in the project)."""
        if not self._patterns or repo_path == self.project.root:
            return False
        parent = posixpath.dirname(repo_path)
        if parent != self.project.root and self.is_folder_ignored(parent):
            return True
        return self._matches(repo_path, is_dir)

    def is_folder_ignored(self, folder: str) -> bool:
        if folder not in self._folders:
            self._folders[folder] = self.is_ignored(folder, is_dir=True)
        return self._folders[folder]

    def _matches(self, repo_path: str, is_dir: bool) -> bool:
        for pattern in reversed(self._patterns):
            if pattern.dir_only and not is_dir:
                continue
            if pattern.folder and not repo_path.startswith(pattern.folder + "/"):
                continue
            rel = repo_path[len(pattern.folder) + 1 :] if pattern.folder else repo_path
            if pattern.regex.match(rel) or (is_dir and pattern.regex.match(rel + "/")):
                return pattern.ignore
        return False


def _depth(folder: str) -> int:
    return folder.count("/") + bool(folder)
