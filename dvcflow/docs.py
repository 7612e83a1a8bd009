"""Documentation generated from the rules' docstrings (the README's rule table).

`python -m dvcflow.docs` rewrites the table in README.md; a test keeps the two in sync.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dvcflow.rules import RULES, Rule, family

START, END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"


def summary(rule: Rule) -> str:
    """The first docstring line without its `DVFNNN name:` prefix."""
    first = (rule.__doc__ or "").strip().splitlines()[0]
    return first.split(": ", 1)[-1].strip()


def rules_table() -> str:
    rows = [
        "| code | name | hook id | severity | default | what it reports |",
        "|---|---|---|---|---|---|",
    ]
    for rule in RULES:
        default = "on" if rule.DEFAULT_ENABLED else "off"
        hook = getattr(rule, "HOOK_ID", f"dvcflow-{family(rule.CODE)}")  # else the family's
        rows.append(
            f"| {rule.CODE} | {rule.NAME} | `{hook}` | {rule.SEVERITY} | {default} | "
            f"{summary(rule)} |"
        )
    return "\n".join(rows)


def render_readme(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{rules_table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite the rule table in a README.")
    parser.add_argument("readme", nargs="?", default="README.md", type=Path)
    readme: Path = parser.parse_args(argv).readme
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"dvcflow.docs: error: {readme}: {exc.strerror}", file=sys.stderr)
        return 2
    readme.write_text(render_readme(text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
