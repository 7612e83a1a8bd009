"""conda's environment.yml (and its `pip:` list), read with ruamel.yaml (`dvcflow.dvc.yamlio`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dvcflow.dvc.yamlio import YamlError, load_yaml, position
from dvcflow.requirements.model import (
    named_declaration,
    parse_conda_spec,
)
from dvcflow.requirements.requirements_txt import parse_lines
from dvcflow.requirements.result import FileResult

# -- conda -------------------------------------------------------------------------------------


def parse_environment_yml(text: str, path: str) -> FileResult:
    """conda `dependencies:` specs and the `pip:` list (requirements-file lines)."""
    return read_yaml(text, path, _environment)


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


def read_yaml(
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
