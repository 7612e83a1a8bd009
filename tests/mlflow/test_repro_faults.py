"""dvcflow-repro when MLflow fails: a 500 on experiment creation, the server gone mid-run.

A real `mlflow server` behind a small real HTTP server that misbehaves on command (a stage
script flips it). Each case: the exit code, the message, no secret printed, and that nothing
was lost (the stages' results, the run's record). The subprocess timeouts are safety nets well
above the documented bound and far below the minutes the mlflow client's own retries took.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import Repo
from .conftest import Flaky, Server, mlflow_client
from .repro_pipeline import PY, repro, runs

SECRET = {"MLFLOW_TRACKING_USERNAME": "bob", "MLFLOW_TRACKING_PASSWORD": "s3cr/et@pw"}

WORK_PY = """\
from dvcflow.mlflow import stage_run

with stage_run() as run:
    open("out.txt", "w").write("trained\\n")
"""


@pytest.mark.slow
def test_a_500_on_experiment_creation_stops_before_dvc_repro_in_bounded_time(
    dvc_repo: Repo, home: Path, flaky_mlflow: Flaky
) -> None:
    repo = dvc_repo
    repo.write("dvc.yaml", "stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n")
    repo.write("pyproject.toml", '[tool.dvcflow.mlflow]\nexperiments = ["never-created"]\n')
    flaky_mlflow.mode = "create500"
    env = {"MLFLOW_TRACKING_URI": flaky_mlflow.uri, **SECRET}
    code, output = repro(repo, env=env)  # the safety timeout (180 s) is below the old 249 s
    assert code == 2, output
    assert f"cannot open an MLflow run at {flaky_mlflow.uri}" in output
    assert "dvc repro was not run" in output
    assert "s3cr/et@pw" not in output and "Traceback" not in output
    assert not repo.path("a.txt").exists()
    assert sum("experiments/create" in r for r in flaky_mlflow.requests) <= 2  # 1 retry at most


@pytest.mark.slow
def test_the_server_gone_mid_run_keeps_the_results_and_the_record(
    dvc_repo: Repo, home: Path, mlflow_server: Server, flaky_mlflow: Flaky
) -> None:
    repo = dvc_repo
    repo.write("flip.py", "import sys, urllib.request\nurllib.request.urlopen(sys.argv[1])\n")
    repo.write(
        "dvc.yaml",
        f"""\
        stages:
          flip:
            cmd: {PY} flip.py {flaky_mlflow.control_url("gone")} && echo flipped > flipped.txt
            outs: [flipped.txt]
          work:
            cmd: {PY} work.py
            deps: [work.py, flipped.txt]
            outs: [out.txt]
        """,
    )
    repo.write("work.py", WORK_PY)
    repo.write("pyproject.toml", '[tool.dvcflow.mlflow]\nexperiments = ["gone-exp"]\n')
    repo.add()
    repo.commit("pipeline")
    env = {"MLFLOW_TRACKING_URI": flaky_mlflow.uri, **SECRET}
    code, output = repro(repo, "--run-name", "gone", env=env)

    assert code == 0, output  # dvc repro's own exit code: every stage ran
    assert repo.read("out.txt") == "trained\n"
    assert set(_lock_stages(repo)) == {"flip", "work"}
    assert "no MLflow run for this stage" in output  # stage_run let the stage run
    assert "is incomplete" in output and "the stages' results are in the workspace" in output
    assert "s3cr/et@pw" not in output and "Traceback" not in output
    (kept,) = (repo.root / ".git" / "dvcflow" / "unlogged").iterdir()
    assert f".git/dvcflow/unlogged/{kept.name}/" in output
    record = json.loads((kept / "dvcflow-tags.json").read_text())
    assert json.loads(record["tags"]["dvcflow.repro.ran"]) == ["flip", "work"]
    assert (kept / "dvc.lock").read_text() == repo.read("dvc.lock")
    assert json.loads((kept / "dvcflow-repro.json").read_text())["exit_code"] == 0

    flaky_mlflow.mode = "proxy"  # the server is back: the parent run is there, never ended
    parent = mlflow_client(mlflow_server.uri).get_run(kept.name)
    assert parent.info.run_name == "gone" and parent.info.status == "RUNNING"
    assert [r.info.run_id for r in runs(mlflow_server.uri, "gone-exp")] == [kept.name]


def _lock_stages(repo: Repo) -> dict[str, object]:
    import yaml

    return dict(yaml.safe_load(repo.read("dvc.lock"))["stages"])
