"""DVF3 across project layouts (sub-folder pipelines, `dvc init --subdir`, foreach), the
pre-commit scope, a real pre-commit hook, and no DVC import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import (
    BIN,
    Repo,
    assert_agrees,
    errors,
    findings,
    init_dvc,
    new_repo,
    run_fix,
    set_line,
    staged_status,
)


def test_consistent_commit_passes(project: Repo) -> None:
    assert findings(project, "--all") == []
    assert staged_status(project) == {}
    project.write("README.md", "docs\n")
    project.add("README.md")
    assert findings(project) == []


def test_scope_precommit_vs_all(project: Repo) -> None:
    set_line(project, "params.yaml", "lr: 0.1", "lr: 0.3")
    project.add("params.yaml")
    project.commit("legacy inconsistency")
    project.write("README.md", "unrelated\n")
    project.add("README.md")
    assert findings(project) == []  # an unrelated commit is not blocked
    assert [f["code"] for f in errors(project, "--all")] == ["DVF301"]
    project.write("src/util.py", "HELP = 2\n")  # a dep of train: train is in scope again
    project.add("src/util.py")
    assert {f["target"] for f in errors(project)} == {"params.yaml:train.lr", "src"}
    project.git("reset", "-q", "src/util.py")
    project.write("data/raw.csv", "z\n")  # upstream data: prepare, and train downstream of it
    project.dvc("add", "-q", "data/raw.csv")
    project.add("data/raw.csv.dvc")
    assert {f["stage"] for f in errors(project)} == {"prepare", "train"}


@pytest.mark.slow
def test_subfolder_pipeline(project: Repo) -> None:
    project.write("sub/params.yaml", "k: 1\nmsg: hi\n")
    project.write(
        "sub/dvc.yaml",
        """\
        stages:
          featurize:
            cmd: python -c "open('f.txt', 'w').write('${msg}')"
            params: [k]
            outs: [f.txt]
        """,
    )
    project.dvc("repro", "-q", "sub/dvc.yaml:featurize")
    project.add("sub")
    project.commit("sub pipeline")
    project.write("sub/params.yaml", "k: 2\nmsg: hi\n")
    project.add("sub/params.yaml")
    (found,) = errors(project)
    assert (found["path"], found["stage"]) == ("sub/params.yaml", "sub/dvc.yaml:featurize")
    assert (
        found["message"]
        == "k is 2 in this commit but sub/dvc.lock records 1 for stage 'sub/dvc.yaml:featurize'"
    )
    assert (
        found["fix"] == "dvc repro sub/dvc.yaml:featurize && git add sub/dvc.lock sub/params.yaml"
    )
    assert assert_agrees(project) == {"sub/dvc.yaml:featurize"}
    run_fix(project, found["fix"])
    assert findings(project) == [] and assert_agrees(project) == set()
    # A param used only through ${} in cmd is not under `params` in dvc.lock: the cmd changes.
    set_line(project, "sub/params.yaml", "msg: hi", "msg: bye")
    project.add("sub/params.yaml")
    (found,) = errors(project)
    assert (found["code"], found["path"], found["line"]) == ("DVF302", "sub/dvc.yaml", 3)
    assert found["message"].startswith(
        "the cmd of stage 'sub/dvc.yaml:featurize' is not the one sub/dvc.lock records"
    )
    assert assert_agrees(project) == {"sub/dvc.yaml:featurize"}


@pytest.mark.slow
def test_subdir_project(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "mono")
    init_dvc(repo, "proj")
    repo.write("proj/params.yaml", "lr: 1\n")
    repo.write(
        "proj/dvc.yaml",
        """\
        stages:
          train:
            cmd: python -c "open('m.txt', 'w').write('m')"
            params: [lr]
            outs: [m.txt]
        """,
    )
    proj = repo.root / "proj"
    repo.dvc("repro", "-q", cwd=proj)
    repo.add()
    repo.commit("subdir project")
    repo.write("proj/params.yaml", "lr: 2\n")
    repo.add("proj/params.yaml")
    (found,) = errors(repo, cwd=proj)
    assert (found["path"], found["stage"]) == ("proj/params.yaml", "train")
    assert found["fix"] == "dvc repro train && git add dvc.lock params.yaml"  # (run in proj)
    assert assert_agrees(repo, cwd=proj) == {"train"}
    run_fix(repo, found["fix"], cwd=proj)
    assert findings(repo) == [] and assert_agrees(repo, cwd=proj) == set()


@pytest.mark.slow
def test_foreach_stages(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "fe")
    init_dvc(repo)
    repo.write("params.yaml", "regions:\n  us:\n    lr: 1\n  eu:\n    lr: 2\n")
    repo.write(
        "dvc.yaml",
        """\
        stages:
          train:
            foreach: [us, eu]
            do:
              cmd: python -c "open('m-${item}.txt', 'w').write('${item}')"
              params:
                - regions.${item}.lr
              outs:
                - m-${item}.txt
        """,
    )
    repo.dvc("repro", "-q")
    repo.add()
    repo.commit("foreach")
    set_line(repo, "params.yaml", "lr: 1", "lr: 10")
    repo.add("params.yaml")
    (found,) = errors(repo)
    assert (found["stage"], found["line"]) == ("train@us", 3)
    assert (
        found["message"]
        == "regions.us.lr is 10 in this commit but dvc.lock records 1 for stage 'train@us'"
    )
    assert found["fix"] == "dvc repro train@us && git add dvc.lock params.yaml"
    assert assert_agrees(repo) == {"train@us"}
    run_fix(repo, found["fix"])
    assert findings(repo) == [] and assert_agrees(repo) == set()


@pytest.mark.slow
def test_precommit_blocks_then_allows(project: Repo) -> None:
    project.write(
        ".pre-commit-config.yaml",
        f"""\
        repos:
          - repo: local
            hooks:
              - id: dvcflow-lock
                name: dvcflow-lock
                entry: {BIN / "dvcflow-check"} --select DVF3
                language: system
                pass_filenames: false
                always_run: true
        """,
    )
    project.add(".pre-commit-config.yaml")
    project.commit("hooks")
    project.run(str(BIN / "pre-commit"), "install")
    set_line(project, "params.yaml", "lr: 0.1", "lr: 0.5")
    project.dvc("repro", "-q")
    project.add("params.yaml")  # the updated dvc.lock stays unstaged (stashed while hooks run)
    blocked = project.run("git", "commit", "-m", "lr", "--no-gpg-sign", check=False)
    assert blocked.returncode != 0
    assert (
        "DVF301 train.lr is 0.5 in this commit but dvc.lock records 0.1"
        in blocked.stdout + blocked.stderr
    )
    project.add("dvc.lock", "metrics.json")
    allowed = project.run("git", "commit", "-m", "lr", "--no-gpg-sign", check=False)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_dvc_is_never_imported(project: Repo) -> None:
    code = (
        "import sys, os; os.chdir(sys.argv[1]);"
        "from dvcflow.hooks.check import run; run(['--all', '--select', 'DVF3']);"
        "print(any(m == 'dvc' or m.startswith(('dvc.', 'dvc_')) for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(project.root)], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("False")
