"""Params and vars files, parsed as DVC parses them: by suffix, YAML for anything unknown.

`.yaml`/`.yml` and unknown suffixes: YAML 1.2; `.json`: JSON; `.toml`: TOML; `.py`: the literal
top-level assignments and class attributes DVC's `parse_py` reads with `ast` (never imported).
"""

from __future__ import annotations

import ast
import json
import posixpath
import sys
from typing import Any

from dvcflow.yamlio import YamlError, load_yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_PARAMS_FILE = "params.yaml"


class ParamsError(Exception):
    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def parse_params(text: str, path: str) -> dict[str, Any]:
    suffix = posixpath.splitext(path)[1].lower()
    if suffix == ".json":
        return _parse_json(text)
    if suffix == ".toml":
        return _parse_toml(text)
    if suffix == ".py":
        return _parse_py(text)
    try:
        data = load_yaml(text).data
    except YamlError as exc:
        raise ParamsError(exc.message, exc.line) from exc
    return data if isinstance(data, dict) else _not_a_mapping(data)


def _not_a_mapping(data: Any) -> dict[str, Any]:
    raise ParamsError(f"expected a mapping of params at the top level, found {type(data).__name__}")


def _parse_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) or {}
    except json.JSONDecodeError as exc:
        raise ParamsError(f"JSON syntax error: {exc.msg}", exc.lineno) from exc
    return data if isinstance(data, dict) else _not_a_mapping(data)


def _parse_toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", 0) or _line_from_message(str(exc))
        raise ParamsError(f"TOML syntax error: {str(exc).split(' (at')[0]}", line) from exc


def _line_from_message(message: str) -> int:
    marker = "(at line "
    if marker in message:
        digits = message.split(marker, 1)[1].split(",", 1)[0]
        if digits.isdigit():
            return int(digits)
    return 0


def _parse_py(text: str) -> dict[str, Any]:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ParamsError(f"Python syntax error: {exc.msg}", exc.lineno or 0) from exc
    return _py_body(tree.body, only_self=False)


def _py_body(body: list[ast.stmt], only_self: bool) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for node in body:
        try:
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                result.update(_py_assign(node, only_self))
            elif isinstance(node, ast.ClassDef):
                result[node.name] = _py_body(node.body, only_self=False)
            elif isinstance(node, ast.FunctionDef) and node.name == "__init__":
                result.update(_py_body(node.body, only_self=True))
        except (ValueError, AttributeError, TypeError, SyntaxError):
            continue  # DVC skips assignments it cannot evaluate literally
    return result


def _py_assign(node: ast.Assign | ast.AnnAssign, only_self: bool) -> dict[str, Any]:
    target: ast.expr
    if isinstance(node, ast.AnnAssign):
        target = node.target
    elif len(node.targets) == 1:
        target = node.targets[0]
    else:
        raise AttributeError
    if node.value is None:
        raise AttributeError
    return {_py_name(target, only_self): ast.literal_eval(node.value)}


def _py_name(target: ast.expr, only_self: bool) -> str:
    if isinstance(target, ast.Name) and not only_self:
        return target.id
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
    ):
        return target.attr
    raise AttributeError


def lookup(data: Any, dotted: str) -> Any:
    """A dotted key (`train.lr`, `layers.0`) in params data, or KeyError, as DVC looks it up."""
    node = data
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KeyError(dotted)
    return node
