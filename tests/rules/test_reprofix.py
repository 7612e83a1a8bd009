"""The shared repro fix: plans computed once per run, Git's ignore rules asked in one batch."""

from __future__ import annotations

import os

from dvcflow.context import Context
from dvcflow.git.repo import check_ignore, check_ignore_one
from dvcflow.rules import reprofix
from dvcflow.rules.reprofix import graph, repro_plan

from ..conftest import Repo

PIPELINE = """\
stages:
  prepare:
    cmd: python prepare.py
    deps:
      - prepare.py
    outs:
      - data
    metrics:
      - scores/prepare.json:
          cache: false
  train:
    cmd: python train.py
    deps:
      - train.py
      - data
    outs:
      - model.pkl
      - "reports/a b.json":
          cache: false
      - reports/ünï.json:
          cache: false
      - kept.json:
          cache: false
"""
ABSENT = ["scores/prepare.json", "reports/a b.json", "reports/ünï.json", "kept.json"]


def _repo(repo: Repo) -> None:
    repo.write(".dvc/config", "")
    repo.write("dvc.yaml", PIPELINE)
    repo.write("prepare.py", "")
    repo.write("train.py", "")
    repo.write(".gitignore", "/scores\n/reports/*.json\n/data\n/model.pkl\n")
    repo.add()


def _per_path(ctx: Context, paths: list[str]) -> dict[str, bool]:
    return {p: check_ignore_one(ctx.root, p) for p in paths}


def test_plans_and_results_are_computed_once(repo: Repo) -> None:
    _repo(repo)
    ctx = Context.from_cwd(repo.root, all_files=True)
    try:
        prepare, train = ctx.stages()
        plan = repro_plan(ctx, prepare)
        assert plan is repro_plan(ctx, [prepare])
        assert plan.targets == ("prepare", "train")
        assert plan.paths == ("dvc.lock", "prepare.py", "kept.json", "train.py")
        stage_graph = graph(ctx, "staged")
        assert set(stage_graph.results) == {id(prepare), id(train)}
        assert repro_plan(ctx, train).paths == ("dvc.lock", "kept.json", "train.py")
        assert set(stage_graph.results) == {id(prepare), id(train)}  # train's were kept
    finally:
        ctx.close()


def test_absent_outputs_are_asked_in_one_batch(repo: Repo) -> None:
    _repo(repo)
    ctx = Context.from_cwd(repo.root, all_files=True)
    try:
        repro_plan(ctx, ctx.stages()[0])
        answers = ctx.memo(reprofix._git_ignores, dict)
        assert answers == _per_path(ctx, ABSENT)
        assert [p for p in ABSENT if answers[p]] == ABSENT[:3]
    finally:
        ctx.close()


def test_batch_answers_as_one_call_each(repo: Repo) -> None:
    _repo(repo)
    ctx = Context.from_cwd(repo.root)
    try:
        assert check_ignore(ctx.root, ["kept.json", "x/y"]) == set()  # exit 1
        assert check_ignore(ctx.root, ABSENT) == set(ABSENT[:3])
        assert reprofix._ignored(ctx, ["prepare.py"]) == {"prepare.py": False}  # tracked
    finally:
        ctx.close()


def test_a_failing_batch_is_asked_one_by_one(repo: Repo) -> None:
    """A path beyond a symlink makes git exit 128: the batch is dropped, each path asked."""
    _repo(repo)
    repo.path("real").mkdir()
    os.symlink("real", repo.path("link"))
    ctx = Context.from_cwd(repo.root)
    try:
        asked = ["scores/prepare.json", "link/out.json", "kept.json"]
        assert check_ignore(ctx.root, asked) is None
        assert reprofix._ignored(ctx, asked) == {
            "scores/prepare.json": True,
            "link/out.json": False,
            "kept.json": False,
        }
        assert reprofix._ignored(ctx, asked) == _per_path(ctx, asked)
    finally:
        ctx.close()
