"""Dependency declarations in pyproject.toml, Pipfile, setup.cfg, conda files and lock files.

Each parser takes a file's text and repo-relative path and returns a `FileResult`: the
declarations it makes, the problems that stop it being read (with their line), and the
requirements files it includes (setup.cfg `file:`, an environment.yml `pip:` `-r`).
TOML is read with `tomllib`, YAML with ruamel.yaml (`dvcflow.dvc.yamlio`), INI with
`configparser` as setuptools does, JSON with `json`, setup.py with `ast` (literals only,
never executed); positions come from `dvcflow.requirements.tomltext` and the YAML tree.
"""

from __future__ import annotations

import ast
import configparser
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from dvcflow.dvc.yamlio import YamlError, load_yaml, position
from dvcflow.requirements.model import (
    Constraint,
    Declaration,
    DeclProblem,
    Source,
    exact_constraint,
    from_requirement,
    named_declaration,
    parse_conda_spec,
    pep440_constraint,
    poetry_constraint,
    requirement_or_error,
)
from dvcflow.requirements.pipfile import Include, ParsedFile, parse_lines
from dvcflow.requirements.tomltext import Key, TomlText, error_position

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class FileResult:
    declarations: list[Declaration] = field(default_factory=list)
    problems: list[DeclProblem] = field(default_factory=list)
    includes: list[Include] = field(default_factory=list)
    opaque: bool = False  # declares dependencies dvcflow cannot read statically (setup.py)

    def problem(
        self, path: str, line: int, message: str, *, column: int = 1, whole_file: bool = False
    ) -> None:
        self.problems.append(DeclProblem(path, line, column if line else 0, message, whole_file))

    def merge(self, parsed: ParsedFile) -> None:
        self.declarations.extend(parsed.declarations)
        self.problems.extend(parsed.problems)
        self.includes.extend(parsed.includes)

    def requirement(
        self,
        text: str,
        path: str,
        line: int,
        column: int,
        *,
        source: Source,
        section: str,
        key: tuple[str | int, ...] | None = None,
        problem_column: int = 1,
    ) -> None:
        """Declare a PEP 508 requirement string, or record why it is invalid."""
        parsed = requirement_or_error(text)
        if isinstance(parsed, str):
            message = f"invalid requirement `{text}` in {section}: {parsed}"
            self.problem(path, line, message, column=problem_column)
            return
        self.declarations.append(
            from_requirement(
                parsed,
                path=path,
                line=line,
                column=column,
                raw=text,
                source=source,
                section=section,
                key=key,
            )
        )


Parser = Callable[[str, str], FileResult]


def _read_toml(
    text: str, path: str, read: Callable[[dict[str, Any], TomlText, str, FileResult], None]
) -> FileResult:
    """A TOML file's result: its syntax error, or what `read(data, toml, path, result)` finds."""
    result = FileResult()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line, column = error_position(exc, text)
        result.problem(
            path, line, f"{path} is not valid TOML ({message})", column=column, whole_file=True
        )
        return result
    read(data, TomlText(text), path, result)
    return result


def _table(data: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def _section(key: Key) -> str:
    return f"[{'.'.join(key[:-1])}].{key[-1]}" if len(key) > 1 else key[0]


# -- pyproject.toml ----------------------------------------------------------------------------


def parse_pyproject(text: str, path: str) -> FileResult:
    """PEP 621, PEP 735, Poetry (deps and groups), `[tool.uv]`, `[tool.pdm]` dev-dependencies."""
    return _read_toml(text, path, _pyproject)


def _pyproject(data: dict[str, Any], toml: TomlText, path: str, result: FileResult) -> None:
    project = _table(data, "project")
    arrays: list[tuple[Key, Any, Source]] = []
    if "dependencies" in project:
        arrays.append((("project", "dependencies"), project["dependencies"], "pep621"))
    for group, items in _table(project, "optional-dependencies").items():
        arrays.append((("project", "optional-dependencies", group), items, "pep621"))
    for group, items in _table(data, "dependency-groups").items():
        arrays.append((("dependency-groups", group), items, "pep735"))
    uv = _table(data, "tool", "uv")
    for uv_key in ("dev-dependencies", "constraint-dependencies", "override-dependencies"):
        if uv_key in uv:
            arrays.append((("tool", "uv", uv_key), uv[uv_key], "uv"))
    for group, items in _table(data, "tool", "pdm", "dev-dependencies").items():
        arrays.append((("tool", "pdm", "dev-dependencies", group), items, "pdm"))
    for key, items, source in arrays:
        _pep508_array(toml, path, key, items, source, result)
    _poetry(toml, path, _table(data, "tool", "poetry"), result)


def _pep508_array(
    toml: TomlText, path: str, key: Key, items: Any, source: Source, result: FileResult
) -> None:
    key_line = toml.key_line(key)
    section = _section(key)
    if not isinstance(items, list):
        result.problem(path, key_line, f"{section} must be an array of requirement strings")
        return
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if isinstance(item, dict) and source == "pep735" and "include-group" in item:
            continue
        if not isinstance(item, str):
            result.problem(path, key_line, f"{section} has a non-string item {item!r}")
            continue
        line, column = toml.string_position(key_line, item, seen.get(item, 0))
        seen[item] = seen.get(item, 0) + 1
        result.requirement(
            item,
            path,
            line,
            column,
            source=source,
            section=section,
            key=(*key, index),
            problem_column=max(column, 1),
        )


def _poetry(toml: TomlText, path: str, poetry: dict[str, Any], result: FileResult) -> None:
    tables: list[tuple[Key, Any]] = []
    for name in ("dependencies", "dev-dependencies"):
        if name in poetry:
            tables.append((("tool", "poetry", name), poetry[name]))
    for group, body in _table(poetry, "group").items():
        if isinstance(body, dict) and "dependencies" in body:
            group_key = ("tool", "poetry", "group", group, "dependencies")
            tables.append((group_key, body["dependencies"]))
    for key, table in tables:
        section = f"[{'.'.join(key)}]"
        if not isinstance(table, dict):
            result.problem(path, toml.key_line(key), f"{section} must be a table")
            continue
        for name, value in table.items():
            if name.lower() == "python":
                continue
            line = toml.key_line((*key, name))
            for spec in value if isinstance(value, list) else [value]:
                _poetry_entry(toml, path, section, name, spec, line, result)


def _poetry_entry(
    toml: TomlText, path: str, section: str, name: str, spec: Any, line: int, result: FileResult
) -> None:
    if isinstance(spec, str):
        declared = _KeySpec(spec)
    elif isinstance(spec, dict):
        declared = _KeySpec(
            spec.get("version", ""),
            _extras(spec.get("extras")),
            _poetry_marker(spec),
            _url(spec, ("git", "path", "url", "file")),
        )
    else:
        result.problem(path, line, f"{section} {name}: expected a version string or a table")
        return
    _declare_key(
        toml, path, section, name, spec, line, result, declared, poetry_constraint, "poetry"
    )


def _poetry_marker(spec: dict[str, Any]) -> str | None:
    parts = []
    if isinstance(spec.get("markers"), str):
        parts.append(spec["markers"])
    if isinstance(spec.get("python"), str):
        parts.append(f"python {spec['python']}")
    if isinstance(spec.get("platform"), str):
        parts.append(f"platform {spec['platform']}")
    return "; ".join(parts) or None


def _extras(value: Any) -> tuple[str, ...]:
    """Extras from a TOML `extras = [...]` value (anything else reads as none)."""
    if not isinstance(value, list):
        return ()
    return tuple(sorted(str(e) for e in value if isinstance(e, str)))


def _url(spec: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """A table entry's direct source (`git = ...`, `path = ...`): the first of `keys` present."""
    return next((str(spec[k]) for k in keys if k in spec), None)


class _KeySpec(NamedTuple):
    """What a TOML dependency entry `name = spec` (Poetry, Pipfile) declares."""

    version: Any  # should be a string; anything else is a problem
    extras: tuple[str, ...] = ()
    marker: str | None = None
    url: str | None = None


def _declare_key(
    toml: TomlText,
    path: str,
    section: str,
    name: str,
    spec: Any,
    line: int,
    result: FileResult,
    declared: _KeySpec,
    constraint_of: Callable[[str], Constraint | None],
    source: Source,
) -> None:
    """Declare the entry `name = spec` at `line` (0: not found), or say why its version cannot
    be read (`constraint_of` returns None for a version it does not accept)."""
    version = declared.version
    if not isinstance(version, str):
        result.problem(path, line, f"{section} {name}: version must be a string")
        return
    constraint = constraint_of(version)
    if constraint is None:
        result.problem(path, line, f"{section} {name}: `{version}` is not a version specifier")
        return
    text = toml.lines[line - 1] if line else ""
    result.declarations.append(
        named_declaration(
            name,
            constraint,
            path=path,
            line=line,
            column=len(text) - len(text.lstrip()) + 1 if line else 0,
            raw=text.strip() if line else f"{name} = {spec!r}",
            source=source,
            section=section,
            extras=declared.extras,
            marker=declared.marker,
            url=declared.url,
        )
    )


# -- Pipfile -----------------------------------------------------------------------------------

_PIPFILE_NOT_PACKAGES = {"source", "requires", "pipenv", "scripts"}


def parse_pipfile(text: str, path: str) -> FileResult:
    """`[packages]`, `[dev-packages]` and custom categories; values are pip specifiers."""
    return _read_toml(text, path, _pipfile)


def _pipfile(data: dict[str, Any], toml: TomlText, path: str, result: FileResult) -> None:
    for category, table in data.items():
        if category in _PIPFILE_NOT_PACKAGES or not isinstance(table, dict):
            continue
        for name, spec in table.items():
            line = toml.key_line((category, name))
            _pipfile_entry(toml, path, f"[{category}]", name, spec, line, result)


def _pipfile_entry(
    toml: TomlText, path: str, section: str, name: str, spec: Any, line: int, result: FileResult
) -> None:
    declared = _KeySpec(spec)
    if isinstance(spec, dict):
        markers = spec.get("markers")
        declared = _KeySpec(
            spec.get("version", "*"),
            _extras(spec.get("extras")),
            markers if isinstance(markers, str) else None,
            _url(spec, ("git", "path", "file")),
        )
    _declare_key(
        toml, path, section, name, spec, line, result, declared, _pipfile_constraint, "pipfile"
    )


def _pipfile_constraint(version: str) -> Constraint | None:
    text = version.strip()
    if text in ("", "*"):
        return Constraint(text, False, None, SpecifierSet())
    if text[0].isdigit():
        text = f"=={text}"
    try:
        constraint = pep440_constraint(SpecifierSet(text))
    except InvalidSpecifier:
        return None
    return Constraint(version.strip(), constraint.pinned, constraint.version, constraint.allowed)


# -- setup.cfg ---------------------------------------------------------------------------------


def parse_setup_cfg(text: str, path: str) -> FileResult:
    """`[options] install_requires` and `[options.extras_require]`, read like setuptools."""
    result = FileResult()
    parser = configparser.ConfigParser(interpolation=None)
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
        _setup_cfg_value(lines, path, section, key, parser.get(section, key), label, result)
    return result


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
        result.requirement(item, path, line, column, source="setup.cfg", section=label)


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


# -- conda -------------------------------------------------------------------------------------


def parse_environment_yml(text: str, path: str) -> FileResult:
    """conda `dependencies:` specs and the `pip:` list (requirements-file lines)."""
    return _read_yaml(text, path, _environment)


def _environment(data: Any, tree: Any, path: str, result: FileResult) -> None:
    deps = data.get("dependencies") if isinstance(data, dict) else None
    if deps is None:
        return
    deps_tree = tree.get("dependencies")
    if not isinstance(deps, list):
        result.problem(path, position(tree, "dependencies")[0], "dependencies must be a list")
        return
    for index, item in enumerate(deps):
        line, column = position(deps_tree, index)
        if isinstance(item, str):
            _conda_item(path, item, line, column, result)
        elif isinstance(item, dict) and "pip" in item:
            _pip_section(path, item["pip"], deps_tree[index].get("pip"), result)
        else:
            result.problem(path, line, f"dependencies item {item!r} is neither a spec nor pip:")


def _read_yaml(
    text: str, path: str, read: Callable[[Any, Any, str, FileResult], None]
) -> FileResult:
    """A YAML file's result: its syntax error, or what `read(data, tree, path, result)` finds."""
    result = FileResult()
    try:
        document = load_yaml(text)
    except YamlError as exc:
        result.problem(
            path,
            exc.line,
            f"{path} is not valid YAML ({exc.message})",
            column=exc.column or 1,
            whole_file=True,
        )
        return result
    read(document.data, document.tree, path, result)
    return result


def _conda_item(path: str, item: str, line: int, column: int, result: FileResult) -> None:
    parsed = parse_conda_spec(item)
    if parsed is None:
        result.problem(path, line, f"cannot read conda spec `{item}`", column=column)
        return
    name, constraint = parsed
    result.declarations.append(
        named_declaration(
            name,
            constraint,
            path=path,
            line=line,
            column=column,
            raw=item,
            source="conda",
            section="dependencies",
        )
    )


def _pip_section(path: str, items: Any, tree: Any, result: FileResult) -> None:
    if not isinstance(items, list):
        result.problem(path, position(tree)[0], "pip: must be a list of requirements")
        return
    texts: list[str] = []
    line_map: list[int] = []
    for index, item in enumerate(items):
        line = position(tree, index)[0]
        if not isinstance(item, str):
            result.problem(path, line, f"pip: item {item!r} is not a string")
            continue
        texts.append(item.replace("\n", " "))
        line_map.append(line)
    result.merge(parse_lines("\n".join(texts), path, section="dependencies.pip", line_map=line_map))


# -- lock files --------------------------------------------------------------------------------


def _lock(path: str, name: str, version: str, line: int, raw: str, section: str) -> Declaration:
    column = 1 if line else 0
    return named_declaration(
        name,
        exact_constraint(version),
        path=path,
        line=line,
        column=column,
        raw=raw,
        source="lock",
        section=section,
    )


def parse_toml_lock(text: str, path: str) -> FileResult:
    """poetry.lock, uv.lock, pdm.lock (`[[package]]`) and PEP 751 pylock.toml (`[[packages]]`)."""
    return _read_toml(text, path, _toml_lock)


def _toml_lock(data: dict[str, Any], toml: TomlText, path: str, result: FileResult) -> None:
    table = "packages" if "packages" in data and "package" not in data else "package"
    packages = data.get(table, [])
    if not isinstance(packages, list):
        return
    lines = toml.array_table_lines((table,), "version")
    for nth, entry in enumerate(packages):
        if not isinstance(entry, dict):
            continue
        name, version = entry.get("name"), entry.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            continue
        line = lines[nth] if nth < len(lines) else 0
        result.declarations.append(
            _lock(
                path, name, version, line, f'name = "{name}", version = "{version}"', f"[[{table}]]"
            )
        )


def parse_pipfile_lock(text: str, path: str) -> FileResult:
    """Pipfile.lock (JSON): `default`, `develop` and category tables of `{"version": "==V"}`."""
    result = FileResult()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        result.problem(
            path,
            exc.lineno,
            f"{path} is not valid JSON ({exc.msg})",
            column=exc.colno,
            whole_file=True,
        )
        return result
    if not isinstance(data, dict):
        return result
    lines = text.splitlines()
    for category, table in data.items():
        if category == "_meta" or not isinstance(table, dict):
            continue
        start = _json_key_line(lines, category, 0)
        for name, entry in table.items():
            version = entry.get("version") if isinstance(entry, dict) else None
            if not isinstance(version, str):
                continue
            line = _json_key_line(lines, name, start)
            constraint = pep440_constraint(version) if version.startswith("=") else None
            if constraint is None or not constraint.pinned or constraint.version is None:
                continue
            result.declarations.append(
                _lock(path, name, constraint.version, line, f'"{name}": {version}', category)
            )
    return result


def _json_key_line(lines: list[str], key: str, start: int) -> int:
    pattern = re.compile(rf"^\s*{re.escape(json.dumps(key))}\s*:")
    for number in range(start + 1, len(lines) + 1):
        if pattern.match(lines[number - 1]):
            return number
    return 0


def parse_conda_lock(text: str, path: str) -> FileResult:
    """conda-lock.yml: `package:` entries with `name`, `version`, `manager`, `platform`."""
    return _read_yaml(text, path, _conda_lock)


def _conda_lock(data: Any, tree: Any, path: str, result: FileResult) -> None:
    packages = data.get("package") if isinstance(data, dict) else None
    if not isinstance(packages, list):
        return
    for index, entry in enumerate(packages):
        if not isinstance(entry, dict):
            continue
        name, version = entry.get("name"), entry.get("version")
        if not isinstance(name, str) or version is None:
            continue
        item = tree["package"][index]
        line = position(item, "version")[0]
        result.declarations.append(
            _lock(path, name, str(version), line, f"{name} {version}", "package")
        )


PARSERS: dict[str, Parser] = {
    "pyproject": parse_pyproject,
    "pipfile": parse_pipfile,
    "setup.cfg": parse_setup_cfg,
    "setup.py": parse_setup_py,
    "environment": parse_environment_yml,
    "toml-lock": parse_toml_lock,
    "pipfile-lock": parse_pipfile_lock,
    "conda-lock": parse_conda_lock,
}
