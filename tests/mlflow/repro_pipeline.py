"""The 3-stage DVC pipeline the repro tests run, and helpers to read its runs back with MLflow's
own client (never with dvcflow's)."""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from dvcflow.mlflow.matching import LOCK_MD5_TAG

from ..conftest import BIN, Repo

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
    # a generous timeout for the post-commit hook: a busy machine is slow
    repo.write("pyproject.toml", f"[tool.dvcflow.mlflow]\ntimeout = 90\n{mlflow_config}")
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
        timeout=600,  # a safety net: a busy 2-core machine is slow
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
