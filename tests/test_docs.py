"""The README's rule table is generated from the rule docstrings and kept in sync."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from dvcflow.docs import END, START, rules_table
from dvcflow.rules import RULES

from .conftest import BIN

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
        assert re.fullmatch(r"DVF[1-9]\d\d", rule.CODE) and re.fullmatch(r"[a-z-]+", rule.NAME)
        assert rule.SEVERITY in ("error", "warning")
        assert "Fix" in doc or "fix" in doc, f"{rule.CODE}: the docstring must say how to fix it"
        assert rule.CODE not in codes
        codes.add(rule.CODE)


def test_readme_example_output_is_what_the_demo_prints() -> None:
    """The README's first block is the first set-up command's output, line for line (with dvc
    installed, DVF401 names the pin and its help runs the fix, as the note under it says)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("$ cd examples/demo && dvcflow-check --all\n", 1)[1].split("```", 1)[0]
    proc = subprocess.run(
        [str(BIN / "dvcflow-check"), "--all"],
        cwd=ROOT / "examples" / "demo",
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    printed, expected = proc.stdout.splitlines(), shown.splitlines()
    at = next(n for n, line in enumerate(printed) if " DVF401 " in line)
    if "; the fix: " in printed[at]:  # dvc is installed here: the pin is known, the fix runs
        assert re.search(r"; the fix: change line 1 to `dvc==[0-9][^`]*`", printed[at])
        assert printed[at + 1] == "  help: dvcflow-check --all --fix-only --stage-fixes"
        printed[at] = printed[at].split("; the fix: ")[0]
        printed[at + 1] = expected[at + 1]
    assert printed == expected
