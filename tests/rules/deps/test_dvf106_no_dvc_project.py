"""DVF106 no-dvc-project: dvc.yaml files committed without `.dvc/` are linted all the same,
and the missing project is reported once, with a fix that works when run verbatim."""

from __future__ import annotations

import json
import os
import re

from ...conftest import BIN, Repo

PIPELINE = """\
stages:
  train:
    cmd: python train.py
    deps: [data.csv]
    params: [lr, epochs]
    outs: [model.pkl]
"""


def _without_dvc(repo: Repo) -> Repo:
    repo.write("dvc.yaml", PIPELINE)
    repo.write("params.yaml", "lr: 0.1\n")
    repo.write("train.py", "print('train')\n")
    repo.write("requirements.txt", "dvc==3.67.1\n")
    repo.add()
    return repo


def _run_help(repo: Repo, out: str) -> None:
    """Run the DVF106 help line's command verbatim, as a user would paste it."""
    (line,) = [h for h in out.splitlines() if "help:" in h and ".dvc/config" in h]
    command = re.search(r"`([^`]+)`", line)
    assert command is not None, line
    env_path = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    repo.run("bash", "-c", f"PATH={env_path} {command[1]}")


def test_pipelines_are_linted_and_the_missing_project_reported_once(repo: Repo) -> None:
    _without_dvc(repo)
    repo.write("sub/dvc.yaml", "stages:\n  other:\n    cmd: echo\n    deps: [gone.txt]\n")
    repo.add()
    code, out = repo.check("--all")
    assert code == 1
    assert out.count("DVF106") == 1
    assert (
        "dvc.yaml: DVF106 the repository has 2 dvc.yaml files but no committed DVC project" in out
    )
    assert "help: `dvc init && git add .dvc/config .dvc/.gitignore .dvcignore`" in out
    # The pipelines are linted as usual: DVF1 and DVF3 findings in both files.
    for expected in (
        "dvc.yaml:2:3: DVF101 stage 'train' runs train.py",
        "dvc.yaml:5:18: DVF103 stage 'train' tracks param 'epochs'",
        "dvc.yaml:4:12: DVF104 stage 'train' depends on data.csv",
        "dvc.yaml:2:3: DVF302 stage 'train' has no entry in dvc.lock",
        "sub/dvc.yaml:4:12: DVF104 stage 'other' depends on sub/gone.txt",
    ):
        assert expected in out, out
    assert "DVF201" not in out  # staleness needs DVC, which cannot run here

    _run_help(repo, out)
    code, out = repo.check("--all", "--select", "DVF106")
    assert (code, out) == (0, "All checks passed.\n")


def test_dvf105_still_reported_without_a_project(repo: Repo) -> None:
    _without_dvc(repo)
    repo.write("dvc.yaml", PIPELINE + "    outs_persist: [x]\n")
    repo.add()
    code, out = repo.check("--all", "--select", "DVF105,DVF106")
    assert code == 1 and "dvc.yaml:7:5: DVF105" in out and "DVF106" in out


def test_a_project_left_out_by_gitignore_is_added(repo: Repo) -> None:
    _without_dvc(repo)
    repo.dvc("init", "-q")
    repo.git("rm", "-rq", "--cached", ".dvc", ".dvcignore")
    repo.write(".gitignore", ".dvc/\n.dvcignore\n")
    repo.add(".gitignore")
    code, out = repo.check("--all", "--select", "DVF106")
    assert code == 1
    assert "help: commit the project DVC set up: `git add -f .dvc/config .dvc/.gitignore" in out
    _run_help(repo, out)
    assert repo.check("--all", "--select", "DVF106")[0] == 0


def test_pre_commit_mode_reports_it_when_the_commit_touches_a_pipeline(repo: Repo) -> None:
    _without_dvc(repo)
    code, out = repo.check("--select", "DVF106")
    assert code == 1 and "DVF106" in out
    repo.commit("pipeline without .dvc")
    repo.write("README.md", "unrelated\n")
    repo.add("README.md")
    assert repo.check("--select", "DVF106") == (0, "All checks passed.\n")


def test_a_commit_removing_the_project_is_reported(dvc_repo: Repo) -> None:
    _without_dvc(dvc_repo)
    dvc_repo.commit("pipeline")
    dvc_repo.git("rm", "-rq", "--cached", ".dvc", ".dvcignore")
    code, out = dvc_repo.check("--select", "DVF106")
    assert code == 1 and "help: commit the project DVC set up: `git add -f .dvc/config" in out


def test_a_committed_project_is_clean(dvc_repo: Repo) -> None:
    _without_dvc(dvc_repo)
    assert dvc_repo.check("--all", "--select", "DVF106") == (0, "All checks passed.\n")


def test_nothing_to_check_says_so(repo: Repo) -> None:
    repo.write("README.md", "no DVC here\n")
    repo.add()
    for argv in ((), ("--all",)):
        code, out = repo.check(*argv)
        assert code == 0
        assert out == (
            "Nothing to check: this repository has no DVC project (.dvc/config), "
            "no dvc.yaml and no .dvc file.\n"
        )
    code, out = repo.check("--all", "--output-format", "json")
    assert code == 0 and json.loads(out) == []
