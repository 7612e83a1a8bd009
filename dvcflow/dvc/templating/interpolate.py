"""dvc/parsing/interpolate.py: `${...}` expressions, their syntax and string conversion."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from dvcflow.dvc.templating.context import PRIMITIVES, Context, select, unwrap
from dvcflow.dvc.templating.model import FOREACH_KWD, Keypath, TemplatingError, key_part

# dvc/parsing/interpolate.py: KEYCRE (no DOTALL: `${` ... `}` never spans a newline)
KEYCRE = re.compile(r"(?<!\\)\${(?P<inner>.*?)}")
BRACE_OPEN = "${"
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


class ParseError(TemplatingError):
    """dvc.parsing.interpolate.ParseError."""


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _PP_WHITESPACE:
        pos += 1
    return pos


def _parse_failure(expr: str, loc: int, expected: str) -> ParseError:
    """interpolate._format_exc_msg, on one line (the caret line dropped, no colours)."""
    embraced = BRACE_OPEN + expr + "}"
    at = loc + 2
    match = _PP_FOUND.match(embraced, at)
    found = match.group(0) if match else embraced[at : at + 1]
    found_repr = repr(found).replace("\\\\", "\\")
    return ParseError(
        f"{embraced} ParseException: {expected}, found {found_repr}"
        f"  (at char {at}), (line:1, col:{at + 1})"
    )


def parse_expression(inner: str) -> str:
    """interpolate.parse_expr: `a.b[0]` -> `a.b.0`, or ParseError with pyparsing's wording.

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


def _validate_value(value: Any, key: str | None) -> None:
    """interpolate.validate_value: only primitives interpolate, except a dict into `cmd`."""
    not_primitive = value is not None and not isinstance(value, PRIMITIVES)
    not_foreach = key is not None and FOREACH_KWD not in key
    if not_primitive and not_foreach:
        if isinstance(value, dict) and key == "cmd":
            return
        raise ParseError(f"Cannot interpolate data of type '{type(value).__name__}'")


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
            raise ParseError(f"Cannot interpolate nested iterable in '{k}'")
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
                raise ParseError(f"duplicated key '{flat_key}'")
            flat[flat_key] = value

    walk(d, None)
    return flat


class ResolveOpts:
    """The arguments of Context.resolve: unwrap, skip_interpolation_checks, key, config."""

    unwrap: bool
    skip_checks: bool
    key: str | None
    config: Mapping[str, Any] | None

    __slots__ = ("config", "key", "skip_checks", "unwrap")

    def __init__(
        self,
        unwrap: bool = True,
        skip_checks: bool = False,
        key: str | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.unwrap = unwrap
        self.skip_checks = skip_checks
        self.key = key
        self.config = config


def resolve_str(ctx: Context, src: str, opts: ResolveOpts) -> Any:
    """Context.resolve_str: `${x}` alone keeps x's type; otherwise string interpolation."""
    matches = list(KEYCRE.finditer(src))
    if len(matches) == 1 and src == matches[0].group(0):
        node = select(ctx.root, _expression(matches[0], opts.skip_checks))
        value = unwrap(node) if opts.unwrap else node
        _validate_value(value, opts.key)
        return value
    index, buf = 0, ""
    for match in matches:  # interpolate.str_interpolate
        start, end = match.span(0)
        value = unwrap(select(ctx.root, _expression(match, opts.skip_checks)))
        _validate_value(value, opts.key)
        buf += src[index:start] + to_str(value, config=opts.config)
        index = end
    buf += src[index:]
    return buf.replace("\\${", BRACE_OPEN)


def resolve_data(ctx: Context, data: Any, opts: ResolveOpts, where: Keypath) -> Any:
    """Context.resolve (interpolate.recurse): keys and values, depth first, in order."""
    if isinstance(data, Mapping):
        resolved: dict[Any, Any] = {}
        for k, v in data.items():
            at = (*where, key_part(k))
            resolved[resolve_data(ctx, k, opts, at)] = resolve_data(ctx, v, opts, at)
        return resolved
    if isinstance(data, (list, tuple)):
        items = [resolve_data(ctx, v, opts, (*where, i)) for i, v in enumerate(data)]
        return items if isinstance(data, list) else tuple(items)
    if isinstance(data, str):
        try:
            return resolve_str(ctx, data, opts)
        except TemplatingError as exc:
            exc.keypath = exc.keypath or where
            raise
    return data


def strings_in(data: Any, where: Keypath) -> Iterable[tuple[str, Keypath]]:
    """Every string in data (mapping keys included), with its keypath, in recurse's order."""
    if isinstance(data, Mapping):
        for k, v in data.items():
            yield from strings_in(k, (*where, key_part(k)))
            yield from strings_in(v, (*where, key_part(k)))
    elif isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            yield from strings_in(v, (*where, i))
    elif isinstance(data, str):
        yield data, where


def check_expressions(data: Any, where: Keypath) -> None:
    """interpolate.check_recursive_parse_errors."""
    for text, at in strings_in(data, where):
        for match in KEYCRE.finditer(text):
            try:
                parse_expression(match.group("inner"))
            except ParseError as exc:
                exc.keypath = at
                raise
