"""`--output-format text`: `path:line:col: CODE message` and an indented `help:` line.

Repeated findings of one code and cause (see `grouping`) show the first few and a count, with
the fix once; `--verbose` lists every finding. A fix already printed for an earlier finding (one
`dvc repro` fixes several findings) is not printed again: a note names where it stands, so that
the `help:` lines, run in order, are each fix once.
"""

from __future__ import annotations

from collections.abc import Sequence

from dvcflow.diagnostics import Diagnostic
from dvcflow.reporters import Run
from dvcflow.reporters.escape import backslash, paint, printable
from dvcflow.reporters.grouping import SHOWN, group

UNENCODABLE = backslash


def render(run: Run) -> str:
    if not run.diagnostics:
        return "All checks passed.\n"
    lines: list[str] = []
    printed: dict[str, str] = {}  # fix -> where it was printed
    for members in group(run.diagnostics, run.verbose):
        lines.extend(_group(members, run.color, printed))
    lines.append(summary(run.diagnostics))
    return "\n".join(lines) + "\n"


def _group(members: list[Diagnostic], color: bool, printed: dict[str, str]) -> list[str]:
    """A finding and its help; or a group's first few findings (each with its help, or the one
    help they share at the end) and the count of the rest."""
    shown = members[:SHOWN]
    shared = len({d.fix for d in members}) == 1 and len(members) > 1
    lines: list[str] = []
    for d in shown:
        lines.append(_finding(d, color))
        if d.fix and not shared:
            lines.append(_help(d, color, printed))
    if len(members) > len(shown):
        lines.append(
            f"  ... and {len(members) - len(shown)} more {printable(members[0].code)} findings "
            "like these (--verbose lists them all)"
        )
    if shared and members[0].fix:
        lines.append(_help(members[0], color, printed))
    return lines


def _finding(d: Diagnostic, color: bool) -> str:
    code = paint(printable(d.code), "1;31" if d.severity == "error" else "1;33", color)
    location = paint(printable(d.location), "1", color)
    return f"{location}: {code} {printable(d.message)}"


def _help(d: Diagnostic, color: bool, printed: dict[str, str]) -> str:
    assert d.fix is not None
    if d.fix in printed:
        return f"  (fix: the same as for the finding at {printable(printed[d.fix])} above)"
    printed[d.fix] = d.location
    return f"  {paint('help:', '1;36', color)} {printable(d.fix)}"


def summary(diagnostics: Sequence[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    return (
        f"Found {len(diagnostics)} finding{'s' * (len(diagnostics) != 1)} "
        f"({errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)})."
    )
