"""Adding entries to a stage's `deps` in dvc.yaml text, changing no other byte.

The file is never re-dumped: the positions read with the document (`YamlDocument.tree`: the C
parser's marks, or ruamel's round-trip tree where only ruamel's full loader reads the file) say
where the stage and its `deps` are, and the new lines are inserted as text in the file's own
style (block or flow list, dash indentation, quoting, line endings). The result is parsed again
and must equal the original data plus exactly the new entries; if not, or if the stage cannot
be edited safely (deps built by `${...}` interpolation, a flow-style stage, a `${}` wdir),
nothing is edited.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from dvcflow.dvc.yamlio import PositionMap, PositionSeq, YamlError, child, load_yaml, to_plain

_MAPS = (CommentedMap, PositionMap)
_SEQS = (CommentedSeq, PositionSeq)
_GENERATED_ANCHOR = r"id(?!000$)\d{3,}"  # ruamel's Serializer.ANCHOR_RE (compiled when met)
_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9_./][A-Za-z0-9_./@+=-]*$")
_RESERVED_PLAIN = frozenset(
    {
        "null",
        "Null",
        "NULL",
        "~",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "yes",
        "no",
        "on",
        "off",
    }
)


class _Insert:
    offset: int
    text: str

    __slots__ = ("offset", "text")

    def __init__(self, offset: int, text: str) -> None:
        self.offset = offset
        self.text = text


def stage_body(tree: Any, definition: str) -> Any:
    """The round-trip mapping holding a stage's fields (`do:` of a foreach stage)."""
    node = child(child(tree, "stages"), definition)
    if isinstance(node, Mapping) and "foreach" in node:
        return child(node, "do")
    return node


def deps_keypath(tree: Any, definition: str) -> str:
    """How to name the stage's deps for a person: `stages.train.deps` (`.do.deps`)."""
    node = child(child(tree, "stages"), definition)
    if isinstance(node, Mapping) and "foreach" in node:
        return f"stages.{definition}.do.deps"
    return f"stages.{definition}.deps"


def editable(tree: Any, definition: str) -> bool:
    """Whether new deps can be inserted as literal lines without changing their meaning.

    `tree` is a document's position tree (`YamlDocument.tree`, which knows flow style and
    anchors from the one parse), the tree `add_deps` edits with: the help line offers `--fix`
    exactly where `--fix` can edit.
    """
    body = stage_body(tree, definition)
    if not isinstance(body, _MAPS) or _flow(body):
        return False  # flow-style stages are left to the user
    if getattr(body, "merge", None):
        return False  # `<<: *base` merges (only in a round-trip tree) too
    deps = body.get("deps")
    if "deps" in body and not isinstance(deps, _SEQS):
        return False  # `deps: ${list}` and other interpolated values, `deps:` left empty
    if deps is not None and _anchor(deps) is not None:
        return False  # an anchor shared with other stages (`deps: &common [...]`, `*common`)
    if deps is not None and any(not isinstance(item, str) or "${" in item for item in deps):
        return False
    wdir = body.get("wdir")
    return not (isinstance(wdir, str) and "${" in wdir)


def _flow(node: Any) -> bool:
    if isinstance(node, (PositionMap, PositionSeq)):
        return node.lc.flow
    return bool(node.fa.flow_style())


def _anchor(node: Any) -> str | None:
    """The node's anchor as ruamel's round-trip tree keeps it: not the `idNNN` names ruamel's
    own dumper generates (it drops those on reading)."""
    if isinstance(node, (PositionMap, PositionSeq)):
        anchor = node.lc.anchor
        return None if anchor is None or re.match(_GENERATED_ANCHOR, anchor) else anchor
    return cast("str | None", node.yaml_anchor())


def has_dep(tree: Any, definition: str, dep: str) -> bool:
    """Whether the stage already lists `dep` (or a folder holding it) as written in the file."""
    body = stage_body(tree, definition)
    deps = child(body, "deps")
    if not isinstance(deps, _SEQS):
        return False
    target = _norm(dep)
    for item in deps:
        listed = _norm(str(item))
        if listed == target or listed == "" or target.startswith(listed + "/"):
            return True
    return False


def add_deps(text: str, definition: str, deps: Sequence[str]) -> str | None:
    """`text` with `deps` appended to stages.<definition>.deps; None if not safely editable.

    Entries already listed are skipped, so applying the same edit twice changes nothing.
    """
    try:
        document = load_yaml(text)
    except YamlError:
        return None
    tree = document.tree
    if not editable(tree, definition):
        return None
    wanted = list(dict.fromkeys(d for d in deps if not has_dep(tree, definition, d)))
    if not wanted:
        return text
    body = stage_body(tree, definition)
    eol = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines(keepends=True)
    existing = body.get("deps")
    if isinstance(existing, _SEQS) and (_flow(existing) or not len(existing)):
        inserts = _flow_inserts(text, lines, existing, wanted, eol)
    elif isinstance(existing, _SEQS) and len(existing):
        inserts = _block_inserts(text, lines, existing, wanted, eol)
    elif existing is None and "deps" not in body:
        inserts = _new_key_inserts(text, lines, tree, definition, wanted, eol)
    else:
        return None
    if inserts is None:
        return None
    result = _apply(text, inserts)
    return result if _verify(document.data, result, definition, wanted) else None


# -- block lists -------------------------------------------------------------------------------
def _block_inserts(
    text: str, lines: list[str], seq: Any, wanted: list[str], eol: str
) -> list[_Insert] | None:
    dash_col = seq.lc.col
    first_line, first_col = seq.lc.item(0)
    gap = max(first_col - dash_col, 2)
    quote = _quote_style(lines[first_line], first_col)
    last_line = _item_end(lines, seq.lc.item(len(seq) - 1)[0], dash_col)
    new = "".join(f"{' ' * dash_col}-{' ' * (gap - 1)}{scalar(d, quote)}{eol}" for d in wanted)
    return _after_line(text, lines, last_line, new, eol)


def _item_end(lines: list[str], start: int, dash_col: int) -> int:
    """The last line of a block list item (continuation lines are indented deeper)."""
    end = start
    for index in range(start + 1, len(lines)):
        line = lines[index]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            break
        if len(line) - len(line.lstrip(" ")) <= dash_col:
            break
        end = index
    return end


def _after_line(text: str, lines: list[str], index: int, new: str, eol: str) -> list[_Insert]:
    offset = sum(len(line) for line in lines[: index + 1])
    if not lines[index].endswith(("\n", "\r")):
        return [_Insert(offset, eol + new[: -len(eol)])]
    return [_Insert(offset, new)]


# -- flow lists --------------------------------------------------------------------------------
def _flow_inserts(
    text: str, lines: list[str], seq: Any, wanted: list[str], eol: str
) -> list[_Insert] | None:
    start = _offset(lines, seq.lc.line, seq.lc.col)
    if text[start : start + 1] != "[":
        return None
    scan = _scan_flow(text, start)
    if scan is None:
        return None
    close, last_end, trailing_comma = scan
    quote = _quote_style(lines[seq.lc.item(0)[0]], seq.lc.item(0)[1]) if len(seq) else ""
    items = [scalar(d, quote) for d in wanted]
    if not len(seq):
        return [_Insert(start + 1, ", ".join(items))]
    open_line = text.count("\n", 0, start)
    close_line = text.count("\n", 0, close)
    if open_line == close_line:
        body = text[start:close]
        sep = ", " if ", " in body or len(seq) == 1 else ","
        if trailing_comma:
            space = sep[1:]
            return [_Insert(last_end, "".join(f"{space}{i}," for i in items))]
        return [_Insert(last_end, "".join(f"{sep}{i}" for i in items))]
    last_line_index = text.count("\n", 0, last_end)
    last_line = lines[last_line_index]
    indent = last_line[: len(last_line) - len(last_line.lstrip(" "))]
    if trailing_comma:
        new = "".join(f"{eol}{indent}{i}," for i in items)
    else:
        new = "".join(f",{eol}{indent}{i}" for i in items)
    line_end = _offset(lines, last_line_index, len(last_line.rstrip("\r\n")))
    if close_line > last_line_index:
        if trailing_comma:
            return [_Insert(line_end, new)]
        return [_Insert(last_end, ","), _Insert(line_end, new[1:])]
    return [_Insert(last_end, new)]


def _scan_flow(text: str, start: int) -> tuple[int, int, bool] | None:
    """(offset of the closing `]`, end of the last item or comma, whether that is a comma)."""
    depth = 0
    i = start
    last_end, last_char = start + 1, "["
    while i < len(text):
        char = text[i]
        if char in "\"'":
            end = _quoted_end(text, i)
            if end < 0:
                return None
            last_end, last_char = end + 1, char
            i = end + 1
            continue
        if char == "#" and (i == 0 or text[i - 1] in " \t\r\n"):
            newline = text.find("\n", i)
            i = len(text) if newline < 0 else newline
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return i, last_end, last_char == ","
        if not char.isspace() and i != start:
            last_end, last_char = i + 1, char
        i += 1
    return None


def _quoted_end(text: str, start: int) -> int:
    quote = text[start]
    i = start + 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if quote == "'" and text[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    return -1


# -- a stage without deps ----------------------------------------------------------------------
def _new_key_inserts(
    text: str, lines: list[str], tree: Any, definition: str, wanted: list[str], eol: str
) -> list[_Insert] | None:
    body = stage_body(tree, definition)
    keys = list(body.keys())
    if not keys:
        return None
    key_col = body.lc.key(keys[0])[1]
    offset = _sequence_offset(tree)
    dash = " " * (key_col + offset)
    new = f"{' ' * key_col}deps:{eol}" + "".join(f"{dash}- {scalar(d, '')}{eol}" for d in wanted)
    anchor = "cmd" if "cmd" in keys else keys[-1]
    position = keys.index(anchor)
    if position + 1 < len(keys):
        boundary = body.lc.key(keys[position + 1])[0]
    else:
        boundary = _end_of_stage(tree, definition, len(lines))
    last = _last_content_line(lines, boundary, key_col)
    return _after_line(text, lines, last, new, eol)


def _end_of_stage(tree: Any, definition: str, total: int) -> int:
    """The first line after the stage's definition (the next stage or top-level key)."""
    stages = child(tree, "stages")
    names = list(stages.keys())
    index = names.index(definition)
    if index + 1 < len(names):
        return int(stages.lc.key(names[index + 1])[0])
    top = list(tree.keys())
    at = top.index("stages")
    return int(tree.lc.key(top[at + 1])[0]) if at + 1 < len(top) else total


def _last_content_line(lines: list[str], boundary: int, key_col: int) -> int:
    """Walk back from `boundary` over blank lines and comments that belong to what follows."""
    index = boundary - 1
    while index > 0:
        line = lines[index]
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" "))
        if stripped and not (stripped.startswith("#") and indent <= key_col):
            break
        index -= 1
    return index


def _sequence_offset(tree: Any) -> int:
    """How far this file indents list dashes below their key (DVC itself writes 0)."""
    for body in (child(tree, "stages") or {}).values():
        if not isinstance(body, _MAPS):
            continue
        for key in ("deps", "outs", "params", "metrics", "plots"):
            seq = body.get(key)
            if isinstance(seq, _SEQS) and not _flow(seq) and len(seq):
                return max(int(seq.lc.col) - int(body.lc.key(key)[1]), 0)
    return 0


# -- text helpers ------------------------------------------------------------------------------
def _offset(lines: list[str], line: int, column: int) -> int:
    return sum(len(item) for item in lines[:line]) + column


def _quote_style(line: str, column: int) -> str:
    char = line[column : column + 1]
    return char if char in ("'", '"') else ""


def scalar(value: str, quote: str = "") -> str:
    """The path as a YAML scalar: in the list's quoting style, or plain when that is safe."""
    if quote == '"':
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if quote == "'" or not _PLAIN_SAFE.match(value) or value in _RESERVED_PLAIN:
        return "'" + value.replace("'", "''") + "'"
    if re.fullmatch(r"[-+]?[0-9._]+(e[-+]?[0-9]+)?", value, re.IGNORECASE):
        return "'" + value + "'"  # would read as a number
    return value


def _apply(text: str, inserts: list[_Insert]) -> str:
    for insert in sorted(inserts, key=lambda i: i.offset, reverse=True):
        text = text[: insert.offset] + insert.text + text[insert.offset :]
    return text


def _norm(path: str) -> str:
    norm = posixpath.normpath(path.replace("\\", "/"))
    return "" if norm == "." else norm


def _verify(before: Any, after_text: str, definition: str, wanted: list[str]) -> bool:
    """The edited file must read as the original plus exactly the new deps."""
    try:
        after = load_yaml(after_text).data
    except YamlError:
        return False
    expected = to_plain(before)
    node = expected["stages"][definition]
    body = node["do"] if "foreach" in node else node
    body["deps"] = [*(body.get("deps") or []), *wanted]
    return bool(after == expected)
