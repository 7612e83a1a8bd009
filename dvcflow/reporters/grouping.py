"""Repeated findings of one code and one cause, grouped for the formats a person reads.

Two findings have one cause when their code is the same and their messages are the same once
the names in them are set aside: quoted names (`'train@1'`, `` `x` ``), paths and numbers. A
group is shown as its first few findings and a count, at the place of its first finding.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dvcflow.diagnostics import Diagnostic

SHOWN = 3  # findings a group shows before its count

_NAMES = re.compile(
    r"'[^']*'|`[^`]*`|\"[^\"]*\""  # quoted
    r"|[\w.@+~-]*/[\w./@+~-]*"  # a path with a folder
    r"|\b[\w@+~-]+\.[A-Za-z]\w*\b"  # a file name with an extension
    r"|\d+"
)


def cause(d: Diagnostic) -> tuple[str, str]:
    """The code and the message with its names (quoted names, paths, numbers) masked."""
    return (d.code, _NAMES.sub("…", d.message))


def group(diagnostics: Sequence[Diagnostic], verbose: bool = False) -> list[list[Diagnostic]]:
    """The findings in order, those sharing a cause gathered at the first one's place; a cause
    with at most SHOWN findings (or every finding, under `verbose`) stays one finding a group."""
    if verbose:
        return [[d] for d in diagnostics]
    by_cause: dict[tuple[str, str], list[Diagnostic]] = {}
    for d in diagnostics:
        by_cause.setdefault(cause(d), []).append(d)
    groups: list[list[Diagnostic]] = []
    for members in by_cause.values():
        if len(members) > SHOWN:
            groups.append(members)
        else:
            groups.extend([d] for d in members)
    order = {id(d): i for i, d in enumerate(diagnostics)}
    return sorted(groups, key=lambda members: order[id(members[0])])
