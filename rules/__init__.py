"""The rule registry: every `<family>/dvfNNN_*.py` module, in code order, imported lazily.

Each family is a folder (`deps/` DVF1, `stale/` DVF2, `lock/` DVF3, `pin/` DVF4) holding its
rules and the analysis they share; one family is one hook id in `.pre-commit-hooks.yaml`.

A rule is a module with a docstring (its documentation), `CODE`, `NAME`, `SEVERITY`,
`DEFAULT_ENABLED` and `check(ctx)`; optionally `fix(ctx, diagnostics)` for safe `--fix` edits.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol, cast

if TYPE_CHECKING:
    from dvcflow.context import Context
    from dvcflow.diagnostics import Diagnostic, Severity

_RULE_MODULE = re.compile(r"^dvf\d{3}_\w+$")


class Rule(Protocol):
    __doc__: str | None
    CODE: str
    NAME: str
    SEVERITY: Severity
    DEFAULT_ENABLED: bool

    def check(self, ctx: Context) -> Iterator[Diagnostic]: ...


def _names() -> list[tuple[str, str]]:
    """(code, `family.module`) of every rule module, found without importing any (a listing
    of the folders: pkgutil.iter_modules costs ~6% of a commit's run)."""
    found = []
    for family in os.scandir(__path__[0]):
        if not family.is_dir() or not os.path.isfile(os.path.join(family.path, "__init__.py")):
            continue
        for entry in os.listdir(family.path):
            module, suffix = os.path.splitext(entry)
            if suffix == ".py" and _RULE_MODULE.match(module):
                found.append((module[:6].upper(), f"{family.name}.{module}"))
    return sorted(found)


_MODULES: dict[str, str] = dict(_names())  # DVF101 -> "deps.dvf101_script_not_in_deps"
CODES: tuple[str, ...] = tuple(_MODULES)  # every rule's code, in order, without importing it

# Every rule module, imported on first use (`RULES`): a rule imports its family's engine
# modules, so a run selecting one family imports only that family's rules (see `load`).
RULES: tuple[Rule, ...]


def load(code: str) -> Rule:
    """Import one rule module by its code (`DVF101`)."""
    rule = cast(Rule, importlib.import_module(f"{__name__}.{_MODULES[code]}"))
    if code != rule.CODE:
        raise ImportError(f"{_MODULES[code]} declares CODE = {rule.CODE!r}, not {code!r}")
    return rule


def __getattr__(name: str) -> tuple[Rule, ...]:
    if name == "RULES":
        rules = tuple(load(code) for code in CODES)
        globals()["RULES"] = rules
        return rules
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def by_code(code: str) -> Rule | None:
    return load(code.upper()) if code.upper() in _MODULES else None


def family(code: str) -> str:
    """The folder a rule lives in (`deps` for DVF101); its hook id is `dvcflow-<family>`."""
    return _MODULES[code.upper()].split(".", 1)[0]


def prefixes() -> list[str]:
    """Every family's code prefix (`DVF1`, `DVF2`, ...), from the rules found."""
    return sorted({code[:4] for code in CODES})


def codes(rules: Iterable[Rule] | None = None) -> list[str]:
    return list(CODES) if rules is None else [r.CODE for r in rules]
