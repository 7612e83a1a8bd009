"""DVF302 stage-not-locked on real repositories: stages edited in dvc.yaml without `dvc repro`."""

from __future__ import annotations

import pytest

from .conftest import Repo, assert_agrees, errors, findings, run_fix, set_line


def test_stage_definition_changed(project: Repo) -> None:
    set_line(project, "dvc.yaml", "      - train.epochs\n", "      - train.epochs\n      - seed\n")
    set_line(project, "dvc.yaml", "cmd: python train.py", "cmd: python train.py --fast")
    project.write(
        "dvc.yaml",
        project.read("dvc.yaml") + "  report:\n    cmd: echo hi\n    deps: [train.py]\n",
        dedent=False,
    )
    project.add("dvc.yaml")
    found = {(f["stage"], f["target"]): f for f in errors(project)}
    assert set(found) == {("train", "train"), ("train", "params.yaml:seed"), ("report", "report")}
    assert (
        "the cmd of stage 'train' is not the one dvc.lock records"
        in found["train", "train"]["message"]
    )
    assert found["train", "params.yaml:seed"]["message"] == (
        "stage 'train' declares param params.yaml:seed, which dvc.lock does not record"
    )
    assert found["report", "report"]["message"].startswith(
        "stage 'report' has no entry in dvc.lock"
    )
    assert found["report", "report"]["fix"] == "dvc repro report && git add dvc.lock train.py"
    assert assert_agrees(project) == {"train", "report"}


@pytest.mark.slow
def test_removed_declarations_warn_and_dvc_commit_clears_them(project: Repo) -> None:
    set_line(project, "dvc.yaml", "      - train.epochs\n", "")
    set_line(project, "dvc.yaml", "      - src\n", "")
    project.add("dvc.yaml")
    found = findings(project)
    assert {(f["code"], f["severity"], f["target"]) for f in found} == {
        ("DVF302", "warning", "src"),
        ("DVF302", "warning", "params.yaml:train.epochs"),
    }
    assert assert_agrees(project) == set()  # DVC ignores what dvc.yaml no longer declares
    assert found[0]["fix"] == "dvc commit -f train && git add dvc.lock"
    run_fix(project, found[0]["fix"])
    assert findings(project) == []


@pytest.mark.slow
def test_a_dep_added_in_the_work_tree_but_not_staged_is_staged_not_committed(
    project: Repo,
) -> None:
    """dvc.lock was written (`dvc repro`) from a dvc.yaml whose new dep is not staged: the fix
    is `git add dvc.yaml`; `dvc commit -f` would only rewrite dvc.lock to match the staged
    file and the same findings would come back (field test, issue 15)."""
    project.write("helper.py", "X = 1\n")
    set_line(project, "train.py", "import json\n", "import json\nimport helper\n")
    set_line(project, "dvc.yaml", "      - train.py\n", "      - train.py\n      - helper.py\n")
    project.dvc("repro", "-q", "train")
    project.add("helper.py", "train.py", "dvc.lock", "metrics.json")  # dvc.yaml forgotten
    (found,) = findings(project)
    assert (found["code"], found["target"]) == ("DVF302", "helper.py")
    assert found["fix"] == "git add dvc.yaml"
    run_fix(project, found["fix"])
    assert findings(project) == []
    assert project.check("--select", "DVF1")[0] == 0
