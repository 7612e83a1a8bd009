"""The rule registry: every `dvfNNN_*.py` module in this package, in code order.

A rule is a module with a docstring (its documentation), `CODE`, `NAME`, `SEVERITY`,
`DEFAULT_ENABLED` and `check(ctx)`; optionally `fix(ctx, diagnostics)` for safe `--fix` edits.
"""

from __future__ import annotations

import importlib
import pkgutil
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


def _discover() -> tuple[Rule, ...]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if _RULE_MODULE.match(m.name))
    return tuple(cast(Rule, importlib.import_module(f"{__name__}.{name}")) for name in names)


RULES: tuple[Rule, ...] = _discover()


def by_code(code: str) -> Rule | None:
    return next((r for r in RULES if code.upper() == r.CODE), None)


def codes(rules: Iterable[Rule] = RULES) -> list[str]:
    return [r.CODE for r in rules]
