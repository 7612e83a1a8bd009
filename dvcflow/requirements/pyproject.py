"""pyproject.toml (PEP 621, PEP 735, Poetry, uv, PDM) and Pipfile, read with `tomllib`.

Positions come from `dvcflow.requirements.tomltext`.
"""

from __future__ import annotations

from typing import Any

from dvcflow.requirements.model import (
    Source,
    pipfile_constraint,
    poetry_constraint,
)
from dvcflow.requirements.pixi import read_pixi
from dvcflow.requirements.result import (
    FileResult,
    KeySpec,
    TomlLoads,
    declare_key,
    read_toml,
    section_name,
    sub_table,
)
from dvcflow.requirements.tomltext import Key, TomlText

# -- pyproject.toml ----------------------------------------------------------------------------


def parse_pyproject(text: str, path: str, loads: TomlLoads | None = None) -> FileResult:
    """PEP 621, PEP 735, Poetry (deps and groups), `[tool.uv]`, `[tool.pdm]` dev-dependencies."""
    return read_toml(text, path, _pyproject, loads)


def _pyproject(data: dict[str, Any], toml: TomlText, path: str, result: FileResult) -> None:
    project = sub_table(data, "project")
    arrays: list[tuple[Key, Any, Source]] = []
    if "dependencies" in project:
        arrays.append((("project", "dependencies"), project["dependencies"], "pep621"))
    for group, items in sub_table(project, "optional-dependencies").items():
        arrays.append((("project", "optional-dependencies", group), items, "pep621"))
    for group, items in sub_table(data, "dependency-groups").items():
        arrays.append((("dependency-groups", group), items, "pep735"))
    uv = sub_table(data, "tool", "uv")
    for uv_key in ("dev-dependencies", "constraint-dependencies", "override-dependencies"):
        if uv_key in uv:
            arrays.append((("tool", "uv", uv_key), uv[uv_key], "uv"))
    for group, items in sub_table(data, "tool", "pdm", "dev-dependencies").items():
        arrays.append((("tool", "pdm", "dev-dependencies", group), items, "pdm"))
    for key, items, source in arrays:
        _pep508_array(toml, path, key, items, source, result)
    _poetry(toml, path, sub_table(data, "tool", "poetry"), result)
    read_pixi(sub_table(data, "tool", "pixi"), toml, path, result, ("tool", "pixi"))


def _pep508_array(
    toml: TomlText, path: str, key: Key, items: Any, source: Source, result: FileResult
) -> None:
    key_line = toml.key_line(key)
    section = section_name(key)
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
    for group, body in sub_table(poetry, "group").items():
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
        declared = KeySpec(spec)
    elif isinstance(spec, dict):
        declared = KeySpec(
            spec.get("version", ""),
            _extras(spec.get("extras")),
            _poetry_marker(spec),
            _url(spec, ("git", "path", "url", "file")),
        )
    else:
        result.problem(path, line, f"{section} {name}: expected a version string or a table")
        return
    declare_key(
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


# -- Pipfile -----------------------------------------------------------------------------------

_PIPFILE_NOT_PACKAGES = {"source", "requires", "pipenv", "scripts"}


def parse_pipfile(text: str, path: str) -> FileResult:
    """`[packages]`, `[dev-packages]` and custom categories; values are pip specifiers."""
    return read_toml(text, path, _pipfile)


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
    declared = KeySpec(spec)
    if isinstance(spec, dict):
        markers = spec.get("markers")
        declared = KeySpec(
            spec.get("version", "*"),
            _extras(spec.get("extras")),
            markers if isinstance(markers, str) else None,
            _url(spec, ("git", "path", "file")),
        )
    declare_key(
        toml, path, section, name, spec, line, result, declared, pipfile_constraint, "pipfile"
    )
