"""`--fix` reports the state after the fix, and `--all` names the view it judged."""

from __future__ import annotations

from ..conftest import Repo

PIPELINE = "stages:\n  train:\n    cmd: python train.py\n    outs: [model.txt]\n"


def _project(repo: Repo) -> None:
    repo.write(".dvc/config", "")
    repo.write("train.py", "open('model.txt', 'w').write('m')\n")
    repo.write("dvc.yaml", PIPELINE)
    repo.add()


def test_fix_reports_what_it_changed_and_exits_clean_when_nothing_remains(repo: Repo) -> None:
    _project(repo)
    assert repo.check("--select", "DVF101")[0] == 1
    code, out = repo.check("--fix", "--select", "DVF101")
    assert code == 0, out
    assert "dvcflow: fixed dvc.yaml" in out
    assert "  help: git add dvc.yaml" in out
    assert "All checks passed." in out and "DVF101" not in out.split("help:")[-1]
    assert "- train.py" in repo.read("dvc.yaml")
    repo.add("dvc.yaml")  # the printed line: now the commit holds the fix too
    assert repo.check("--select", "DVF101") == (0, "All checks passed.\n")


def test_fix_under_all_reports_the_same(repo: Repo) -> None:
    _project(repo)
    code, out = repo.check("--all", "--fix", "--select", "DVF101")
    assert code == 0, out
    assert "help: git add dvc.yaml" in out


def test_all_names_the_view_it_judged(repo: Repo) -> None:
    _project(repo)
    code, out = repo.check("--all", "--select", "DVF1")
    assert code == 1
    assert out.rstrip().splitlines()[-1] == "Judged the Git index (what is staged) for DVF1."
    code, out = repo.check("--select", "DVF1")  # pre-commit mode judges the commit being made
    assert code == 1 and "Judged" not in out
