"""dvcflow-mlflow-tag: a real `mlflow server`, a real SQLite store, real commits through pre-commit.

Runs are made the way a DVC pipeline makes them (the seeds' pattern): `start.py` opens the
pipeline's parent run and prints its id; every stage is a separate process that reactivates it
through `MLFLOW_RUN_ID` (or names it with `parent_run_id`) and opens a nested run. Tags are read
back with MLflow's own client, never with dvcflow's.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ..conftest import PRE_COMMIT, Repo
from .conftest import (
    MLFLOW_TAG,
    MLFLOW_TAG_CONFIG,
    Server,
    make_run,
    mlflow_client,
    queue_file,
    tag_hook,
)
from .conftest import run_tags as tags

HOOK = MLFLOW_TAG
MLFLOW_SECTION = "[tool.dvcflow.mlflow]\ntimeout = 90\n"  # generous: a busy machine is slow
RUN_ID = re.compile(r"\b[0-9a-f]{32}\b")

PRE_COMMIT_CONFIG = (
    MLFLOW_TAG_CONFIG
    + f"""\
      - id: dvcflow-mlflow-tag-rewrite
        name: dvcflow mlflow tag (rewrite)
        entry: {HOOK} --post-rewrite
        language: system
        stages: [post-rewrite]
        always_run: true
        pass_filenames: false
        verbose: true
"""
)

START_PY = '''\
"""Open the pipeline's parent run and print its id (the seeds' start_pipeline.py)."""
import mlflow

with mlflow.start_run(run_name="pipeline") as run:
    print(run.info.run_id)
'''

STAGE_PY = '''\
"""One DVC stage: a nested run under the pipeline's run, in its own process."""
import os
import sys

import mlflow

stage = sys.argv[1]
if "MLFLOW_RUN_ID" in os.environ:  # the seeds' decorator: reactivate the parent, nest in it
    with mlflow.start_run(), mlflow.start_run(run_name=stage, nested=True) as run:
        print(run.info.run_id)
else:  # the parent named explicitly
    with mlflow.start_run(run_name=stage, parent_run_id=os.environ["PIPELINE_RUN_ID"]) as run:
        print(run.info.run_id)
        with mlflow.start_run(run_name=stage + "-fold-0", nested=True) as fold:
            print(fold.info.run_id)
'''


# -- helpers ---------------------------------------------------------------------------------


def setup_repo(repo: Repo, pyproject: str = "") -> str:
    """Scripts, config and pre-commit's post-commit and post-rewrite hooks; the first commit."""
    repo.write(".pre-commit-config.yaml", PRE_COMMIT_CONFIG)
    repo.write("start.py", START_PY)
    repo.write("stage.py", STAGE_PY)
    repo.write("params.yaml", "lr: 0.1\n")
    repo.write(".gitignore", "mlflow.db\n")
    if pyproject:
        repo.write("pyproject.toml", pyproject)
    repo.run(PRE_COMMIT, "install", "--hook-type", "post-commit", "--hook-type", "post-rewrite")
    repo.add()
    return commit(repo, "pipeline")[0]


def commit(repo: Repo, message: str, *extra: str) -> tuple[str, str]:
    """A real `git commit` (pre-commit's post-commit hook runs); (sha, everything printed)."""
    proc = repo.run("git", "commit", "-q", "--no-gpg-sign", "-a", "-m", message, *extra)
    return repo.git("rev-parse", "HEAD").strip(), proc.stdout + proc.stderr


def hook(repo: Repo, *args: str, env: dict[str, str] | None = None) -> Any:
    return tag_hook(repo.root, *args, env=env)


@dataclass
class Pipeline:
    parent: str
    children: list[str]


def run_pipeline(
    repo: Repo, uri: str, experiment: str, stages: tuple[str, ...] = ("prepare", "train")
) -> Pipeline:
    """A parent run and one process per stage: `train` names the parent with parent_run_id and
    nests a fold run of its own; the other stages reactivate it via MLFLOW_RUN_ID."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "MLFLOW_EXPERIMENT_NAME": experiment}

    def python(script: str, *args: str, **extra: str) -> list[str]:
        proc = subprocess.run(
            [sys.executable, script, *args],
            cwd=repo.root,
            text=True,
            capture_output=True,
            env={**env, **extra},
            check=False,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        return RUN_ID.findall(proc.stdout.split("View run")[0])

    parent = python("start.py")[0]
    children: list[str] = []
    for stage in stages:
        via = {"PIPELINE_RUN_ID" if stage == "train" else "MLFLOW_RUN_ID": parent}
        children += python("stage.py", stage, **via)
    assert len(children) == len(stages) + ("train" in stages)
    return Pipeline(parent, children)


def iso_time(repo: Repo, sha: str) -> str:
    return repo.git("log", "-1", "--format=%cI", sha).strip()


# -- a local SQLite store --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SQLAlchemy, in MLflow's own client
def test_local_sqlite_store_through_pre_commit(
    repo: Repo, home: Path, mlflow_server: Server
) -> None:
    # `mlflow_server` is only requested so that it boots while this test runs.
    setup_repo(
        repo,
        MLFLOW_SECTION + 'tracking-uri = "sqlite:///mlflow.db"\nexperiments = ["local-exp"]\n',
    )
    assert not repo.path("mlflow.db").exists()  # the hook never creates a store
    uri = f"sqlite:///{repo.root / 'mlflow.db'}"
    pipeline = run_pipeline(repo, uri, "local-exp", ("train",))
    repo.write("params.yaml", "lr: 0.2\n")
    sha, output = commit(repo, "lr 0.2")
    assert (
        f"tagged MLflow run 'pipeline' ({pipeline.parent[:8]}) and 2 nested runs "
        f"with commit {sha[:7]} on main" in output
    )
    for run_id in [pipeline.parent, *pipeline.children]:
        assert tags(uri, run_id)["dvcflow.git.commit"] == sha
    assert not list(home.iterdir())  # no telemetry id, no cache in the user's home


# -- a real MLflow server --------------------------------------------------------------------


@pytest.mark.slow
def test_commit_tags_the_run_tree_behind_it_and_amend_and_rebase_move_the_tags(
    repo: Repo, home: Path, mlflow_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = mlflow_server.uri
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)  # the hook falls back to MLflow's variable
    parent_sha = setup_repo(repo, MLFLOW_SECTION + 'experiments = ["pipeline-exp"]\n')
    pipeline = run_pipeline(repo, uri, "pipeline-exp", ("prepare", "train", "evaluate"))
    newest = int(mlflow_client(uri).get_run(pipeline.parent).info.start_time)
    source = {"mlflow.source.git.commit": parent_sha}
    decoys = {
        "older run": make_run(uri, "pipeline-exp", start=newest - 500, **source),
        "other branch": make_run(
            uri,
            "pipeline-exp",
            start=newest + 900,
            **source,
            **{"mlflow.source.git.branch": "other"},
        ),
        "other experiment": make_run(uri, "elsewhere", start=newest + 900, **source),
        "failed run": make_run(uri, "pipeline-exp", start=newest + 900, status="FAILED", **source),
    }
    repo.write("params.yaml", "lr: 0.2\n")
    sha, output = commit(repo, "lr 0.2")

    assert (
        f"tagged MLflow run 'pipeline' ({pipeline.parent[:8]}) and 4 nested runs "
        f"with commit {sha[:7]} on main" in output
    )
    for run_id in [pipeline.parent, *pipeline.children]:
        run_tags = tags(uri, run_id)
        assert run_tags["dvcflow.git.commit"] == sha
        assert run_tags["dvcflow.git.branch"] == "main"
        assert run_tags["dvcflow.git.commit_time"] == iso_time(repo, sha)
        assert run_tags["mlflow.source.git.commit"] == parent_sha  # MLflow's own, untouched
    for name, run_id in decoys.items():
        assert "dvcflow.git.commit" not in tags(uri, run_id), name

    amended, output = commit(repo, "lr 0.2, reworded", "--amend")
    assert f"moved the tags of 5 MLflow runs from {sha[:7]} to {amended[:7]} (amend)" in output
    assert "nothing to tag" not in output  # the amend says what moved, in one line
    assert len([line for line in output.splitlines() if line.startswith("dvcflow:")]) == 1
    for run_id in [pipeline.parent, *pipeline.children]:
        run_tags = tags(uri, run_id)
        assert (run_tags["dvcflow.git.commit"], run_tags["dvcflow.git.rewritten_from"]) == (
            amended,
            sha,
        )

    repo.git("checkout", "-q", "-b", "side", parent_sha)
    repo.write("README.md", "side\n")
    repo.add("README.md")
    commit(repo, "readme")
    repo.git("checkout", "-q", "main")
    proc = repo.run("git", "rebase", "side")
    rebased = repo.git("rev-parse", "HEAD").strip()
    output = proc.stdout + proc.stderr
    assert "rebase in progress" in output
    assert f"moved the tags of 5 MLflow runs from {amended[:7]} to {rebased[:7]}" in output
    for run_id in [pipeline.parent, *pipeline.children]:
        assert tags(uri, run_id)["dvcflow.git.commit"] == rebased
        assert tags(uri, run_id)["dvcflow.git.commit_time"] == iso_time(repo, rebased)
    for name, run_id in decoys.items():  # neither the amend nor the side commit took them
        assert "dvcflow.git.commit" not in tags(uri, run_id), name
    assert not queue_file(repo.root).exists()


@pytest.mark.slow
def test_dvc_lock_md5_tag_is_preferred_and_must_match(
    repo: Repo, home: Path, mlflow_server: Server
) -> None:
    import hashlib

    uri = mlflow_server.uri
    repo.write("pyproject.toml", MLFLOW_SECTION + 'experiments = ["lock-exp"]\n')
    repo.add()
    parent_sha = repo.commit("base")
    lock = "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n"
    md5 = hashlib.md5(lock.encode()).hexdigest()
    now = int(time.time() * 1000)
    source = {"mlflow.source.git.commit": parent_sha}
    exact = make_run(uri, "lock-exp", start=now, **{"dvcflow.dvc_lock.md5": md5})
    child = mlflow_client(uri).create_run(
        mlflow_client(uri).get_run(exact).info.experiment_id,
        start_time=now + 10,
        tags={"mlflow.parentRunId": exact},
    )
    heuristic = make_run(uri, "lock-exp", start=now + 200, **source)
    mismatch = make_run(
        uri, "lock-exp", start=now + 400, **source, **{"dvcflow.dvc_lock.md5": "0" * 32}
    )
    repo.write("dvc.lock", lock)
    repo.add()
    sha = repo.commit("lock")

    dry = hook(repo, "--tracking-uri", uri, "--dry-run")
    assert f"dry run against {uri} (--tracking-uri): would tag MLflow run" in dry.stdout
    assert f"({exact[:8]}) and 1 nested run with commit {sha[:7]}" in dry.stdout
    assert "dvcflow.git.commit" not in tags(uri, exact)
    done = hook(repo, "--tracking-uri", uri)
    assert done.returncode == 0 and "tagged MLflow run" in done.stdout
    assert tags(uri, exact)["dvcflow.git.commit"] == sha
    assert tags(uri, child.info.run_id)["dvcflow.git.commit"] == sha
    assert "dvcflow.git.commit" not in tags(uri, heuristic)
    assert "dvcflow.git.commit" not in tags(uri, mismatch)


@pytest.mark.slow
def test_since_parent_match_tags_every_untagged_run(
    repo: Repo, home: Path, mlflow_server: Server
) -> None:
    uri = mlflow_server.uri
    repo.write(
        "pyproject.toml",
        MLFLOW_SECTION + 'experiments = ["since-exp"]\nmatch = "since-parent"\n',
    )
    repo.add()
    repo.commit("base")
    before = make_run(uri, "since-exp", start=int(time.time() * 1000) - 3_600_000)
    time.sleep(1.1)  # commit times have a resolution of one second
    now = int(time.time() * 1000)
    runs = [make_run(uri, "since-exp", start=now + i) for i in range(2)]
    repo.write("a.txt", "a")
    repo.add()
    sha = repo.commit("a")
    proc = hook(repo, "--tracking-uri", uri, "--experiment", "since-exp")
    assert "tagged MLflow runs" in proc.stdout
    assert [tags(uri, r).get("dvcflow.git.commit") for r in runs] == [sha, sha]
    assert "dvcflow.git.commit" not in tags(uri, before)


@pytest.mark.slow
def test_stopped_server_queues_and_restarted_server_receives_the_queue(
    repo: Repo, home: Path, mlflow_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = mlflow_server.uri
    setup_repo(repo, MLFLOW_SECTION + 'experiments = ["queue-exp"]\n')
    pipeline = run_pipeline(repo, uri, "queue-exp", ("train",))
    mlflow_server.stop()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri.replace("//", "//bob:pa55-word@"))
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pa55-word")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bob")
    repo.write("params.yaml", "lr: 0.3\n")
    sha, output = commit(repo, "lr 0.3")
    warnings = [line for line in output.splitlines() if "dvcflow: warning" in line]
    assert len(warnings) == 1 and "connection refused" in warnings[0]
    assert "1 tagging queued" in warnings[0]
    queued = queue_file(repo.root).read_text()
    assert json.loads(queued.splitlines()[0])["commit"] == sha
    assert "pa55-word" not in queued and "bob" not in queued

    mlflow_server.start()  # a new process, same port, same database
    mlflow_server.wait()
    repo.write("README.md", "next\n")
    repo.add("README.md")
    _, output = commit(repo, "readme")
    assert "delivered 1 queued tagging" in output
    assert "dvcflow: warning" not in output
    for run_id in [pipeline.parent, *pipeline.children]:
        assert tags(uri, run_id)["dvcflow.git.commit"] == sha
    assert not queue_file(repo.root).exists()
    retry = hook(repo, "--retry")
    assert retry.returncode == 0 and "no queued MLflow tagging" in retry.stdout
