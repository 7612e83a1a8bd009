"""dvcflow.scripts.graph: what scripts import, source and run, read statically."""

from __future__ import annotations

import json
import posixpath
from collections import Counter

from dvcflow.scripts.graph import Dependency, DependencyGraph
from dvcflow.scripts.notebooks import document_chunks, notebook_code
from dvcflow.scripts.scanner import scan_cmd


class Files:
    """An in-memory snapshot that counts reads (each file must be parsed once)."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = files
        self.reads: Counter[str] = Counter()
        self.dirs = {""}
        for path in files:
            parent = posixpath.dirname(path)
            while parent:
                self.dirs.add(parent)
                parent = posixpath.dirname(parent)

    def read_text(self, path: str) -> str:
        self.reads[path] += 1
        return self.files[path]

    def graph(self) -> DependencyGraph:
        return DependencyGraph(
            self.read_text, self.files.__contains__, self.dirs.__contains__, ["", "src"]
        )

    def deps(self, cmd: str, wdir: str = "", *, transitive: bool = True) -> list[Dependency]:
        graph = self.graph()
        found: list[Dependency] = []
        for invocation in scan_cmd(cmd, wdir, self.files.__contains__, ["", "src"]):
            found.extend(graph.dependencies(invocation, transitive=transitive))
        return found


def paths(deps: list[Dependency]) -> list[str]:
    return [d.path for d in deps]


def test_import_forms() -> None:
    files = Files(
        {
            "src/train.py": (
                "import os, json\nimport numpy as np\nimport helpers\n"
                "from models.net import Net\nfrom models import layers\n"
                "from models import VERSION\n"
                "from . import sibling\nfrom .pkg.deep import thing\n"
                "try:\n    import fast\nexcept ImportError:\n    fast = None\n"
                "def main():\n    import lazy\n"
                "import importlib\nplugin = importlib.import_module('plugins.csv')\n"
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import typeonly\n"
            ),
            "src/helpers.py": "",
            "src/models/__init__.py": "VERSION = 1\n",
            "src/models/net.py": "",
            "src/models/layers.py": "",
            "src/sibling.py": "",
            "src/pkg/__init__.py": '"""only a docstring"""\n',
            "src/pkg/deep.py": "",
            "src/fast.py": "",
            "src/lazy.py": "",
            "src/plugins/__init__.py": "",
            "src/plugins/csv.py": "",
            "src/typeonly.py": "",
        }
    )
    found = paths(files.deps("python src/train.py"))
    assert found == [
        "src/helpers.py",
        "src/models/__init__.py",
        "src/models/net.py",
        "src/models/layers.py",
        "src/sibling.py",
        "src/pkg/deep.py",
        "src/fast.py",
        "src/lazy.py",
        "src/plugins/csv.py",
    ]
    # stdlib and third-party: never files; a docstring-only __init__ is not required


def test_transitive_chain_cycles_and_direct_mode() -> None:
    files = Files(
        {
            "src/train.py": "from models.net import Net\n",
            "src/models/__init__.py": "",
            "src/models/net.py": "from ..utils import x\nimport train\n",
            "src/utils.py": "import models.net\nfrom src import utils\n",
        }
    )
    deps = files.deps("python src/train.py")
    assert [d.via for d in deps] == [
        "src/train.py -> src/models/net.py",
        "src/train.py -> src/models/net.py -> src/utils.py",
    ]
    assert [d.direct for d in deps] == [True, False]
    assert paths(files.deps("python src/train.py", transitive=False)) == ["src/models/net.py"]


def test_each_file_is_parsed_once() -> None:
    modules = {f"src/m{i}.py": f"import m{i + 1}\nimport common\n" for i in range(20)}
    files = Files({**modules, "src/common.py": "import os\n", "src/m20.py": ""})
    graph = files.graph()
    for i in range(20):
        for invocation in scan_cmd(f"python src/m{i}.py", "", files.files.__contains__):
            graph.dependencies(invocation)
    assert max(files.reads.values()) == 1


def test_search_roots() -> None:
    files = Files(
        {
            "scripts/train.py": "import top\nimport inlib\nimport insrc\nimport fromcwd\n",
            "top.py": "",  # repository root
            "lib/inlib.py": "",  # PYTHONPATH
            "src/insrc.py": "",  # src layout
            "stage/fromcwd.py": "",  # the stage's wdir
        }
    )
    found = paths(files.deps("PYTHONPATH=../lib python ../scripts/train.py", wdir="stage"))
    assert sorted(found) == ["lib/inlib.py", "src/insrc.py", "stage/fromcwd.py", "top.py"]


def test_script_folder_shadows_but_fallback_roots_never_shadow_stdlib() -> None:
    files = Files(
        {
            "src/train.py": "import json\nimport random\n",
            "src/random.py": "",  # next to the script: Python imports it first
            "json.py": "",  # repository root: only a fallback, the stdlib wins
        }
    )
    assert paths(files.deps("python src/train.py")) == ["src/random.py"]


def test_sys_path_literals() -> None:
    files = Files(
        {
            "scripts/a.py": "import sys\nsys.path.insert(0, 'vendor')\nimport v1\n",
            "scripts/b.py": (
                "import os, sys\n"
                "sys.path.append(os.path.join(os.path.dirname(__file__), '..', 'tools'))\n"
                "import t1\n"
            ),
            "scripts/c.py": (
                "import sys\nfrom pathlib import Path\nROOT = Path(__file__).resolve().parents[1]\n"
                "sys.path.insert(0, str(ROOT / 'ext'))\nimport e1\n"
            ),
            "vendor/v1.py": "",
            "tools/t1.py": "",
            "ext/e1.py": "",
        }
    )
    assert paths(files.deps("python scripts/a.py")) == ["vendor/v1.py"]
    assert paths(files.deps("python scripts/b.py")) == ["tools/t1.py"]
    assert paths(files.deps("python scripts/c.py")) == ["ext/e1.py"]


def test_python_m_imports_parent_packages() -> None:
    files = Files(
        {
            "src/app/__init__.py": "from .config import load\n",
            "src/app/config.py": "",
            "src/app/jobs/__init__.py": "",
            "src/app/jobs/train.py": "from app.util import x\n",
            "src/app/util.py": "",
        }
    )
    deps = files.deps("python -m app.jobs.train")
    assert paths(deps) == ["src/app/__init__.py", "src/app/util.py", "src/app/config.py"]


def test_namespace_packages_and_unknown_names() -> None:
    files = Files(
        {
            "train.py": "import data.loader\nimport data\nfrom data import missing\nimport nope\n",
            "data/loader.py": "",
            "data/raw.csv": "",
        }
    )
    assert paths(files.deps("python train.py")) == ["data/loader.py"]


def test_syntax_errors_and_unreadable_files_are_tolerated() -> None:
    files = Files({"train.py": "import helper\nprint 'py2'\n", "helper.py": ""})
    assert paths(files.deps("python train.py")) == []  # unparsable: nothing to follow


def test_notebooks() -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["import not_code\n"]},
            {"cell_type": "code", "source": ["%matplotlib inline\n", "import helpers\n"]},
            {"cell_type": "code", "source": "!pip install x\n%run prep.py\n"},
            {"cell_type": "code", "source": ["%%time\n", "from models import net\n"]},
            {"cell_type": "code", "source": ["%%bash\n", "import ignored\n"]},
        ],
        "metadata": {"kernelspec": {"language": "python"}},
    }
    files = Files(
        {
            "nb/analysis.ipynb": json.dumps(notebook),
            "nb/helpers.py": "",
            "nb/prep.py": "import shared\n",
            "nb/shared.py": "",
            "nb/models/__init__.py": "",
            "nb/models/net.py": "",
            "nb/not_code.py": "",
            "nb/ignored.py": "",
        }
    )
    deps = files.deps("papermill nb/analysis.ipynb out.ipynb")
    assert sorted((d.path, d.kind) for d in deps) == [
        ("nb/helpers.py", "import"),
        ("nb/models/net.py", "import"),
        ("nb/prep.py", "script"),
        ("nb/shared.py", "import"),
    ]
    cells, kernel = notebook_code(json.dumps(notebook))
    assert kernel == "python" and len(cells) == 4


def test_r_sources_and_r_notebooks() -> None:
    r_notebook = {
        "cells": [{"cell_type": "code", "source": "source('R/utils.R')"}],
        "metadata": {"kernelspec": {"language": "R"}},
    }
    files = Files(
        {
            "analysis.R": "source(\"R/utils.R\")\nsource(file = 'R/plot.R')\nlibrary(dplyr)\n",
            "R/utils.R": "source('R/analysis_helpers.R')\n",
            "R/analysis_helpers.R": "source('R/utils.R')\n",  # a cycle
            "R/plot.R": "",
            "r.ipynb": json.dumps(r_notebook),
        }
    )
    deps = files.deps("Rscript analysis.R")
    assert [d.via for d in deps] == [
        "analysis.R -> R/utils.R",
        "analysis.R -> R/plot.R",
        "analysis.R -> R/utils.R -> R/analysis_helpers.R",
    ]
    assert paths(files.deps("jupyter nbconvert --execute r.ipynb")) == [
        "R/utils.R",
        "R/analysis_helpers.R",
    ]


def test_quarto_and_rmarkdown_chunks() -> None:
    document = (
        "---\ntitle: Report\n---\n\n```{python}\n#| echo: false\nimport helpers\n```\n\n"
        "```{r setup, include=FALSE}\nsource('utils.R')\n```\n\n```{.python}\nimport shown\n```\n"
    )
    python, r_code = document_chunks(document)
    assert python == ["#| echo: false\nimport helpers\n"] and r_code == ["source('utils.R')\n"]
    files = Files({"report.qmd": document, "helpers.py": "", "utils.R": "", "shown.py": ""})
    assert paths(files.deps("quarto render report.qmd")) == ["helpers.py", "utils.R"]


def test_shell_scripts_are_followed() -> None:
    files = Files(
        {
            "scripts/train.sh": (
                '#!/usr/bin/env bash\nset -euo pipefail\ncd "$(dirname "$0")/.."\n'
                "PYTHONPATH=src python -m app.train --epochs 3\nsource scripts/env.sh\n"
            ),
            "scripts/env.sh": "export A=1\n",
            "src/app/__init__.py": "",
            "src/app/train.py": "from app import model\n",
            "src/app/model.py": "",
            "tools/run": "#!/usr/bin/env python3\nimport helper\n",
            "tools/helper.py": "",
        }
    )
    deps = files.deps("bash scripts/train.sh")
    assert [(d.path, d.kind) for d in deps] == [
        ("src/app/train.py", "script"),
        ("scripts/env.sh", "import"),  # sourced: read into the shell like an import
        ("src/app/model.py", "import"),
    ]
    assert deps[2].via == "scripts/train.sh -> src/app/train.py -> src/app/model.py"
    assert paths(files.deps("tools/run")) == ["tools/helper.py"]  # a Python shebang


def _random_graph(seed: int, modules: int) -> dict[str, str]:
    import random

    rng = random.Random(seed)
    files = {}
    for i in range(modules):
        targets = rng.sample(range(modules), k=min(modules, rng.randint(0, 3)))
        body = "".join(f"import m{t}\n" for t in targets)  # cycles and self-imports included
        files[f"m{i}.py"] = body or "VALUE = 1\n"
    files["main.py"] = "import m0\nimport m1\n"
    return files


def test_reachable_equals_the_walk_on_random_graphs_with_cycles() -> None:
    """`reachable` (closures shared between scripts) is what `dependencies` walks, plus
    the script: with one search path for every file the two are equal."""
    for seed in range(30):
        files = Files(_random_graph(seed, 40))
        graph = files.graph()
        (invocation,) = scan_cmd("python main.py", "", files.files.__contains__, ["", "src"])
        walked = {d.path for d in graph.dependencies(invocation)}
        assert graph.reachable(invocation) == walked | {"main.py"}, seed


def test_reachable_on_a_deep_chain_does_not_recurse() -> None:
    files = {f"m{i}.py": f"import m{i + 1}\n" for i in range(3000)}
    files["m3000.py"] = ""
    files["main.py"] = "import m0\n"
    store = Files(files)
    (invocation,) = scan_cmd("python main.py", "", store.files.__contains__, ["", "src"])
    assert len(store.graph().reachable(invocation)) == 3002


def test_imports_inside_blocks_are_found_without_any_call_to_read() -> None:
    """A module without `sys`/`import_module`/... is read statement by statement only."""
    files = Files(
        {
            "main.py": (
                "def run():\n    import a\n"
                "class K:\n    def m(self):\n        from b import x\n"
                "with open('f') as h:\n    import c\n"
                "for _ in range(2):\n    import d\n"
                "match 1:\n    case 1:\n        import e\n"
            ),
            **{f"{name}.py": "" for name in "abcde"},
        }
    )
    assert sorted(paths(files.deps("python main.py"))) == [f"{n}.py" for n in "abcde"]


def test_included_chunks_run_in_the_folder_of_the_rendered_document() -> None:
    """Quarto renders from the document's folder; an include is text pasted into it."""
    files = Files(
        {
            "run.sh": "cd reports && quarto render main.qmd\n",
            "reports/main.qmd": "{{< include parts/_a.qmd >}}\n",
            "reports/parts/_a.qmd": (
                '```{r}\nsource("setup.R")\n```\n```{python}\nimport tools\n```\n'
            ),
            "reports/setup.R": "",
            "reports/parts/setup.R": "",  # not where R looks
            "reports/tools.py": "",
        }
    )
    assert paths(files.deps("bash run.sh")) == [
        "reports/main.qmd",
        "reports/parts/_a.qmd",
        "reports/tools.py",
        "reports/setup.R",
    ]
