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
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dvcflow.config import Config
from dvcflow.git.commits import git_dirs, parse_pairs, rewritten_pairs
from dvcflow.mlflow.matching import load_settings
from dvcflow.mlflow.queue import QueueError, TagQueue
from dvcflow.mlflow.rest import sanitize_uri

from .conftest import MLFLOW_TAG, MLFLOW_TAG_CONFIG, PRE_COMMIT, Repo, Server

HOOK = MLFLOW_TAG
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


def hook(
    repo: Repo, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HOOK, *args],
        cwd=repo.root,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


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


def client(uri: str) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def tags(uri: str, run_id: str) -> dict[str, str]:
    return dict(client(uri).get_run(run_id).data.tags)


def make_run(
    uri: str, experiment: str, *, start: int, status: str = "FINISHED", **run_tags: str
) -> str:
    """A top-level run created directly with MLflow's client (the decoys)."""
    mlflow_client = client(uri)
    found = mlflow_client.get_experiment_by_name(experiment)
    exp_id = found.experiment_id if found else mlflow_client.create_experiment(experiment)
    run = mlflow_client.create_run(exp_id, start_time=start, tags=run_tags)
    mlflow_client.set_terminated(run.info.run_id, status, end_time=start + 500)
    return str(run.info.run_id)


def iso_time(repo: Repo, sha: str) -> str:
    return repo.git("log", "-1", "--format=%cI", sha).strip()


def queue_file(repo: Repo) -> Path:
    return repo.root / ".git" / "dvcflow" / "mlflow-queue.jsonl"


# -- the queue -------------------------------------------------------------------------------


def test_queue_keeps_entries_until_acknowledged(tmp_path: Path) -> None:
    queue = TagQueue(tmp_path / "dvcflow")
    first = queue.append({"op": "tag", "commit": "a" * 40, "uri": "http://h"})
    second = queue.append({"op": "move", "pairs": [], "uri": "http://h"})
    assert [e["id"] for e in queue.pending()] == [first, second]
    queue.ack(first)
    queue.ack(first)  # re-delivery acknowledged twice: harmless
    assert [e["id"] for e in queue.pending()] == [second]
    queue.compact()
    assert len(queue.path.read_text().splitlines()) == 1
    queue.ack(second)
    queue.compact()
    assert not queue.path.exists()
    assert queue.pending() == []


def test_queue_survives_a_line_torn_by_a_crash(tmp_path: Path) -> None:
    queue = TagQueue(tmp_path / "dvcflow")
    kept = queue.append({"op": "tag", "commit": "b" * 40})
    with queue.path.open("ab") as handle:
        handle.write(b'{"op": "tag", "commit": "cc')  # the process died mid-write
    later = queue.append({"op": "tag", "commit": "d" * 40})
    assert [e["id"] for e in queue.pending()] == [kept, later]


def test_queue_never_stores_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-12345")
    queue = TagQueue(tmp_path / "dvcflow")
    queue.append({"op": "tag", "uri": "https://alice:pw-678@mlflow.example/prefix?k=v"})
    assert "pw-678" not in queue.path.read_text()
    assert queue.pending()[0]["uri"] == "https://mlflow.example/prefix"
    with pytest.raises(QueueError, match="credential"):
        queue.append({"op": "tag", "note": "Bearer tok-12345"})
    assert "tok-12345" not in queue.path.read_text()


def test_queue_lives_in_the_common_git_dir_shared_by_worktrees(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.add()
    repo.commit("a")
    repo.git("worktree", "add", "-q", str(repo.root.parent / "wt"), "-b", "wt")
    main_dirs, wt_dirs = git_dirs(repo.root), git_dirs(repo.root.parent / "wt")
    assert wt_dirs.git_dir != main_dirs.git_dir
    assert wt_dirs.common_dir == main_dirs.common_dir == (repo.root / ".git").resolve()


def test_sanitize_uri_drops_credentials_query_and_fragment() -> None:
    assert sanitize_uri("https://u:p@host:5000/a/?token=x#f") == "https://host:5000/a/"
    assert sanitize_uri("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert sanitize_uri("postgresql://u:p@db/mlflow") == "postgresql://db/mlflow"
    assert sanitize_uri("sqlite:///mlflow.db") == "sqlite:///mlflow.db"
    assert sanitize_uri("databricks") == "databricks"


def test_settings_come_from_pyproject_then_mlflow_environment(tmp_path: Path) -> None:
    env = {
        "MLFLOW_TRACKING_URI": "http://env:5000",
        "MLFLOW_EXPERIMENT_NAME": "from-env",
        "MLFLOW_EXPERIMENT_ID": "7",
    }
    from_env = load_settings(Config(), tmp_path, env=env, cwd=tmp_path)
    assert (from_env.tracking_uri, from_env.experiments, from_env.experiment_ids) == (
        "http://env:5000",
        ("from-env",),
        ("7",),
    )
    assert (from_env.match, from_env.timeout, from_env.enabled) == ("parent-commit", 2.0, True)
    config = Config(
        sections={
            "mlflow": {
                "tracking-uri": "sqlite:///mlflow.db",
                "experiments": ["a", "b"],
                "match": "since-parent",
            }
        }
    )
    configured = load_settings(config, tmp_path, env=env, cwd=tmp_path)
    assert configured.tracking_uri == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    assert (configured.experiments, configured.experiment_ids) == (("a", "b"), ())
    assert configured.match == "since-parent"
    cli = load_settings(
        config, tmp_path, env=env, cwd=tmp_path, cli_uri="./mlruns", cli_experiments=["c"]
    )
    assert (cli.tracking_uri, cli.experiments) == (str(tmp_path.resolve() / "mlruns"), ("c",))
    databricks = load_settings(Config(), tmp_path, env={"MLFLOW_TRACKING_URI": "databricks"})
    assert databricks.tracking_uri == "databricks"
    nothing = load_settings(Config(), tmp_path, env={}, cwd=tmp_path)
    assert nothing.tracking_uri is None and nothing.experiments == ()


def test_rewritten_commits_are_found_without_stdin(repo: Repo) -> None:
    for name in ("a", "b"):
        repo.write(f"{name}.txt", name)
        repo.add()
        repo.commit(name)
    old = repo.git("rev-parse", "HEAD").strip()
    new = repo.commit("b amended", "--amend")
    dirs = git_dirs(repo.root)
    assert rewritten_pairs(dirs, "amend") == ([(old, new)], "reflog")
    repo.git("checkout", "-q", "-b", "side", "HEAD~1")
    repo.write("c.txt", "c")
    repo.add()
    repo.commit("c")
    repo.git("checkout", "-q", "main")
    repo.git("rebase", "-q", "side")
    rebased = repo.git("rev-parse", "HEAD").strip()
    assert rewritten_pairs(dirs, "rebase") == ([(new, rebased)], "ORIG_HEAD")  # state gone
    assert parse_pairs(f"{old} {new}\n{new} {rebased} extra\nnoise\n") == [
        (old, new),
        (new, rebased),
    ]


# -- never fail, never hang ------------------------------------------------------------------


def test_unanswering_server_queues_within_the_deadline(repo: Repo, home: Path) -> None:
    setup = '[tool.dvcflow.mlflow]\ntimeout = 0.5\nexperiments = ["x"]\n'
    repo.write("pyproject.toml", setup)
    repo.add()
    sha = repo.commit("c")
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        uri = f"http://alice:s3cret-pw@127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        proc = hook(repo, "--tracking-uri", uri, env={"MLFLOW_TRACKING_PASSWORD": "pw-2468"})
        elapsed = time.monotonic() - started
    assert proc.returncode == 0
    assert elapsed < 60, elapsed  # a hang guard only: the deadline is 0.5 s plus Python's start
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dvcflow: warning: MLflow at http://127.0.0.1")
    assert "1 tagging queued" in lines[0] and "--retry" in lines[0]
    text = queue_file(repo).read_text()
    assert sha in text
    assert "s3cret-pw" not in text + proc.stdout + proc.stderr and "pw-2468" not in text
    assert not list(home.iterdir())


@pytest.mark.parametrize(("status", "words"), [(503, "HTTP 503"), (401, "HTTP 401")])
def test_server_error_or_bad_credentials_queue(
    repo: Repo, home: Path, status: int, words: str
) -> None:
    import http.server
    import threading

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        repo.write("a.txt", "a")
        repo.add()
        sha = repo.commit("a")
        uri = f"http://127.0.0.1:{server.server_address[1]}"
        proc = hook(repo, "--tracking-uri", uri, env={"MLFLOW_TRACKING_TOKEN": "tok-13579"})
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and words in proc.stderr
    assert "tok-13579" not in proc.stderr
    assert sha in queue_file(repo).read_text()


def test_missing_mlflow_package_is_one_line_and_exit_zero(repo: Repo, home: Path) -> None:
    repo.write("mlflow.db", "")
    repo.write("a.txt", "a")
    repo.add("a.txt")
    repo.commit("a")
    code = (
        "import sys; sys.modules['mlflow'] = None; sys.argv[0] = 'dvcflow-mlflow-tag'; "
        "from dvcflow.hooks.mlflow_tag import main; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "--tracking-uri", "sqlite:///mlflow.db"],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert proc.stderr.count("\n") == 1
    assert "pip install 'dvcflow[mlflow]'" in proc.stderr


def test_disabled_unconfigured_and_outside_git_say_so_and_exit_zero(
    repo: Repo, home: Path, tmp_path: Path
) -> None:
    repo.write("a.txt", "a")
    repo.add()
    repo.commit("a")
    unconfigured = hook(repo)
    assert unconfigured.returncode == 0
    assert "no MLflow tracking URI" in unconfigured.stdout
    repo.write("pyproject.toml", "[tool.dvcflow.mlflow]\nenabled = false\n")
    disabled = hook(repo, "--tracking-uri", "http://127.0.0.1:9")
    assert disabled.returncode == 0 and "disabled" in disabled.stdout
    assert not queue_file(repo).exists()
    outside = subprocess.run([HOOK], cwd=tmp_path, capture_output=True, text=True, check=False)
    assert outside.returncode == 0 and outside.stderr.startswith("dvcflow: warning:")
    usage = subprocess.run(
        [HOOK, "--no-such-option"], cwd=repo.root, capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2


# -- a local SQLite store --------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # SQLAlchemy, in MLflow's own client
def test_local_sqlite_store_through_pre_commit(
    repo: Repo, home: Path, mlflow_server: Server
) -> None:
    # `mlflow_server` is only requested so that it boots while this test runs.
    setup_repo(
        repo,
        '[tool.dvcflow.mlflow]\ntracking-uri = "sqlite:///mlflow.db"\n'
        'experiments = ["local-exp"]\n',
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
    parent_sha = setup_repo(repo, '[tool.dvcflow.mlflow]\nexperiments = ["pipeline-exp"]\n')
    pipeline = run_pipeline(repo, uri, "pipeline-exp", ("prepare", "train", "evaluate"))
    newest = int(client(uri).get_run(pipeline.parent).info.start_time)
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
    assert not queue_file(repo).exists()


@pytest.mark.slow
def test_dvc_lock_md5_tag_is_preferred_and_must_match(
    repo: Repo, home: Path, mlflow_server: Server
) -> None:
    import hashlib

    uri = mlflow_server.uri
    repo.write("pyproject.toml", '[tool.dvcflow.mlflow]\nexperiments = ["lock-exp"]\n')
    repo.add()
    parent_sha = repo.commit("base")
    lock = "schema: '2.0'\nstages:\n  train:\n    cmd: python train.py\n"
    md5 = hashlib.md5(lock.encode()).hexdigest()
    now = int(time.time() * 1000)
    source = {"mlflow.source.git.commit": parent_sha}
    exact = make_run(uri, "lock-exp", start=now, **{"dvcflow.dvc_lock.md5": md5})
    child = client(uri).create_run(
        client(uri).get_run(exact).info.experiment_id,
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
        '[tool.dvcflow.mlflow]\nexperiments = ["since-exp"]\nmatch = "since-parent"\n',
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
    setup_repo(repo, '[tool.dvcflow.mlflow]\nexperiments = ["queue-exp"]\n')
    pipeline = run_pipeline(repo, uri, "queue-exp", ("train",))
    mlflow_server.stop()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri.replace("//", "//bob:pa55-word@"))
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pa55-word")
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "bob")
    repo.write("params.yaml", "lr: 0.3\n")
    started = time.monotonic()
    sha, output = commit(repo, "lr 0.3")
    assert time.monotonic() - started < 120  # a hang guard, not a benchmark (see bench/)
    warnings = [line for line in output.splitlines() if "dvcflow: warning" in line]
    assert len(warnings) == 1 and "connection refused" in warnings[0]
    assert "1 tagging queued" in warnings[0]
    queued = queue_file(repo).read_text()
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
    assert not queue_file(repo).exists()
    retry = hook(repo, "--retry")
    assert retry.returncode == 0 and "no queued MLflow tagging" in retry.stdout
