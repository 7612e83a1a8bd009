"""`.dvc` files (what `dvc add` and `dvc import` write), read from a view of the repository.

    outs:
    - md5: 3a1ec7c5f2cfe6e8ac8e5b6b5ea32a2f
      size: 1024
      hash: md5          # absent in files written by DVC 2.x (legacy dos2unix md5)
      path: data.csv     # relative to the .dvc file's folder (and its `wdir:`)

`nfiles` is present for folders, whose md5 ends in `.dir`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dvcflow.dvc.schema import validate_dvc_file
from dvcflow.dvc.yamlio import YamlDocument, YamlError, child, load_yaml, position
from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot, normalize

if TYPE_CHECKING:
    from dvcflow.dvc.projects import ProjectMap

DVC_FILE_SUFFIX = ".dvc"


class DvcFileOut:
    """One output a `.dvc` file records."""

    def __init__(
        self,
        path: str,
        repo_path: str,
        md5: str | None,
        hash: str | None,
        size: int | None,
        nfiles: int | None,
        where: Callable[[], int],
    ) -> None:
        self.path = path  # as written, relative to the .dvc file's wdir
        self.repo_path = repo_path
        self.md5 = md5
        self.hash = hash  # "md5" (DVC 3) or None (DVC 2.x legacy md5)
        self.size = size
        self.nfiles = nfiles
        self.where = where

    @property
    def line(self) -> int:
        """Computed on first use, from the marks the .dvc file was parsed with."""
        return self.where()

    @property
    def is_dir(self) -> bool:
        return bool(self.md5 and self.md5.endswith(".dir"))


class DvcFile:
    def __init__(self, path: str, is_import: bool, frozen: bool, entries: int) -> None:
        self.path = path  # repo-relative path of the .dvc file
        self.outs: list[DvcFileOut] = []
        self.is_import = is_import  # has deps: `dvc import` / `dvc import-url`
        self.frozen = frozen
        self.entries = entries  # `outs` entries as written, readable or not


def is_dvc_file(path: str) -> bool:
    """A `*.dvc` file (not the `.dvc/` folder of a project)."""
    name = posixpath.basename(path)
    return name.endswith(DVC_FILE_SUFFIX) and name != DVC_FILE_SUFFIX and "/.dvc/" not in f"/{path}"


class DvcFileProblem:
    """Something that makes DVC refuse a `.dvc` file (reported by DVF105)."""

    path: str
    line: int
    column: int
    message: str

    __slots__ = ("column", "line", "message", "path")

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.message = message


class _Loaded:
    dvc_file: DvcFile | None
    problems: Callable[[], list[DvcFileProblem]]  # located on first use (the parse's marks)

    __slots__ = ("dvc_file", "problems")

    def __init__(
        self, dvc_file: DvcFile | None, problems: Callable[[], list[DvcFileProblem]]
    ) -> None:
        self.dvc_file = dvc_file
        self.problems = problems


def load_dvc_file(snapshot: Snapshot, path: str) -> DvcFile | None:
    """Parse one `.dvc` file (once per view); None if absent, unreadable or not a mapping."""
    return _load(snapshot, path).dvc_file


def dvc_file_problems(snapshot: Snapshot, path: str) -> list[DvcFileProblem]:
    """Why DVC would refuse the `.dvc` file: YAML errors, then its schema (dvcflow.dvc.schema)."""
    return _load(snapshot, path).problems()


def _load(snapshot: Snapshot, path: str) -> _Loaded:
    return snapshot.memo((_load_dvc_file, path), lambda: _load_dvc_file(snapshot, path))


def _no_problems() -> list[DvcFileProblem]:
    return []


def _load_dvc_file(snapshot: Snapshot, path: str) -> _Loaded:
    try:
        document = snapshot.parsed(path, load_yaml)
    except YamlError as exc:
        line, column = (exc.line, exc.column) if exc.line else _value_position(snapshot, path)
        problem = DvcFileProblem(path, line, column, exc.message)
        return _Loaded(None, lambda: [problem])
    except DvcflowError as exc:
        problem = DvcFileProblem(path, exc.line, 0, exc.message)
        return _Loaded(None, lambda: [problem])
    except FileNotFoundError:
        return _Loaded(None, _no_problems)
    data = document.data
    problems = _schema_problems(path, document)
    if not isinstance(data, dict):
        return _Loaded(None, problems)
    return _Loaded(_dvc_file(path, document, data), problems)


def _value_position(snapshot: Snapshot, path: str) -> tuple[int, int]:
    """Where the value sits that YAML parses but Python cannot build (a date such as
    2020-13-45, an int past Python's digit limit): each scalar built alone, in file order."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    yaml = YAML(typ="safe", pure=True)
    try:
        stack: list[Any] = [yaml.compose(snapshot.read_text(path))]
    except (YAMLError, RecursionError, DvcflowError):
        return (0, 0)
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            try:
                yaml.constructor.construct_object(node)
            except (ValueError, KeyError, TypeError, OverflowError):
                return (node.start_mark.line + 1, node.start_mark.column + 1)
        elif isinstance(node, MappingNode):
            stack.extend(reversed([item for pair in node.value for item in pair]))
        elif isinstance(node, SequenceNode):
            stack.extend(reversed(node.value))
    return (0, 0)


def _schema_problems(path: str, document: YamlDocument) -> Callable[[], list[DvcFileProblem]]:
    """Validate now (cheap, on plain data); locate each problem only when asked."""
    found = validate_dvc_file(document.data)
    if not found:
        return _no_problems

    def located() -> list[DvcFileProblem]:
        from dvcflow.dvc.pipeline import dotted, locate

        problems: list[DvcFileProblem] = []
        for problem in found:
            line, column = locate(document.tree, problem.keypath)
            where = dotted(problem.keypath)
            message = f"{where}: {problem.message}" if where else problem.message
            problems.append(DvcFileProblem(path, line or 1, column or 1, message))
        return problems

    return located


def _dvc_file(path: str, document: YamlDocument, data: dict[Any, Any]) -> DvcFile:
    folder = posixpath.dirname(path)
    wdir = normalize(posixpath.join(folder, str(data.get("wdir") or ".")))
    outs = data.get("outs") or []
    if not isinstance(outs, list):
        outs = []  # `outs: 5`: the schema problem says so (DVF105); no outs to read
    dvc_file = DvcFile(
        path,
        is_import=bool(data.get("deps")),
        frozen=bool(data.get("frozen")),
        entries=len(outs) if isinstance(outs, list) else 0,
    )
    for index, raw in enumerate(outs):
        out = _out(raw, wdir, _out_line(document, index))
        if out is not None:
            dvc_file.outs.append(out)
    return dvc_file


def _out_line(document: YamlDocument, index: int) -> Callable[[], int]:
    """The line of `outs[index]`, looked up only if a finding asks."""

    def where() -> int:
        outs_tree = child(document.tree, "outs")
        return position(outs_tree, index)[0] if outs_tree is not None else 0

    return where


def _out(raw: Any, wdir: str, line: Callable[[], int]) -> DvcFileOut | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
        return None
    md5 = raw.get("md5")
    size, nfiles, hash_ = raw.get("size"), raw.get("nfiles"), raw.get("hash")
    return DvcFileOut(
        path=raw["path"],
        repo_path=normalize(posixpath.join(wdir, raw["path"])),
        md5=str(md5) if md5 is not None else None,
        hash=hash_ if isinstance(hash_, str) else None,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        nfiles=nfiles if isinstance(nfiles, int) and not isinstance(nfiles, bool) else None,
        where=line,
    )


def load_dvc_files(snapshot: Snapshot, projects: ProjectMap) -> list[DvcFile]:
    """Every readable `.dvc` file of the view that DVC reads, sorted by path: inside a DVC
    project and not hidden by its `.dvcignore` (DVC collects its stages from the project's
    tree; a repository holding `.dvc` files but no `.dvc/` folder is no DVC repository)."""
    found = (
        load_dvc_file(snapshot, path)
        for path in snapshot.files()
        if is_dvc_file(path) and _read_by_dvc(projects, path)
    )
    return [f for f in found if f is not None]


def _read_by_dvc(projects: ProjectMap, path: str) -> bool:
    owner = projects.owner(path)
    return owner is not None and not owner.is_ignored(path)


def outs_by_path(dvc_files: list[DvcFile]) -> dict[str, tuple[DvcFile, DvcFileOut]]:
    """Repo-relative output path -> the `.dvc` file tracking it and its entry."""
    return {out.repo_path: (f, out) for f in dvc_files for out in f.outs}
