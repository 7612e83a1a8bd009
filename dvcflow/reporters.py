"""Output formats, one function each behind `report()`: text, json, github, sarif."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from dvcflow import __version__
from dvcflow.diagnostics import Diagnostic

FORMATS = ("text", "json", "github", "sarif")
DOCS_URL = "https://github.com/dvcflow/dvcflow#rules"


def use_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


# C0 and C1 control characters, DEL, and the bidirectional overrides and isolates that reorder
# what a terminal shows: a stage name, path or value read from a file must not drive the
# terminal (or the CI log) that prints it.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(match: re.Match[str]) -> str:
    char = match[0]
    if char in _NAMED:
        return _NAMED[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def printable(text: str) -> str:
    """Control characters written as Python's repr writes them (`\\x1b`, `\\r`); other
    characters, unicode included, unchanged."""
    return _UNSAFE.sub(_escape_char, text)


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _json_safe(text: str) -> str:
    """`json.dumps` escapes C0 controls but writes DEL, C1 and bidi controls raw: escape those
    as `\\u` sequences (safe on the whole document: they occur only inside its strings)."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def format_text(diagnostics: Sequence[Diagnostic], color: bool = False) -> str:
    if not diagnostics:
        return "All checks passed.\n"
    lines: list[str] = []
    for d in diagnostics:
        code = _paint(printable(d.code), "1;31" if d.severity == "error" else "1;33", color)
        location = _paint(printable(d.location), "1", color)
        lines.append(f"{location}: {code} {printable(d.message)}")
        if d.fix:
            lines.append(f"  {_paint('help:', '1;36', color)} {printable(d.fix)}")
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    lines.append(
        f"Found {len(diagnostics)} finding{'s' * (len(diagnostics) != 1)} "
        f"({errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)})."
    )
    return "\n".join(lines) + "\n"


def format_json(diagnostics: Sequence[Diagnostic], color: bool = False) -> str:
    text = json.dumps([d.to_dict() for d in diagnostics], indent=2, ensure_ascii=False)
    return _json_safe(text) + "\n"


def _github_escape(value: str, property_value: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        value = value.replace(":", "%3A").replace(",", "%2C")
    return value


def format_github(diagnostics: Sequence[Diagnostic], color: bool = False) -> str:
    lines = []
    for d in diagnostics:
        level = "error" if d.severity == "error" else "warning"
        props = [f"file={_github_escape(printable(d.path), True)}"]
        if d.line:
            props += [f"line={d.line}", f"col={d.column or 1}"]
        props.append(f"title={_github_escape(printable(f'{d.code} {d.name}'), True)}")
        # Control characters made printable first: the only line break left is the reporter's.
        message = printable(d.message) + (f"\nhelp: {printable(d.fix)}" if d.fix else "")
        lines.append(f"::{level} {','.join(props)}::{_github_escape(message)}")
    return "".join(line + "\n" for line in lines)


def format_sarif(diagnostics: Sequence[Diagnostic], color: bool = False) -> str:
    from dvcflow.rules import RULES

    rules: list[dict[str, Any]] = [
        {
            "id": rule.CODE,
            "name": rule.NAME,
            "shortDescription": {"text": _summary(rule.__doc__)},
            "fullDescription": {"text": (rule.__doc__ or "").strip()},
            "helpUri": f"{DOCS_URL}",
            "defaultConfiguration": {"level": rule.SEVERITY},
        }
        for rule in RULES
    ]
    index = {str(rule["id"]): i for i, rule in enumerate(rules)}
    results = [_sarif_result(d, index) for d in diagnostics]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dvcflow",
                        "version": __version__,
                        "informationUri": DOCS_URL,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return _json_safe(json.dumps(sarif, indent=2, ensure_ascii=False)) + "\n"


def _sarif_result(d: Diagnostic, index: dict[str, int]) -> dict[str, Any]:
    region = {"startLine": d.line, "startColumn": d.column or 1} if d.line else {"startLine": 1}
    message = d.message + (f" Fix: {d.fix}" if d.fix else "")
    result: dict[str, Any] = {
        "ruleId": d.code,
        "level": "error" if d.severity == "error" else "warning",
        "message": {"text": message},
        "locations": [
            {"physicalLocation": {"artifactLocation": {"uri": d.path}, "region": region}}
        ],
    }
    if d.code in index:
        result["ruleIndex"] = index[d.code]
    return result


def _summary(doc: str | None) -> str:
    first = (doc or "").strip().splitlines()[0] if doc else ""
    return first.split(": ", 1)[-1]


REPORTERS: dict[str, Callable[[Sequence[Diagnostic], bool], str]] = {
    "text": format_text,
    "json": format_json,
    "github": format_github,
    "sarif": format_sarif,
}


def report(diagnostics: Sequence[Diagnostic], output_format: str, stream: TextIO) -> None:
    stream.write(REPORTERS[output_format](diagnostics, use_color(stream)))
    stream.flush()
