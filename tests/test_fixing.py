"""`--fix` through symlinks (issue 16 item 6): a link to a file inside the repository is fixed
in its target and stays a link; any other link, or a path that is no regular file, is refused
with a message and left as it is."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from dvcflow.fixing import Edit, apply_edits

from .conftest import Repo

PIPELINE = "stages:\n  train:\n    cmd: python src/train.py\n    outs: [model.pkl]\n"


def test_fix_through_a_symlinked_dvc_yaml_edits_the_target(dvc_repo: Repo) -> None:
    dvc_repo.write("pipelines/main.yaml", PIPELINE)
    dvc_repo.path("dvc.yaml").symlink_to("pipelines/main.yaml")
    dvc_repo.write("src/train.py", "print('train')\n")
    dvc_repo.add()
    code, out = dvc_repo.check("--select", "DVF101")
    assert code == 1 and "DVF101 stage 'train' runs src/train.py" in out

    code, out = dvc_repo.check("--select", "DVF101", "--fix")
    assert code == 0, out  # judged as if the fixed file were staged: nothing remains
    assert "dvcflow: fixed pipelines/main.yaml: added `- src/train.py`" in out
    assert "(via dvc.yaml)" in out
    assert dvc_repo.path("dvc.yaml").is_symlink()
    assert os.readlink(dvc_repo.path("dvc.yaml")) == "pipelines/main.yaml"
    assert "- src/train.py" in dvc_repo.read("pipelines/main.yaml")
    dvc_repo.add("pipelines/main.yaml")  # the file the message names
    assert dvc_repo.check("--select", "DVF101") == (0, "All checks passed.\n")


@pytest.mark.parametrize(
    ("make", "why"),
    [
        pytest.param(
            lambda repo, outside: repo.path("dvc.yaml").symlink_to(outside),
            "is a symlink to {outside}, outside the repository: edit that file yourself",
            id="outside",
        ),
        pytest.param(
            lambda repo, outside: repo.path("dvc.yaml").symlink_to("gone.yaml"),
            "is a symlink to gone.yaml, which leads nowhere (dangling or a loop)",
            id="dangling",
        ),
        pytest.param(
            lambda repo, outside: repo.path("dvc.yaml").symlink_to("dvc.yaml"),
            "is a symlink to dvc.yaml, which leads nowhere (dangling or a loop)",
            id="loop",
        ),
        pytest.param(
            lambda repo, outside: os.mkfifo(repo.path("dvc.yaml")),
            "is not a regular file",
            id="fifo",
        ),
    ],
)
def test_other_edits_are_refused_and_nothing_is_written(
    repo: Repo, tmp_path: Path, make: Callable[[Repo, Path], object], why: str
) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(PIPELINE)
    make(repo, outside)
    before = os.lstat(repo.path("dvc.yaml"))
    (done,) = apply_edits(repo.root, [Edit("dvc.yaml", "changed\n", "add a dep")])
    assert done.refused == why.format(outside=outside)
    after = os.lstat(repo.path("dvc.yaml"))
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert outside.read_text() == PIPELINE


def test_a_plain_file_is_written_in_place(repo: Repo) -> None:
    repo.write("dvc.yaml", PIPELINE)
    (done,) = apply_edits(repo.root, [Edit("dvc.yaml", "changed\n", "add a dep")])
    assert done.refused is None and repo.read("dvc.yaml") == "changed\n"
