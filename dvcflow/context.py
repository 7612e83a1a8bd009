"""Everything a rule may read, loaded once and lazily: views, projects, pipelines, scope."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Hashable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from dvcflow.config import Config, load_config
from dvcflow.dvc.projects import ProjectMap, discover_projects, pipeline_files
from dvcflow.fixing import fix_command
from dvcflow.git.repo import GitRepo
from dvcflow.git.snapshot import Snapshot, StagedSnapshot, View, WorkspaceSnapshot

if TYPE_CHECKING:  # the pipeline model (and templating) loads only when a rule asks for it
    from dvcflow.dvc.pipeline import Pipeline, Stage

T = TypeVar("T")


class Context:
    """One run's view of the repository.

    `all_files` is the CI mode (`--all`): every stage and file is in scope. Otherwise file-scoped
    findings are limited to what the commit being made touches (`changed`).
    """

    def __init__(self, repo: GitRepo, config: Config, *, all_files: bool, cwd: str = "") -> None:
        self.repo = repo
        self.root: Path = repo.root
        self.cwd = cwd  # where dvcflow runs, repo-relative posix ("" at the root)
        self.config = config
        self.all_files = all_files
        self._pipelines: dict[View, list[Pipeline]] = {}
        self._projects: dict[View, ProjectMap] = {}
        self._at_close: list[Callable[[], None]] = []
        self._memo: dict[Hashable, Any] = {}
        # What a help line runs to apply the safe fixes, as this run was invoked.
        self.fix_command = fix_command(os.environ, all_files=all_files)

    @classmethod
    def from_cwd(cls, cwd: Path | str = ".", *, all_files: bool = False) -> Context:
        repo = GitRepo.discover(cwd)
        return cls(
            repo, load_config(repo.root, repo), all_files=all_files, cwd=repo.relative_cwd(cwd)
        )

    def fresh(self) -> Context:
        """A new context on the same repository, folder and mode (after files changed)."""
        return Context.from_cwd(self.root / self.cwd, all_files=self.all_files)

    @cached_property
    def staged(self) -> Snapshot:
        return StagedSnapshot(self.repo, self._max_bytes)

    @cached_property
    def workspace(self) -> Snapshot:
        return WorkspaceSnapshot(self.repo, self._max_bytes)

    @property
    def _max_bytes(self) -> int:
        return int(self.config.max_file_size_mb * 1024 * 1024)

    def snapshot(self, view: View) -> Snapshot:
        return self.staged if view == "staged" else self.workspace

    @cached_property
    def changed(self) -> frozenset[str]:
        """Paths the commit being made adds, modifies or deletes (empty under --all)."""
        return frozenset() if self.all_files else frozenset(self.repo.staged_changes())

    def touches(self, *paths: str) -> bool:
        """Whether any of these repo-relative paths is part of the commit (always under --all)."""
        return self.all_files or any(p in self.changed for p in paths)

    def projects(self, view: View = "staged") -> ProjectMap:
        if view not in self._projects:
            self._projects[view] = discover_projects(self.snapshot(view), self.cwd)
        return self._projects[view]

    def pipelines(self, view: View = "staged") -> list[Pipeline]:
        if view not in self._pipelines:
            from dvcflow.dvc.pipeline import load_pipeline

            snapshot = self.snapshot(view)
            self._pipelines[view] = [
                load_pipeline(snapshot, project, path)
                for project, path in pipeline_files(snapshot, self.projects(view))
            ]
        return self._pipelines[view]

    def stages(self, view: View = "staged") -> list[Stage]:
        return [stage for pipeline in self.pipelines(view) for stage in pipeline.stages]

    def shell_path(self, path: str) -> str:
        """A repo-relative path as a help command run from `cwd` names it."""
        return posixpath.relpath(path, self.cwd) if self.cwd else path

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """What this run computed once under `key` (an analysis, a cache), computed on first use.

        Run state lives here, not in module globals: it is dropped with the context. Use the
        function that computes it (or a tuple starting with it) as the key.
        """
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])

    def option(self, section: str, key: str) -> object:
        return self.config.option(section, key)

    def at_close(self, callback: Callable[[], None]) -> None:
        """Run `callback` when the run ends (caches saving what the run learned)."""
        self._at_close.append(callback)

    def close(self) -> None:
        callbacks, self._at_close = self._at_close, []
        for callback in callbacks:
            callback()
        self.repo.close()
