"""`--output-format markdown`: for `$GITHUB_STEP_SUMMARY` and merge-request comments.

A one-line verdict, a table of counts per code, the findings grouped by stage with their fix
lines, and the pipeline DAG as a Mermaid flowchart (see `mermaid`) in which stages with findings
are highlighted by kind (their rule family) and the stages downstream of them marked affected.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from dvcflow.diagnostics import Diagnostic
from dvcflow.reporters import Run
from dvcflow.reporters.dag import Dag
from dvcflow.reporters.escape import backslash, printable
from dvcflow.reporters.grouping import SHOWN, group
from dvcflow.reporters.mermaid import AFFECTED, KINDS, flowchart

UNENCODABLE = backslash
MAX_ITEMS = 100  # findings listed before "… and N more" (all of them with --verbose)
FOLD_OVER = 20  # more findings than this: the list is folded in <details>
LEGEND = {
    "stale": "🟥 stale",
    "lock": "🟨 inconsistent lock",
    "deps": "🟦 missing deps",
    "other": "⬜ other finding",
    AFFECTED: "🟪 affected (downstream)",
}


def render(run: Run) -> str:
    found = run.diagnostics
    dag = run.dag or Dag((), frozenset())
    sections = [f"### dvcflow: {_verdict(found, dag)}"]
    if found:
        sections.append(_counts(found))
        sections.append(_findings(found, dag, run.verbose))
    sections.append(_diagram(found, dag))
    return "\n\n".join(s.rstrip("\n") for s in sections if s) + "\n"


def _verdict(found: Sequence[Diagnostic], dag: Dag) -> str:
    pipelines = len({s.pipeline for s in dag.stages})
    scope = f"{_plural(len(dag.stages), 'stage')} in {_plural(pipelines, 'pipeline')}"
    if not found:
        return f"✅ all checks passed ({scope})"
    errors = sum(d.severity == "error" for d in found)
    warnings = len(found) - errors
    counts = ", ".join(
        part
        for part in (
            _plural(errors, "error") if errors else "",
            _plural(warnings, "warning") if warnings else "",
        )
        if part
    )
    stages = len({i for d in found if (i := dag.stage_of(d)) is not None})
    icon = "❌" if errors else "⚠️"
    where = f"{_plural(stages, 'stage')} with findings; " if stages else ""
    return f"{icon} {counts} ({where}{scope})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _counts(found: Sequence[Diagnostic]) -> str:
    counts = Counter((d.code, d.name) for d in found)
    rows = [f"| {text(code)} | {text(name)} | {n} |" for (code, name), n in sorted(counts.items())]
    return "\n".join(["| Code | Rule | Findings |", "| --- | --- | ---: |", *rows])


def _findings(found: Sequence[Diagnostic], dag: Dag, verbose: bool) -> str:
    sections = _sections(found, dag)
    lines: list[str] = []
    items = hidden = 0
    for title, members in sections.items():
        if items >= MAX_ITEMS and not verbose:
            hidden += len(members)
            continue
        lines += ["", f"**{title}**", ""]
        for same in group(members, verbose):
            lines.extend(_group(same))
            items += min(len(same), SHOWN)
    if hidden:
        lines += ["", f"… and {hidden} more findings (`--verbose` or `--output-format json`)."]
    head = ["#### Findings"]
    if len(found) <= FOLD_OVER:
        return "\n".join([*head, *lines])
    summary = f"{_plural(len(found), 'finding')} in {_plural(len(sections), 'place')}"
    return "\n".join(
        [*head, "", "<details>", f"<summary>{summary}</summary>", *lines, "", "</details>"]
    )


def _sections(found: Sequence[Diagnostic], dag: Dag) -> dict[str, list[Diagnostic]]:
    """Section title -> its findings: one section per stage, then one per file."""
    by_stage: dict[str, list[Diagnostic]] = defaultdict(list)
    by_file: dict[str, list[Diagnostic]] = defaultdict(list)
    for d in found:
        index = dag.stage_of(d)
        if index is not None:
            stage = dag.stages[index]
            by_stage[f"Stage {code_span(stage.address)} ({code_span(stage.pipeline)})"].append(d)
        else:
            by_file[code_span(d.path)].append(d)
    return {**by_stage, **by_file}


def _group(members: list[Diagnostic]) -> list[str]:
    shared = len(members) > 1 and len({d.fix for d in members}) == 1
    lines = [_item(d, with_fix=not shared) for d in members[:SHOWN]]
    if len(members) > SHOWN:
        more = f"… and {len(members) - SHOWN} more {text(members[0].code)} findings like these"
        fix = f"<br>help: {fix_text(members[0].fix)}" if shared and members[0].fix else ""
        lines.append(f"- {more} (`--verbose` or `--output-format json` lists them){fix}")
    elif shared and members[0].fix:
        lines.append(f"- help: {fix_text(members[0].fix)}")
    return lines


def _item(d: Diagnostic, with_fix: bool) -> str:
    icon = "❌" if d.severity == "error" else "⚠️"
    item = f"- {icon} **{text(d.code)}** {code_span(d.location)} {text(d.message)}"
    if with_fix and d.fix:
        item += f"<br>help: {fix_text(d.fix)}"
    return item


def fix_text(fix: str) -> str:
    """A fix line: a bare command as one code span (copied as it is), prose as text."""
    return text(fix) if "`" in fix else code_span(fix)


def _diagram(found: Sequence[Diagnostic], dag: Dag) -> str:
    if dag.unavailable:
        return f"#### Pipeline\n\nThe pipelines could not be read: {text(dag.unavailable)}"
    if not dag.stages:
        return "#### Pipeline\n\nNo dvc.yaml stages to draw."
    flagged: dict[int, set[str]] = defaultdict(set)
    for d in found:
        index = dag.stage_of(d)
        if index is not None:
            flagged[index].add(kind_of(d.code))
    chart = flowchart(dag, flagged)
    parts = ["#### Pipeline", "", "```mermaid", chart.text.rstrip("\n"), "```"]
    if chart.classes:
        parts += ["", " · ".join(LEGEND[k] for k in chart.classes)]
    if chart.note:
        parts += ["", text(chart.note)]
    return "\n".join(parts)


def kind_of(code: str) -> str:
    """A finding's kind for the diagram: its rule's family (the folder under rules/)."""
    from dvcflow.rules import by_code

    rule = by_code(code)
    family = getattr(rule, "__name__", "").split(".")[-2:-1]
    return family[0] if family and family[0] in KINDS else "other"


# -- Markdown text -------------------------------------------------------------------------------
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
# Emphasis, links, HTML, table cells; `@name` (a mention) and `#12` (a reference) where GitHub
# would link them: after a character that is not part of a word.
_SPECIAL = re.compile(r"[\\*_\[\]<>|~&!]|(?<!\w)[@#]")
_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "@": "&#64;", "#": "&#35;"}


def text(value: str | None) -> str:
    """Markdown for a message or fix: its `code spans` kept, everything else literal (no HTML,
    no emphasis, no @mention or #reference, no table cell break)."""
    value = printable(value or "")
    out: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(value):
        out.append(_literal(value[last : match.start()]))
        out.append(code_span(match[2]))
        last = match.end()
    out.append(_literal(value[last:]))
    return "".join(out)


def _literal(value: str) -> str:
    return _SPECIAL.sub(lambda m: _ENTITY.get(m[0], "\\" + m[0]), value).replace("`", "\\`")


def code_span(value: str) -> str:
    """`value` as one code span, whatever backticks or pipes it holds."""
    value = printable(value)
    longest = max((len(run) for run in re.findall("`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or not value.strip() else ""
    return f"{fence}{pad}{value}{pad}{fence}"
