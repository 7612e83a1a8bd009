"""DVF101 on real Git repositories: the scripts a stage runs, through runners, wrappers, foreach,
matrix, wdir and sub-projects.
"""

from __future__ import annotations

import json

import pytest

from ...conftest import Repo
from .conftest import codes, findings, ml_repo, project, staged

FIX = "dvcflow-check --all --fix-only --stage-fixes && "  # the help line: fix, stage


def test_dvf101_fires_at_the_stage_and_the_listed_script_is_clean(repo: Repo) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    cmd: python src/train.py data/raw.csv\n"
        "    deps:\n    - data/raw.csv\n    outs:\n    - model.pkl\n",
    )
    found = [f for f in findings(repo, "--all", "--select", "DVF101")]
    assert len(found) == 1
    finding = found[0]
    assert (finding["path"], finding["line"], finding["column"]) == ("dvc.yaml", 2, 3)
    assert (finding["stage"], finding["target"]) == ("train", "src/train.py")
    assert "runs src/train.py" in finding["message"]
    assert finding["fix"].startswith(f"{FIX}dvc repro train && git add dvc.lock")

    repo.write(
        "dvc.yaml", repo.read("dvc.yaml").replace("- data/raw.csv\n", "- data/raw.csv\n    - src\n")
    )
    repo.add()
    assert findings(repo, "--all", "--select", "DVF101,DVF102") == []  # a folder covers below it


def test_dvf101_runners_and_wrappers_in_a_real_pipeline(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("train.py", ""),
        ("run.sh", "python steps/inner.py\n"),
        ("steps/inner.py", ""),
        ("analysis.R", ""),
        ("nb.ipynb", json.dumps({"cells": [], "metadata": {}})),
        (
            "dvc.yaml",
            "stages:\n"
            "  a:\n    cmd: uv run --with pandas python train.py --data data/raw.csv\n"
            "  b:\n    cmd: PYTHONPATH=. conda run -n ml time Rscript analysis.R\n"
            "  c:\n    cmd: bash run.sh\n"
            "  d:\n    cmd: papermill nb.ipynb out.ipynb -p alpha 1\n"
            "  e:\n    cmd: docker run -v $(pwd):/w img python /w/train.py && cargo run\n",
        ),
    )
    found = findings(repo, "--all", "--select", "DVF101")
    assert sorted((f["stage"], f["target"]) for f in found) == [
        ("a", "train.py"),
        ("b", "analysis.R"),
        ("c", "run.sh"),
        ("c", "steps/inner.py"),
        ("d", "nb.ipynb"),
    ]
    via = next(f for f in found if f["target"] == "steps/inner.py")
    assert "runs steps/inner.py (via run.sh)" in via["message"]


def test_foreach_is_reported_once_naming_the_instances(repo: Repo) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    foreach: [us, eu, asia]\n    do:\n"
        "      cmd: python src/train.py --region ${item}\n"
        "      deps:\n      - data/${item}.csv\n      outs:\n      - model-${item}.pkl\n",
    )
    for region in ("us", "eu", "asia"):
        repo.write(f"data/{region}.csv", "x\n")
    repo.add()
    found = findings(repo, "--all", "--select", "DVF101")
    assert len(found) == 1
    assert found[0]["line"] == 2 and found[0]["stage"] == "train"
    assert "train@us, train@eu, train@asia" in found[0]["message"]
    # deps built by ${item}: the fix is printed, never applied
    assert found[0]["fix"].startswith(
        "add `- src/train.py` under stages.train.do.deps, then: git add dvc.yaml && dvc repro "
    )
    before = repo.read("dvc.yaml")
    findings(repo, "--all", "--select", "DVF1", "--fix")
    assert repo.read("dvc.yaml") == before


def test_matrix_instances_and_fix_adding_a_deps_key(repo: Repo) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    matrix:\n      model: [cnn, rnn]\n      lr: [1, 2]\n"
        "    cmd: python src/train.py ${item.model} ${item.lr}\n"
        "    outs:\n    - model-${item.model}-${item.lr}.pkl\n",
    )
    found = findings(repo, "--all", "--select", "DVF101,DVF102")
    assert codes(found) == [
        ("DVF101", "src/train.py"),
        ("DVF102", "src/models/layers.py"),
        ("DVF102", "src/models/net.py"),
        ("DVF102", "src/utils.py"),
    ]
    assert all(f["line"] == 2 for f in found)
    assert "train@cnn-1, train@cnn-2, train@rnn-1, train@rnn-2" in found[0]["message"]
    findings(repo, "--all", "--select", "DVF1", "--fix")
    assert "    deps:\n    - src/train.py\n    - src/models/layers.py\n" in repo.read("dvc.yaml")
    repo.add()
    assert findings(repo, "--all", "--select", "DVF1") == []


def test_wdir_and_sub_folder_dvc_yaml(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("sub/dvc.yaml", "stages:\n  train:\n    wdir: code\n    cmd: python s.py\n"),
        ("sub/code/s.py", "import helper\n"),
        ("sub/code/helper.py", ""),
    )
    found = findings(repo, "--all", "--select", "DVF101,DVF102")
    assert [(f["path"], f["stage"], f["target"]) for f in found] == [
        ("sub/dvc.yaml", "sub/dvc.yaml:train", "sub/code/s.py"),
        ("sub/dvc.yaml", "sub/dvc.yaml:train", "sub/code/helper.py"),
    ]
    assert found[0]["fix"] == f"{FIX}dvc repro sub/dvc.yaml:train && git add sub/dvc.lock"
    findings(repo, "--all", "--select", "DVF1", "--fix")
    assert repo.read("sub/dvc.yaml").endswith("    deps:\n    - s.py\n    - helper.py\n")
    repo.add()
    assert findings(repo, "--all", "--select", "DVF1") == []


@pytest.mark.slow
def test_dvc_init_subdir_project(repo: Repo) -> None:
    (repo.root / "proj").mkdir()
    repo.dvc("init", "--subdir", "-q", cwd=repo.root / "proj")
    staged(
        repo,
        (
            "proj/dvc.yaml",
            "stages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - raw\n",
        ),
        ("proj/src/train.py", "from lib import tools\n"),
        ("proj/lib/__init__.py", ""),
        ("proj/lib/tools.py", ""),
    )
    found = findings(repo, "--all", "--select", "DVF1", cwd=repo.root / "proj")
    assert [(f["code"], f["path"], f["stage"], f["target"]) for f in found] == [
        ("DVF101", "proj/dvc.yaml", "train", "proj/src/train.py"),
        ("DVF102", "proj/dvc.yaml", "train", "proj/lib/tools.py"),
        ("DVF104", "proj/dvc.yaml", "train", "proj/raw"),
    ]
    assert "`dvc add raw`" in found[2]["fix"]  # (run from proj, as dvcflow was)
    findings(repo, "--all", "--select", "DVF1", "--fix")
    repo.add()
    assert codes(findings(repo, "--all", "--select", "DVF1")) == [("DVF104", "proj/raw")]
    assert "Depends on raw, src/train.py, lib/tools.py" in repo.dvc(
        "stage", "list", cwd=repo.root / "proj"
    )
