"""`--output-format json`: every finding as a JSON object (Diagnostic's fields), in a list."""

from __future__ import annotations

import json

from dvcflow.reporters import Run
from dvcflow.reporters.escape import json_escape, json_safe

UNENCODABLE = json_escape


def render(run: Run) -> str:
    text = json.dumps([d.to_dict() for d in run.diagnostics], indent=2, ensure_ascii=False)
    return json_safe(text) + "\n"
