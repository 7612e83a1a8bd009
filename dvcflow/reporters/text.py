"""`--output-format text`: `path:line:col: CODE message` and an indented `help:` line."""

from __future__ import annotations

from collections.abc import Sequence

from dvcflow.diagnostics import Diagnostic
from dvcflow.reporters import Run
from dvcflow.reporters.escape import backslash, paint, printable

UNENCODABLE = backslash


def render(run: Run) -> str:
    if not run.diagnostics:
        return "All checks passed.\n"
    lines: list[str] = []
    for d in run.diagnostics:
        lines.append(_finding(d, run.color))
        if d.fix:
            lines.append(_help(d.fix, run.color))
    lines.append(summary(run.diagnostics))
    return "\n".join(lines) + "\n"


def _finding(d: Diagnostic, color: bool) -> str:
    code = paint(printable(d.code), "1;31" if d.severity == "error" else "1;33", color)
    location = paint(printable(d.location), "1", color)
    return f"{location}: {code} {printable(d.message)}"


def _help(fix: str, color: bool) -> str:
    return f"  {paint('help:', '1;36', color)} {printable(fix)}"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    return (
        f"Found {len(diagnostics)} finding{'s' * (len(diagnostics) != 1)} "
        f"({errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)})."
    )
