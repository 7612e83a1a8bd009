"""dvc.yaml, dvc.lock and params files are parsed once per run for the views that hold them."""

from __future__ import annotations

from dvcflow.context import Context
from dvcflow.dvc.params import read_params
from dvcflow.dvc.yamlio import load_yaml

from ..conftest import Repo

PIPELINE = """\
vars:
  - params.yaml
stages:
  train:
    cmd: python train.py --lr ${train.lr}
    deps:
      - train.py
    params:
      - train.lr
"""
LOCK = """\
schema: '2.0'
stages:
  train:
    cmd: python train.py --lr 0.1
    deps:
    - path: train.py
      md5: 0123456789abcdef0123456789abcdef
      size: 1
    params:
      params.yaml:
        train.lr: 0.1
"""


def _repo(repo: Repo) -> Context:
    repo.write("dvc.yaml", PIPELINE)
    repo.write("dvc.lock", LOCK)
    repo.write("params.yaml", "train:\n  lr: 0.1\n")
    repo.write("train.py", "print(1)\n")
    repo.add()
    return Context.from_cwd(repo.root)


def test_identical_views_share_the_documents(dvc_repo: Repo) -> None:
    ctx = _repo(dvc_repo)
    staged, workspace = ctx.pipelines("staged")[0], ctx.pipelines("workspace")[0]
    assert staged is not workspace
    assert staged.document is workspace.document
    assert staged.lock is not None and workspace.lock is not None
    params = read_params(ctx.staged, "params.yaml")
    assert read_params(ctx.workspace, "params.yaml") is params
    assert params == {"train": {"lr": 0.1}}
    # The params data and its YAML document (positions) come from one parse.
    assert ctx.workspace.parsed("params.yaml", load_yaml).data is params
    assert staged.stages[0].cmd == workspace.stages[0].cmd == "python train.py --lr 0.1"


def test_an_edited_work_tree_is_parsed_on_its_own(dvc_repo: Repo) -> None:
    ctx = _repo(dvc_repo)
    dvc_repo.write("params.yaml", "train:\n  lr: 0.2\n")
    dvc_repo.write("dvc.lock", LOCK.replace("0.1", "0.2"))
    staged, workspace = ctx.pipelines("staged")[0], ctx.pipelines("workspace")[0]
    assert staged.document is workspace.document  # dvc.yaml itself is unchanged
    assert workspace.stages[0].cmd == "python train.py --lr 0.2"
    assert staged.stages[0].cmd == "python train.py --lr 0.1"
    assert staged.lock is not None and workspace.lock is not None
    assert workspace.lock.stages["train"].params["params.yaml"] == {"train.lr": 0.2}
    assert staged.lock.stages["train"].params["params.yaml"] == {"train.lr": 0.1}
    assert staged.lock.stages["train"].line == workspace.lock.stages["train"].line == 3
