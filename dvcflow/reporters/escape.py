"""What every reporter escapes: terminal control characters, JSON's raw controls, and the
characters the output stream cannot encode."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable
from typing import TextIO

# C0 and C1 control characters, DEL, and the bidirectional overrides and isolates that reorder
# what a terminal shows: a stage name, path or value read from a file must not drive the
# terminal (or the CI log) that prints it.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match[str]) -> str:
    char = match[0]
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def printable(text: str) -> str:
    """Control characters written as Python's repr writes them (`\\x1b`, `\\r`); other
    characters, unicode included, unchanged."""
    return _UNSAFE.sub(_escape_char, text)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_safe(text: str) -> str:
    """`json.dumps` escapes C0 controls but writes DEL, C1 and bidi controls raw: escape those
    as `\\u` sequences (safe on the whole document: they occur only inside its strings)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


# -- characters the stream cannot encode --------------------------------------------------------
# Each format says how its documents write a character the output encoding lacks (a non-ASCII
# path printed under PYTHONIOENCODING=ascii or a latin-1 terminal): text as `\xe9`, JSON as
# `\u00e9` (valid JSON: non-ASCII characters occur only inside its strings), XML as `&#233;`.
Unencodable = Callable[[str], str]


def backslash(char: str) -> str:
    return char.encode("unicode_escape").decode("ascii")


def json_escape(char: str) -> str:
    data = char.encode("utf-16-be")
    units = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
    return "".join(f"\\u{unit:04x}" for unit in units)


def xml_reference(char: str) -> str:
    return f"&#{ord(char)};"


def encodable(text: str, encoding: str | None, replace: Unencodable) -> str:
    """`text` with each character `encoding` cannot write replaced by `replace(char)`."""
    if not encoding:
        return text
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        return text
    try:
        codec.encode(text)
        return text
    except UnicodeEncodeError:
        pass
    out: list[str] = []
    for char in text:
        try:
            codec.encode(char)
            out.append(char)
        except UnicodeEncodeError:
            out.append(replace(char))
    return "".join(out)
