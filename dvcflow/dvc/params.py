"""Params and vars files, parsed as DVC parses them: by suffix, YAML for anything unknown.

`.yaml`/`.yml` and unknown suffixes: YAML 1.2; `.json`: JSON; `.toml`: TOML; `.py`: the literal
top-level assignments and class attributes DVC's `parse_py` reads with `ast` (never imported).
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
import sys
from collections.abc import Callable, Iterator
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from dvcflow.dvc.yamlio import YamlDocument, YamlError, load_yaml

if TYPE_CHECKING:
    from dvcflow.git.snapshot import Snapshot

DEFAULT_PARAMS_FILE = "params.yaml"
_ALIAS = re.compile(r"(^|[\s\[{,:])\*[^\s,\]}]+", re.MULTILINE)


class ParamsError(Exception):
    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def parse_params(
    text: str, path: str, load: Callable[[str], YamlDocument] = load_yaml
) -> dict[str, Any]:
    """The file's params; ParamsError (with a line where known) for anything DVC cannot read.

    `load` parses YAML (load_yaml, or a cache of its documents shared with other readers)."""
    try:
        return _parse(text, posixpath.splitext(path)[1].lower(), load)
    except (RecursionError, MemoryError) as exc:
        raise ParamsError("nested too deeply to read") from exc
    except (ValueError, KeyError) as exc:  # a 5,000-digit number, a date such as 2020-13-45
        raise ParamsError(f"unreadable value: {str(exc).split(';')[0]}") from exc


def read_params(snapshot: Snapshot, path: str) -> dict[str, Any]:
    """`parse_params` of a view's file, parsed once per run for every view holding the same
    text (Snapshot.parsed): the data is shared, never change it. Raises what reading
    (FileNotFoundError, DvcflowError) and parse_params raise."""
    suffix = posixpath.splitext(path)[1].lower()  # all parse_params reads of the path

    def parse(text: str) -> dict[str, Any]:  # YAML: the document other readers share
        return parse_params(text, path, lambda t: snapshot.parsed_text(t, load_yaml))

    return snapshot.parsed(path, parse, (parse_params, suffix))


def _parse(text: str, suffix: str, load: Callable[[str], YamlDocument]) -> dict[str, Any]:
    if suffix == ".json":
        return _parse_json(text)
    if suffix == ".toml":
        return _parse_toml(text)
    if suffix == ".py":
        return _parse_py(text)
    try:
        data = load(text).data
    except YamlError as exc:
        raise ParamsError(exc.message, exc.line, exc.column) from exc
    if _recursive(data):
        raise ParamsError(
            "a YAML alias refers to a mapping or list that contains it (a recursive document)",
            _first_alias_line(text),
        )
    return data if isinstance(data, dict) else _not_a_mapping(data)


def _recursive(data: Any) -> bool:
    """Whether a container holds itself (`a: &a {b: *a}`); DVC would recurse forever."""
    on_path: set[int] = set()
    done: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            done.add(id(node))
        elif id(node) in on_path:
            return True
        elif id(node) not in done and isinstance(node, (dict, list)):
            on_path.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))
    return False


def _children(node: dict[Any, Any] | list[Any]) -> list[Any]:
    values = node.values() if isinstance(node, dict) else node
    return [v for v in values if isinstance(v, (dict, list))]


def _first_alias_line(text: str) -> int:
    match = _ALIAS.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 0


def _not_a_mapping(data: Any) -> dict[str, Any]:
    raise ParamsError(f"expected a mapping of params at the top level, found {type(data).__name__}")


def _parse_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) or {}
    except json.JSONDecodeError as exc:
        raise ParamsError(f"JSON syntax error: {exc.msg}", exc.lineno, exc.colno) from exc
    return data if isinstance(data, dict) else _not_a_mapping(data)


def _parse_toml(text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):  # imported here: it compiles its regexps when imported
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column = _toml_position(str(exc))
        raise ParamsError(f"TOML syntax error: {str(exc).split(' (at')[0]}", line, column) from exc


_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def _toml_position(message: str) -> tuple[int, int]:
    """tomllib says where in its message: `... (at line 3, column 5)`."""
    match = _TOML_AT.search(message)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _parse_py(text: str) -> dict[str, Any]:
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ParamsError(
            f"Python syntax error: {exc.msg}", exc.lineno or 0, exc.offset or 0
        ) from exc
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


# --------------------------------------------------------------------------- param keys
#
# DVC reads a stage's tracked params with `dpath.get(config, key, separator=".")`
# (dvc/dependency/param.py, `read_param_file(..., flatten=True)`). dpath drops leading dots,
# splits the key on dots and matches each segment against every child of the nodes reached so
# far, with `dpath.segments.match`: an integer key or list index matches a segment that reads
# as that integer (`int()`: `0`, `01`, ` 1`, `-1` from the end of a list); otherwise the key is
# matched as a string with `fnmatchcase` (so `*`, `?` and `[...]` are patterns, and an int key
# also matches its `str()`). Float, null and bytes keys never match. Two matches make dpath
# raise ValueError (DVC fails); none, KeyError (DVC reports the param as missing). A key that
# contains dots in the file (`"a.b": 1`) is never found: the dots split the lookup.

_GLOB_CHARS = frozenset("*?[")


class AmbiguousParamKey(KeyError):
    """The key matches more than one value: `dpath.get` raises ValueError and DVC fails."""


def is_wildcard(key: str) -> bool:
    return any(char in _GLOB_CHARS for char in key)


def lookup(data: Any, key: str) -> Any:
    """`dpath.get(data, key, separator=".")`: the one value the key names.

    KeyError when nothing matches (DVC: the param is missing), AmbiguousParamKey (a KeyError)
    when more than one value does (DVC: an error).
    """
    if key in ("", "/"):  # dpath.get returns the whole document for these
        return data
    nodes = [data]
    for segment in key.lstrip(".").split("."):
        nodes = [child for node in nodes for child in _matching_children(node, segment)]
        if not nodes:
            raise KeyError(key)
    if len(nodes) > 1:
        raise AmbiguousParamKey(key)
    return nodes[0]


def has_param(data: Any, key: str) -> bool:
    """Whether DVC finds the key in the data (an ambiguous key is found, DVC then fails)."""
    try:
        lookup(data, key)
    except AmbiguousParamKey:
        return True
    except KeyError:
        return False
    return True


def has_empty_key(data: Any) -> bool:
    """Whether a mapping anywhere in the data has an empty-string key. `dpath.get` walks the
    whole document and refuses one (InvalidKeyName) unless dpath.options allows it, which
    opening a DVC Repo does (dvc.repo.plots sets it): such a file is left to DVC itself."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "" in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend(node)
    return False


def _matching_children(node: Any, segment: str) -> list[Any]:
    if isinstance(node, dict):
        return [value for name, value in node.items() if _key_matches(name, segment)]
    if isinstance(node, (list, tuple)):
        number = _as_int(segment)
        if number is not None and -len(node) <= number < len(node):
            return [node[number]]  # ListIndex equality: i == n or len + n == i
        if number is None and is_wildcard(segment):
            return [v for i, v in enumerate(node) if fnmatchcase(str(i), segment)]
    return []


def _key_matches(name: Any, segment: str) -> bool:
    if isinstance(name, int):  # bool included, as in dpath
        number = _as_int(segment)
        return name == number if number is not None else fnmatchcase(str(name), segment)
    if isinstance(name, str):
        return name == segment if not is_wildcard(segment) else fnmatchcase(name, segment)
    return False


def _as_int(segment: str) -> int | None:
    try:
        return int(segment)
    except ValueError:
        return None


def leaf_keys(data: Any, prefix: str = "", depth: int = 0) -> Iterator[str]:
    """Every dotted key in params data (for "did you mean" suggestions)."""
    if depth > 20 or not isinstance(data, dict):
        return
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        yield dotted
        yield from leaf_keys(value, f"{dotted}.", depth + 1)


def suggestion(data: Any, key: str) -> str | None:
    """The closest existing key to a missing one, if one is close."""
    import difflib

    matches = difflib.get_close_matches(key, list(leaf_keys(data)), n=1, cutoff=0.75)
    return matches[0] if matches else None
