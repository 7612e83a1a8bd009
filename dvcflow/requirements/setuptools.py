"""setup.cfg (read with `configparser` as setuptools reads it) and setup.py (literals via `ast`,
never executed).
"""

from __future__ import annotations

import ast
import configparser
import re

from dvcflow.requirements.model import requirement_or_error
from dvcflow.requirements.requirements_txt import Include
from dvcflow.requirements.result import FileResult

# -- setup.cfg ---------------------------------------------------------------------------------


def parse_setup_cfg(text: str, path: str) -> FileResult:
    """`[options] install_requires` and `[options.extras_require]`, read like setuptools."""
    result = FileResult()
    # setuptools reads setup.cfg with a plain ConfigParser: `%(name)s` interpolation, no inline
    # comments (dist.py, Distribution._parse_config_files).
    parser = configparser.ConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        line = getattr(exc, "lineno", 0) or _first_error_line(exc)
        first = str(exc).splitlines()[0]
        result.problem(path, line, f"{path} cannot be read as INI ({first})", whole_file=True)
        return result
    entries: list[tuple[str, str, str]] = []
    if parser.has_option("options", "install_requires"):
        entries.append(("options", "install_requires", "[options] install_requires"))
    if parser.has_section("options.extras_require"):
        for key in parser.options("options.extras_require"):
            entries.append(("options.extras_require", key, f"[options.extras_require] {key}"))
    lines = text.splitlines()
    for section, key, label in entries:
        value = _interpolated(parser, section, key)
        _setup_cfg_value(lines, path, section, key, value, label, result)
    return result


def _interpolated(parser: configparser.ConfigParser, section: str, key: str) -> str:
    """The value as setuptools reads it (`%(name)s` filled in from the section or [DEFAULT]).

    Where one line cannot be filled in, setuptools stops; the other lines still say what they
    declare, so each line is filled in on its own and a line that cannot be is kept as written.
    """
    try:
        return parser.get(section, key)
    except configparser.InterpolationError:
        pass
    probe = "__dvcflow_line__"
    filled = []
    for line in parser.get(section, key, raw=True).split("\n"):
        parser.set(section, probe, line)
        try:
            filled.append(parser.get(section, probe))
        except configparser.InterpolationError:
            filled.append(line)
    parser.remove_option(section, probe)
    return "\n".join(filled)


def _first_error_line(exc: configparser.Error) -> int:
    errors = getattr(exc, "errors", None)
    return int(errors[0][0]) if errors else 0


def _setup_cfg_value(
    lines: list[str],
    path: str,
    section: str,
    key: str,
    value: str,
    label: str,
    result: FileResult,
) -> None:
    value_lines = _ini_value_lines(lines, section, key)
    key_line = value_lines[0] if value_lines else 0
    if value.strip().startswith("file:"):
        for target in re.split(r"[,\s]+", value.strip()[5:].strip()):
            if target:
                result.includes.append(Include(key_line, target, False))
        return
    items = value.splitlines() if "\n" in value else value.split(";")
    cursor = 0
    for item in (i.strip() for i in items):
        if not item or item.startswith("#"):
            continue
        line = key_line
        for index in range(cursor, len(value_lines)):
            if item in lines[value_lines[index] - 1]:
                line, cursor = value_lines[index], index + 1
                break
        column = lines[line - 1].find(item) + 1 if line else 0
        item = _without_comment(item)
        result.requirement(item, path, line, column, source="setup.cfg", section=label)


_TRAILING_HASH = re.compile(r"\s+#.*$")
_TRAILING_SEMICOLON = re.compile(r"\s*;.*$")


def _without_comment(item: str) -> str:
    """`numpy>=1  # why` -> `numpy>=1`: an inline comment people write, where one is meant.

    setuptools keeps it and fails at install time; what the line pins is still clear. A `;`
    starts a marker when what follows is one, and a comment only when it is not.
    """
    if not isinstance(requirement_or_error(item), str):
        return item
    for candidate in (_TRAILING_HASH.sub("", item), _TRAILING_SEMICOLON.sub("", item)):
        if candidate and not isinstance(requirement_or_error(candidate), str):
            return candidate
    return item


def _ini_value_lines(lines: list[str], section: str, key: str) -> list[int]:
    """Line numbers of `key = ...` in `[section]` and of its indented continuation lines."""
    current: str | None = None
    found: list[int] = []
    for number, line in enumerate(lines, start=1):
        header = re.match(r"^\[([^\]]+)\]", line)
        if header:
            if found:
                break
            current = header[1].strip()
            continue
        if current != section:
            continue
        if found:
            if line.strip() and not line[:1].isspace():
                break
            found.append(number)
        elif re.match(rf"^{re.escape(key)}\s*[=:]", line):
            found.append(number)
    return found


# -- setup.py ---------------------------------------------------------------------------------


def parse_setup_py(text: str, path: str) -> FileResult:
    """`setup(install_requires=[...], extras_require={...})` literals, read with `ast`.

    Lists built at run time (read from a file, computed) cannot be read without running the
    script, which a linter never does: the file is then marked `opaque`.
    """
    result = FileResult()
    try:
        tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", 0) or 0
        message = getattr(exc, "msg", str(exc))
        result.problem(path, line, f"{path} is not valid Python ({message})", whole_file=True)
        return result
    names = _module_literals(tree)
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and _is_setup_call(call.func):
            for keyword in call.keywords:
                _setup_keyword(path, keyword, names, result)
    return result


def _module_literals(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level `NAME = <expr>` assignments, to follow `install_requires=REQUIRES`."""
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                found[target.id] = node.value
    return found


def _is_setup_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id == "setup"
    return isinstance(func, ast.Attribute) and func.attr == "setup"


def _resolve(node: ast.expr, names: dict[str, ast.expr]) -> ast.expr:
    return names.get(node.id, node) if isinstance(node, ast.Name) else node


def _setup_keyword(
    path: str, keyword: ast.keyword, names: dict[str, ast.expr], result: FileResult
) -> None:
    value = _resolve(keyword.value, names)
    if keyword.arg is None:
        result.opaque = True
    elif keyword.arg == "install_requires":
        _py_requirements(path, value, names, "install_requires", result)
    elif keyword.arg == "extras_require":
        if not isinstance(value, ast.Dict):
            result.opaque = True
            return
        for key, item in zip(value.keys, value.values, strict=False):
            name = key.value if isinstance(key, ast.Constant) else None
            label = f"extras_require[{name}]" if isinstance(name, str) else "extras_require"
            _py_requirements(path, _resolve(item, names), names, label, result)


def _py_requirements(
    path: str, node: ast.expr, names: dict[str, ast.expr], label: str, result: FileResult
) -> None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        items: list[ast.expr] = [node]
    elif isinstance(node, (ast.List, ast.Tuple)):
        items = [_resolve(e, names) for e in node.elts]
    else:
        result.opaque = True
        return
    for item in items:
        if not (isinstance(item, ast.Constant) and isinstance(item.value, str)):
            result.opaque = True
            continue
        for offset, text in enumerate(item.value.splitlines()):
            text = text.strip()
            if not text or text.startswith("#"):
                continue
            line = item.lineno + offset
            column = item.col_offset + 1
            result.requirement(text, path, line, column, source="setup.py", section=label)
