"""The one thing every rule produces: a finding at a place in a file, with its fix."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

Severity = Literal["error", "warning"]


class Diagnostic(NamedTuple):
    path: str  # repo-relative, posix
    line: int  # 1-based; 0 for a whole file
    column: int  # 1-based; 0 for a whole file
    code: str  # "DVF101"
    name: str  # "script-not-in-deps"
    severity: Severity
    stage: str | None  # as DVC names it: "train@1", "sub/dvc.yaml:train"
    target: str | None  # the file, param key or package the finding is about
    message: str
    fix: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self._asdict())

    @property
    def location(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.column or 1}"
        return self.path


class RuleId:
    """A rule's identity; `at()` builds its findings so rules never repeat code or name."""

    code: str
    name: str
    severity: Severity

    __slots__ = ("code", "name", "severity")

    def __init__(self, code: str, name: str, severity: Severity = "error") -> None:
        self.code = code
        self.name = name
        self.severity = severity

    def at(
        self,
        path: str,
        line: int,
        column: int,
        message: str,
        *,
        fix: str | None = None,
        stage: str | None = None,
        target: str | None = None,
        severity: Severity | None = None,
    ) -> Diagnostic:
        return Diagnostic(
            path=path,
            line=line,
            column=column if line else 0,
            code=self.code,
            name=self.name,
            severity=severity or self.severity,
            stage=stage,
            target=target,
            message=message,
            fix=fix,
        )
