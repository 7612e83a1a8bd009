"""`--output-format gitlab`: a GitLab Code Quality report (the `codequality` artifact).

A JSON list of issues, each with `description`, `check_name`, `fingerprint`, `severity` and
`location.path` / `location.lines.begin`. The fingerprint is stable across runs: it hashes the
code, the file, the stage and the target (what the finding is about), not the line (which moves
when lines are added above) nor the message (which may name hashes that change), and counts
repeats so that two findings never share one.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

from dvcflow.diagnostics import Diagnostic
from dvcflow.reporters import Run
from dvcflow.reporters.escape import json_escape, json_safe

UNENCODABLE = json_escape
SEVERITY = {"error": "major", "warning": "minor"}


def render(run: Run) -> str:
    seen: Counter[str] = Counter()
    issues = []
    for d in run.diagnostics:
        identity = "\0".join((d.code, d.path, d.stage or "", d.target or ""))
        seen[identity] += 1
        issues.append(_issue(d, f"{identity}\0{seen[identity]}"))
    return json_safe(json.dumps(issues, indent=2, ensure_ascii=False)) + "\n"


def _issue(d: Diagnostic, identity: str) -> dict[str, Any]:
    description = f"{d.code} {d.message}" + (f" Fix: {d.fix}" if d.fix else "")
    return {
        "type": "issue",
        "description": description,
        "check_name": d.code,
        "categories": ["Bug Risk"],
        "fingerprint": hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest(),
        "severity": SEVERITY.get(d.severity, "minor"),
        "location": {"path": d.path, "lines": {"begin": max(d.line, 1)}},
    }
