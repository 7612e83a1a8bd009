"""The README's rule table is generated from the rule docstrings and kept in sync."""

from __future__ import annotations

import re
from pathlib import Path

from dvcflow.rules import RULES

from dvcflow.docs import END, START, rules_table

ROOT = Path(__file__).resolve().parent.parent


def test_readme_rule_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert table == rules_table(), "run `python -m dvcflow.docs` to regenerate the table"


def test_every_rule_is_documented() -> None:
    codes = set()
    for rule in RULES:
        doc = (rule.__doc__ or "").strip()
        assert doc.startswith(f"{rule.CODE} {rule.NAME}: "), rule.CODE
        assert re.fullmatch(r"DVF[1-4]\d\d", rule.CODE) and re.fullmatch(r"[a-z-]+", rule.NAME)
        assert rule.SEVERITY in ("error", "warning")
        assert "Fix" in doc or "fix" in doc, f"{rule.CODE}: the docstring must say how to fix it"
        assert rule.CODE not in codes
        codes.add(rule.CODE)
