"""The Mermaid text dvcflow writes, checked by Mermaid's own parser: the `mermaid` package from
npm, run in node with a jsdom window (tests/reporters/mermaid/parse.mjs). Skipped only when
node or npm is absent; `.ci/run` installs the packages (`npm ci`), and so does this test when
they are missing."""

from __future__ import annotations

import json
import shutil
import string
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dvcflow.reporters.dag import Dag, DagStage, link
from dvcflow.reporters.mermaid import MAX_NODES, flowchart

from ..conftest import Repo
from .test_markdown import mermaid_block

HERE = Path(__file__).parent / "mermaid"
Parse = Callable[[list[str]], list[dict[str, Any]]]


@pytest.fixture(scope="module")
def parse() -> Parse:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run Mermaid's parser (apt-get install nodejs npm)")
    if not (HERE / "node_modules" / "mermaid").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=600)

    def run(charts: list[str]) -> list[dict[str, Any]]:
        proc = subprocess.run(
            [node, str(HERE / "parse.mjs")],
            input=json.dumps(charts),
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        results: list[dict[str, Any]] = json.loads(proc.stdout)
        return results

    return run


HOSTILE_PIPELINE = """\
stages:
  "prépare les données 🚀":
    cmd: cp raw.txt clean.txt
    deps: [raw.txt]
    outs: [clean.txt]
  'say "hi" #1 <b>x</b> & `tick` ;|{}[]()':
    cmd: cp clean.txt hi.txt
    deps: [clean.txt]
    outs: [hi.txt]
  each:
    foreach: ["a b/c", "it's \\"q\\"", "ü x"]
    do:
      cmd: echo ${item}
      deps: [hi.txt]
      outs: ["out-${item}.txt"]
  solo:
    foreach: ["x/y [z] 'q' \\"d\\" ü"]
    do:
      cmd: echo hi
      deps: [hi.txt]
"""


def test_a_real_pipeline_with_hostile_stage_names_parses(dvc_repo: Repo, parse: Parse) -> None:
    dvc_repo.write("dvc.yaml", HOSTILE_PIPELINE)
    dvc_repo.write("raw.txt", "raw\n")
    dvc_repo.add()
    assert "each@a b/c" in dvc_repo.dvc("dag")  # DVC itself reads these names
    _, out = dvc_repo.check("--all", "--output-format", "markdown")
    chart = mermaid_block(out)
    assert "prépare les données 🚀" in chart and "solo@x/y [z] 'q' #quot;d#quot; ü" in chart
    assert parse([chart]) == [{"ok": True, "type": "flowchart-v2"}]


def _stage(name: str, index: int, pipeline: str = "dvc.yaml") -> DagStage:
    return DagStage(pipeline, name, name, name, "", (f"f{index}",), (f"f{index + 1}",))


NAMES = [
    string.punctuation,
    'a "quoted" name',
    "it's",
    "with spaces and @ and / and \\",
    "unicode ü é 中文 🚀",
    "control \x1b[31m \r\n \t",
    "bidi \u202e evil",
    "end",
    "graph",
    "subgraph",
    "click",
    "style",
    "classDef",
    "-->",
    "a --> b",
    "#quot;",
    "&amp;",
    "<br/>",
    "`markdown`",
    "**bold**",
    "%%{init: {}}%%",
    "x@{ shape: circle }",
    "",
]


def test_any_stage_name_parses(parse: Parse) -> None:
    """Every chart below parses; a broken one beside them shows the parser is the real judge."""
    stages = tuple(_stage(name, i) for i, name in enumerate(NAMES))
    dag = Dag(stages, frozenset(link(stages)))
    flagged = {1: ["stale"], 3: ["lock"], 5: ["deps"], 7: ["other"]}
    several = tuple(_stage(name, i, f"p{i % 3}/dvc.yaml: {name}") for i, name in enumerate(NAMES))
    chain = tuple(_stage(f"step {i}", i) for i in range(MAX_NODES * 2))
    cut = flowchart(Dag(chain, frozenset(link(chain))), {MAX_NODES: ["stale"]})
    assert cut.note
    charts = [
        flowchart(dag, flagged).text,
        flowchart(dag, {}).text,
        flowchart(Dag(several, frozenset(link(several))), flagged).text,
        cut.text,
    ]
    broken = 'flowchart LR\n  s0["a "b" c"]\n'
    *results, refused = parse([*charts, broken])
    assert results == [{"ok": True, "type": "flowchart-v2"}] * len(charts)
    assert not refused["ok"]
