"""YAML as DVC reads it (YAML 1.2 through ruamel.yaml), keeping line and column of every node.

`load_yaml` returns plain Python data (dict, list, str, int, float, bool, None, date) for
comparisons and templating, read with ruamel's safe loader (C-accelerated by ruamel.yaml.clib,
as DVC's own `parse_yaml`), whose mappings and lists also know where each key and item starts.
Guards: merge-conflict markers, alias bombs and pathological nesting end in a YamlError naming
the line.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.error import YAMLError as RuamelYAMLError
from ruamel.yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

MAX_NODES = 1_000_000  # after alias expansion; a real dvc.yaml or params file is far below
_CONFLICT_MARKER = re.compile(r"^(<{7}|={7}|>{7})(\s|$)", re.MULTILINE)


class YamlError(Exception):
    def __init__(self, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class YamlDocument:
    """Plain data that knows where it came from; ruamel's round-trip tree on first use.

    The data's mappings and lists are PositionMap/PositionSeq: plain dicts and lists with an
    `lc` (Marks) as ruamel's round-trip containers have, filled from the C parser's marks in
    the one parse that builds the data, so a finding's position costs a dictionary lookup.
    `tree` is that data, which findings and `--fix` edits read positions from; where only
    ruamel's full loader can read the file (tags, merge keys, ...), `tree` is ruamel's
    round-trip tree (`roundtrip`, a pure-Python parse on first use, which refuses some files
    libyaml reads, such as a tab before a comment: None then).
    """

    def __init__(self, data: Any, tree: Any = None, text: str | None = None) -> None:
        self.data = data
        self._tree = tree if tree is not None else _marked(data)
        self._roundtrip = tree
        self._text = text

    @property
    def tree(self) -> Any:
        if self._tree is None:
            self._tree = self.roundtrip
        return self._tree

    @property
    def roundtrip(self) -> Any:
        if self._roundtrip is None and self._text is not None:
            try:
                self._roundtrip = _yaml("rt").load(self._text)
            except (RuamelYAMLError, RecursionError):
                self._roundtrip = None
        return self._roundtrip


def _marked(data: Any) -> Any:
    return data if isinstance(data, (PositionMap, PositionSeq)) else None


class Marks:
    """Where a position node and its keys or items start, like ruamel's LineCol (0-based).

    The C parser's own mark objects are kept (no tuple per node): `(mark.line, mark.column)`
    is read only for the few nodes a finding asks about. `flow` and `anchor` are what a
    `--fix` edit must know of the node (`[a, b]` / `{a: 1}`, `&name`), as ruamel's round-trip
    tree would say.
    """

    __slots__ = ("anchor", "flow", "items", "keys", "start")

    def __init__(self, start: Any, flow: bool = False, anchor: str | None = None) -> None:
        self.start = start
        self.flow = flow
        self.anchor = anchor
        self.keys: dict[Any, Any] = {}
        self.items: list[Any] = []

    @property
    def line(self) -> int:
        return int(self.start.line)

    @property
    def col(self) -> int:
        return int(self.start.column)

    def key(self, key: Any) -> tuple[int, int]:
        mark = self.keys[key]
        return (mark.line, mark.column)

    def item(self, index: int) -> tuple[int, int]:
        mark = self.items[index]
        return (mark.line, mark.column)


class PositionMap(dict[Any, Any]):
    """A mapping of the position tree: plain data plus `lc` (its Marks)."""

    lc: Marks


class PositionSeq(list[Any]):
    """A sequence of the position tree: plain data plus `lc` (its Marks)."""

    lc: Marks


class _Resolver(VersionedResolver):
    """ruamel's YAML 1.2 resolver, without its per-scalar overhead (same tags, half the time).

    ruamel recomputes the YAML version for every scalar (three attribute lookups that raise
    under the C parser, which never reports a `%YAML` directive: the version is then fixed
    for the whole document), and matches a plain scalar against its regexps each time it
    occurs; dvc.lock repeats the same keys and hashes thousands of times.
    """

    def __init__(self, version: Any = None, loader: Any = None, loadumper: Any = None) -> None:
        super().__init__(version, loader, loadumper)
        self._fixed_version: Any = None
        self._plain_tags: dict[str, Any] = {}

    @property
    def processing_version(self) -> Any:
        if self._fixed_version is not None:
            return self._fixed_version
        version = VersionedResolver.processing_version.fget(self)  # type: ignore[attr-defined]
        if not hasattr(self.loadumper, "_scanner"):  # the C parser: no %YAML directive seen
            self._fixed_version = version
        return version

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is not ScalarNode or not implicit[0] or self.yaml_path_resolvers:
            return super().resolve(kind, value, implicit)
        tag = self._plain_tags.get(value)
        if tag is None:  # a plain scalar's tag depends on its text alone
            tag = self._plain_tags[value] = self._resolve_plain(value)
        return tag

    def _resolve_plain(self, value: str) -> Any:
        """`VersionedResolver.resolve` of a plain scalar, matching the same regexps in the same
        order, unwrapped from ruamel's LazyEval (Python code on every `.match`)."""
        first = value[0] if value else ""
        key = (self.processing_version, first)
        known: dict[tuple[Any, str], list[tuple[str, Any]]] = self.__dict__.setdefault(
            "_dvcflow_candidates", {}
        )  # (version, first char) -> regexps, per resolver
        candidates = known.get(key)
        if candidates is None:
            table = self.versioned_resolver
            found = table.get(first, []) + table.get(None, [])
            candidates = known[key] = [(tag, _unwrap(regexp)) for tag, regexp in found]
        for tag, regexp in candidates:
            if regexp.match(value):
                return self.DEFAULT_SCALAR_TAG if tag == _STR else Tag(suffix=tag)
        return self.DEFAULT_SCALAR_TAG  # one object: _Constructor recognises it


def _unwrap(regexp: Any) -> Any:
    lazy = getattr(regexp, "lazy_self", None)  # ruamel.yaml.util.LazyEval
    return lazy() if lazy is not None else regexp


_STR = "tag:yaml.org,2002:str"


class _Constructor(SafeConstructor):
    """ruamel's safe constructor with a shortcut for the commonest node: an untagged string.

    Its value is the string itself (what `construct_yaml_str` returns after four calls).
    """

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        if node.__class__ is ScalarNode and node.ctag is _Resolver.DEFAULT_SCALAR_TAG:
            return node.value
        return super().construct_object(node, deep)


def _yaml(typ: str) -> YAML:
    yaml = YAML(typ=typ)
    yaml.allow_duplicate_keys = False
    if typ == "safe":
        yaml.Resolver = _Resolver
        yaml.Constructor = _Constructor
    return yaml


def load_yaml(text: str) -> YamlDocument:
    """Parse like DVC's `parse_yaml` (an empty document is `{}`); raise YamlError with a line."""
    marker = _CONFLICT_MARKER.search(text)
    if marker:
        line = text.count("\n", 0, marker.start()) + 1
        raise YamlError("unresolved merge-conflict marker", line, 1)
    try:
        data = _load_safe(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise YamlError(f"YAML syntax error: {problem}", line, column) from exc
    except RuamelYAMLError as exc:
        raise YamlError(f"YAML error: {str(exc).splitlines()[0]}") from exc
    except RecursionError as exc:
        raise YamlError("YAML is nested too deeply to read") from exc
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        # ruamel's constructors build Python values: an int past Python's digit limit, a date
        # such as 2020-13-45 or `!!bool maybe` fail there, after parsing succeeded.
        raise YamlError(f"unreadable value: {exc}") from exc
    if data is None:
        data = {}
    try:
        _check_expanded_size(data, text)
    except RecursionError as exc:
        raise YamlError("YAML is nested too deeply to read") from exc
    return YamlDocument(data=data, text=text)


def _load_safe(text: str) -> Any:
    """The safe load, with Python's cyclic garbage collector paused: a large dvc.lock makes
    tens of thousands of containers and frees none, so each collection pass is pure cost
    (a fifth of the parse)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        try:
            return _EventReader(text).read()
        except _Unusual:
            pass  # also every syntax error: ruamel's loader raises it, with its marks
        return _yaml("safe").load(text)
    finally:
        if paused:
            gc.enable()


class _Unusual(Exception):
    """What only ruamel's full loader handles: tags, merge keys, complex or duplicate keys,
    directives, several documents, recursive aliases, and every error."""


_MISSING = object()
_SPECIAL_TAGS = frozenset({"tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"})


class _EventReader:
    """ruamel's safe load for the YAML that DVC files are made of, built from the C parser's
    events without composing a node tree (half the time on a large dvc.lock).

    Plain scalars are resolved by the same resolver (YAML 1.2) and every non-string value is
    built by ruamel's own constructor; anything else raises _Unusual and the caller runs the
    full loader, so the result is always what ruamel's safe load returns (a test compares
    the two on every YAML file the suite and the benchmarks know).
    """

    def __init__(self, text: str) -> None:
        try:
            from _ruamel_yaml import CParser  # type: ignore[import-not-found]  # ruamel.yaml.clib
        except ImportError as exc:  # not CPython: ruamel's pure-Python loader does it all
            raise _Unusual from exc

        self._parser = CParser(text)
        yaml = _yaml("safe")
        self._resolver: _Resolver = yaml.resolver
        self._constructor = yaml.constructor
        self._anchors: dict[str, Any] = {}
        self._open: set[str] = set()  # anchors of containers not yet closed
        self._scalars: dict[tuple[str, str], Any] = {}

    def read(self) -> Any:
        parser = self._parser
        try:
            if type(parser.get_event()) is not StreamStartEvent:
                raise _Unusual
            return self._document(parser)
        except _Unusual:
            raise
        except Exception as exc:  # a syntax error: the full loader reports it
            raise _Unusual from exc

    def _document(self, parser: Any) -> Any:
        event = parser.get_event()
        if type(event) is StreamEndEvent:
            return None
        if type(event) is not DocumentStartEvent or event.version or event.tags:
            raise _Unusual
        root = self._node(parser)
        if type(parser.get_event()) is not DocumentEndEvent:
            raise _Unusual
        if type(parser.get_event()) is not StreamEndEvent:
            raise _Unusual  # a second document: ruamel's load refuses it
        return root

    def _node(self, parser: Any) -> Any:
        """One node and everything below it, with an explicit stack (no recursion limit)."""
        # (container, its Marks, anchor, pending key, the pending key's mark)
        stack: list[tuple[Any, Marks, str | None, Any, Any]] = []
        at: Any = None  # the C parser's start mark of the node just read
        while True:
            event = parser.get_event()
            kind = type(event)
            if kind is ScalarEvent:
                value = self._scalar(event)
                if event.anchor is not None:
                    self._anchor(event.anchor, value)
                at = event.start_mark
            elif kind is AliasEvent:
                if event.anchor not in self._anchors or event.anchor in self._open:
                    raise _Unusual
                value = self._anchors[event.anchor]
                at = event.start_mark
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                if event.tag is not None:
                    raise _Unusual
                container: Any = PositionMap() if kind is MappingStartEvent else PositionSeq()
                lc = container.lc = Marks(event.start_mark, event.flow_style, event.anchor)
                if event.anchor is not None:
                    self._anchor(event.anchor, container)
                    self._open.add(event.anchor)
                stack.append((container, lc, event.anchor, _MISSING, None))
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                value, lc, anchor, pending, _ = stack.pop()
                if pending is not _MISSING:
                    raise _Unusual
                if anchor is not None:
                    self._open.discard(anchor)
                at = lc.start
            else:
                raise _Unusual
            if not stack:
                return value
            container, lc, anchor, pending, key_mark = stack[-1]
            if type(container) is PositionSeq:
                container.append(value)
                lc.items.append(at)
            elif pending is _MISSING:
                if type(value) is PositionMap or type(value) is PositionSeq:
                    raise _Unusual  # a complex key
                stack[-1] = (container, lc, anchor, value, at)
            else:
                if pending in container:
                    raise _Unusual  # ruamel reports the duplicate key
                container[pending] = value
                lc.keys[pending] = key_mark
                stack[-1] = (container, lc, anchor, _MISSING, None)

    def _anchor(self, name: str, value: Any) -> None:
        if name in self._anchors:
            raise _Unusual  # ruamel's C composer refuses a reused anchor ("duplicate anchor")
        self._anchors[name] = value

    def _scalar(self, event: Any) -> Any:
        if event.tag is not None:
            raise _Unusual
        value: str = event.value
        if not event.implicit[0]:
            return value  # quoted: a string
        tag = self._resolver.resolve(ScalarNode, value, (True, False))
        if tag is _Resolver.DEFAULT_SCALAR_TAG:
            return value
        name = str(tag)
        if name in _SPECIAL_TAGS:
            raise _Unusual  # `<<` merge keys and `=`
        found = self._scalars.get((name, value), _MISSING)
        if found is _MISSING:  # ints, floats, booleans, nulls, dates: immutable, shareable
            found = self._scalars[(name, value)] = self._constructor.construct_object(
                ScalarNode(tag, value)
            )
        return found


def _check_expanded_size(tree: Any, text: str) -> None:
    """Reject alias bombs: count nodes as if aliases were expanded, memoised per object.

    Keys count one each (a safe-loaded mapping's keys are hashable: never a mapping or list);
    scalars are counted without a call each, which keeps this cheap on a large dvc.lock.
    """
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        key = id(node)
        if key not in sizes:
            sizes[key] = 0  # a self-referencing alias counts once
            if isinstance(node, Mapping):
                total, children = 1 + len(node), node.values()
            else:
                total, children = 1, node
            for item in children:
                total += size(item) if isinstance(item, (Mapping, list)) else 1
            sizes[key] = total
            if total > MAX_NODES:
                raise YamlError(
                    f"document expands to more than {MAX_NODES:,} nodes through aliases "
                    "(a YAML bomb?); not read",
                    _first_alias_line(text),
                )
        return sizes[key]

    if isinstance(tree, (Mapping, list)):
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
        if key is not None and isinstance(node, Mapping) and key in node:
            line, col = lc.key(key)
            return (line + 1, col + 1)
        if key is not None and isinstance(node, list) and isinstance(key, int):
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
