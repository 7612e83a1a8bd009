"""DVF103 param-not-found: a stage tracks a params key (or file) that does not exist.

Why: `dvc repro` reads every key listed under a stage's `params` from its params file and fails
with "Parameters '...' are missing" when one is absent (or the file is), so the pipeline breaks
for everyone who pulls the commit; a renamed key in params.yaml is the usual cause.

Keys are looked up as DVC looks them up (dpath with `.` as separator): dotted keys walk nested
mappings (`train.optimizer.lr`), integer segments index lists (`layers.0`, `layers.-1`).
A whole-file entry (`- config.yaml:`) only needs the file. Keys with wildcards (`*`, `?`, `[`)
are left to DVC. Params files are parsed like DVC: YAML, JSON, TOML or Python by suffix. A
params file that a stage produces is not checked.

Wrong (params.yaml has `train: {lr: 0.1}`):

    stages:
      train:
        cmd: python train.py
        params:
          - train.learning_rate

Right:

    stages:
      train:
        cmd: python train.py
        params:
          - train.lr

Fix: add the key to the params file, or correct it in dvc.yaml (the message suggests the
closest existing key).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.dvc.params import (
    DEFAULT_PARAMS_FILE,
    ParamsError,
    has_param,
    is_wildcard,
    read_params,
    suggestion,
)
from dvcflow.dvc.pipeline import ParamDecl, Stage
from dvcflow.dvc.yamledit import stage_body
from dvcflow.dvc.yamlio import child, position
from dvcflow.errors import DvcflowError
from dvcflow.rules.deps.analysis import DepsAnalysis, analysis, definition_address, git_add_fix

CODE = "DVF103"
NAME = "param-not-found"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)

# (line, column, file, key or None for the file itself) -> (instances, message, fix)
_Finding = tuple[int, int, str, str | None]


def check(ctx: Context) -> Iterator[Diagnostic]:
    an = analysis(ctx)
    for group in an.groups:
        if not any(an.in_scope(stage) for stage in group):
            continue
        found: dict[_Finding, tuple[list[Stage], str, str]] = {}
        for stage in group:
            for where, message, fix in _stage_findings(ctx, an, stage):
                entry = found.setdefault(where, ([], message, fix))
                entry[0].append(stage)
        for (line, column, path, key), (stages, message, fix) in found.items():
            label = an.stage_label(group, stages)
            yield RULE.at(
                group[0].pipeline.path,
                line,
                column,
                f"stage {label} {message}",
                fix=fix,
                stage=definition_address(group[0]),
                target=f"{path}:{key}" if key is not None else path,
            )


def _stage_findings(
    ctx: Context, an: DepsAnalysis, stage: Stage
) -> Iterator[tuple[_Finding, str, str]]:
    for decl in stage.params:
        path = decl.repo_path
        if not an.snapshot.is_file(path):
            if an.is_produced(path):
                continue
            yield (
                (decl.line, decl.column, path, None),
                f"reads params from {path}, which is not in the commit",
                _missing_file_fix(ctx, path, decl),
            )
            continue
        try:
            data = _params(an, path)
        except ParamsError as exc:
            where = f"{path}:{exc.line}" if exc.line else path
            yield (
                (decl.line, decl.column, path, None),
                f"reads params from {path}, which DVC cannot parse: {exc.message}",
                f"correct {where} so that DVC can read it",
            )
            continue
        for key in decl.keys or ():
            if is_wildcard(key) or has_param(data, key):
                continue
            line, column = _key_position(stage, decl, key)
            yield (
                (line, column, path, key),
                f"tracks param '{key}', which {path} does not define",
                _missing_key_fix(data, path, key, stage),
            )


def _params(an: DepsAnalysis, path: str) -> Any:
    """The params file's data, parsed once per run (raises ParamsError every time)."""
    if path not in an.params_data:
        try:
            an.params_data[path] = read_params(an.snapshot, path)
        except DvcflowError as exc:
            an.params_data[path] = ParamsError(exc.message, exc.line)
        except FileNotFoundError as exc:  # listed, but a symlink to a file that is not there
            missing = exc.args[0] if exc.args else path
            an.params_data[path] = ParamsError(f"{missing} does not exist (a dangling symlink?)")
        except ParamsError as exc:
            an.params_data[path] = exc
    data = an.params_data[path]
    if isinstance(data, ParamsError):
        raise data
    return data


def _missing_file_fix(ctx: Context, path: str, decl: ParamDecl) -> str:
    if ctx.workspace.is_file(path):
        return git_add_fix(path)
    keys = ", ".join(decl.keys or ())
    return f"create {path}" + (f" defining {keys}" if keys else "") + ", or correct the path"


def _missing_key_fix(data: Any, path: str, key: str, stage: Stage) -> str:
    parent, _, leaf = key.rpartition(".")
    where = f"under `{parent}` " if parent else ""
    fix = f"add `{leaf}: <value>` {where}in {path}, or correct the key in stages."
    fix += f"{stage.definition}.params"
    close = suggestion(data, key)
    return fix + (f" (did you mean '{close}'?)" if close else "")


def _key_position(stage: Stage, decl: ParamDecl, key: str) -> tuple[int, int]:
    """Where the key is written in dvc.yaml: `- key` or `- file.yaml: [key]`."""
    document = stage.pipeline.document
    items = child(stage_body(document.tree, stage.definition), "params") if document else None
    if isinstance(items, list):
        default = posixpath.normpath(decl.file) == DEFAULT_PARAMS_FILE
        for index, item in enumerate(items):
            if default and item == key:
                return position(items, index)
            keys = child(item, decl.file) if isinstance(item, dict) else None
            if isinstance(keys, list) and key in keys:
                return position(keys, keys.index(key))
    return decl.line, decl.column
