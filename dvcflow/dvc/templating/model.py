"""What the templating package returns and raises: resolved stages, errors, keypaths."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Keypath = tuple[str | int, ...]
ReadText = Callable[[str], str]

VARS_KWD = "vars"
WDIR_KWD = "wdir"
STAGES_KWD = "stages"
FOREACH_KWD = "foreach"
MATRIX_KWD = "matrix"
DO_KWD = "do"
JOIN = "@"
ITEM = "item"
KEY = "key"


@dataclass(frozen=True)
class ResolvedStage:
    """One stage as DVC's resolver returns it, `foreach`/`matrix` expanded, `vars` consumed."""

    name: str  # "train", "train@0", "train@us", "grid@a-1"
    definition: str  # the key under `stages:` it came from
    body: dict[str, Any]  # the resolved stage (plain data)
    vars_files: tuple[str, ...] = ()  # repo-relative vars files read for it (incl. params.yaml)


class TemplateError(Exception):
    """A stage (or the file's `vars`) that DVC could not resolve; `message` is DVC's reason."""

    def __init__(
        self, message: str, definition: str | None = None, keypath: tuple[str | int, ...] = ()
    ) -> None:
        super().__init__(message)
        self.message = message
        self.definition = definition
        self.keypath = tuple(keypath)

    def __repr__(self) -> str:
        return f"TemplateError({self.message!r}, {self.definition!r}, {self.keypath!r})"


class TemplatingError(Exception):
    """DVC's ContextError/ParseError family, before `format_and_raise` adds where it happened."""

    def __init__(self, message: str, keypath: Keypath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.keypath = keypath


class ResolveFailure(Exception):
    """dvc.parsing.ResolveError: the final, formatted message."""

    def __init__(self, message: str, keypath: Keypath) -> None:
        super().__init__(message)
        self.message = message
        self.keypath = keypath


def key_name(key: Any) -> str:
    return key if isinstance(key, str) else str(key)


def key_part(key: Any) -> str | int:
    """A mapping key or list index as a keypath element."""
    return key if isinstance(key, (str, int)) and not isinstance(key, bool) else str(key)
