"""YAML as DVC reads it (YAML 1.2 through ruamel.yaml), keeping line and column of every node.

`load_yaml` returns plain Python data (dict, list, str, int, float, bool, None, date) for
comparisons and templating, read with ruamel's safe loader (C-accelerated by ruamel.yaml.clib,
as DVC's own `parse_yaml`). The round-trip tree that knows every node's line and column is
parsed only when a position is asked for: a clean run never pays for it. Guards:
merge-conflict markers, alias bombs and pathological nesting end in a YamlError naming the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.error import YAMLError as RuamelYAMLError

MAX_NODES = 1_000_000  # after alias expansion; a real dvc.yaml or params file is far below
_CONFLICT_MARKER = re.compile(r"^(<{7}|={7}|>{7})(\s|$)", re.MULTILINE)


class YamlError(Exception):
    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class YamlDocument:
    """Plain data, plus the round-trip tree for positions (parsed on first use from `text`)."""

    def __init__(self, data: Any, tree: Any = None, text: str | None = None) -> None:
        self.data = data
        self._tree = tree
        self._text = text

    @property
    def tree(self) -> Any:
        if self._tree is None and self._text is not None:
            try:
                self._tree = _yaml("rt").load(self._text)
            except (RuamelYAMLError, RecursionError):
                self._tree = None
            self._text = None
        return self._tree


def _yaml(typ: str) -> YAML:
    yaml = YAML(typ=typ)
    yaml.allow_duplicate_keys = False
    return yaml


def load_yaml(text: str) -> YamlDocument:
    """Parse like DVC's `parse_yaml` (an empty document is `{}`); raise YamlError with a line."""
    marker = _CONFLICT_MARKER.search(text)
    if marker:
        line = text.count("\n", 0, marker.start()) + 1
        raise YamlError("unresolved merge-conflict marker", line, 1)
    try:
        data = _yaml("safe").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise YamlError(f"YAML syntax error: {problem}", line, column) from exc
    except RuamelYAMLError as exc:
        raise YamlError(f"YAML error: {str(exc).splitlines()[0]}") from exc
    except RecursionError as exc:
        raise YamlError("YAML is nested too deeply to read") from exc
    if data is None:
        data = {}
    try:
        _check_expanded_size(data, text)
    except RecursionError as exc:
        raise YamlError("YAML is nested too deeply to read") from exc
    return YamlDocument(data=data, text=text)


def _check_expanded_size(tree: Any, text: str) -> None:
    """Reject alias bombs: count nodes as if aliases were expanded, memoised per object."""
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        if isinstance(node, Mapping):
            children: Sequence[Any] = [*node.keys(), *node.values()]
        elif isinstance(node, list):
            children = node
        else:
            return 1
        key = id(node)
        if key not in sizes:
            sizes[key] = 0  # a self-referencing alias counts once
            total = 1 + sum(size(child) for child in children)
            sizes[key] = total
            if total > MAX_NODES:
                raise YamlError(
                    f"document expands to more than {MAX_NODES:,} nodes through aliases "
                    "(a YAML bomb?); not read",
                    _first_alias_line(text),
                )
        return sizes[key]

    size(tree)


def _first_alias_line(text: str) -> int:
    match = re.search(r"(^|[\s\[{,:])\*[^\s,\]}]+", text)
    return text.count("\n", 0, match.start()) + 1 if match else 0


def to_plain(node: Any) -> Any:
    """Round-trip nodes to plain builtins (ScalarFloat -> float, CommentedMap -> dict, ...)."""
    if isinstance(node, Mapping):
        return {to_plain(k): to_plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def position(node: Any, key: Any = None) -> tuple[int, int]:
    """1-based (line, column) of a mapping key or list item, or of the node itself."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return (0, 0)
    try:
        if key is not None and isinstance(node, CommentedMap) and key in node:
            line, col = lc.key(key)
            return (line + 1, col + 1)
        if key is not None and isinstance(node, CommentedSeq) and isinstance(key, int):
            line, col = lc.item(key)
            return (line + 1, col + 1)
    except (KeyError, IndexError, TypeError):
        pass
    if lc.line is None:
        return (0, 0)
    return (lc.line + 1, lc.col + 1)


def child(node: Any, key: Any) -> Any:
    """The round-trip child at key (or index), or None."""
    try:
        return node[key]
    except (KeyError, IndexError, TypeError):
        return None
