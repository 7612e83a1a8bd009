"""DVC projects inside a Git repository, their `.dvcignore` rules and their dvc.yaml files.

A project is a folder holding `.dvc/config` (`dvc init`, or `dvc init --subdir` below the Git
root). Each dvc.yaml belongs to the innermost project above it, as DVC sees it.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from functools import cached_property
from typing import TYPE_CHECKING, Any

from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot, is_within

if TYPE_CHECKING:  # imported when a .dvcignore has a pattern (`dvc init` writes only comments)
    import pathspec


class IgnoreProblem:
    """A `.dvcignore` line DVC refuses: it stops every `dvc` command with "Invalid git pattern"."""

    path: str  # repo-relative path of the .dvcignore
    line: int
    pattern: str  # the line as DVC reads it (stripped)
    message: str
    fix: str

    __slots__ = ("fix", "line", "message", "path", "pattern")

    def __init__(self, path: str, line: int, pattern: str, message: str, fix: str) -> None:
        self.path = path
        self.line = line
        self.pattern = pattern
        self.message = message
        self.fix = fix


class DvcProject:
    def __init__(
        self,
        root: str,  # repo-relative posix folder; "" for the Git root
        parsing: dict[str, str] | None = None,  # DVC config's [parsing] section
        initialized: bool = True,
        cwd: str = "",  # where dvcflow runs, repo-relative: the folder help commands run from
    ) -> None:
        self.root = root
        self.ignore_files: dict[str, pathspec.PathSpec[Any]] = {}
        self.parsing: dict[str, str] = {} if parsing is None else parsing
        # `.dvcignore` lines DVC cannot compile (it fails every command on them): reported by DVF105
        self.ignore_problems: list[IgnoreProblem] = []
        # False for the stand-in project of a repository with dvc.yaml files but no `.dvc/config`
        # in this view: its pipelines are linted all the same, DVC itself cannot run there.
        self.initialized = initialized
        self.cwd = cwd

    def relative(self, path: str) -> str:
        """A repo-relative path as seen from the project's root (how DVC prints it)."""
        return posixpath.relpath(path, self.root) if self.root else path

    def command(self, shell: str) -> str:
        """`shell`, steps joined by ` && ` that each run `dvc` or `git` from the project's root
        (DVC must run inside its project), as run from `cwd`: `dvc --cd <root>` and
        `git -C <root>`, never `cd`, which would leave an interactive shell in another folder
        for the next help line."""
        rel = self._root_from_cwd
        if rel == ".":
            return shell
        steps = []
        for step in shell.split(" && "):
            tool, _, rest = step.partition(" ")
            flag = {"dvc": "--cd", "git": "-C"}.get(tool)
            steps.append(f"{tool} {flag} {shlex.quote(rel)} {rest}" if flag else step)
        return " && ".join(steps)

    @cached_property
    def _root_from_cwd(self) -> str:
        """The project's root as `cwd` reaches it (relpath asks the OS for the working folder:
        once, not once per help line)."""
        return posixpath.relpath(self.root or ".", self.cwd or ".")

    def contains(self, path: str) -> bool:
        return is_within(path, self.root)

    def is_ignored(self, path: str) -> bool:
        """`.dvcignore` (gitignore syntax, one file per folder, like DVC's DvcIgnoreFilter)."""
        for folder, spec in self.ignore_files.items():
            if is_within(path, folder) and path != folder:
                rel = posixpath.relpath(path, folder) if folder else path
                if spec.match_file(rel):
                    return True
        return False


class ProjectMap:
    def __init__(self, projects: list[DvcProject]) -> None:
        self.projects = projects

    @cached_property
    def _by_depth(self) -> list[DvcProject]:
        return sorted(self.projects, key=lambda p: p.root.count("/") + bool(p.root), reverse=True)

    def owner(self, path: str) -> DvcProject | None:
        """The innermost project a path belongs to, or None outside every project."""
        return next((p for p in self._by_depth if p.contains(path)), None)


def dvcignore_patterns(text: str) -> list[tuple[int, str]]:
    """(line number, pattern) as DVC's `DvcIgnorePatterns.from_file` reads them: each line
    stripped of surrounding whitespace, blank lines and `#` comments dropped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    stripped = ((number, line.strip()) for number, line in enumerate(lines, 1))
    return [(number, line) for number, line in stripped if line and not line.startswith("#")]


def _dvcignore_spec(
    path: str, patterns: list[tuple[int, str]], raw_lines: list[str]
) -> tuple[pathspec.PathSpec[Any], list[IgnoreProblem]]:
    """The compiled patterns (DVC's pattern class) and the lines it cannot compile, skipped."""
    import pathspec

    try:
        from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern as Pattern
    except ImportError:  # pragma: no cover - pathspec < 1, as DVC falls back
        from pathspec.patterns.gitwildmatch import GitWildMatchPattern as Pattern

    compiled: list[Any] = []
    problems: list[IgnoreProblem] = []
    for number, pattern in patterns:
        try:
            compiled.append(Pattern(pattern))
        except (ValueError, re.error) as exc:  # GitIgnorePatternError; `[z-a]` fails in re
            raw = raw_lines[number - 1] if number <= len(raw_lines) else pattern
            problems.append(_ignore_problem(path, number, pattern, raw, exc))
    return pathspec.PathSpec(compiled), problems


def _ignore_problem(
    path: str, number: int, pattern: str, raw: str, exc: ValueError | re.error
) -> IgnoreProblem:
    """Why DVC refuses the line, in words, and how to write it instead."""
    if pattern.endswith("\\") and raw != raw.rstrip():
        reason = "DVC strips the line's trailing spaces, so the escaped space is lost"
        fix = f"write `{pattern[:-1]}[ ]` to match a name ending in a space, or delete the line"
    elif pattern.endswith("\\"):
        reason = "a trailing backslash escapes nothing"
        fix = "delete the line, or double the backslash for a literal one"
    elif pattern == "!":
        reason, fix = "a `!` with no pattern after it negates nothing", "delete the line"
    else:
        cause = exc.__cause__ or exc.__context__ or exc
        reason = (str(cause).strip() or type(cause).__name__).splitlines()[0]
        fix = "correct or delete the line"
    message = (
        f"invalid pattern `{pattern}` in .dvcignore: {reason}; "
        "every `dvc` command fails on it with 'Invalid git pattern'"
    )
    return IgnoreProblem(path, number, pattern, message, fix)


def discover_projects(snapshot: Snapshot, cwd: str = "") -> ProjectMap:
    """The DVC projects of a view; `cwd` (repo-relative) is where their help commands run."""
    roots = sorted(
        posixpath.dirname(posixpath.dirname(path))
        for path in snapshot.files_named("config")
        if posixpath.basename(posixpath.dirname(path)) == ".dvc"
    )
    if snapshot.is_dir(".dvc") and "" not in roots:
        roots.insert(0, "")
    projects = [
        DvcProject(root, parsing=_parsing_section(snapshot, root), cwd=cwd) for root in roots
    ]
    if not projects and snapshot.files_named("dvc.yaml"):  # no `.dvc/` (not committed)
        projects = [DvcProject("", initialized=False, cwd=cwd)]
    project_map = ProjectMap(projects)
    for path in snapshot.files_named(".dvcignore"):
        owner = project_map.owner(path)
        if owner is None:
            continue
        try:
            text = snapshot.read_text(path)
        except DvcflowError:  # an unreadable .dvcignore ignores nothing
            continue
        patterns = dvcignore_patterns(text)
        if not patterns:
            continue  # blank lines and comments only (as `dvc init` writes it): ignores nothing
        raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        spec, problems = _dvcignore_spec(path, patterns, raw_lines)
        owner.ignore_files[posixpath.dirname(path)] = spec
        owner.ignore_problems.extend(problems)
    return project_map


def _parsing_section(snapshot: Snapshot, root: str) -> dict[str, str]:
    """`[parsing]` from `.dvc/config` then `.dvc/config.local` (configobj syntax, flat keys)."""
    values: dict[str, str] = {}
    for name in ("config", "config.local"):
        path = posixpath.join(root, ".dvc", name)
        try:
            text = snapshot.read_text(path) if snapshot.is_file(path) else ""
        except DvcflowError:
            continue
        section = ""
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip()
            if line.startswith("[") and line.endswith("]"):
                section = line[1:-1].strip().strip("'\"")
            elif section == "parsing" and "=" in line:
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip().strip("'\"")
    return values


def pipeline_files(snapshot: Snapshot, project_map: ProjectMap) -> list[tuple[DvcProject, str]]:
    """Every dvc.yaml DVC would collect: inside a project, not under .dvc/, not .dvcignored."""
    found: list[tuple[DvcProject, str]] = []
    for path in snapshot.files_named("dvc.yaml"):
        project = project_map.owner(path)
        if project is None or "/.dvc/" in f"/{path}" or project.is_ignored(path):
            continue
        found.append((project, path))
    return found
