"""dvcflow-repro and stage_run: a real 3-stage DVC pipeline, a real `mlflow server`, SQLite.

The stage scripts use `dvcflow.mlflow.stage_run` (context manager and decorator forms) and run
as separate processes under the real `dvc repro`; runs are read back with MLflow's own client.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from dvcflow.hooks.repro import run as run_repro
from dvcflow.mlflow.matching import COMMIT_TAG, LOCK_MD5_TAG
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

from .conftest import BIN, MLFLOW_TAG_CONFIG, PRE_COMMIT, Repo, Server

REPRO = str(BIN / "dvcflow-repro")
PY = shlex.quote(sys.executable)
STAGES = ["prepare", "train", "evaluate"]

PARAMS = """\
prepare:
  scale: 2
train:
  lr: 0.1
  layers: [8, 4]
  optimizer:
    name: adam
evaluate:
  fail: false
"""

DVC_YAML = f"""\
stages:
  prepare:
    cmd: {PY} prepare.py
    deps: [prepare.py, data/raw.csv]
    params: [prepare.scale]
    outs: [data/prepared.csv]
  train:
    cmd: {PY} train.py
    deps: [train.py, data/prepared.csv]
    params: [train]
    outs: [model.txt]
  evaluate:
    cmd: {PY} evaluate.py
    deps: [evaluate.py, model.txt]
    params:
      - evaluate.fail
      - configs/eval.yaml:
          - threshold
    metrics:
      - metrics.json:
          cache: false
"""

PREPARE_PY = """\
from dvcflow.mlflow import stage_run

with stage_run():  # the context-manager form
    rows = open("data/raw.csv").read()
    open("data/prepared.csv", "w").write(rows * 2)
    print("prepared", flush=True)
"""

TRAIN_PY = """\
import mlflow

from dvcflow.mlflow import stage_run


@stage_run()  # the decorator form
def main() -> None:
    mlflow.log_metric("loss", 0.25)
    open("model.txt", "w").write(open("data/prepared.csv").read().upper())


main()
"""

EVALUATE_PY = """\
import json
import sys

import yaml

from dvcflow.mlflow import stage_run

with stage_run() as run:
    if yaml.safe_load(open("params.yaml"))["evaluate"]["fail"]:
        sys.exit("evaluation failed on purpose")
    json.dump({"accuracy": 0.93}, open("metrics.json", "w"))
"""

SLOW_PY = """\
import os
import time

from dvcflow.mlflow import stage_run

with stage_run():
    open("stage.pid", "w").write(str(os.getpid()))
    print("training", flush=True)
    time.sleep(120)
"""


# -- helpers ---------------------------------------------------------------------------------


def make_pipeline(repo: Repo, mlflow_config: str, *, ignore_mlruns: bool = True) -> str:
    """The 3-stage pipeline, its `.dvc`-tracked input and config; committed. The commit's SHA."""
    repo.write("data/raw.csv", "a,b\n1,2\n")
    repo.dvc("add", "-q", "data/raw.csv")
    repo.write("params.yaml", PARAMS)
    repo.write("configs/eval.yaml", "threshold: 0.5\n")
    repo.write("dvc.yaml", DVC_YAML)
    repo.write("prepare.py", PREPARE_PY)
    repo.write("train.py", TRAIN_PY)
    repo.write("evaluate.py", EVALUATE_PY)
    repo.write("requirements.txt", "dvc==3.67.1\nmlflow\n")
    repo.write("pyproject.toml", f"[tool.dvcflow.mlflow]\n{mlflow_config}")
    repo.write(".gitignore", "mlflow.db\n" + ("mlruns/\n" if ignore_mlruns else ""))
    repo.add()
    return repo.commit("pipeline")


def repro(repo: Repo, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = subprocess.run(
        [REPRO, *args],
        cwd=repo.root,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=180,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def client(uri: str) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def runs(uri: str, experiment: str) -> list[Any]:
    mlflow_client = client(uri)
    found = mlflow_client.get_experiment_by_name(experiment)
    return list(mlflow_client.search_runs([found.experiment_id], max_results=1000))


def parent_named(all_runs: list[Any], name: str) -> Any:
    (run,) = [r for r in all_runs if r.info.run_name == name]
    assert "mlflow.parentRunId" not in run.data.tags
    return run


def children(all_runs: list[Any], parent: Any) -> dict[str, Any]:
    nested = [r for r in all_runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    return {r.info.run_name: r for r in nested}


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()


def lock_entry(repo: Repo, stage: str, kind: str, path: str) -> str:
    import yaml

    lock = yaml.safe_load(repo.read("dvc.lock"))
    (entry,) = [e for e in lock["stages"][stage][kind] if e["path"] == path]
    return str(entry["md5"])


def artifact_text(uri: str, run_id: str, path: str, dst: Path) -> str:
    import mlflow.artifacts

    local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path=path, dst_path=str(dst), tracking_uri=uri
    )
    return Path(local).read_text(encoding="utf-8")


def assert_first_run(repo: Repo, uri: str, parent: Any, nested: dict[str, Any]) -> None:
    """The run tree of a repro that ran every stage: tags, params, children."""
    tags, params = parent.data.tags, parent.data.params
    assert parent.info.status == "FINISHED"
    assert json.loads(tags["dvcflow.repro.ran"]) == STAGES
    assert json.loads(tags["dvcflow.repro.skipped"]) == []
    assert tags[LOCK_MD5_TAG] == md5(repo.path("dvc.lock"))
    raw_md5 = repo.read("data/raw.csv.dvc").split("md5: ")[1].split()[0]
    assert tags["dvcflow.data.data/raw.csv"] == raw_md5  # a .dvc-tracked input
    for stage, out in [("prepare", "data/prepared.csv"), ("train", "model.txt")]:
        assert tags[f"dvcflow.data.{out}"] == lock_entry(repo, stage, "outs", out)
    assert tags["dvcflow.data.metrics.json"] == md5(repo.path("metrics.json"))
    assert params == {
        "prepare.scale": "2",
        "train.lr": "0.1",
        "train.layers": "[8, 4]",
        "train.optimizer.name": "adam",
        "evaluate.fail": "false",
        "configs/eval.yaml/threshold": "0.5",
    }
    assert set(nested) == set(STAGES)
    for name, run in nested.items():
        assert run.info.status == "FINISHED", name
        assert run.info.experiment_id == parent.info.experiment_id
        assert run.data.tags["dvcflow.stage"] == name
    # the deps as the stage saw them are what DVC then recorded in dvc.lock
    train_tags = nested["train"].data.tags
    for dep in ("data/prepared.csv", "train.py"):
        assert train_tags[f"dvcflow.dep.{dep}"] == lock_entry(repo, "train", "deps", dep)
    assert nested["prepare"].data.tags["dvcflow.dep.data/raw.csv"] == raw_md5
    assert nested["train"].data.metrics == {"loss": 0.25}


# -- a real MLflow server --------------------------------------------------------------------


@pytest.mark.slow
def test_repro_run_tree_noop_commit_tagging_and_failure(
    dvc_repo: Repo,
    home: Path,
    mlflow_server: Server,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    uri = mlflow_server.uri
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_RUN_ID", "f" * 32)  # a stale one: stages must not resume it
    repo = dvc_repo
    repo.write(".pre-commit-config.yaml", MLFLOW_TAG_CONFIG)
    repo.run(PRE_COMMIT, "install", "--hook-type", "post-commit")
    base = make_pipeline(repo, 'experiments = ["repro-exp"]\n')

    code, output = repro(repo, "--run-name", "first")
    assert code == 0, output
    assert "Running stage 'prepare':" in output and "prepared\n" in output  # streamed through
    assert "MLflow run 'first' (" in output and "in experiment 'repro-exp'" in output
    all_runs = runs(uri, "repro-exp")
    first = parent_named(all_runs, "first")
    nested = children(all_runs, first)
    assert_first_run(repo, uri, first, nested)
    assert first.data.tags["mlflow.source.git.commit"] == base
    assert first.data.tags["dvcflow.repro.command"] == "dvc repro"
    listed = {a.path for a in client(uri).list_artifacts(first.info.run_id)}
    assert listed == {
        "dvc.yaml",
        "dvc.lock",
        "params.yaml",
        "configs",
        "requirements.txt",
        "pyproject.toml",
        "dvcflow-repro.json",
    }
    assert artifact_text(uri, first.info.run_id, "dvc.lock", tmp_path / "a") == repo.read(
        "dvc.lock"
    )
    summary = json.loads(
        artifact_text(uri, first.info.run_id, "dvcflow-repro.json", tmp_path / "b")
    )
    assert summary["stages"] == dict.fromkeys(STAGES, "ran")

    code, output = repro(repo, "--run-name", "again")
    assert code == 0, output
    assert "Stage 'train' didn't change, skipping" in output
    all_runs = runs(uri, "repro-exp")
    again = parent_named(all_runs, "again")
    assert again.info.status == "FINISHED"
    assert json.loads(again.data.tags["dvcflow.repro.ran"]) == []
    assert json.loads(again.data.tags["dvcflow.repro.skipped"]) == STAGES
    assert LOCK_MD5_TAG not in again.data.tags  # it reproduced nothing: not the tree behind it
    assert children(all_runs, again) == {}

    repo.add()
    proc = repo.run("git", "commit", "-q", "--no-gpg-sign", "-m", "repro")
    sha = repo.git("rev-parse", "HEAD").strip()
    assert (
        f"tagged MLflow run 'first' ({first.info.run_id[:8]}) and 3 nested runs "
        f"with commit {sha[:7]}" in proc.stdout + proc.stderr
    )
    for run in [first, *nested.values()]:
        assert client(uri).get_run(run.info.run_id).data.tags[COMMIT_TAG] == sha
    assert COMMIT_TAG not in client(uri).get_run(again.info.run_id).data.tags

    repo.write("params.yaml", PARAMS.replace("fail: false", "fail: true"))
    code, output = repro(repo, "--run-name", "broken")
    assert code == 255, output  # dvc repro's own exit code
    assert "evaluation failed on purpose" in output
    all_runs = runs(uri, "repro-exp")
    broken = parent_named(all_runs, "broken")
    assert broken.info.status == "FAILED"
    assert json.loads(broken.data.tags["dvcflow.repro.failed"]) == ["evaluate"]
    assert json.loads(broken.data.tags["dvcflow.repro.skipped"]) == ["prepare", "train"]
    assert broken.data.params["evaluate.fail"] == "true"
    (failed,) = children(all_runs, broken).values()
    assert (failed.info.run_name, failed.info.status) == ("evaluate", "FAILED")


@pytest.mark.slow
def test_sigint_ends_the_parent_killed_and_interrupts_the_stage(
    dvc_repo: Repo, home: Path, mlflow_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = mlflow_server.uri
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    repo = dvc_repo
    repo.write("slow.py", SLOW_PY)
    repo.write("dvc.yaml", f"stages:\n  slow:\n    cmd: {PY} slow.py\n    deps: [slow.py]\n")
    repo.write("pyproject.toml", '[tool.dvcflow.mlflow]\nexperiments = ["kill-exp"]\n')
    repo.add()
    repo.commit("slow")
    log = repo.root.parent / "repro.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [REPRO, "--run-name", "interrupted"],
            cwd=repo.root,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 90
        while b"training" not in log.read_bytes():
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        stage_pid = int(repo.read("stage.pid"))
        proc.send_signal(signal.SIGINT)  # only dvcflow-repro gets it: it forwards
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code != 0, log.read_text()
    all_runs = runs(uri, "kill-exp")
    parent = parent_named(all_runs, "interrupted")
    assert parent.info.status == "KILLED"
    assert [r.info.status for r in children(all_runs, parent).values()] == ["KILLED"]
    with pytest.raises(ProcessLookupError):  # the stage was interrupted, not left behind
        os.kill(stage_pid, 0)


def test_unreachable_server_stops_before_dvc_repro(dvc_repo: Repo, home: Path) -> None:
    dvc_repo.write("dvc.yaml", "stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n")
    code, output = repro(dvc_repo, env={"MLFLOW_TRACKING_URI": "http://127.0.0.1:9"})
    assert code == 2
    assert "MLflow at http://127.0.0.1:9 unreachable" in output
    assert "dvc repro was not run" in output
    assert not dvc_repo.path("a.txt").exists()


# -- a local SQLite store --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SQLAlchemy, in MLflow's own client
def test_repro_in_a_local_sqlite_store_and_a_stage_script_alone(dvc_repo: Repo, home: Path) -> None:
    repo = dvc_repo
    make_pipeline(
        repo,
        'tracking-uri = "sqlite:///mlflow.db"\nexperiments = ["local-exp"]\n',
        ignore_mlruns=False,
    )
    code, output = repro(repo, "--run-name", "local", "--experiment", "local-exp")
    assert code == 0, output
    uri = f"sqlite:///{repo.root / 'mlflow.db'}"
    all_runs = runs(uri, "local-exp")
    local = parent_named(all_runs, "local")
    assert_first_run(repo, uri, local, children(all_runs, local))
    # MLflow's default artifact folder is ./mlruns: its dvc.yaml copy must not be a pipeline
    assert "MLflow stores artifacts inside the repository (mlruns/)" in output
    assert ".dvcignore" in {a.path for a in client(uri).list_artifacts(local.info.run_id)}
    assert "mlruns" not in repo.dvc("stage", "list", "--all")

    alone = subprocess.run(
        [sys.executable, "train.py"],
        cwd=repo.root,
        env={**os.environ, "MLFLOW_TRACKING_URI": uri, "MLFLOW_EXPERIMENT_NAME": "local-exp"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert alone.returncode == 0, alone.stderr[-2000:]
    plain = [
        r for r in runs(uri, "local-exp") if r.info.run_id not in {x.info.run_id for x in all_runs}
    ]
    assert [(r.info.run_name, r.info.status) for r in plain] == [("train", "FINISHED")]
    assert "mlflow.parentRunId" not in plain[0].data.tags
    assert "dvcflow.stage" not in plain[0].data.tags


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


def test_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_repro(["--help"]) == 0
    assert "DVC_ARGS" in capsys.readouterr().out
    outside = subprocess.run([REPRO], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert outside.returncode == 2 and "not inside a Git work tree" in outside.stderr
