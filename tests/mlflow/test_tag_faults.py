"""dvcflow-mlflow-tag when things go wrong: servers that are silent, slow, gone, or answer
something that is not MLflow (a proxy's HTML, `{}`, 5xx), queues that cannot be written,
malformed queue entries, credentials. Each case: the exit code, the message, and that nothing
was lost (the queue holds the tagging and a later retry delivers it).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ..conftest import BIN, PRE_COMMIT, Repo
from .conftest import Flaky, Server, make_run, queue_file, run_tags, tag_hook

ROOT = Path(__file__).resolve().parents[2]


def hook(repo: Repo, *args: str, env: dict[str, str] | None = None) -> Any:
    return tag_hook(repo.root, *args, env=env)


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
        proc = hook(repo, "--tracking-uri", uri, env={"MLFLOW_TRACKING_PASSWORD": "pw-2468"})
    assert proc.returncode == 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dvcflow: warning: MLflow at http://127.0.0.1")
    assert "is slow (no answer in 0.5 s)" in lines[0] and "unreachable" not in lines[0]
    assert "1 tagging queued" in lines[0] and "--retry" in lines[0]
    text = queue_file(repo.root).read_text()
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
    assert sha in queue_file(repo.root).read_text()


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
    assert not queue_file(repo.root).exists()
    outside = tag_hook(tmp_path)
    assert outside.returncode == 0 and outside.stderr.startswith("dvcflow: warning:")
    usage = tag_hook(repo.root, "--no-such-option")
    assert usage.returncode == 2


# -- answers that are not MLflow's, through a real HTTP server in front of a real one -------

FAULTS = {
    "html404": "gave no MLflow answer to experiments/get-by-name (HTTP 404, text/html)",
    "html200": "gave no MLflow answer to experiments/get-by-name (HTTP 200, text/html)",
    "empty": "gave no MLflow answer to experiments/get-by-name (no experiment in the answer)",
    "500": "refused experiments/get-by-name (HTTP 500 INTERNAL_ERROR)",
    "slow": "is slow (no answer in 1 s)",
    "gone": "is unreachable (the connection was closed without an answer)",
}


def _run_behind_a_commit(repo: Repo, server: Server, experiment: str) -> tuple[str, str]:
    """A commit, a FINISHED run started from it, the next commit: (run id, next commit)."""
    config = f'[tool.dvcflow.mlflow]\ntimeout = 90\nexperiments = ["{experiment}"]\n'
    repo.write("pyproject.toml", config)
    repo.add()
    base = repo.commit("base")
    start = int(time.time() * 1000)
    run_id = make_run(server.uri, experiment, start=start, **{"mlflow.source.git.commit": base})
    repo.write("a.txt", "a")
    repo.add()
    return run_id, repo.commit("a")


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(FAULTS))
def test_no_mlflow_answer_queues_and_a_later_retry_delivers(
    repo: Repo, home: Path, mlflow_server: Server, flaky_mlflow: Flaky, mode: str
) -> None:
    run_id, sha = _run_behind_a_commit(repo, mlflow_server, f"fault-{mode}")
    flaky_mlflow.mode = mode
    timeout = "1" if mode == "slow" else "60"
    proc = hook(repo, "--tracking-uri", flaky_mlflow.uri, "--timeout", timeout)
    assert proc.returncode == 0 and proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith(f"dvcflow: warning: MLflow at {flaky_mlflow.uri} ")
    assert FAULTS[mode] in line and "1 tagging queued in .git/dvcflow/mlflow-queue.jsonl" in line
    assert "dvcflow-mlflow-retry" in line and "nothing to tag" not in line
    assert sha in queue_file(repo.root).read_text()
    assert "dvcflow.git.commit" not in run_tags(mlflow_server.uri, run_id)

    flaky_mlflow.release.set()
    flaky_mlflow.mode = "proxy"  # the proxy is fixed: MLflow answers again
    retry = hook(repo, "--retry", "--tracking-uri", flaky_mlflow.uri)
    assert retry.returncode == 0 and retry.stderr == ""
    assert "delivered 1 queued tagging" in retry.stdout
    assert run_tags(mlflow_server.uri, run_id)["dvcflow.git.commit"] == sha
    assert not queue_file(repo.root).exists()


@pytest.mark.slow
def test_a_malformed_queue_entry_is_set_aside_and_the_others_delivered(
    repo: Repo, home: Path, mlflow_server: Server
) -> None:
    run_id, sha = _run_behind_a_commit(repo, mlflow_server, "set-aside-exp")
    queue = queue_file(repo.root)
    queue.parent.mkdir(parents=True)
    broken = {"id": "broken", "op": "tag", "uri": mlflow_server.uri, "commit": "b" * 40}
    queue.write_text(json.dumps(broken) + "\n")
    proc = hook(repo, "--tracking-uri", mlflow_server.uri, "--timeout", "60")
    assert proc.returncode == 0
    assert f"({run_id[:8]}) with commit {sha[:7]}" in proc.stdout
    (line,) = proc.stderr.splitlines()
    assert "set aside 1 malformed queued tagging (missing 'commit_time')" in line
    assert ".git/dvcflow/mlflow-queue.set-aside.jsonl" in line
    kept = json.loads(queue.with_name("mlflow-queue.set-aside.jsonl").read_text())
    assert kept["id"] == "broken" and kept["commit"] == "b" * 40
    assert not queue.exists()


@pytest.mark.slow
def test_an_unwritable_queue_still_delivers_directly_and_names_where_it_belongs(
    repo: Repo, home: Path, mlflow_server: Server
) -> None:
    run_id, sha = _run_behind_a_commit(repo, mlflow_server, "unwritable-exp")
    (repo.root / ".git" / "dvcflow").write_text("something else\n")
    proc = hook(repo, "--tracking-uri", mlflow_server.uri, "--timeout", "60")
    assert proc.returncode == 0
    assert f"({run_id[:8]}) with commit {sha[:7]}" in proc.stdout
    (line,) = proc.stderr.splitlines()
    assert "a file is in the way of its folder" in line
    assert "the queue belongs at .git/dvcflow/mlflow-queue.jsonl" in line
    assert run_tags(mlflow_server.uri, run_id)["dvcflow.git.commit"] == sha


def test_an_unwritable_queue_and_a_failing_server_say_the_tagging_is_not_kept(
    repo: Repo, home: Path, flaky: Flaky
) -> None:
    repo.write("a.txt", "a")
    repo.add()
    sha = repo.commit("a")
    (repo.root / ".git" / "dvcflow" / "mlflow-queue.jsonl").mkdir(parents=True)
    flaky.mode = "500"
    proc = hook(repo, "--tracking-uri", flaky.uri, "--timeout", "60")
    assert proc.returncode == 0
    (line,) = proc.stderr.splitlines()
    assert "a folder is in its place" in line and "HTTP 500" in line and "NOT kept" in line
    assert f"dvcflow-mlflow-tag --commit {sha[:7]}" in line


def test_credentials_with_any_character_are_never_printed_nor_stored(
    repo: Repo, home: Path, flaky: Flaky
) -> None:
    repo.write("a.txt", "a")
    repo.add()
    repo.commit("a")
    flaky.mode = "html404"
    secrets = {"MLFLOW_TRACKING_TOKEN": "tok-24680", "MLFLOW_TRACKING_PASSWORD": "p/w@x:y"}
    uris = (
        f"http://bob:pa/ss@w0rd@127.0.0.1:{flaky.port}",
        f"{flaky.uri}/?token=t0k3n",
        "http://bob:s3cr3t@127.0.0.1:no-port/x",  # not a URI a client can use: still masked
    )
    for uri in uris:
        proc = hook(repo, "--tracking-uri", uri, env=secrets)
        assert proc.returncode == 0
        text = proc.stdout + proc.stderr + queue_file(repo.root).read_text()
        for secret in ("pa/ss", "w0rd", "t0k3n", "s3cr3t", "tok-24680", "p/w@x:y"):
            assert secret not in text, (secret, text)


@pytest.mark.slow
def test_the_manual_retry_hook_id_delivers_the_queue_through_pre_commit(
    repo: Repo, home: Path, mlflow_server: Server, flaky_mlflow: Flaky
) -> None:
    from ruamel.yaml import YAML

    manifest = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (retry,) = [h for h in manifest if h["id"] == "dvcflow-mlflow-retry"]
    assert retry["stages"] == ["manual"] and retry["pass_filenames"] is False
    command, *args = retry["entry"].split()
    run_id, sha = _run_behind_a_commit(repo, mlflow_server, "manual-retry-exp")
    flaky_mlflow.mode = "500"
    assert "1 tagging queued" in hook(repo, "--tracking-uri", flaky_mlflow.uri).stderr
    flaky_mlflow.mode = "proxy"
    repo.write(
        ".pre-commit-config.yaml",
        f"""\
        repos:
          - repo: local
            hooks:
              - id: {retry["id"]}
                name: {retry["name"]}
                entry: {BIN / command} {" ".join(args)}
                language: system
                stages: [manual]
                always_run: true
                pass_filenames: false
                verbose: true
        """,
    )
    repo.add(".pre-commit-config.yaml")
    proc = repo.run(PRE_COMMIT, "run", "--hook-stage", "manual", "dvcflow-mlflow-retry")
    assert "delivered 1 queued tagging" in proc.stdout, proc.stdout + proc.stderr
    assert run_tags(mlflow_server.uri, run_id)["dvcflow.git.commit"] == sha
