"""What dvcflow-repro and stage_run record, piece by piece: keys, params, DVC's log lines,
stage lookup; and that importing them stays cheap."""

from __future__ import annotations

import subprocess
import sys

from dvcflow.mlflow.runrecord import (
    KeyBook,
    StageLog,
    find_stage,
    flatten,
    mlflow_key,
    param_text,
    pipeline_params,
    split_address,
)

from ..conftest import Repo
from .repro_pipeline import DVC_YAML, PARAMS

# -- the pieces ------------------------------------------------------------------------------


def test_importing_dvcflow_mlflow_does_not_import_mlflow() -> None:
    code = (
        "import sys, dvcflow.mlflow; print('dvcflow.dvc.pipeline' in sys.modules); "
        "import dvcflow.hooks.repro; print('mlflow' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["False", "False"]


def test_keys_are_valid_mlflow_keys_and_never_collide() -> None:
    assert mlflow_key("dvcflow.data.data/raw.csv") == "dvcflow.data.data/raw.csv"
    assert mlflow_key("dvcflow.dep.train@us:x") == "dvcflow.dep.train_us_x"
    assert mlflow_key("a//b/../c/") == "a/_/b/_/c/_"
    long = mlflow_key("p." + "x" * 400)
    assert len(long) == 250 and long != mlflow_key("p." + "x" * 399)
    book = KeyBook()
    assert book.key("a@b") == "a_b"
    assert book.key("a:b") != "a_b" and book.key("a:b") == book.key("a:b")


def test_params_flatten_like_yaml_scalars() -> None:
    data = {"train": {"lr": 0.1, "layers": [8, 4], "opt": {"name": "adam", "nesterov": True}}}
    flat = {k: param_text(v) for k, v in flatten("", data)}
    assert flat == {
        "train.lr": "0.1",
        "train.layers": "[8, 4]",
        "train.opt.name": "adam",
        "train.opt.nesterov": "true",
    }
    assert param_text(None) == "null"


def test_stage_log_reads_dvc_lines_split_anywhere() -> None:
    log = StageLog()
    text = (
        b"'data.dvc' didn't change, skipping\r\n"
        b"Stage 'prepare' didn't change, skipping\n"
        b"Stage 'train@us' is cached - skipping run, checking out outputs\n"
        b"\x1b[33mRunning stage 'sub/dvc.yaml:evaluate':\x1b[0m\n"
        b"> python evaluate.py\n"
        b"Running stage 'report':\n"
        b"ERROR: failed to reproduce stages: 'sub/dvc.yaml:evaluate' and 'report'\n"
    )
    for start in range(0, len(text), 7):  # output arrives in arbitrary chunks
        log.feed(text[start : start + 7])
    log.feed(b"Running stage 'late':", "err")
    log.close()
    assert log.stages == {
        "prepare": "skipped",
        "train@us": "cached",
        "sub/dvc.yaml:evaluate": "failed",
        "report": "failed",
        "late": "ran",
    }
    single = StageLog()
    single.feed(b"ERROR: failed to reproduce 'train': failed to run: x, exited with 1\n")
    assert single.having("failed") == ["train"]
    # seen on iterative/example-get-started offline: quoted paths and hosts in the reason
    offline = StageLog()
    offline.feed(
        b"ERROR: failed to reproduce 'data/data.xml.dvc': SCM error: Failed to clone repo "
        b"'https://github.com/iterative/dataset-registry' to '/tmp/x-clone': "
        b"HTTPSConnection(host='github.com', port=443): Failed to resolve 'github.com'\n"
    )
    assert offline.stages == {"data/data.xml.dvc": "failed"}


def test_params_and_stage_lookup_from_the_workspace(dvc_repo: Repo) -> None:
    from dvcflow.context import Context

    dvc_repo.write("params.yaml", PARAMS)
    dvc_repo.write("configs/eval.yaml", "threshold: 0.5\nother: 1\n")
    dvc_repo.write("sub/dvc.yaml", DVC_YAML)
    dvc_repo.write("sub/params.yaml", PARAMS)
    dvc_repo.write("sub/configs/eval.yaml", "threshold: 0.7\n")
    dvc_repo.write("dvc.yaml", DVC_YAML)
    ctx = Context.from_cwd(dvc_repo.root)
    try:
        pipelines = ctx.pipelines("workspace")
        params = pipeline_params(pipelines, ctx.workspace)
        assert params.values["configs/eval.yaml/threshold"] == "0.5"
        assert params.values["sub/configs/eval.yaml/threshold"] == "0.7"
        assert params.values["sub/params.yaml/train.optimizer.name"] == "adam"
        assert "configs/eval.yaml/other" not in params.values  # not declared by any stage
        stage = find_stage(pipelines, "sub/dvc.yaml:train", [""])
        assert stage is not None and stage.pipeline.path == "sub/dvc.yaml"
        assert find_stage(pipelines, "dvc.yaml:train", ["sub"]) is stage  # DVC ran in sub/
        assert find_stage(pipelines, "train", [""]) is not stage
    finally:
        ctx.close()
    assert split_address("train@us") == ("dvc.yaml", "train@us")
