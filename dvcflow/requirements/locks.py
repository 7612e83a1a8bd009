"""Lock files: poetry.lock, uv.lock, pdm.lock, pylock.toml, Pipfile.lock, conda-lock.yml.

Their entries pin by construction.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dvcflow.dvc.yamlio import position
from dvcflow.requirements.conda import read_yaml
from dvcflow.requirements.model import (
    Declaration,
    exact_constraint,
    named_declaration,
    pep440_constraint,
)
from dvcflow.requirements.result import FileResult, TomlLoads, read_toml
from dvcflow.requirements.tomltext import TomlText

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


def parse_toml_lock(text: str, path: str, loads: TomlLoads | None = None) -> FileResult:
    """poetry.lock, uv.lock, pdm.lock (`[[package]]`) and PEP 751 pylock.toml (`[[packages]]`)."""
    return read_toml(text, path, _toml_lock, loads)


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
    return read_yaml(text, path, _conda_lock)


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
