"""DVF104 on real Git repositories: what counts as found, foreach, deleted .dvc files."""

from __future__ import annotations

from ...conftest import Repo
from .conftest import findings, project, staged


def test_dvf104_what_counts_as_found(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("data/data.xml.dvc", "outs:\n- md5: 22a1a2931c8370d3aeedd7183606fd7f\n  path: data.xml\n"),
        ("data/.gitignore", "/data.xml\n"),
        ("committed.csv", "x\n"),
        ("sub/dvc.yaml", "stages:\n  make:\n    cmd: echo\n    outs:\n    - ../made\n"),
        (
            "dvc.lock",
            "schema: '2.0'\nstages:\n  old:\n    cmd: echo\n    outs:\n"
            "    - path: locked.bin\n      md5: 1\n",
        ),
        (
            "dvc.yaml",
            "stages:\n  prep:\n    cmd: echo\n    deps:\n    - data/data.xml\n    - committed.csv\n"
            "    - made/part.csv\n    - locked.bin\n    - s3://bucket/x.csv\n    - /abs/path\n"
            "    - typo.csv\n    outs:\n    - out\n"
            "  use:\n    cmd: echo\n    deps:\n    - out/sub\n    - local.csv\n",
        ),
    )
    repo.write("local.csv", "not staged\n")
    found = {f["target"]: f for f in findings(repo, "--all", "--select", "DVF104")}
    assert sorted(found) == ["local.csv", "typo.csv"]
    assert (found["typo.csv"]["line"], found["typo.csv"]["stage"]) == (11, "prep")
    assert "not in the commit, not an output of any stage" in found["typo.csv"]["message"]
    assert "`dvc add typo.csv`" in found["typo.csv"]["fix"]
    assert found["local.csv"]["fix"].startswith("`git add local.csv`")


def test_dvf104_foreach_reported_once_and_deleted_dvc_file_in_scope(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("raw.csv.dvc", "outs:\n- md5: 1\n  path: raw.csv\n"),
        (
            "dvc.yaml",
            "stages:\n  prep:\n    foreach: [a, b]\n    do:\n      cmd: echo\n"
            "      deps:\n      - in/${item}.csv\n      - raw.csv\n",
        ),
    )
    found = findings(repo, "--all", "--select", "DVF104")
    assert len(found) == 1
    assert "in/a.csv, in/b.csv" in found[0]["message"]
    assert "prep@a, prep@b" in found[0]["message"]
    repo.write("in/a.csv", "")
    repo.write("in/b.csv", "")
    repo.add()
    repo.commit("ok")
    repo.git("rm", "-q", "raw.csv.dvc")  # deleting the .dvc file breaks a fresh clone
    assert [f["target"] for f in findings(repo, "--select", "DVF104")] == ["raw.csv"]
