"""Benchmark: tagging a parent run and 3 nested runs, dvcflow's REST path vs the mlflow client.

    python bench/bench_mlflow_tag.py [--uri http://127.0.0.1:5000] [--repeat 5]

Without `--uri` it starts a local `mlflow server` (SQLite backend, 127.0.0.1, a free port) and
stops it by its PID at the end. Each repetition creates a fresh run tree (untimed: one parent
run whose `mlflow.source.git.commit` is a given SHA, 3 nested runs), then times, each in a fresh
process as a hook runs:

- `dvcflow REST`: `dvcflow.mlflow.rest` finds the parent by its source commit, finds its nested
  runs, and writes the 3 dvcflow tags on all 4 runs (one `runs/log-batch` per run);
- `mlflow client`: the same requests through `mlflow.tracking.MlflowClient`, import included;
- `dvcflow-mlflow-tag`: the whole post-commit hook on a real commit (git facts, queue, match).

The issue's target: the REST path under 15% of the client's time. Not a test: timings depend
on the machine and its load; the median of `--repeat` runs is reported.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
EXPERIMENT = "bench-mlflow-tag"

# The same work for both transports: search the parent, search its children, tag all four.
WORK = """
import sys, time
uri, exp, source, commit = sys.argv[1:5]
query = f"tags.`mlflow.source.git.commit` = '{source}' AND attributes.status = 'FINISHED'"
tags = {"dvcflow.git.commit": commit, "dvcflow.git.branch": "main",
        "dvcflow.git.commit_time": "2024-01-01T00:00:00+00:00"}
"""

REST = (
    WORK
    + """
from dvcflow.mlflow.rest import RestStore
store = RestStore(uri, timeout=5)
parent = next(iter(store.search_runs([exp], query)))
children = [r for r in store.search_runs([exp], f"attributes.start_time >= {parent.start_time}")
            if r.parent_id == parent.run_id]
for run in [*children, parent]:
    store.set_tags(run.run_id, tags)
store.close()
assert len(children) == 3, children
"""
)

CLIENT = (
    WORK
    + """
from mlflow.entities import RunTag
from mlflow.tracking import MlflowClient
client = MlflowClient(tracking_uri=uri)
parent = client.search_runs([exp], query, max_results=1000)[0]
since = f"attributes.start_time >= {parent.info.start_time}"
children = [r for r in client.search_runs([exp], since, max_results=1000)
            if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
batch = [RunTag(k, v) for k, v in tags.items()]
for run in [*children, parent]:
    client.log_batch(run.info.run_id, tags=batch)
assert len(children) == 3, children
"""
)


def _env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(home),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "1",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@dvcflow.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@dvcflow.invalid",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
    }


def start_server(folder: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (folder / "server.log").open("wb")
    proc = subprocess.Popen(
        [str(BIN / "mlflow"), "server", "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
         "--default-artifact-root", str(folder / "artifacts"), "--host", "127.0.0.1",
         "--port", str(port), "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
    )  # fmt: skip
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=1):
                return proc, uri
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(
                    f"mlflow server did not start; see {folder / 'server.log'}"
                ) from None
            time.sleep(0.2)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def make_tree(client: Any, exp: str, source: str) -> None:
    """A FINISHED parent run from `source` with 3 nested stage runs (untimed setup)."""
    with contextlib.redirect_stdout(io.StringIO()):  # the client prints a link per ended run
        _make_tree(client, exp, source)


def _make_tree(client: Any, exp: str, source: str) -> None:
    now = int(time.time() * 1000)
    parent = client.create_run(
        exp, start_time=now, tags={"mlflow.source.git.commit": source, "mlflow.runName": "pipeline"}
    )
    for i, stage in enumerate(("prepare", "train", "evaluate"), start=1):
        child = client.create_run(
            exp,
            start_time=now + i,
            tags={"mlflow.parentRunId": parent.info.run_id, "mlflow.runName": stage},
        )
        client.set_terminated(child.info.run_id, "FINISHED")
    client.set_terminated(parent.info.run_id, "FINISHED")


def timed(args: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or "warning" in proc.stderr:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def bench(uri: str, repeat: int, folder: Path, env: dict[str, str]) -> dict[str, list[float]]:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    found = client.get_experiment_by_name(EXPERIMENT)
    exp = found.experiment_id if found else client.create_experiment(EXPERIMENT)
    repo = folder / "repo"
    repo.mkdir()
    git(repo, env, "init", "-q", "-b", "main")
    (repo / "pyproject.toml").write_text(
        f'[tool.dvcflow.mlflow]\ntracking-uri = "{uri}"\nexperiments = ["{EXPERIMENT}"]\n'
    )
    results: dict[str, list[float]] = {"dvcflow REST": [], "mlflow client": [],
                                       "dvcflow-mlflow-tag": []}  # fmt: skip
    python = [sys.executable, "-c"]
    for i in range(repeat):
        for name, code in (("dvcflow REST", REST), ("mlflow client", CLIENT)):
            source = f"{i:02d}{'ab' if name == 'dvcflow REST' else 'cd'}".ljust(40, "0")
            make_tree(client, exp, source)
            results[name].append(timed([*python, code, uri, exp, source, "f" * 40], env))
        (repo / "params.yaml").write_text(f"round: {i}\n")
        git(repo, env, "add", ".")
        git(repo, env, "commit", "-q", "--no-gpg-sign", "-m", f"round {i}")
        make_tree(client, exp, git(repo, env, "rev-parse", "HEAD"))
        time.sleep(1.0)  # the run must start before the commit (second resolution)
        (repo / "params.yaml").write_text(f"round: {i}.5\n")
        git(repo, env, "commit", "-q", "--no-gpg-sign", "-am", f"round {i} done")
        results["dvcflow-mlflow-tag"].append(timed([str(BIN / "dvcflow-mlflow-tag")], env, repo))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uri", help="an existing tracking server (default: start one)")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dvcflow-bench-mlflow-") as tmp:
        folder = Path(tmp)
        (folder / "home").mkdir()
        env = _env(folder / "home")
        os.environ.update({"MLFLOW_DISABLE_TELEMETRY": "true", "HOME": env["HOME"]})
        server = None
        uri = options.uri
        if uri is None:
            started = time.perf_counter()
            server, uri = start_server(folder, env)
            print(f"mlflow server started in {time.perf_counter() - started:.1f} s at {uri}")
        try:
            results = bench(uri, options.repeat, folder, env)
        finally:
            if server is not None:
                stop_server(server)
    rest, mlflow = (statistics.median(results[k]) for k in ("dvcflow REST", "mlflow client"))
    print(f"\ntag a parent + 3 nested runs, fresh process each, median of {options.repeat}:")
    for name, times in results.items():
        print(f"  {name:20s} median {statistics.median(times) * 1000:8.0f} ms   "
              f"best {min(times) * 1000:8.0f} ms")  # fmt: skip
    hook = statistics.median(results["dvcflow-mlflow-tag"])
    print(f"\n  dvcflow REST / mlflow client       = {rest / mlflow:6.1%}  (target < 15%)")
    print(f"  dvcflow-mlflow-tag / mlflow client = {hook / mlflow:6.1%}")


if __name__ == "__main__":
    main()
