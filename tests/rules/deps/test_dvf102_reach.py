"""DVF102 reach (issue 18): R `source()`, Quarto / R Markdown chunks, shell `source`, Julia
`include`, Python modules listed in deps, `python -m` with a src layout or PYTHONPATH.

Each case is a small real repository (real `git`, real `dvc init`): the wrong pipeline fires
with the import chain in the message, `--fix` adds the dep, and the finding is gone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from ...conftest import Repo
from .conftest import findings


@dataclass
class Case:
    cmd: str
    deps: list[str]
    files: dict[str, str]
    expected: dict[str, str]  # target -> a part of the message (the chain)
    wdir: str = ""
    extra: dict[str, str] = field(default_factory=dict)


FNS_CHUNK = '```{r setup}\nsource("R/fns.R")\n```\n'
CASES = {
    "r-source": Case(
        "Rscript analysis/run.R",
        ["analysis/run.R"],
        {"analysis/run.R": 'library(dplyr)\nsource("R/utils.R")\n', "R/utils.R": "f <- 1\n"},
        {"R/utils.R": "sources R/utils.R (analysis/run.R -> R/utils.R)"},
    ),
    "r-sys-source-in-wdir": Case(
        "Rscript run.R",
        ["run.R"],
        {"analysis/run.R": 'sys.source("lib.R", envir = new.env())\n', "analysis/lib.R": ""},
        {"analysis/lib.R": "sources analysis/lib.R (analysis/run.R -> analysis/lib.R)"},
        wdir="analysis",
    ),
    "r-here-and-list-files": Case(
        "Rscript pipeline/01-train.R",
        ["pipeline/01-train.R"],
        {
            "pipeline/01-train.R": (
                'purrr::walk(list.files("R/", "\\\\.R$", full.names = TRUE), source)\n'
            ),
            "R/setup.R": 'source(here::here("R", "helpers.R"))\n',
            "R/helpers.R": "",
            "R/notes.md": "",
        },
        {
            "R/setup.R": "(pipeline/01-train.R -> R/setup.R)",
            "R/helpers.R": "(pipeline/01-train.R -> R/helpers.R)",
        },
    ),
    "quarto-chunks": Case(
        "quarto render reports/report.qmd --to html",
        ["reports/report.qmd"],
        {
            "reports/report.qmd": (
                '---\ntitle: "r"\n---\n\n```{r}\nsource("utils.R")\n```\n\n'
                "```{python}\nimport helpers\n```\n"
            ),
            "reports/utils.R": "",
            "reports/helpers.py": "",
        },
        {
            "reports/utils.R": "(reports/report.qmd -> reports/utils.R)",
            "reports/helpers.py": "imports reports/helpers.py (reports/report.qmd -> ",
        },
    ),
    "r-renders-quarto-with-includes": Case(
        "Rscript pipeline/report.R",
        ["pipeline/report.R", "reports/report.qmd"],
        {
            "pipeline/report.R": 'here("reports", "report.qmd") %>% quarto::quarto_render()\n',
            "reports/report.qmd": "{{< include _part.qmd >}}\n",
            "reports/_part.qmd": '```{r}\nsource("_utils.R")\n```\n',
            "reports/_utils.R": "",
        },
        {
            "reports/_part.qmd": "includes reports/_part.qmd (pipeline/report.R -> ",
            "reports/_utils.R": "sources reports/_utils.R (pipeline/report.R -> ",
        },
    ),
    "rmarkdown-render": Case(
        "Rscript -e \"rmarkdown::render('report.Rmd', output_dir = 'out')\"",
        ["report.Rmd"],
        {"report.Rmd": FNS_CHUNK, "R/fns.R": ""},
        {"R/fns.R": "sources R/fns.R (report.Rmd -> R/fns.R)"},
    ),
    "shell-source": Case(
        "bash scripts/run.sh",
        ["scripts/run.sh"],
        {
            "scripts/run.sh": "set -e\nsource scripts/env.sh\n. scripts/paths.sh\necho done\n",
            "scripts/env.sh": "export A=1\n",
            "scripts/paths.sh": "export B=2\n",
        },
        {
            "scripts/env.sh": "sources scripts/env.sh (scripts/run.sh -> scripts/env.sh)",
            "scripts/paths.sh": "sources scripts/paths.sh (scripts/run.sh -> scripts/paths.sh)",
        },
    ),
    "julia-include": Case(
        "julia --project=. src/main.jl",
        ["src/main.jl"],
        {"src/main.jl": 'include("utils.jl")\nmain()\n', "src/utils.jl": "main() = 1\n"},
        {"src/utils.jl": "includes src/utils.jl (src/main.jl -> src/utils.jl)"},
    ),
    "module-listed-in-deps": Case(
        "python src/train.py model",
        ["src/train.py", "src/model.py"],
        {
            "src/train.py": "import importlib, sys\nimportlib.import_module(sys.argv[1])\n",
            "src/model.py": "from layers import Dense\n",
            "src/layers.py": "class Dense: ...\n",
        },
        {"src/layers.py": "imports src/layers.py (src/model.py -> src/layers.py)"},
    ),
    "python-m-src-layout": Case(
        "python -m app.train",
        ["src/app/train.py"],
        {
            "src/app/__init__.py": "",
            "src/app/train.py": "from app import data\n",
            "src/app/data.py": "",
        },
        {"src/app/data.py": "imports src/app/data.py (src/app/train.py -> src/app/data.py)"},
    ),
    "pythonpath-in-cmd": Case(
        "PYTHONPATH=src python -m pipeline.train",
        ["src/pipeline/train.py"],
        {"src/pipeline/train.py": "from common.io import load\n", "src/common/io.py": ""},
        {"src/common/io.py": "(src/pipeline/train.py -> src/common/io.py)"},
    ),
}


def pipeline(case: Case) -> str:
    wdir = f"    wdir: {case.wdir}\n" if case.wdir else ""
    deps = "".join(f"    - {dep}\n" for dep in case.deps)
    return f"stages:\n  run:\n    cmd: {case.cmd}\n{wdir}    deps:\n{deps}"


@pytest.mark.parametrize("name", list(CASES))
def test_dvf102_reach_fires_and_the_fix_clears_it(dvc_copy: Repo, name: str) -> None:
    case = CASES[name]
    repo = dvc_copy
    for path, text in {**case.files, "dvc.yaml": pipeline(case)}.items():
        repo.write(path, text, dedent=False)
    repo.add()
    found = findings(repo, "--all", "--select", "DVF102")
    messages = {f["target"]: f["message"] for f in found}
    assert set(messages) == set(case.expected), found
    for target, part in case.expected.items():
        assert part in messages[target] and messages[target].startswith("stage 'run' ")
    repo.check("--all", "--select", "DVF102", "--fix")
    repo.add()
    assert findings(repo, "--all", "--select", "DVF1") == []
    listed = repo.read("dvc.yaml")
    assert all(f"- {target}" in listed or case.wdir for target in case.expected)


def test_sourcing_a_file_r_would_not_find_is_not_a_finding(dvc_copy: Repo) -> None:
    """R resolves `source("lib.R")` against the working directory, not the script's folder."""
    repo = dvc_copy
    repo.write("analysis/run.R", 'source("lib.R")\n')
    repo.write("analysis/lib.R", "")
    repo.write("dvc.yaml", pipeline(Case("Rscript analysis/run.R", ["analysis/run.R"], {}, {})))
    repo.add()
    assert findings(repo, "--all", "--select", "DVF1") == []
