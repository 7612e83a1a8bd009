"""What the templating package returns and raises: resolved stages, errors, keypaths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Keypath = tuple[str | int, ...]
Origin = tuple[str, int, int]  # a repo-relative path, a 1-based line and column (0: unknown)
# Reads a params/vars file (repo-relative posix path) as dvcflow.dvc.params.parse_params does:
# FileNotFoundError if absent, ParamsError if DVC cannot parse it; the data is read-only.
ReadParams = Callable[[str], dict[str, Any]]

VARS_KWD = "vars"
WDIR_KWD = "wdir"
STAGES_KWD = "stages"
FOREACH_KWD = "foreach"
MATRIX_KWD = "matrix"
DO_KWD = "do"
JOIN = "@"
ITEM = "item"
KEY = "key"

# A `foreach` or `matrix` that would generate more stages than this is a resolve error (DVF105),
# counted before anything is expanded: DVC itself takes hours, or runs out of memory, on a
# 9-axis x 10-value matrix (a billion stages); real pipelines stay in the hundreds.
MAX_GENERATED_STAGES = 10_000


class ResolvedStage:
    """One stage as DVC's resolver returns it, `foreach`/`matrix` expanded, `vars` consumed."""

    name: str  # "train", "train@0", "train@us", "grid@a-1"
    definition: str  # the key under `stages:` it came from
    body: dict[str, Any]  # the resolved stage (plain data)
    vars_files: tuple[str, ...]  # repo-relative vars files read for it (incl. params.yaml)

    __slots__ = ("body", "definition", "name", "vars_files")

    def __init__(
        self, name: str, definition: str, body: dict[str, Any], vars_files: tuple[str, ...] = ()
    ) -> None:
        self.name = name
        self.definition = definition
        self.body = body
        self.vars_files = vars_files


class TemplateError(Exception):
    """A stage (or the file's `vars`) that DVC could not resolve; `message` is DVC's reason."""

    def __init__(
        self,
        message: str,
        definition: str | None = None,
        keypath: tuple[str | int, ...] = (),
        origin: Origin | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.definition = definition
        self.keypath = tuple(keypath)
        self.origin = origin  # (file, line, column) of the cause in another file (a vars file)

    def __repr__(self) -> str:
        return f"TemplateError({self.message!r}, {self.definition!r}, {self.keypath!r})"


class TemplatingError(Exception):
    """DVC's ContextError/ParseError family, before `format_and_raise` adds where it happened."""

    def __init__(self, message: str, keypath: Keypath = (), origin: Origin | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.keypath = keypath
        self.origin = origin


class ResolveFailure(Exception):
    """dvc.parsing.ResolveError: the final, formatted message."""

    def __init__(self, message: str, keypath: Keypath, origin: Origin | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.keypath = keypath
        self.origin = origin


def key_name(key: Any) -> str:
    return key if isinstance(key, str) else str(key)


def key_part(key: Any) -> str | int:
    """A mapping key or list index as a keypath element."""
    return key if isinstance(key, (str, int)) and not isinstance(key, bool) else str(key)
