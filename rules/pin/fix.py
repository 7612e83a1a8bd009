"""`--fix` for the DVF4xx rules: pin a declaration, or add a missing pin, byte for byte.

Only where the edit is unambiguous: a requirements-file line (`dvc>=3` -> `dvc==3.67.1`, the
name, extras, marker, comment and line ending kept), a string in a PEP 621/735, uv or PDM
array, an appended line in the main requirements file, an appended item in
`[project].dependencies`. Each edit is checked by parsing the result again (pip's reading for
requirements files, `tomllib` for TOML) and refused if anything else would change. Other
formats (Poetry, Pipfile, conda, setup.cfg, setup.py) only get the fix text.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot
from dvcflow.requirements.encoding import read_requirements
from dvcflow.requirements.model import Declaration, same_version
from dvcflow.requirements.requirements_txt import parse_lines
from dvcflow.requirements.tomltext import TomlText, append_array_string, replace_array_string
from dvcflow.rules.pin.scope import ARRAY_SOURCES, MainFile, rewrite_requirement

if TYPE_CHECKING:
    from dvcflow.context import Context

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

Transform = Callable[[str], "str | None"]


class PlannedEdit:
    path: str
    summary: str
    transform: Transform  # the file's text -> the fixed text, or None when unsure
    creates: bool
    pip_reads: bool  # a requirements file: decoded and written back as pip reads it

    __slots__ = ("creates", "path", "pip_reads", "summary", "transform")

    def __init__(
        self,
        path: str,
        summary: str,
        transform: Transform,
        creates: bool = False,
        pip_reads: bool = False,
    ) -> None:
        self.path = path
        self.summary = summary
        self.transform = transform
        self.creates = creates
        self.pip_reads = pip_reads


def plan_pin(decl: Declaration, version: str) -> PlannedEdit | None:
    """Rewrite one declaration into `==version`, when its format makes that unambiguous."""
    if decl.url is not None or decl.line < 1:
        return None
    summary = f"pinned {decl.name}=={version} on line {decl.line}"
    if decl.source == "requirements" and decl.section == "line":
        return PlannedEdit(
            decl.path,
            summary,
            lambda text: _pin_requirement_line(text, decl, version),
            pip_reads=True,
        )
    if decl.source in ARRAY_SOURCES and decl.key is not None:
        key = decl.key
        return PlannedEdit(
            decl.path, summary, lambda text: _pin_array_item(text, decl, key, version)
        )
    return None


def _pin_requirement_line(text: str, decl: Declaration, version: str) -> str | None:
    new_req = rewrite_requirement(decl.raw, version)
    lines = text.splitlines(keepends=True)
    if new_req is None or decl.line > len(lines) or lines[decl.line - 1].count(decl.raw) != 1:
        return None
    lines[decl.line - 1] = lines[decl.line - 1].replace(decl.raw, new_req)
    new_text = "".join(lines)
    before = parse_lines(text, decl.path)
    after = parse_lines(new_text, decl.path)
    changed = [
        (old, new)
        for old, new in zip(before.declarations, after.declarations, strict=False)
        if old != new
    ]
    ok = (
        len(before.declarations) == len(after.declarations)
        and before.includes == after.includes
        and len(changed) == 1
        and changed[0][1].line == decl.line
        and changed[0][1].pinned
        and same_version(changed[0][1].version or "", version)
    )
    return new_text if ok else None


def _pin_array_item(
    text: str, decl: Declaration, key: tuple[str | int, ...], version: str
) -> str | None:
    new_req = rewrite_requirement(decl.raw, version)
    if new_req is None or not isinstance(key[-1], int):
        return None
    try:
        return replace_array_string(text, key[:-1], key[-1], decl.line, new_req)
    except (tomllib.TOMLDecodeError, KeyError, IndexError, TypeError):
        return None


def plan_append(target: MainFile, package: str, version: str) -> PlannedEdit | None:
    """Add `package==version` to the main requirements file or PEP 621 array."""
    line = f"{package}=={version}"
    summary = f"added {line}"
    if target.kind in ("requirements", "new"):
        return PlannedEdit(
            target.path,
            summary,
            lambda text: _append_line(text, target.path, line),
            creates=target.kind == "new",
            pip_reads=True,
        )
    if target.kind == "pep621":
        return PlannedEdit(target.path, summary, lambda text: _append_pep621(text, line))
    return None


def _append_line(text: str, path: str, line: str) -> str | None:
    newline = "\r\n" if "\r\n" in text else "\n"
    body = text if not text or text.endswith(("\n", "\r")) else text + newline
    new_text = f"{body}{line}{newline}"
    before, after = parse_lines(text, path), parse_lines(new_text, path)
    if after.declarations[: len(before.declarations)] != before.declarations:
        return None
    if len(after.declarations) != len(before.declarations) + 1 or after.problems != before.problems:
        return None
    return new_text


def _append_pep621(text: str, line: str) -> str | None:
    try:
        key_line = TomlText(text).key_line(("project", "dependencies"))
        return append_array_string(text, ("project", "dependencies"), key_line, line)
    except (tomllib.TOMLDecodeError, KeyError, TypeError):
        return None


def apply_plans(
    ctx: Context, snapshot: Snapshot, plans: Iterable[PlannedEdit]
) -> Iterator[tuple[str, str, str, bytes | None]]:
    """(path, new content, summary, its bytes) per file, applying each file's plans in order.

    A requirements file is edited as the text pip decodes (`read_requirements`) and written
    back in its own encoding, marks kept (its bytes; None: UTF-8); one whose encoding cannot
    give its bytes back exactly is not edited.

    Texts already fixed in this run are kept on the context: DVF401 and DVF403 may edit the
    same file, and the engine applies whole-file edits in rule order, so a later rule starts
    from the earlier rule's result and its edit (written last) carries both changes.
    """
    pending: dict[str, str] = ctx.memo(apply_plans, dict)
    by_path: dict[str, list[PlannedEdit]] = {}
    for plan in plans:
        by_path.setdefault(plan.path, []).append(plan)
    for path, group in sorted(by_path.items()):
        original = pending.get(path)
        if original is None:
            original = _current_text(
                snapshot, path, creates=any(p.creates for p in group), pip=group[0].pip_reads
            )
        if original is None:
            continue
        text, done = original, []
        for plan in group:
            result = plan.transform(text)
            if result is not None and result != text:
                text = result
                done.append(plan.summary)
        if not done:
            continue
        data: bytes | None = None
        if group[0].pip_reads:
            data = _encoded(snapshot, path, text)
            if data is None:
                continue  # its encoding cannot give its other bytes back exactly
        pending[path] = text
        yield path, text, "; ".join(done), data


def _encoded(snapshot: Snapshot, path: str, text: str) -> bytes | None:
    """pip's text `text` in the file's encoding, its marks kept (UTF-8 for a new file)."""
    try:
        return read_requirements(snapshot, path).encode(text)
    except FileNotFoundError:
        return text.encode("utf-8")
    except DvcflowError:
        return None


def _current_text(snapshot: Snapshot, path: str, *, creates: bool, pip: bool) -> str | None:
    try:
        return read_requirements(snapshot, path).text if pip else snapshot.read_text(path)
    except FileNotFoundError:
        if creates and not os.path.lexists(snapshot.root / path):
            return ""
        return None  # a folder or a dangling symlink is in the way: never write over it
    except DvcflowError:
        return None
