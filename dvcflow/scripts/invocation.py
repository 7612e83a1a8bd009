"""What the command scanner finds: an `Invocation` (one local file a command runs), its language,
and the `Scanner` interface the runners call back into."""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol

if TYPE_CHECKING:
    from dvcflow.scripts.shell import Command, Shell

Language = Literal["python", "notebook", "document", "r", "julia", "shell", "other", "data"]
IsFile = Callable[[str], bool]

LISTED = "deps"  # the runner of a Python module a stage lists in deps (read for its imports)
SOURCING = frozenset({"source", "."})  # runners that read a file into the running shell

_SUFFIX_LANGUAGE: dict[str, Language] = {
    ".py": "python",
    ".ipynb": "notebook",
    ".qmd": "document",
    ".rmd": "document",
    ".r": "r",
    ".jl": "julia",
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
}


class Invocation(NamedTuple):
    """One local file a command runs."""

    runner: str  # how it is run: "python", "python -m", "Rscript", "bash", "./file", ...
    script: str  # repo-relative posix path of the file
    cwd: str  # repo-relative folder the command runs in
    language: Language  # how to read its own dependencies (imports, source(), ...)
    pythonpath: tuple[str, ...] = ()  # repo-relative folders from PYTHONPATH in the command
    module: str | None = None  # `python -m <module>`
    module_root: str | None = None  # the folder the module was found in


def language_of(path: str, runner_default: Language = "other") -> Language:
    """The language of a file by suffix (`.py`, `.ipynb`, `.R`, `.qmd`, `.jl`, `.sh`, ...)."""
    suffix = posixpath.splitext(path)[1].lower()
    return _SUFFIX_LANGUAGE.get(suffix, runner_default)


class Scanner(Protocol):
    """What a runner asks of the command scanner (dvcflow.scripts.scanner.CommandScanner)."""

    def found(
        self, runner: str, token: str | None, command: Command, default: Language
    ) -> list[Invocation]: ...

    def dispatch(self, command: Command) -> list[Invocation]: ...

    def scan_line(
        self, line: str, shell: Shell, script_dir: str | None = None
    ) -> list[Invocation]: ...

    def pythonpath(self, command: Command) -> tuple[str, ...]: ...

    def find_module(self, module: str, command: Command) -> tuple[str, str] | None: ...
