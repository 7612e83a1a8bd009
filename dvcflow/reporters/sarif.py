"""`--output-format sarif`: SARIF 2.1.0, one run, every rule described, every finding a result."""

from __future__ import annotations

import json
from typing import Any

from dvcflow import __version__
from dvcflow.diagnostics import Diagnostic
from dvcflow.reporters import Run
from dvcflow.reporters.escape import json_escape, json_safe

UNENCODABLE = json_escape
DOCS_URL = "https://github.com/dvcflow/dvcflow#rules"


def render(run: Run) -> str:
    from dvcflow.rules import RULES

    rules: list[dict[str, Any]] = [
        {
            "id": rule.CODE,
            "name": rule.NAME,
            "shortDescription": {"text": summary_line(rule.__doc__)},
            "fullDescription": {"text": (rule.__doc__ or "").strip()},
            "helpUri": f"{DOCS_URL}",
            "defaultConfiguration": {"level": rule.SEVERITY},
        }
        for rule in RULES
    ]
    index = {str(rule["id"]): i for i, rule in enumerate(rules)}
    results = [_result(d, index) for d in run.diagnostics]
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
    return json_safe(json.dumps(sarif, indent=2, ensure_ascii=False)) + "\n"


def _result(d: Diagnostic, index: dict[str, int]) -> dict[str, Any]:
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


def summary_line(doc: str | None) -> str:
    """A rule docstring's first line without its `CODE name: ` prefix."""
    first = (doc or "").strip().splitlines()[0] if doc else ""
    return first.split(": ", 1)[-1]
