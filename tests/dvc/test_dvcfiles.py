"""Which `.dvc` files are read: those DVC itself collects, inside a project and not ignored."""

from __future__ import annotations

from dvcflow.context import Context
from dvcflow.dvc.dvcfiles import load_dvc_files

from ..conftest import Repo

DVC_FILE = "outs:\n- md5: 0cc175b9c0f1b6a831c399e269772661\n  size: 1\n  path: {}\n"


def test_only_the_dvc_files_dvc_collects_are_read(repo: Repo) -> None:
    repo.write("outside/a.csv.dvc", DVC_FILE.format("a.csv"))  # no project holds it
    repo.write("proj/.dvc/config", "")
    repo.write("proj/.dvcignore", "scratch/\n")
    repo.write("proj/b.csv.dvc", DVC_FILE.format("b.csv"))
    repo.write("proj/scratch/c.csv.dvc", DVC_FILE.format("c.csv"))
    repo.add()
    ctx = Context.from_cwd(repo.root, all_files=True)
    try:
        read = [f.path for f in load_dvc_files(ctx.staged, ctx.projects("staged"))]
    finally:
        ctx.close()
    assert read == ["proj/b.csv.dvc"]
