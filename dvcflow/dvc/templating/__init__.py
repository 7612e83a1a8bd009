"""dvc.yaml templating (`vars`, `${...}`, `foreach`/`do`, `matrix`) resolved as DVC resolves it.

A dvc-free re-implementation of `dvc/parsing/{__init__,context,interpolate}.py` (DVC 3.x):
the same lookup rules, the same names for generated stages, the same string conversions and,
where practical, the same error wording. DVC is the specification; comments name the DVC
function each piece mirrors. Unlike DVC, which stops at the first error, every stage (and every
generated stage) resolves on its own, so one bad stage does not hide the others.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any

from dvcflow.dvc.params import DEFAULT_PARAMS_FILE, ParamsError, parse_params
from dvcflow.errors import DvcflowError

__all__ = ["ResolvedStage", "TemplateError", "parse_expression", "resolve", "to_str"]

Keypath = tuple[str | int, ...]
ReadText = Callable[[str], str]

VARS_KWD = "vars"
WDIR_KWD = "wdir"
STAGES_KWD = "stages"
FOREACH_KWD = "foreach"
MATRIX_KWD = "matrix"
DO_KWD = "do"
JOIN = "@"
ITEM = "item"
KEY = "key"

# dvc/parsing/interpolate.py: KEYCRE (no DOTALL: `${` ... `}` never spans a newline)
_KEYCRE = re.compile(r"(?<!\\)\${(?P<inner>.*?)}")
_BRACE_OPEN = "${"
# pyparsing's CharsNotIn(".[]") word and its default whitespace (skipped before literals)
_WORD = re.compile(r"[^.\[\]]+")
_PP_WHITESPACE = " \n\t\r"
# pyparsing.exceptions._exception_word_extractor: how a ParseException names what it "found"
_PP_ALNUMS = (
    "0-9A-Za-z\xaa\xb2\xb3\xb5\xb9\xba\xc0-\xd6\xd8-\xf6\xf8-\u024f\u0370-\u0374\u0376\u0377"
    "\u037a-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03e1\u03f0-\u03f5"
    "\u03f7-\u0481\u048a-\u052f\u1c80-\u1c88\u1d26-\u1d2b\u1d5e\u1d60\u1d66-\u1d6a\u1d78"
    "\u1f00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d"
    "\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3"
    "\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc\ua640-\ua66e\ua67f-\ua69d\uab65"
)
_PP_FOUND = re.compile(f"([{_PP_ALNUMS}]{{1,16}})|.")

PRIMITIVES = (int, float, str, bytes, bool)
_EMPTY_KEY = (
    "failed to resolve stage '{}' in '{}': a generated stage needs a non-empty name"
    " after '@' (DVC cannot load it)"
)  # dvc/parsing/context.py: PRIMITIVES


# --------------------------------------------------------------------------- public interface


@dataclass(frozen=True)
class ResolvedStage:
    """One stage as DVC's resolver returns it, `foreach`/`matrix` expanded, `vars` consumed."""

    name: str  # "train", "train@0", "train@us", "grid@a-1"
    definition: str  # the key under `stages:` it came from
    body: dict[str, Any]  # the resolved stage (plain data)
    vars_files: tuple[str, ...] = ()  # repo-relative vars files read for it (incl. params.yaml)


class TemplateError(Exception):
    """A stage (or the file's `vars`) that DVC could not resolve; `message` is DVC's reason."""

    def __init__(
        self, message: str, definition: str | None = None, keypath: tuple[str | int, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.definition = definition
        self.keypath = tuple(keypath)

    def __repr__(self) -> str:
        return f"TemplateError({self.message!r}, {self.definition!r}, {self.keypath!r})"


def resolve(
    document: Mapping[str, Any],
    dvcfile: str,
    read_text: ReadText,
    *,
    parsing_config: Mapping[str, Any] | None = None,
) -> tuple[list[ResolvedStage], list[TemplateError]]:
    """Resolve every stage of a parsed dvc.yaml as DVC would, in DVC's order.

    `dvcfile` is the repo-relative posix path of the file; `read_text` reads a repo-relative
    posix path (FileNotFoundError when missing). `parsing_config` is DVC's `parsing` config
    section (`bool`, `list`); DVC's defaults apply without it. A bad top-level `vars` (or
    default params.yaml) fails the whole file, as in DVC: `([], [error])`.
    """
    if not isinstance(document, Mapping):
        return [], []
    try:
        return _resolve(document, dvcfile, read_text, parsing_config)
    except RecursionError:  # DVC recurses the same way, and fails with the same error
        message = (
            "nested too deeply to resolve (or a YAML alias inside the mapping or list it names)"
        )
        return [], [TemplateError(message, None, ())]


def _resolve(
    document: Mapping[str, Any],
    dvcfile: str,
    read_text: ReadText,
    parsing_config: Mapping[str, Any] | None,
) -> tuple[list[ResolvedStage], list[TemplateError]]:
    resolver = _Resolver(dvcfile, read_text, dict(parsing_config or {}))
    try:
        resolver.load_top_vars(document.get(VARS_KWD, []))
    except _Failure as exc:
        return [], [TemplateError(exc.message, None, exc.keypath)]
    stages_data = document.get(STAGES_KWD) or {}
    if not isinstance(stages_data, Mapping):
        return [], []  # a schema problem, reported by the schema rule
    stages: list[ResolvedStage] = []
    errors: list[TemplateError] = []
    for name, definition in stages_data.items():
        resolved, failures = resolver.resolve_definition(name, definition)
        stages.extend(resolved)
        errors.extend(TemplateError(f.message, _name(name), f.keypath) for f in failures)
    return stages, errors


# --------------------------------------------------------------------------- errors


class _Error(Exception):
    """DVC's ContextError/ParseError family, before `format_and_raise` adds where it happened."""

    def __init__(self, message: str, keypath: Keypath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.keypath = keypath


class _ContextError(_Error):
    """dvc.parsing.context.ContextError (ParamsLoadError, MergeError, ReservedKeyError)."""


class _KeyNotInContext(_ContextError):
    """dvc.parsing.context.KeyNotInContext."""


class _VarsAlreadyLoaded(_ContextError):
    """dvc.parsing.context.VarsAlreadyLoaded."""


class _ParseError(_Error):
    """dvc.parsing.interpolate.ParseError."""


class _Failure(Exception):
    """dvc.parsing.ResolveError: the final, formatted message."""

    def __init__(self, message: str, keypath: Keypath) -> None:
        super().__init__(message)
        self.message = message
        self.keypath = keypath


def _name(key: Any) -> str:
    return key if isinstance(key, str) else str(key)


def _kp(key: Any) -> str | int:
    """A mapping key or list index as a keypath element."""
    return key if isinstance(key, (str, int)) and not isinstance(key, bool) else str(key)


# --------------------------------------------------------------------------- context nodes


class _Node:
    """dvc.parsing.context.Node: a value in the context, with where it came from (Meta)."""

    __slots__ = ("path", "source")

    def __init__(self, source: str | None, path: tuple[str, ...]) -> None:
        self.source = source
        self.path = path


class _Leaf(_Node):
    """dvc.parsing.context.Value."""

    __slots__ = ("value",)

    def __init__(self, value: Any, source: str | None, path: tuple[str, ...]) -> None:
        super().__init__(source, path)
        self.value = value


class _Dict(_Node):
    """dvc.parsing.context.CtxDict (non-string keys are dropped, as DVC drops them)."""

    __slots__ = ("children",)

    def __init__(
        self, children: dict[str, _Node], source: str | None, path: tuple[str, ...]
    ) -> None:
        super().__init__(source, path)
        self.children = children


class _List(_Node):
    """dvc.parsing.context.CtxList."""

    __slots__ = ("items",)

    def __init__(self, items: list[_Node], source: str | None, path: tuple[str, ...]) -> None:
        super().__init__(source, path)
        self.items = items


def _build(value: Any, source: str | None, path: tuple[str, ...]) -> _Node:
    """Container._convert_with_meta: plain data to context nodes; nodes are kept as they are."""
    if isinstance(value, _Node):
        return value
    if value is None or isinstance(value, PRIMITIVES):
        return _Leaf(value, source, path)
    if isinstance(value, dict):
        children = {
            k: _build(v, source, (*path, k)) for k, v in value.items() if isinstance(k, str)
        }
        return _Dict(children, source, path)
    if isinstance(value, list):
        items = [_build(v, source, (*path, str(i))) for i, v in enumerate(value)]
        return _List(items, source, path)
    where = f"{source or '<local>'}:{'.'.join(path)}"
    raise _ContextError(f"Unsupported value of type '{type(value).__name__}' in '{where}'")


def _plain(value: Any) -> Any:
    """Unwrap nodes (anywhere inside plain lists/dicts too) to plain data."""
    if isinstance(value, _Leaf):
        return value.value
    if isinstance(value, _Dict):
        return {k: _plain(v) for k, v in value.children.items()}
    if isinstance(value, _List):
        return [_plain(v) for v in value.items]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _clone_node(node: _Node) -> _Node:
    """CtxDict/CtxList.__deepcopy__: containers are copied *without* their Meta (source)."""
    if isinstance(node, _Dict):
        return _Dict({k: _clone_node(v) for k, v in node.children.items()}, None, ())
    if isinstance(node, _List):
        return _List(node.items[:], None, ())
    return node


@dataclass
class _Context:
    """dvc.parsing.context.Context: the variables, the files imported and the reserved keys."""

    root: _Dict
    imports: dict[str, list[str] | None]
    reserved: dict[str, None]

    def clone(self) -> _Context:
        """Context.clone (a deepcopy)."""
        root = _Dict({k: _clone_node(v) for k, v in self.root.children.items()}, None, ())
        imports = {k: (v[:] if v is not None else None) for k, v in self.imports.items()}
        return _Context(root, imports, dict(self.reserved))

    def with_temporarily(self, to_set: dict[str, Any]) -> _Context:
        """Context.set_temporarily(to_set, reserve=True), as a new context."""
        children = dict(self.root.children)
        children.update({k: _build(v, None, (k,)) for k, v in to_set.items()})
        reserved = dict(self.reserved)
        reserved.update(dict.fromkeys(k for k in to_set if k not in reserved))
        return _Context(_Dict(children, self.root.source, ()), self.imports, reserved)

    def merge_update(self, other: _Dict) -> None:
        """Context.merge_update (never overwriting)."""
        matches = [key for key in self.reserved if key in other.children]
        if matches:
            raise _ReservedKeyError(matches)
        _merge(self.root, other)


class _ReservedKeyError(_ContextError):
    """dvc.parsing.context.ReservedKeyError."""

    def __init__(self, keys: list[str], path: str | None = None) -> None:
        self.keys = keys
        noun = "key" + ("s" if len(keys) > 1 else "")
        message = f"attempted to modify reserved {noun} {_humanize_join(keys)}"
        if path:
            message += f" in '{path}'"
        super().__init__(message)


def _humanize_join(words: list[str]) -> str:
    """dvc.utils.humanize.join."""
    if len(words) > 1:
        return f"{', '.join(words[:-1])} and {words[-1]}"
    return words[0] if words else ""


def _merge(into: _Dict, update: _Dict) -> None:
    """dvc.parsing.context._merge with overwrite=False: dicts merge, anything else collides."""
    for key, val in update.children.items():
        existing = into.children.get(key)
        if isinstance(existing, _Dict) and isinstance(val, _Dict):
            _merge(existing, val)
            continue
        if existing is not None:
            raise _ContextError(  # MergeError
                f"cannot redefine '{'.'.join(val.path)}' from '{val.source}'"
                f" as it already exists in '{existing.source}'"
            )
        into.children[key] = val


# --------------------------------------------------------------------------- interpolation


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _PP_WHITESPACE:
        pos += 1
    return pos


def _parse_failure(expr: str, loc: int, expected: str) -> _ParseError:
    """interpolate._format_exc_msg, on one line (the caret line dropped, no colours)."""
    embraced = _BRACE_OPEN + expr + "}"
    at = loc + 2
    match = _PP_FOUND.match(embraced, at)
    found = match.group(0) if match else embraced[at : at + 1]
    found_repr = repr(found).replace("\\\\", "\\")
    return _ParseError(
        f"{embraced} ParseException: {expected}, found {found_repr}"
        f"  (at char {at}), (line:1, col:{at + 1})"
    )


def parse_expression(inner: str) -> str:
    """interpolate.parse_expr: `a.b[0]` -> `a.b.0`, or _ParseError with pyparsing's wording.

    Grammar: word (("." word) | ("[" word "]"))*, word = one or more chars but `.[]`; words keep
    their whitespace, pyparsing skips it only before `.`, `[`, `]` and the end; tabs expand.
    """
    text = inner.expandtabs()
    first = _WORD.match(text)
    if first is None:
        raise _parse_failure(text, 0, "Expected !W:(.[])")
    parts, pos = [first.group(0)], first.end()
    while True:
        start = _skip_ws(text, pos)
        opener = text[start : start + 1]
        word = _WORD.match(text, start + 1) if opener in (".", "[") else None
        if word is None:
            break
        if opener == "[":
            close = _skip_ws(text, word.end())
            if text[close : close + 1] != "]":
                break
            parts.append(word.group(0))
            pos = close + 1
        else:
            parts.append(word.group(0))
            pos = word.end()
    end = _skip_ws(text, pos)
    if end != len(text):
        raise _parse_failure(text, end, "Expected end of text")
    return ".".join(parts)


def _expression(match: re.Match[str], skip_checks: bool) -> str:
    """interpolate.get_expression."""
    inner = match.group("inner")
    return inner if skip_checks else parse_expression(inner)


def _select(root: _Dict, key: str) -> _Node:
    """Context.select / Container.select: dotted keys, `[n]` indexes, int() for list indexes."""
    rest: str | None = key.replace("[", ".").replace("]", "")
    node: _Node = root
    while rest is not None:
        index, dot, tail = rest.partition(".")
        index = index.strip()
        child: _Node | None = None
        if isinstance(node, _Dict):
            child = node.children.get(index)
        elif isinstance(node, _List):
            child = _list_item(node, index)
        if child is None:
            raise _KeyNotInContext(f"Could not find '{key}'")
        node, rest = child, (tail if dot else None)
    return node


def _list_item(node: _List, index: str) -> _Node | None:
    try:
        return node.items[int(index)]
    except (ValueError, IndexError):
        return None


def _validate_value(value: Any, key: str | None) -> None:
    """interpolate.validate_value: only primitives interpolate, except a dict into `cmd`."""
    not_primitive = value is not None and not isinstance(value, PRIMITIVES)
    not_foreach = key is not None and FOREACH_KWD not in key
    if not_primitive and not_foreach:
        if isinstance(value, dict) and key == "cmd":
            return
        raise _ParseError(f"Cannot interpolate data of type '{type(value).__name__}'")


def to_str(value: Any, config: Mapping[str, Any] | None = None) -> str:
    """interpolate.to_str: `true`/`false`, dicts as `--key value` arguments, else str()."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return _dict_to_str(value, config or {})
    return str(value)


def _escape_str(value: str) -> str:
    """interpolate.escape_str."""
    if os.name == "nt":  # pragma: no cover - DVC quotes for cmd.exe there
        from subprocess import list2cmdline

        return list2cmdline([value])
    from shlex import quote

    return quote(value)


def _dict_to_str(obj: dict[str, Any], config: Mapping[str, Any]) -> str:
    """to_str(dict): flattened keys as `--a.b value`, bools as flags, lists as nargs/append."""
    result = ""
    for k, v in _flatten(obj).items():
        if isinstance(v, bool):
            if v:
                result += f"--{k} "
            elif config.get("bool", "store_true") == "boolean_optional":
                result += f"--no-{k} "
        elif isinstance(v, str):
            result += f"--{k} {_escape_str(v)} "
        elif isinstance(v, Iterable):
            result += _list_to_args(k, v, config)
        else:
            result += f"--{k} {v} "
    return result.rstrip()


def _list_to_args(k: str, values: Iterable[Any], config: Mapping[str, Any]) -> str:
    result = ""
    for n, i in enumerate(values):
        if isinstance(i, str):
            i = _escape_str(i)
        elif isinstance(i, Iterable):
            raise _ParseError(f"Cannot interpolate nested iterable in '{k}'")
        if config.get("list", "nargs") == "append":
            result += f"--{k} {i} "
        else:
            result += f"{i} " if n > 0 else f"--{k} {i} "
    return result


def _flatten(d: Mapping[Any, Any]) -> dict[str, Any]:
    """flatten_dict.flatten(d, reducer="dot"): nested dicts to dotted keys, empty ones dropped."""
    flat: dict[str, Any] = {}

    def walk(node: Mapping[Any, Any], parent: str | None) -> None:
        for key, value in node.items():
            flat_key = key if parent is None else f"{parent}.{key}"
            if isinstance(value, Mapping):
                walk(value, flat_key)
                continue
            if flat_key in flat:
                raise _ParseError(f"duplicated key '{flat_key}'")
            flat[flat_key] = value

    walk(d, None)
    return flat


@dataclass(frozen=True)
class _Opts:
    """The arguments of Context.resolve: unwrap, skip_interpolation_checks, key, config."""

    unwrap: bool = True
    skip_checks: bool = False
    key: str | None = None
    config: Mapping[str, Any] | None = None


def _resolve_str(ctx: _Context, src: str, opts: _Opts) -> Any:
    """Context.resolve_str: `${x}` alone keeps x's type; otherwise string interpolation."""
    matches = list(_KEYCRE.finditer(src))
    if len(matches) == 1 and src == matches[0].group(0):
        node = _select(ctx.root, _expression(matches[0], opts.skip_checks))
        value = _plain(node) if opts.unwrap else node
        _validate_value(value, opts.key)
        return value
    index, buf = 0, ""
    for match in matches:  # interpolate.str_interpolate
        start, end = match.span(0)
        value = _plain(_select(ctx.root, _expression(match, opts.skip_checks)))
        _validate_value(value, opts.key)
        buf += src[index:start] + to_str(value, config=opts.config)
        index = end
    buf += src[index:]
    return buf.replace("\\${", _BRACE_OPEN)


def _resolve_data(ctx: _Context, data: Any, opts: _Opts, where: Keypath) -> Any:
    """Context.resolve (interpolate.recurse): keys and values, depth first, in order."""
    if isinstance(data, Mapping):
        resolved: dict[Any, Any] = {}
        for k, v in data.items():
            at = (*where, _kp(k))
            resolved[_resolve_data(ctx, k, opts, at)] = _resolve_data(ctx, v, opts, at)
        return resolved
    if isinstance(data, (list, tuple)):
        items = [_resolve_data(ctx, v, opts, (*where, i)) for i, v in enumerate(data)]
        return items if isinstance(data, list) else tuple(items)
    if isinstance(data, str):
        try:
            return _resolve_str(ctx, data, opts)
        except _Error as exc:
            exc.keypath = exc.keypath or where
            raise
    return data


def _strings(data: Any, where: Keypath) -> Iterable[tuple[str, Keypath]]:
    """Every string in data (mapping keys included), with its keypath, in recurse's order."""
    if isinstance(data, Mapping):
        for k, v in data.items():
            yield from _strings(k, (*where, _kp(k)))
            yield from _strings(v, (*where, _kp(k)))
    elif isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            yield from _strings(v, (*where, i))
    elif isinstance(data, str):
        yield data, where


def _check_expressions(data: Any, where: Keypath) -> None:
    """interpolate.check_recursive_parse_errors."""
    for text, at in _strings(data, where):
        for match in _KEYCRE.finditer(text):
            try:
                parse_expression(match.group("inner"))
            except _ParseError as exc:
                exc.keypath = at
                raise


# --------------------------------------------------------------------------- the resolver


def _is_map_or_seq(value: Any) -> bool:
    """parsing.is_map_or_seq, for plain data and nodes."""
    return isinstance(value, (Mapping, list, tuple, _Dict, _List))


def _name_str(value: Any) -> str:
    """to_str as ForeachDefinition/MatrixDefinition call it when naming generated stages.

    A value that came out of the context is a Node, which singledispatch does not know:
    it gets plain str() ("True"), where a literal in dvc.yaml gets to_str ("true").
    """
    if isinstance(value, _Leaf):
        return str(value.value)
    return to_str(value)


class _Resolver:
    """dvc.parsing.DataResolver and its Entry/Foreach/Matrix definitions."""

    def __init__(self, dvcfile: str, read_text: ReadText, config: dict[str, Any]) -> None:
        self.relpath = posixpath.normpath(dvcfile)
        self.wdir = posixpath.dirname(self.relpath)
        self.read_text = read_text
        self.config = config
        self.context = _Context(_Dict({}, None, ()), {}, {})
        self._files: dict[str, dict[str, Any] | _ContextError] = {}
        self._missing: set[str] = set()

    # ---- formatting (parsing.format_and_raise)

    def _fail(self, exc: _Error, what: str, keypath: Keypath) -> _Failure:
        return _Failure(
            f"failed to parse {what} in '{self.relpath}': {exc.message}", exc.keypath or keypath
        )

    # ---- vars files (Context.load_from / merge_from / load_from_vars)

    def _read(self, path: str) -> dict[str, Any] | _ContextError:
        if path not in self._files:
            self._files[path] = self._load_file(path)
        return self._files[path]

    def _load_file(self, path: str) -> dict[str, Any] | _ContextError:
        try:
            text = self.read_text(path)
        except FileNotFoundError:
            self._missing.add(path)
            return _ContextError(f"'{path}' does not exist")
        except IsADirectoryError:
            return _ContextError(f"'{path}' is a directory")
        except (OSError, UnicodeDecodeError, DvcflowError) as exc:
            return _ContextError(f"unable to read: '{path}', {exc}")
        try:
            return parse_params(text, path)
        except ParamsError as exc:
            line = f" (line {exc.line})" if exc.line else ""
            return _ContextError(f"unable to read: '{path}', {exc.message}{line}")

    def _exists(self, path: str) -> bool:
        self._read(path)
        return path not in self._missing

    def _load_from(self, path: str, select_keys: list[str] | None) -> _Dict:
        """Context.load_from."""
        loaded = self._read(path)
        if isinstance(loaded, _ContextError):
            raise _ContextError(loaded.message)
        data: dict[str, Any] = loaded
        if select_keys:
            missing = next((key for key in select_keys if key not in data), None)
            if missing is not None:
                raise _ContextError(f"could not find '{missing}' in '{path}'")
            data = {key: data[key] for key in select_keys}
        node = _build(data, path, ())
        assert isinstance(node, _Dict)
        return node

    def _merge_from(self, ctx: _Context, item: str, wdir: str) -> None:
        """Context.merge_from: `file`, `file:key1,key2`; a whole file twice is fine."""
        raw_path, _, keys_str = item.partition(":")
        path = posixpath.normpath(posixpath.join(wdir, raw_path))
        select_keys = [k for k in keys_str.split(",") if k] if keys_str else None
        if path in ctx.imports:
            if not select_keys and ctx.imports[path] is None:
                return
            _check_loaded(ctx.imports[path], item, select_keys)
        loaded = self._load_from(path, select_keys)
        try:
            ctx.merge_update(loaded)
        except _ReservedKeyError as exc:
            raise _ReservedKeyError(exc.keys, item) from exc
        if path not in ctx.imports:
            ctx.imports[path] = select_keys
        elif select_keys:
            imported = ctx.imports[path]
            assert imported is not None
            imported.extend(select_keys)

    def _load_vars(
        self,
        ctx: _Context,
        vars_: list[Any],
        wdir: str,
        where: Keypath,
        stage_name: str = "",
        default: str | None = None,
    ) -> None:
        """Context.load_from_vars; errors get the keypath of their `vars` entry."""
        if default and self._exists(posixpath.normpath(posixpath.join(wdir, default))):
            self._merge_from(ctx, default, wdir)
        joiner = "." if stage_name else ""
        for index, item in enumerate(vars_):
            try:
                if isinstance(item, str):
                    self._merge_from(ctx, item, wdir)
                elif isinstance(item, dict):
                    source = f"{stage_name}{joiner}vars[{index}]"
                    node = _build(item, source, ())
                    assert isinstance(node, _Dict)
                    ctx.merge_update(node)
                else:
                    raise _ContextError(
                        f"expected a file name or a dictionary, got {type(item).__name__}"
                    )
            except _Error as exc:
                exc.keypath = exc.keypath or (*where, index)
                raise

    def _check_interpolations(self, data: Any, where: str, keypath: Keypath) -> None:
        """parsing.check_interpolations: `vars` are never templated."""
        for text, at in _strings(data, keypath):
            if _KEYCRE.search(text):
                raise _Failure(
                    f"failed to parse '{where}' in '{self.relpath}': interpolating is not allowed",
                    at,
                )

    def load_top_vars(self, vars_: Any) -> None:
        """DataResolver.__init__: top-level `vars`, after the default params.yaml."""
        if not isinstance(vars_, list):
            got = type(vars_).__name__
            raise _Failure(
                f"failed to parse 'vars' in '{self.relpath}': expected a list, got {got}",
                (VARS_KWD,),
            )
        self._check_interpolations(vars_, VARS_KWD, (VARS_KWD,))
        try:
            self._load_vars(
                self.context, vars_, self.wdir, (VARS_KWD,), default=DEFAULT_PARAMS_FILE
            )
        except _ContextError as exc:
            raise self._fail(exc, f"'{VARS_KWD}'", ()) from exc

    # ---- definitions (make_definition)

    def resolve_definition(
        self, name: Any, definition: Any
    ) -> tuple[list[ResolvedStage], list[_Failure]]:
        """One entry under `stages:`: its stage(s) and the failures, never raising."""
        base: Keypath = (STAGES_KWD, _kp(name))
        try:
            self._check_definition(name, definition, base)
        except _Failure as exc:
            return [], [exc]
        assert isinstance(name, str) and isinstance(definition, Mapping)
        if MATRIX_KWD in definition:
            return self._resolve_matrix(name, definition, base)
        if FOREACH_KWD in definition:
            return self._resolve_foreach(name, definition, base)
        try:
            stage = self._resolve_stage(self.context, name, name, definition, False, base)
        except _Failure as exc:
            return [], [exc]
        return [stage], []

    def _check_definition(self, name: Any, definition: Any, base: Keypath) -> None:
        """What DVC's schema and loader refuse before any templating can happen."""
        where = f"'{STAGES_KWD}.{name}'"
        if not isinstance(name, str):
            got = type(name).__name__
            raise _Failure(f"stage name must be a string, got {got}: {name!r}", base)
        if not name:  # StageNameUnspecified
            raise _Failure(
                f"Stage name not provided. Please specify the name as: `{self.relpath}:stage_name`",
                base,
            )
        if not isinstance(definition, Mapping):
            got = type(definition).__name__
            raise _Failure(
                f"failed to parse {where} in '{self.relpath}': expected a dictionary, got {got}",
                base,
            )
        keys = set(definition)
        if MATRIX_KWD in keys and keys & {FOREACH_KWD, DO_KWD}:
            raise _Failure(
                f"failed to parse {where} in '{self.relpath}': "
                "'matrix' cannot be combined with 'foreach'/'do'",
                base,
            )
        if MATRIX_KWD in keys or FOREACH_KWD in keys:
            return
        if DO_KWD in keys:
            raise _Failure(
                f"failed to parse {where} in '{self.relpath}': "
                f"required key not provided: '{FOREACH_KWD}' ('do' needs a 'foreach')",
                (*base, DO_KWD),
            )
        if JOIN in name:  # DataResolver.resolve_one -> EntryNotFound -> StageNotFound
            raise _Failure(
                f"Stage '{name}' not found inside '{self.relpath}' file"
                f" ('{JOIN}' is reserved for names generated by foreach/matrix)",
                base,
            )

    # ---- one stage (EntryDefinition.resolve / resolve_stage)

    def _resolve_stage(
        self,
        ctx: _Context,
        name: str,
        group: str,
        definition: Mapping[str, Any],
        skip_checks: bool,
        base: Keypath,
    ) -> ResolvedStage:
        """EntryDefinition.resolve: ContextErrors become "failed to parse stage '<name>'"."""
        try:
            body, imports = self._resolve_body(ctx, name, definition, skip_checks, base)
        except _ContextError as exc:
            raise self._fail(exc, f"stage '{name}'", base) from exc
        return ResolvedStage(name, group, body, tuple(imports))

    def _resolve_body(
        self,
        ctx: _Context,
        name: str,
        definition: Mapping[str, Any],
        skip_checks: bool,
        base: Keypath,
    ) -> tuple[dict[str, Any], list[str]]:
        """EntryDefinition.resolve_stage."""
        if not skip_checks:
            self._check_syntax(definition, name, base)
        wdir = self._resolve_wdir(ctx, name, definition.get(WDIR_KWD), base)
        vars_ = definition.get(VARS_KWD) or []
        vars_where = f"{STAGES_KWD}.{name}.{VARS_KWD}"
        self._check_interpolations(vars_, vars_where, (*base, VARS_KWD))
        if not isinstance(vars_, list):
            got = type(vars_).__name__
            raise _Failure(
                f"failed to parse '{vars_where}' in '{self.relpath}': expected a list, got {got}",
                (*base, VARS_KWD),
            )
        if vars_:
            ctx = ctx.clone()
        try:
            self._load_vars(ctx, vars_, wdir, (*base, VARS_KWD), stage_name=name)
        except _VarsAlreadyLoaded as exc:
            raise self._fail(exc, f"'{vars_where}'", (*base, VARS_KWD)) from exc
        resolved: dict[str, Any] = {}
        for key, value in definition.items():
            if key == VARS_KWD:
                continue
            opts = _Opts(True, skip_checks, _name(key), self.config)
            try:
                resolved[key] = _resolve_data(ctx, value, opts, (*base, _kp(key)))
            except (_ParseError, _KeyNotInContext) as exc:
                raise self._fail(exc, f"'{STAGES_KWD}.{name}.{key}'", (*base, _kp(key))) from exc
        return resolved, list(ctx.imports)

    def _check_syntax(self, definition: Mapping[str, Any], name: str, base: Keypath) -> None:
        """parsing.check_syntax_errors."""
        for key, value in definition.items():
            try:
                _check_expressions(value, (*base, _kp(key)))
            except _ParseError as exc:
                raise self._fail(exc, f"'{STAGES_KWD}.{name}.{key}'", (*base, _kp(key))) from exc

    def _resolve_wdir(self, ctx: _Context, name: str, wdir: Any, base: Keypath) -> str:
        """EntryDefinition._resolve_wdir: the folder stage `vars` are relative to."""
        if not wdir:
            return self.wdir
        try:
            resolved = to_str(
                _resolve_str(ctx, wdir if isinstance(wdir, str) else str(wdir), _Opts())
            )
        except (_ContextError, _ParseError) as exc:
            keypath = (*base, WDIR_KWD)
            exc.keypath = keypath
            raise self._fail(exc, f"'{STAGES_KWD}.{name}.{WDIR_KWD}'", keypath) from exc
        return posixpath.join(self.wdir, resolved)

    # ---- foreach (ForeachDefinition)

    def _resolve_foreach(
        self, name: str, definition: Mapping[str, Any], base: Keypath
    ) -> tuple[list[ResolvedStage], list[_Failure]]:
        if DO_KWD not in definition:
            return [], [
                _Failure(
                    f"failed to parse '{STAGES_KWD}.{name}' in '{self.relpath}': "
                    f"required key not provided: '{DO_KWD}' ('foreach' needs a 'do' template)",
                    base,
                )
            ]
        template = definition[DO_KWD]
        if not isinstance(template, Mapping):
            return [], [
                _Failure(
                    f"failed to parse '{STAGES_KWD}.{name}.{DO_KWD}' in '{self.relpath}': "
                    f"expected a dictionary, got {type(template).__name__}",
                    (*base, DO_KWD),
                )
            ]
        try:
            iterable = self._foreach_iterable(name, definition[FOREACH_KWD], base)
        except _Failure as exc:
            return [], [exc]
        generated = [
            (key, self._foreach_vars(iterable, key, value)) for key, value in iterable[1].items()
        ]
        return self._generate(name, template, generated, (*base, DO_KWD))

    def _foreach_iterable(self, name: str, data: Any, base: Keypath) -> tuple[bool, dict[str, Any]]:
        """ForeachDefinition.resolved_iterable + normalized_iterable: (is_mapping, key->item)."""
        where = (*base, FOREACH_KWD)
        try:
            iterable = _resolve_data(self.context, data, _Opts(unwrap=False), where)
        except (_ContextError, _ParseError) as exc:
            raise self._fail(exc, f"'{STAGES_KWD}.{name}.{FOREACH_KWD}'", where) from exc
        if isinstance(iterable, _Dict):
            return True, dict(iterable.children.items())
        if isinstance(iterable, Mapping):
            return True, {_name_str(k): v for k, v in iterable.items()}
        items = iterable.items if isinstance(iterable, _List) else iterable
        if not isinstance(items, (list, tuple)):
            node = iterable.value if isinstance(iterable, _Leaf) else iterable
            raise _Failure(
                f"failed to resolve '{STAGES_KWD}.{name}.{FOREACH_KWD}' in '{self.relpath}': "
                f"expected list/dictionary, got {type(node).__name__}",
                where,
            )
        if any(_is_map_or_seq(v) for v in items):
            return False, {str(i): v for i, v in enumerate(items)}
        return False, {_name_str(v): v for v in items}

    @staticmethod
    def _foreach_vars(
        iterable: tuple[bool, dict[str, Any]], key: str, value: Any
    ) -> dict[str, Any]:
        """ForeachDefinition._each_iter: `item`, and `key` when iterating a dictionary."""
        return {ITEM: value, KEY: key} if iterable[0] else {ITEM: value}

    # ---- matrix (MatrixDefinition)

    def _resolve_matrix(
        self, name: str, definition: Mapping[str, Any], base: Keypath
    ) -> tuple[list[ResolvedStage], list[_Failure]]:
        template = {k: v for k, v in definition.items() if k != MATRIX_KWD}
        try:
            combinations = self._matrix_combinations(name, definition[MATRIX_KWD], base)
        except _Failure as exc:
            return [], [exc]
        generated = [(key, {KEY: key, ITEM: d}) for key, d in combinations.items()]
        return self._generate(name, template, generated, base)

    def _matrix_combinations(self, name: str, data: Any, base: Keypath) -> dict[str, Any]:
        """MatrixDefinition.resolved_iterable + normalized_iterable: `a-1` -> {axis: value}."""
        where = (*base, MATRIX_KWD)
        what = f"'{STAGES_KWD}.{name}.{MATRIX_KWD}'"
        try:
            iterable = _resolve_data(self.context, data, _Opts(unwrap=False), where)
        except (_ContextError, _ParseError) as exc:
            raise self._fail(exc, what, where) from exc
        if not isinstance(iterable, Mapping):
            raise _Failure(
                f"failed to resolve {what} in '{self.relpath}': "
                f"expected a dictionary, got {type(iterable).__name__}",
                where,
            )
        axes = {k: self._matrix_axis(name, k, v, where) for k, v in iterable.items()}
        combinations: dict[str, Any] = {}
        for combination in product(*(list(enumerate(v)) for v in axes.values())):
            d: dict[Any, Any] = {}
            fragments: list[str] = []
            for k, (i, v) in zip(axes.keys(), combination, strict=True):
                d[k] = v
                fragments.append(f"{k}{i}" if _is_map_or_seq(v) else _name_str(v))
            combinations["-".join(fragments)] = d
        return combinations

    def _matrix_axis(self, name: str, axis: Any, value: Any, where: Keypath) -> list[Any]:
        """What enumerate() yields for one axis (a string axis yields its characters)."""
        if isinstance(value, _List):
            return value.items[:]
        if isinstance(value, _Dict):
            return list(value.children)
        if isinstance(value, (str, list, tuple, Mapping)):
            return list(value)
        node = value.value if isinstance(value, _Leaf) else value
        raise _Failure(
            f"failed to resolve '{STAGES_KWD}.{name}.{MATRIX_KWD}' in '{self.relpath}': "
            f"'{type(node).__name__}' object is not iterable (axis '{axis}')",
            (*where, _kp(axis)),
        )

    # ---- generated stages (shared by foreach and matrix)

    def _generate(
        self,
        name: str,
        template: Mapping[str, Any],
        generated: list[tuple[str, dict[str, Any]]],
        base: Keypath,
    ) -> tuple[list[ResolvedStage], list[_Failure]]:
        """_each_iter for every member: the template is syntax-checked once, before the first."""
        if not generated:
            return [], []
        try:
            self._check_syntax(template, name, base)
        except _Failure as exc:
            return [], [exc]
        stages: list[ResolvedStage] = []
        failures: list[_Failure] = []
        for key, to_set in generated:
            stage_name = f"{name}{JOIN}{key}"
            if not key:  # DataResolver.resolve_one: `assert key` fails for "name@"
                message = _EMPTY_KEY.format(stage_name, self.relpath)
                failures.append(_Failure(message, (STAGES_KWD, name)))
                continue
            try:
                ctx = self.context.with_temporarily(to_set)
                stages.append(self._resolve_stage(ctx, stage_name, name, template, True, base))
            except _ContextError as exc:
                failures.append(self._fail(exc, f"stage '{stage_name}'", base))
            except _Failure as exc:
                failures.append(exc)
        return stages, failures


def _check_loaded(imported: list[str] | None, item: str, keys: list[str] | None) -> None:
    """Context.check_loaded: a file is loaded whole once, or by distinct keys."""
    if not keys and isinstance(imported, list):
        raise _VarsAlreadyLoaded(f"cannot load '{item}' as it's partially loaded already")
    if keys and imported is None:
        raise _VarsAlreadyLoaded(f"cannot partially load '{item}' as it's already loaded.")
    if isinstance(imported, list) and keys and set(keys) & set(imported):
        raise _VarsAlreadyLoaded(f"cannot load '{item}' as it's partially loaded already")
