"""What a dependency file declares: `FileResult`, and the TOML reading the formats share.

Each parser takes a file's text and repo-relative path and returns a `FileResult`: the
declarations it makes, the problems that stop it being read (with their line), and the
requirements files it includes (setup.cfg `file:`, an environment.yml `pip:` `-r`).
The parsers, one module per family: `pyproject` (PEP 621/735, Poetry, uv, PDM, Pipfile),
`setuptools` (setup.cfg, setup.py), `conda` (environment.yml, conda-lock), `locks`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from dvcflow.requirements.model import (
    Constraint,
    Declaration,
    DeclProblem,
    Source,
    from_requirement,
    named_declaration,
    requirement_or_error,
)
from dvcflow.requirements.requirements_txt import Include, ParsedFile
from dvcflow.requirements.tomltext import Key, TomlText, error_position

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class FileResult:
    def __init__(self, opaque: bool = False) -> None:
        self.declarations: list[Declaration] = []
        self.problems: list[DeclProblem] = []
        self.includes: list[Include] = []
        self.opaque = opaque  # declares dependencies dvcflow cannot read statically (setup.py)

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
TomlLoads = Callable[[str], dict[str, Any]]  # tomllib.loads, or a run's shared parses of it
toml_loads: TomlLoads = tomllib.loads  # the parser Snapshot.parsed_text shares TOML under


def read_toml(
    text: str,
    path: str,
    read: Callable[[dict[str, Any], TomlText, str, FileResult], None],
    loads: TomlLoads | None = None,
) -> FileResult:
    """A TOML file's result: its syntax error, or what `read(data, toml, path, result)` finds.

    `loads` is tomllib's, or the run's shared parses of it (Snapshot.parsed_text)."""
    result = FileResult()
    try:
        data = (loads or tomllib.loads)(text)
    except tomllib.TOMLDecodeError as exc:
        message, line, column = error_position(exc, text)
        result.problem(
            path, line, f"{path} is not valid TOML ({message})", column=column, whole_file=True
        )
        return result
    read(data, TomlText(text), path, result)
    return result


def sub_table(data: Any, *keys: str) -> dict[str, Any]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


def section_name(key: Key) -> str:
    return f"[{'.'.join(key[:-1])}].{key[-1]}" if len(key) > 1 else key[0]


class KeySpec:
    """What a TOML dependency entry `name = spec` (Poetry, Pipfile, pixi) declares."""

    version: Any  # should be a string; anything else is a problem
    extras: tuple[str, ...]
    marker: str | None
    url: str | None

    __slots__ = ("extras", "marker", "url", "version")

    def __init__(
        self,
        version: Any,
        extras: tuple[str, ...] = (),
        marker: str | None = None,
        url: str | None = None,
    ) -> None:
        self.version = version
        self.extras = extras
        self.marker = marker
        self.url = url


def declare_key(
    toml: TomlText,
    path: str,
    section: str,
    name: str,
    spec: Any,
    line: int,
    result: FileResult,
    declared: KeySpec,
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
