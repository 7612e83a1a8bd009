"""`--output-format github`: GitHub Actions workflow commands (`::error file=..::message`)."""

from __future__ import annotations

from dvcflow.reporters import Run
from dvcflow.reporters.escape import backslash, printable

UNENCODABLE = backslash


def _escape(value: str, property_value: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def render(run: Run) -> str:
    lines = []
    for d in run.diagnostics:
        level = "error" if d.severity == "error" else "warning"
        props = [f"file={_escape(printable(d.path), True)}"]
        if d.line:
            props += [f"line={d.line}", f"col={d.column or 1}"]
        props.append(f"title={_escape(printable(f'{d.code} {d.name}'), True)}")
        # Control characters made printable first: the only line break left is the reporter's.
        message = printable(d.message) + (f"\nhelp: {printable(d.fix)}" if d.fix else "")
        lines.append(f"::{level} {','.join(props)}::{_escape(message)}")
    return "".join(line + "\n" for line in lines)
