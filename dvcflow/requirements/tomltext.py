"""Positions and minimal edits in TOML text, next to `tomllib` (which keeps no positions).

`tomllib` decides what a file means; this module only finds where a key, an array-of-tables
entry or an array's string item is written, and rewrites one string literal or appends one
item to an array. Every edit is checked by parsing the result again with `tomllib` and
comparing it with the intended data, so an edit that would change anything else is refused.
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterator
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\]|\\.)*"'
_LITERAL = r"'[^']*'"
_PART = rf"(?:{_BARE}|{_BASIC}|{_LITERAL})"
_DOTTED = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"^\s*(\[\[?)\s*(?P<key>{_DOTTED})\s*\]\]?\s*(?:#.*)?$")
_KEY_LINE = re.compile(rf"^\s*(?P<key>{_DOTTED})\s*=")
_PART_RE = re.compile(_PART)

Key = tuple[str, ...]


def split_key(dotted: str) -> Key:
    """`tool."my.pkg".x` -> ("tool", "my.pkg", "x")."""
    parts: list[str] = []
    for match in _PART_RE.finditer(dotted):
        token = match.group(0)
        if token.startswith('"'):
            parts.append(_unescape(token[1:-1]))
        elif token.startswith("'"):
            parts.append(token[1:-1])
        else:
            parts.append(token)
    return tuple(parts)


def _unescape(body: str) -> str:
    try:
        value = tomllib.loads(f'x = "{body}"')["x"]
    except tomllib.TOMLDecodeError:
        return body
    return str(value)


class Header:
    line: int  # 1-based line of `[table]`; 0 for the implicit root table
    key: Key
    is_array: bool

    __slots__ = ("is_array", "key", "line")

    def __init__(self, line: int, key: Key, is_array: bool) -> None:
        self.line = line
        self.key = key
        self.is_array = is_array


class TomlText:
    """Line positions of tables and keys in a TOML document (already valid for tomllib)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.headers: list[Header] = [Header(0, (), False)]
        for number, line in enumerate(self.lines, start=1):
            match = _HEADER.match(line)
            if match:
                self.headers.append(Header(number, split_key(match["key"]), match[1] == "[["))

    def _span(self, index: int) -> range:
        start = self.headers[index].line + 1
        end = self.headers[index + 1].line if index + 1 < len(self.headers) else len(self.lines) + 1
        return range(start, end)

    def key_line(self, key: Key) -> int:
        """1-based line where `key` is defined (or the inline table holding it); 0 if unknown."""
        best: tuple[int, int] = (-1, 0)  # (matched depth, line)
        for index, header in enumerate(self.headers):
            if key[: len(header.key)] != header.key or header.is_array:
                continue
            rest = key[len(header.key) :]
            if not rest:
                if len(header.key) > best[0] and header.line:
                    best = (len(header.key), header.line)
                continue
            for number in self._span(index):
                match = _KEY_LINE.match(self.lines[number - 1])
                if not match:
                    continue
                found = split_key(match["key"])
                depth = len(header.key) + len(found)
                if rest[: len(found)] == found and depth > best[0]:
                    best = (depth, number)
                    break
        return best[1]

    def array_table_lines(self, table: Key, key: str) -> list[int]:
        """For each `[[table]]` in order, the line of its `key = ...` (0 if absent); one pass."""
        found: list[int] = []
        for index, header in enumerate(self.headers):
            if header.key != table or not header.is_array:
                continue
            line = 0
            for number in self._span(index):
                match = _KEY_LINE.match(self.lines[number - 1])
                if match and split_key(match["key"]) == (key,):
                    line = number
                    break
            found.append(line)
        return found

    def string_position(self, start_line: int, value: str, nth: int = 0) -> tuple[int, int]:
        """(line, column) of the nth string literal equal to `value` from `start_line` on."""
        literals = literal_forms(value)
        seen = 0
        for number in range(max(start_line, 1), len(self.lines) + 1):
            line = self.lines[number - 1]
            if number > start_line and _HEADER.match(line):
                break
            for column in _literal_columns(line, literals):
                if seen == nth:
                    return number, column + 1
                seen += 1
        return start_line, 0


def literal_forms(value: str) -> list[str]:
    """The ways `value` is commonly written as a one-line TOML string."""
    basic = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    forms = [basic]
    if "'" not in value and "\n" not in value:
        forms.append(f"'{value}'")
    return forms


def _literal_columns(line: str, literals: list[str]) -> Iterator[int]:
    hits = sorted({m.start() for lit in literals for m in re.finditer(re.escape(lit), line)})
    yield from hits


def error_position(exc: tomllib.TOMLDecodeError, text: str) -> tuple[str, int, int]:
    """(message, line, column) of a tomllib error; its end of document is the last line."""
    message = str(exc)
    match = re.search(r"\(at line (\d+), column (\d+)\)", message)
    line = getattr(exc, "lineno", 0) or (int(match[1]) if match else 0)
    column = getattr(exc, "colno", 0) or (int(match[2]) if match else 0)
    if not line and "end of document" in message:
        line = max(len(text.splitlines()), 1)
    return message.split(" (at ")[0], line, column


# -- edits -------------------------------------------------------------------------------------


def get_in(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def _expected(data: Any, path: tuple[str | int, ...], change: Any) -> Any:
    """A deep copy of `data` with `change(container)` applied at `path`."""
    result = copy.deepcopy(data)
    change(get_in(result, path))
    return result


def _verified(new_text: str, expected: Any) -> str | None:
    try:
        parsed = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        return None
    return new_text if parsed == expected else None


def replace_array_string(
    text: str, array_path: tuple[str | int, ...], index: int, line: int, new_value: str
) -> str | None:
    """Rewrite the string at `array_path[index]` written on `line`; None unless unambiguous."""
    data = tomllib.loads(text)
    old_value = get_in(data, array_path)[index]
    lines = text.splitlines(keepends=True)
    if not isinstance(old_value, str) or not 1 <= line <= len(lines):
        return None
    source = lines[line - 1]
    for literal in literal_forms(old_value):
        if source.count(literal) != 1:
            continue
        quote = literal[0]
        if quote in new_value or "\\" in new_value:
            quote = "'" if quote == '"' else '"'
            if quote in new_value or "\\" in new_value:
                return None
        lines[line - 1] = source.replace(literal, f"{quote}{new_value}{quote}")
        expected = _expected(data, array_path, lambda arr: arr.__setitem__(index, new_value))
        return _verified("".join(lines), expected)
    return None


class _Token:
    kind: str  # "str", "comma", "other"
    start: int
    end: int

    __slots__ = ("end", "kind", "start")

    def __init__(self, kind: str, start: int, end: int) -> None:
        self.kind = kind
        self.start = start
        self.end = end


def _array_tokens(text: str, open_at: int) -> tuple[list[_Token], int] | None:
    """Top-level tokens of the array whose `[` is at `open_at`, and the index of its `]`."""
    tokens: list[_Token] = []
    pos, depth = open_at + 1, 0
    while pos < len(text):
        char = text[pos]
        if char in "\"'":
            end = _string_end(text, pos)
            if end is None:
                return None
            if depth == 0:
                tokens.append(_Token("str", pos, end))
            pos = end
            continue
        if char == "#":
            newline = text.find("\n", pos)
            pos = len(text) if newline == -1 else newline
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            if depth == 0 and char == "]":
                return tokens, pos
            depth -= 1
        elif char == "," and depth == 0:
            tokens.append(_Token("comma", pos, pos + 1))
        elif not char.isspace() and depth == 0:
            tokens.append(_Token("other", pos, pos + 1))
        pos += 1
    return None


def _string_end(text: str, start: int) -> int | None:
    quote = text[start]
    triple = text[start : start + 3] == quote * 3
    if triple:
        end = text.find(quote * 3, start + 3)
        return None if end == -1 else end + 3
    pos = start + 1
    while pos < len(text) and text[pos] != "\n":
        if text[pos] == "\\" and quote == '"':
            pos += 2
            continue
        if text[pos] == quote:
            return pos + 1
        pos += 1
    return None


def append_array_string(
    text: str, array_path: tuple[str, ...], key_line: int, new_value: str
) -> str | None:
    """Append `new_value` to the array defined on `key_line`, in its style; None if unsure."""
    data = tomllib.loads(text)
    if not isinstance(get_in(data, array_path), list) or key_line < 1:
        return None
    line_start = sum(len(x) for x in text.splitlines(keepends=True)[: key_line - 1])
    equals = text.find("=", line_start)
    open_at = text.find("[", equals)
    if equals == -1 or open_at == -1 or text[equals + 1 : open_at].strip():
        return None
    scanned = _array_tokens(text, open_at)
    if scanned is None:
        return None
    tokens, close_at = scanned
    quote = "'" if any(text[t.start] == "'" for t in tokens if t.kind == "str") else '"'
    if quote in new_value:
        quote = '"' if quote == "'" else "'"
    item = f"{quote}{new_value}{quote}"
    new_text = _insert_item(text, tokens, open_at, close_at, item)
    expected = _expected(data, array_path, lambda arr: arr.append(new_value))
    return _verified(new_text, expected) if new_text is not None else None


def _insert_item(
    text: str, tokens: list[_Token], open_at: int, close_at: int, item: str
) -> str | None:
    if not tokens:
        return text[: open_at + 1] + item + text[close_at:]
    last = tokens[-1]
    items = [t for t in tokens if t.kind == "str"]
    if last.kind == "other" or not items:
        return None
    multiline = "\n" in text[open_at:close_at]
    if not multiline:
        glue = " " if last.kind == "comma" else ", "
        return text[: last.end] + glue + item + text[last.end : close_at] + text[close_at:]
    last_item = items[-1]
    line_start = text.rfind("\n", 0, last_item.start) + 1
    indent = text[line_start : last_item.start]
    if indent.strip():
        return None  # several items on the last line: no clear style to follow
    line_end = text.find("\n", last.end)
    if line_end == -1 or line_end > close_at:
        return None
    newline = "\n"
    if text[line_end - 1 : line_end] == "\r":
        line_end, newline = line_end - 1, "\r\n"
    if last.kind == "comma":
        head, trail = text[:line_end], ","
    else:
        head, trail = text[: last.end] + "," + text[last.end : line_end], ""
    return head + newline + indent + item + trail + text[line_end:]
