"""The pipelines of a repository, resolved like DVC resolves them, in one view of its files.

A `Pipeline` is one dvc.yaml with its dvc.lock: its stages after `vars`/`${}`/`foreach`/`matrix`
(see dvcflow.dvc.templating), with repo-relative paths and source positions, plus every problem that
would make DVC refuse the files (reported by rule DVF105).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Callable
from typing import Any, Literal

from dvcflow.dvc.lock import LockFile, parse_lock
from dvcflow.dvc.params import DEFAULT_PARAMS_FILE, read_params
from dvcflow.dvc.projects import DvcProject
from dvcflow.dvc.schema import KeyPath, validate_dvc_yaml, validate_lock
from dvcflow.dvc.templating import ResolvedStage, TemplateError, resolve
from dvcflow.dvc.yamlio import YamlDocument, YamlError, child, load_yaml, position
from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot, normalize

OutKind = Literal["outs", "metrics", "plots"]


Where = Callable[[], tuple[int, int]]


def _nowhere() -> tuple[int, int]:
    return (0, 0)


class _Located:
    """Line and column computed on first use (a lookup in the marks the file was parsed
    with): only a run that reports something asks."""

    where: Where

    @property
    def line(self) -> int:
        return self.where()[0]

    @property
    def column(self) -> int:
        return self.where()[1]


class PathDecl(_Located):
    """A dep or output as the stage declares it."""

    def __init__(
        self,
        path: str,
        repo_path: str,
        kind: str = "deps",
        flags: tuple[tuple[str, Any], ...] = (),
        where: Where = _nowhere,
    ) -> None:
        self.path = path  # as written (after templating), relative to the stage's wdir
        self.repo_path = repo_path  # repo-relative posix path
        self.kind = kind  # deps | outs | metrics | plots
        self.flags = flags
        self.where = where

    def flag(self, name: str, default: Any = None) -> Any:
        return dict(self.flags).get(name, default)


class ParamDecl(_Located):
    """One params file of a stage: the keys it tracks, or the whole file (keys is None)."""

    def __init__(
        self,
        file: str,
        repo_path: str,
        keys: tuple[str, ...] | None,
        where: Where = _nowhere,
    ) -> None:
        self.file = file  # as DVC records it in dvc.lock: relative to the stage's wdir
        self.repo_path = repo_path
        self.keys = keys
        self.where = where


class Stage:
    def __init__(
        self,
        name: str,
        definition: str,
        pipeline: Pipeline,
        wdir: str,
        cmd: str | list[str] | None,
        deps: list[PathDecl],
        outs: list[PathDecl],
        params: list[ParamDecl],
        frozen: bool,
        always_changed: bool,
        body: dict[str, Any],
        vars_files: tuple[str, ...] = (),
    ) -> None:
        self.name = name  # as DVC generates it within its dvc.yaml: "train", "train@us"
        self.definition = definition  # the key under `stages:`
        self.pipeline = pipeline
        self.wdir = wdir  # repo-relative posix
        self.cmd = cmd
        self.deps = deps
        self.outs = outs  # outs, metrics and plots
        self.params = params
        self.frozen = frozen
        self.always_changed = always_changed
        self.body = body
        self.vars_files = vars_files

    @property
    def line(self) -> int:
        """Line of the stage's key under `stages:` (the definition, for foreach/matrix)."""
        return self.pipeline.position(("stages", self.definition))[0]

    @property
    def column(self) -> int:
        return self.pipeline.position(("stages", self.definition))[1]

    @property
    def address(self) -> str:
        """How DVC addresses the stage from its project's root (`sub/dvc.yaml:train`)."""
        rel = self.pipeline.project.relative(self.pipeline.path)
        return self.name if rel == "dvc.yaml" else f"{rel}:{self.name}"

    @property
    def repro_command(self) -> str:
        """The exact command that re-runs this stage, from the repository root."""
        return self.pipeline.project.command(f"dvc repro {shlex.quote(self.address)}")

    @property
    def cmd_lines(self) -> list[str]:
        if isinstance(self.cmd, list):
            return [str(c) for c in self.cmd]
        return [self.cmd] if isinstance(self.cmd, str) else []

    def resolve_path(self, path: str) -> str:
        return normalize(posixpath.join(self.wdir, path))


class Problem:
    """Something that makes DVC refuse a dvc.yaml or dvc.lock (reported as DVF105)."""

    path: str
    line: int
    column: int
    message: str
    stage: str | None
    fix: str | None

    __slots__ = ("column", "fix", "line", "message", "path", "stage")

    def __init__(
        self,
        path: str,
        line: int,
        column: int,
        message: str,
        stage: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        self.stage = stage
        self.fix = fix


class Pipeline:
    def __init__(self, path: str, project: DvcProject) -> None:
        self.path = path  # repo-relative path of the dvc.yaml
        self.project = project
        self.document: YamlDocument | None = None
        self.stages: list[Stage] = []
        self.lock_path: str | None = None
        self.vars_files: set[str] = set()
        self._lock: LockFile | None = None
        self._problems: list[Problem] = []
        # Reads dvc.lock when `lock` or `problems` is first asked for: a pre-commit run parses
        # only the locks of the pipelines the commit touches (in a monorepo, one of forty).
        self._lock_loader: Callable[[], None] | None = None

    @property
    def lock(self) -> LockFile | None:
        """dvc.lock as DVC recorded it (None if absent or refused: see `problems`)."""
        self._read_lock()
        return self._lock

    @property
    def problems(self) -> list[Problem]:
        """Everything that makes DVC refuse dvc.yaml, then dvc.lock."""
        self._read_lock()
        return self._problems

    def _read_lock(self) -> None:
        loader, self._lock_loader = self._lock_loader, None
        if loader is not None:
            loader()

    @property
    def folder(self) -> str:
        return posixpath.dirname(self.path)

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def position(self, keypath: KeyPath) -> tuple[int, int]:
        """Line and column of a key path in the dvc.yaml (the nearest ancestor that exists)."""
        if self.document is None:
            return (0, 0)
        return locate(self.document.tree, keypath)


def locate(tree: Any, keypath: KeyPath) -> tuple[int, int]:
    node, best = tree, position(tree)
    for key in keypath:
        here = position(node, key)
        if here != (0, 0):
            best = here
        node = child(node, key)
        if node is None:
            break
    return best


def load_pipeline(snapshot: Snapshot, project: DvcProject, path: str) -> Pipeline:
    """One dvc.yaml with its dvc.lock."""
    pipeline = Pipeline(path=path, project=project)
    document = _load_document(snapshot, pipeline, path)
    if document is None:
        return pipeline
    pipeline.document = document
    schema_problems = validate_dvc_yaml(document.data)
    for problem in schema_problems:
        line, column = locate(document.tree, problem.keypath)
        message = (
            f"{dotted(problem.keypath)}: {problem.message}" if problem.keypath else problem.message
        )
        pipeline.problems.append(Problem(path, line, column, message, _stage_of(problem.keypath)))
    if schema_problems:
        return pipeline  # DVC refuses the file as a whole
    resolved, errors = resolve(
        document.data,
        path,
        _vars_reader(snapshot, pipeline),
        parsing_config=project.parsing or None,
    )
    for error in errors:
        pipeline.problems.append(_template_problem(snapshot, pipeline, error))
    pipeline.stages = [_build_stage(pipeline, r) for r in resolved]
    _check_duplicate_outputs(pipeline)
    lock_path = normalize(posixpath.join(pipeline.folder, "dvc.lock"))
    if snapshot.is_file(lock_path):
        pipeline.lock_path = lock_path
        pipeline._lock_loader = lambda: _load_lock(snapshot, pipeline, lock_path)
    return pipeline


def _template_problem(snapshot: Snapshot, pipeline: Pipeline, error: TemplateError) -> Problem:
    """A resolve error at its keypath in dvc.yaml, or where it lies in the vars file it names
    (a syntax error in params.yaml: that file's line and column, the line shown in the fix)."""
    if error.origin is not None and error.origin[1]:
        path, line, column = error.origin
        shown = source_line(snapshot, path, line)
        fix = f"correct line {line} of {path}" + (f" (`{shown}`)" if shown else "")
        return Problem(path, line, column or 1, error.message, error.definition, fix=fix)
    assert pipeline.document is not None
    keypath = error.keypath or ("stages", error.definition or "")
    line, column = locate(pipeline.document.tree, keypath)
    shown = source_line(snapshot, pipeline.path, line)
    fix = f"correct line {line} of {pipeline.path}" + (f" (`{shown}`)" if shown else "")
    fix += "; `dvc stage list` confirms DVC accepts the file"
    return Problem(pipeline.path, line, column, error.message, error.definition, fix=fix)


def source_line(snapshot: Snapshot, path: str, line: int) -> str:
    """Line `line` of a file, stripped and shortened for a help line ("" if unreadable)."""
    try:
        lines = snapshot.read_text(path).splitlines()
    except (OSError, UnicodeDecodeError, DvcflowError):
        return ""
    text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    return text if len(text) <= 80 else text[:77] + "..."


def dotted(keypath: KeyPath) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keypath).lstrip(".")


def _stage_of(keypath: KeyPath) -> str | None:
    return str(keypath[1]) if len(keypath) > 1 and keypath[0] == "stages" else None


def _load_document(snapshot: Snapshot, pipeline: Pipeline, path: str) -> YamlDocument | None:
    try:
        return snapshot.parsed(path, load_yaml)
    except YamlError as exc:
        pipeline.problems.append(Problem(path, exc.line, exc.column, exc.message))
    except DvcflowError as exc:
        pipeline.problems.append(Problem(path, exc.line, 0, exc.message))
    return None


def _vars_reader(snapshot: Snapshot, pipeline: Pipeline) -> Callable[[str], dict[str, Any]]:
    def read_vars(path: str) -> dict[str, Any]:
        path = normalize(path)
        if not snapshot.is_file(path):
            raise FileNotFoundError(path)
        pipeline.vars_files.add(path)
        return read_params(snapshot, path)

    return read_vars


def _build_stage(pipeline: Pipeline, resolved: ResolvedStage) -> Stage:
    body = resolved.body
    wdir = normalize(posixpath.join(pipeline.folder, str(body.get("wdir") or ".")))
    stage = Stage(
        name=resolved.name,
        definition=resolved.definition,
        pipeline=pipeline,
        wdir=wdir,
        cmd=body.get("cmd"),
        deps=[],
        outs=[],
        params=[],
        frozen=bool(body.get("frozen")),
        always_changed=bool(body.get("always_changed")),
        body=body,
        vars_files=resolved.vars_files,
    )
    stage.deps = _path_decls(stage, "deps")
    for kind in ("outs", "metrics", "plots"):
        stage.outs.extend(_path_decls(stage, kind))
    stage.params = _param_decls(stage)
    return stage


def _definition_tree(pipeline: Pipeline, definition: str) -> Any:
    """The position node holding the stage's fields (`do:` for foreach stages)."""
    assert pipeline.document is not None
    node = child(child(pipeline.document.tree, "stages"), definition)
    do = child(node, "do")
    return do if do is not None else node


def _item_position(stage: Stage, kind: str, index: int) -> Where:
    def where() -> tuple[int, int]:
        tree = _definition_tree(stage.pipeline, stage.definition)
        items = child(tree, kind)
        if isinstance(items, list) and index < len(items):
            return position(items, index)
        return position(tree, kind) if items is not None else position(tree)

    return where


def _path_decls(stage: Stage, kind: str) -> list[PathDecl]:
    decls: list[PathDecl] = []
    for index, item in enumerate(stage.body.get(kind) or []):
        flags: dict[str, Any] = {}
        if isinstance(item, dict):
            if not item:
                continue
            path, raw_flags = next(iter(item.items()))
            if isinstance(raw_flags, dict):
                flags = raw_flags
        else:
            path = item
        path = str(path)
        decls.append(
            PathDecl(
                path=path,
                repo_path=stage.resolve_path(path),
                kind=kind,
                flags=tuple(sorted(flags.items())),
                where=_item_position(stage, kind, index),
            )
        )
    return decls


def merge_params(entries: list[Any]) -> dict[str, list[str] | None]:
    """DVC's `_merge_params`: bare keys go to params.yaml; `file:` with no keys tracks it whole."""
    whole = {
        name
        for entry in entries
        if isinstance(entry, dict)
        for name, keys in entry.items()
        if not keys
    }
    merged: dict[str, list[str] | None] = {}
    for entry in entries:
        if isinstance(entry, str):
            if DEFAULT_PARAMS_FILE not in whole:
                keys = merged.setdefault(DEFAULT_PARAMS_FILE, [])
                assert keys is not None
                keys.append(entry)
            continue
        if isinstance(entry, dict):
            for name, keys in entry.items():
                if name in whole:
                    merged[str(name)] = None
                elif isinstance(keys, list):
                    existing = merged.setdefault(str(name), [])
                    assert existing is not None
                    existing.extend(str(k) for k in keys)
    return merged


def _param_decls(stage: Stage) -> list[ParamDecl]:
    entries = stage.body.get("params") or []
    if not isinstance(entries, list):
        return []
    first_entry: dict[str, int] = {}
    for index, entry in enumerate(entries):
        names = [DEFAULT_PARAMS_FILE] if isinstance(entry, str) else list(entry or {})
        for name in names:
            first_entry.setdefault(str(name), index)
    return [
        ParamDecl(
            file=name,
            repo_path=stage.resolve_path(name),
            keys=tuple(keys) if keys is not None else None,
            where=_param_position(stage, first_entry.get(name)),
        )
        for name, keys in merge_params(entries).items()
    ]


def _param_position(stage: Stage, index: int | None) -> Where:
    def where() -> tuple[int, int]:
        if index is None:
            return (stage.line, stage.column)
        return _item_position(stage, "params", index)()

    return where


def _check_duplicate_outputs(pipeline: Pipeline) -> None:
    """DVC refuses two stages (or two entries) that write the same output path."""
    owners: dict[str, Stage] = {}
    for stage in pipeline.stages:
        for out in stage.outs:
            other = owners.get(out.repo_path)
            if other is not None and other is not stage:
                pipeline.problems.append(
                    Problem(
                        pipeline.path,
                        out.line,
                        out.column,
                        f"output '{out.path}' of stage '{stage.name}' is also an output of "
                        f"stage '{other.name}'; DVC refuses duplicate outputs",
                        stage.name,
                    )
                )
            owners[out.repo_path] = stage


def _load_lock(snapshot: Snapshot, pipeline: Pipeline, lock_path: str) -> None:
    try:
        document = snapshot.parsed(lock_path, load_yaml)
    except YamlError as exc:
        pipeline._problems.append(Problem(lock_path, exc.line, exc.column, exc.message))
        return
    except DvcflowError as exc:
        pipeline._problems.append(Problem(lock_path, exc.line, 0, exc.message))
        return
    problems = validate_lock(document.data)
    for problem in problems:
        line, column = locate(document.tree, problem.keypath)
        message = (
            f"{dotted(problem.keypath)}: {problem.message}" if problem.keypath else problem.message
        )
        pipeline._problems.append(
            Problem(
                lock_path,
                line or 1,
                column or 1,
                message,
                _stage_of(problem.keypath),
                fix=f"regenerate it: {_lock_fix(pipeline)}",
            )
        )
    if not problems:
        pipeline._lock = parse_lock(lock_path, document)


def _lock_fix(pipeline: Pipeline) -> str:
    project = pipeline.project
    target = project.relative(pipeline.path)
    lock = project.relative(pipeline.lock_path or "dvc.lock")
    return project.command(f"dvc repro {shlex.quote(target)} && git add {shlex.quote(lock)}")
