"""dvcflow-repro and stage_run: a real 3-stage DVC pipeline, a real `mlflow server`, SQLite.

The stage scripts use `dvcflow.mlflow.stage_run` (context manager and decorator forms) and run
as separate processes under the real `dvc repro`; runs are read back with MLflow's own client.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dvcflow.hooks.repro import run as run_repro
from dvcflow.mlflow.matching import COMMIT_TAG, LOCK_MD5_TAG

from ..conftest import PRE_COMMIT, Repo
from .conftest import MLFLOW_TAG_CONFIG, Server
from .repro_pipeline import (
    PARAMS,
    PY,
    REPRO,
    SLOW_PY,
    STAGES,
    artifact_text,
    assert_first_run,
    children,
    client,
    make_pipeline,
    parent_named,
    repro,
    runs,
)

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
    assert "MLflow at http://127.0.0.1:9 is unreachable (connection refused)" in output
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


def test_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_repro(["--help"]) == 0
    assert "DVC_ARGS" in capsys.readouterr().out
    outside = subprocess.run([REPRO], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert outside.returncode == 2 and "not inside a Git work tree" in outside.stderr
