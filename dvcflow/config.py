"""`[tool.dvcflow]` in the repository's pyproject.toml: rule selection and per-family options.

Unknown keys and wrong types are errors naming the key (exit 2), so a typo never silently
turns a check off.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvcflow.errors import DvcflowError

if TYPE_CHECKING:
    from dvcflow.git.repo import GitRepo

CONFIG_FILE = "pyproject.toml"

Validator = Callable[[Any], bool]


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _one_of(*choices: str) -> Validator:
    return lambda value: value in choices


def _positive_number(value: Any) -> bool:
    """A number above 0 whose size in bytes is finite (`inf`, `nan` and `1e308` are not)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        return False
    return bool(value * 1024 * 1024 < math.inf)


def _string(value: Any) -> bool:
    return isinstance(value, str)


def _boolean(value: Any) -> bool:
    return isinstance(value, bool)


class Option:
    default: Any
    valid: Validator
    expected: str

    __slots__ = ("default", "expected", "valid")

    def __init__(self, default: Any, valid: Validator, expected: str) -> None:
        self.default = default
        self.valid = valid
        self.expected = expected


TOP_LEVEL: dict[str, Option] = {
    "select": Option(None, _str_list, "a list of rule codes or prefixes"),
    "ignore": Option([], _str_list, "a list of rule codes or prefixes"),
    "max-file-size-mb": Option(20, _positive_number, "a positive number"),
}

# Options of each rule family, as `[tool.dvcflow.<section>]`.
SECTIONS: dict[str, dict[str, Option]] = {
    "deps": {
        "imports": Option(
            "transitive", _one_of("transitive", "direct", "off"), '"transitive", "direct" or "off"'
        ),
    },
    "stale": {
        "ignore-stages": Option([], _str_list, "a list of stage names"),
    },
    "pin": {
        "packages": Option(["dvc"], _str_list, "a list of package names"),
    },
    "data": {
        "large-file-kb": Option(500, _positive_number, "a positive number of KB"),
        "unreachable": Option("error", _one_of("error", "warning"), '"error" or "warning"'),
        "remote-timeout": Option(30, _positive_number, "a number of seconds"),
    },
    "mlflow": {
        "tracking-uri": Option(None, _string, "a string"),
        "experiments": Option([], _str_list, "a list of experiment names"),
        "match": Option(
            "parent-commit",
            _one_of("parent-commit", "since-parent"),
            '"parent-commit" or "since-parent"',
        ),
        "timeout": Option(2.0, _positive_number, "a number of seconds"),
        "enabled": Option(True, _boolean, "true or false"),
    },
}


class Config:
    def __init__(
        self,
        path: str | None = None,  # where it was read from, for messages
        select: list[str] | None = None,
        ignore: list[str] | None = None,
        max_file_size_mb: float = 20,
        sections: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.path = path
        self.select = select
        self.ignore: list[str] = [] if ignore is None else ignore
        self.max_file_size_mb = max_file_size_mb
        self.sections: dict[str, dict[str, Any]] = {} if sections is None else sections

    def option(self, section: str, key: str) -> Any:
        values = self.sections.get(section, {})
        return values[key] if key in values else SECTIONS[section][key].default


def load_config(root: Path, repo: GitRepo | None = None) -> Config:
    """[tool.dvcflow] of pyproject.toml; its parse is shared with the run's `repo` (where the
    dependency rules read pyproject.toml too: GitRepo.parsed)."""
    path = root / CONFIG_FILE
    if not path.is_file():
        return Config()
    if sys.version_info >= (3, 11):  # imported here: it compiles its regexps when imported
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        text = path.read_text(encoding="utf-8")
        loads = tomllib.loads
        data = repo.parsed((loads, text), lambda: loads(text)) if repo else loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", 0)
        raise DvcflowError(f"invalid TOML: {str(exc).split(' (at')[0]}", CONFIG_FILE, line) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DvcflowError(f"cannot read: {exc}", CONFIG_FILE) from exc
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, arrays nested too deep
        raise DvcflowError(f"cannot read: {str(exc).split(';')[0]}", CONFIG_FILE) from exc
    tool = data.get("tool", {})
    table = tool.get("dvcflow", {}) if isinstance(tool, dict) else {}  # `tool = 5`: not ours
    if not isinstance(table, dict):
        raise DvcflowError("[tool.dvcflow] must be a table", CONFIG_FILE)
    return _parse(table)


def _check(where: str, key: str, option: Option, value: Any) -> Any:
    if not option.valid(value):
        raise DvcflowError(f"{where}.{key} must be {option.expected}, got {value!r}", CONFIG_FILE)
    return value


def _parse(table: dict[str, Any]) -> Config:
    config = Config(path=CONFIG_FILE)
    for key, value in table.items():
        if key in SECTIONS:
            config.sections[key] = _parse_section(key, value)
        elif key in TOP_LEVEL:
            _check("tool.dvcflow", key, TOP_LEVEL[key], value)
        else:
            known = ", ".join(sorted([*TOP_LEVEL, *SECTIONS]))
            raise DvcflowError(f"unknown key tool.dvcflow.{key} (known: {known})", CONFIG_FILE)
    config.select = table.get("select")
    config.ignore = list(table.get("ignore", []))
    config.max_file_size_mb = table.get("max-file-size-mb", 20)
    return config


def _parse_section(name: str, value: Any) -> dict[str, Any]:
    where = f"tool.dvcflow.{name}"
    if not isinstance(value, dict):
        raise DvcflowError(f"[{where}] must be a table", CONFIG_FILE)
    options = SECTIONS[name]
    for key, item in value.items():
        if key not in options:
            known = ", ".join(sorted(options))
            raise DvcflowError(f"unknown key {where}.{key} (known: {known})", CONFIG_FILE)
        _check(where, key, options[key], item)
    return dict(value)
