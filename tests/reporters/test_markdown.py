"""`--output-format markdown` (issue 20 item 1): the verdict, the counts, the findings by stage
with their fixes, and the pipeline DAG as a Mermaid flowchart with the findings highlighted."""

from __future__ import annotations

import re

from dvcflow.diagnostics import RuleId
from dvcflow.reporters import Run, render
from dvcflow.reporters.dag import Dag, DagStage, link
from dvcflow.reporters.markdown import code_span, text
from dvcflow.reporters.mermaid import MAX_NODES, flowchart, label

from ..conftest import Repo


def mermaid_block(markdown: str) -> str:
    match = re.search(r"```mermaid\n(.*?)```", markdown, re.DOTALL)
    assert match, markdown
    return match[1]


def test_stale_stage_is_highlighted_and_its_downstream_marked(stale_repo: Repo) -> None:
    code, out = stale_repo.check("--all", "--output-format", "markdown")
    assert code == 1, out
    first = out.splitlines()[0]
    assert first.startswith(
        "### dvcflow: ❌ 2 errors (1 stage with findings; 2 stages in 1 pipeline)"
    )
    assert "| DVF201 | stale-stage | 1 |\n| DVF303 | dep-not-locked | 1 |" in out
    assert "**Stage `prepare` (`dvc.yaml`)**" in out
    assert "help: `dvc repro prepare" in out and "git add dvc.lock" in out
    chart = mermaid_block(out)
    assert 's0["prepare · stale, inconsistent lock"]' in chart
    assert 's1["train · affected"]' in chart
    assert "s0 --> s1" in chart
    assert "class s0 stale" in chart and "class s1 affected" in chart
    assert "🟥 stale · 🟪 affected (downstream)" in out


def test_a_clean_run_still_shows_the_dag(clean_repo: Repo) -> None:
    code, out = clean_repo.check("--all", "--output-format", "markdown")
    assert code == 0, out
    assert out.startswith("### dvcflow: ✅ all checks passed (2 stages in 1 pipeline)\n")
    chart = mermaid_block(out)
    assert chart.splitlines() == ["flowchart LR", '  s0["prepare"]', '  s1["train"]', "  s0 --> s1"]


def _stage(
    name: str, deps: tuple[str, ...] = (), outs: tuple[str, ...] = (), **kw: str
) -> DagStage:
    definition = kw.get("definition", name.split("@")[0])
    pipeline = kw.get("pipeline", "dvc.yaml")
    return DagStage(pipeline, name, definition, name, kw.get("project", ""), deps, outs)


def _dag(*stages: DagStage) -> Dag:
    return Dag(stages, frozenset(link(stages)))


def test_links_follow_dvc_overlapping_paths_within_a_project() -> None:
    dag = _dag(
        _stage("a", outs=("data/features",)),
        _stage("b", deps=("data/features/x.csv",)),  # inside an output folder
        _stage("c", deps=("data",)),  # a folder holding an output
        _stage("d", deps=("data/features",), project="sub", pipeline="sub/dvc.yaml"),
    )
    assert dag.edges == {(0, 1), (0, 2)}


def test_foreach_instances_share_one_node() -> None:
    dag = _dag(
        _stage("prep", outs=("a",)),
        *(_stage(f"train@{k}", deps=("a",), outs=(f"m{k}",)) for k in range(3)),
    )
    chart = flowchart(dag, {2: ["stale"]})
    assert 's1["train@… · 3 instances, stale (1)"]' in chart.text
    assert chart.text.count("s0 --> s1") == 1


def test_a_large_dag_is_cut_to_the_affected_stages_and_their_neighbours() -> None:
    chain = [
        _stage(f"step{i}", deps=(f"f{i}",), outs=(f"f{i + 1}",)) for i in range(MAX_NODES + 40)
    ]
    chart = flowchart(_dag(*chain), {50: ["lock"]})
    assert chart.note is not None
    drawn = re.findall(r'^\s+(s\d+)\["', chart.text, re.MULTILINE)
    assert len(drawn) == (MAX_NODES + 40) - 49  # step49 (a neighbour) .. the last (affected)
    assert "step49" in chart.text and "step48" not in chart.text
    assert chart.note.startswith(f"The DAG has {MAX_NODES + 40} stages")
    assert "Left out (49): step0, step1," in chart.note


def test_a_large_clean_dag_shows_its_first_stages_with_a_note() -> None:
    chain = [_stage(f"step{i}", deps=(f"f{i}",), outs=(f"f{i + 1}",)) for i in range(MAX_NODES + 5)]
    chart = flowchart(_dag(*chain), {})
    assert chart.note and "Left out (5)" in chart.note
    assert len(re.findall(r'^\s+s\d+\["', chart.text, re.MULTILINE)) == MAX_NODES


def test_several_pipelines_are_subgraphs() -> None:
    dag = _dag(_stage("a", outs=("x",)), _stage("b", deps=("x",), pipeline="sub/dvc.yaml"))
    chart = flowchart(dag, {})
    assert 'subgraph p0["dvc.yaml"]' in chart.text
    assert 'subgraph p1["sub/dvc.yaml"]' in chart.text


def test_labels_escape_what_would_end_or_change_them() -> None:
    assert label('say "hi" #1 <b>&`') == "say #quot;hi#quot; #35;1 #lt;b#gt;#amp;#96;"
    assert label("prépare 🚀 a/b@c") == "prépare 🚀 a/b@c"
    assert label("bell\x07") == "bell\\x07"


def test_markdown_text_is_literal_outside_code_spans() -> None:
    assert text("stage 'a' <script> *x* @team #12 a|b `x | y`") == (
        "stage 'a' &lt;script&gt; \\*x\\* &#64;team &#35;12 a\\|b `x | y`"
    )
    assert text("train@us") == "train@us"  # not a mention
    assert code_span("a`b") == "``a`b``"


RULE = RuleId("DVF999", "example")


def test_findings_without_a_stage_are_listed_by_file() -> None:
    found = [RULE.at("requirements.txt", 0, 0, "dvc is not pinned", fix="pin it")]
    out = render(Run(found, dag=_dag(_stage("a"))), "markdown")
    assert "**`requirements.txt`**" in out
    assert "- ❌ **DVF999** `requirements.txt` dvc is not pinned<br>help: `pin it`" in out
    assert 's0["a"]' in mermaid_block(out)  # no stage highlighted


def test_many_findings_are_folded_and_capped() -> None:
    found = [RULE.at(f"f{i}.txt", 1, 1, f"problem {i}", fix=f"fix {i}") for i in range(300)]
    out = render(Run(found), "markdown")
    assert "<details>\n<summary>300 findings in 300 places</summary>" in out
    assert "… and 200 more findings" in out
    verbose = render(Run(found, verbose=True), "markdown")
    assert "more findings" not in verbose and verbose.count("- ❌ **DVF999**") == 300
