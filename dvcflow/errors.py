"""Errors that stop a run with exit code 2: usage, configuration, unreadable input."""

from __future__ import annotations


class DvcflowError(Exception):
    """A problem dvcflow cannot turn into a finding; reported on one line, exit 2."""

    def __init__(self, message: str, path: str | None = None, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        if self.path and self.line:
            return f"{self.path}:{self.line}: {self.message}"
        if self.path:
            return f"{self.path}: {self.message}"
        return self.message


class NotAGitRepository(DvcflowError):
    pass


class MissingExtra(DvcflowError):
    """An optional dependency (dvc, mlflow) is needed by the selected rules but not installed."""

    def __init__(self, package: str, extra: str, needed_for: str) -> None:
        super().__init__(
            f"{needed_for} needs the '{package}' package: "
            f"pip install 'dvcflow[{extra}]' (or add it to additional_dependencies)"
        )
