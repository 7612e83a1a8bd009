"""pixi: `pixi.toml` (or `[tool.pixi]` in pyproject.toml) and `pixi.lock`.

pixi declares conda packages (`[dependencies]`, MatchSpec versions such as `"~=3.30"`,
`"3.60.0.*"`, `"==3.60.0"`) and PyPI packages (`[pypi-dependencies]`, PEP 440), at the top
level, per feature (`[feature.NAME.dependencies]`) and per platform (`[target.PLATFORM...]`).
`pixi.lock` pins every package of every environment: a conda entry names its archive
(`- conda: https://.../dvc-3.60.0-pyhd8ed1ab_0.conda`), a PyPI entry has `name:` and `version:`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from dvcflow.dvc.yamlio import YamlError, load_yaml
from dvcflow.requirements.model import (
    Constraint,
    conda_constraint,
    named_declaration,
    pipfile_constraint,
)
from dvcflow.requirements.result import FileResult, KeySpec, declare_key, read_toml
from dvcflow.requirements.tomltext import Key, TomlText

_CONDA_TABLES = ("dependencies", "host-dependencies", "build-dependencies")
_ARCHIVE = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<build>[^-]+)\.(conda|tar\.bz2)$")
_LOCK_ENTRY = re.compile(r"^- (?:conda|pypi): (?P<url>\S+)")


def parse_pixi_toml(text: str, path: str) -> FileResult:
    return read_toml(text, path, lambda data, toml, p, result: read_pixi(data, toml, p, result, ()))


def read_pixi(
    data: dict[str, Any], toml: TomlText, path: str, result: FileResult, prefix: Key
) -> None:
    """Every dependency table of a pixi manifest (`prefix`: where it sits, `("tool", "pixi")`)."""
    for where, table in _dependency_tables(data):
        for name, spec in table.items():
            key = (*prefix, *where, name)
            _declare(toml, path, ".".join((*prefix, *where)), name, spec, key, result)


def _dependency_tables(data: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    scopes: list[tuple[tuple[str, ...], Any]] = [((), data)]
    for group in ("feature", "target"):
        for name, body in _items(data.get(group)):
            scopes.append(((group, name), body))
            for platform, nested in _items(body.get("target") if isinstance(body, dict) else None):
                scopes.append(((group, name, "target", platform), nested))
    for where, body in scopes:
        if not isinstance(body, dict):
            continue
        for table in (*_CONDA_TABLES, "pypi-dependencies"):
            value = body.get(table)
            if isinstance(value, dict):
                yield (*where, table), value


def _items(value: Any) -> list[tuple[str, Any]]:
    return list(value.items()) if isinstance(value, dict) else []


def _declare(
    toml: TomlText, path: str, section: str, name: str, spec: Any, key: Key, result: FileResult
) -> None:
    pypi = key[-2] == "pypi-dependencies"
    version = spec.get("version", "*") if isinstance(spec, dict) else spec
    url = None
    if isinstance(spec, dict):
        url = next((str(spec[k]) for k in ("path", "git", "url") if k in spec), None)
    declare_key(
        toml,
        path,
        f"[{section}]",
        name,
        spec,
        toml.key_line(key),
        result,
        KeySpec(version, url=url),
        pipfile_constraint if pypi else _conda_version,
        "pixi",
    )


def _conda_version(version: str) -> Constraint | None:
    return conda_constraint(version.strip())


def parse_pixi_lock(text: str, path: str) -> FileResult:
    """Every package `pixi.lock` pins (format 4 to 6), at the line of its entry.

    Read with the C loader and located by text: a lock of every environment and platform is
    thousands of lines, and only the pinned names and versions matter.
    """
    result = FileResult()
    try:
        data = load_yaml(text).data
    except YamlError as exc:
        message = f"{path} is not valid YAML ({exc.message})"
        result.problem(path, exc.line, message, column=exc.column or 1, whole_file=True)
        return result
    packages = data.get("packages") if isinstance(data, dict) else None
    lines = _entry_lines(text)
    for entry in packages if isinstance(packages, list) else []:
        pinned = _pinned(entry)
        if pinned is None:
            continue
        name, version, url = pinned
        line = lines.get(url, 0)
        result.declarations.append(
            named_declaration(
                name,
                Constraint(f"=={version}", True, version, None),
                path=path,
                line=line,
                column=1 if line else 0,
                raw=f"{name} {version}",
                source="lock",
                section="packages",
            )
        )
    return result


def _pinned(entry: Any) -> tuple[str, str, str] | None:
    """(name, version, the entry's url) of one `packages:` item."""
    if not isinstance(entry, dict):
        return None
    url = str(entry.get("conda") or entry.get("pypi") or entry.get("url") or "")
    name, version = entry.get("name"), entry.get("version")
    if isinstance(name, str) and version is not None:
        return name, str(version), url
    archive = _ARCHIVE.match(posixpath.basename(url))
    if "conda" in entry and archive:
        return archive["name"], archive["version"], url
    return None


def _entry_lines(text: str) -> dict[str, int]:
    """url -> 1-based line of its `- conda: url` / `- pypi: url` entry (first seen)."""
    found: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _LOCK_ENTRY.match(line)
        if match:
            found.setdefault(match["url"], number)
    return found
