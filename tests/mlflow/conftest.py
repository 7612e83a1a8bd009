"""Shared fixtures of the MLflow tests: ONE real `mlflow server` per test session, a small real
HTTP server that misbehaves on purpose (or forwards to the real one), and an empty HOME.

Timeouts here are safety nets, never measurements: the suite must pass on a busy machine.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import BIN, _tool

# -- a real MLflow server --------------------------------------------------------------------

MLFLOW = _tool("mlflow")
MLFLOW_TAG = str(BIN / "dvcflow-mlflow-tag")

# A .pre-commit-config.yaml running dvcflow-mlflow-tag after each commit (more hooks may follow).
MLFLOW_TAG_CONFIG = f"""\
repos:
  - repo: local
    hooks:
      - id: dvcflow-mlflow-tag
        name: dvcflow mlflow tag
        entry: {MLFLOW_TAG}
        language: system
        stages: [post-commit]
        always_run: true
        pass_filenames: false
        verbose: true
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`mlflow server` on 127.0.0.1 with a SQLite backend; started in its own process group."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._ready = False

    @property
    def uri(self) -> str:
        self.wait()
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        home = self.folder / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "HOME": str(home),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "1",
            "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        }
        log = (self.folder / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [
                MLFLOW,
                "server",
                "--backend-store-uri",
                f"sqlite:///{self.folder / 'mlflow.db'}",
                "--default-artifact-root",
                str(self.folder / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "1",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        log.close()
        self._ready = False

    def wait(self, timeout: float = 120) -> None:
        end = time.monotonic() + timeout
        while not self._ready:
            assert self.proc is not None and self.proc.poll() is None, self.log()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1):
                    self._ready = True
            except OSError:
                if time.monotonic() > end:
                    raise AssertionError(f"mlflow server did not start\n{self.log()}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        """Stop the server by its PID (its process group: uvicorn's workers included)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass
        self.proc = None
        self._ready = False

    def log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the session; `.uri` waits until /health answers (it boots meanwhile)."""
    server = Server(tmp_path_factory.mktemp("mlflow-server"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME for every process of the test: the hook must write nothing there."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_EXPERIMENT_NAME",
        "MLFLOW_EXPERIMENT_ID",
        "MLFLOW_RUN_ID",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    return folder


# -- a real HTTP server that misbehaves ------------------------------------------------------

HTML = b"<!doctype html><html><body><h1>Sign in</h1></body></html>"
CONTROL = "/__flaky__/"  # GET /__flaky__/<mode> switches the mode (from a stage script)


class Flaky:
    """A real HTTP server on 127.0.0.1 answering as `mode` says:

    `html404`, `html200` (a proxy's or SSO gateway's page), `empty` (`{}` to every call),
    `500` (MLflow-style JSON error), `slow` (never answers until stopped), `gone` (drops every
    connection unanswered), `create500` (MLflow's answers, but a 500 on experiments/create),
    `proxy` (forwards everything to `upstream`, a real `mlflow server`).
    """

    def __init__(self) -> None:
        self.mode = "proxy"
        self.upstream: str | None = None
        self.requests: list[str] = []
        self.release = threading.Event()
        flaky = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                flaky.handle(self)

            do_POST = do_GET

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def control_url(self, mode: str) -> str:
        return f"{self.uri}{CONTROL}{mode}"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    # -- answers ---------------------------------------------------------------------------

    def handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        if request.path.startswith(CONTROL):
            self.mode = request.path[len(CONTROL) :]
            return self._send(request, 200, "text/plain", b"ok")
        self.requests.append(f"{request.command} {request.path}")
        mode = self.mode
        if mode == "create500" and "experiments/create" in request.path:
            error = {"error_code": "INTERNAL_ERROR", "message": "database is locked"}
            return self._send(request, 500, "application/json", json.dumps(error).encode())
        if mode in ("proxy", "create500"):
            return self._forward(request, body)
        if mode == "slow":
            self.release.wait(120)
            request.close_connection = True
            return None
        if mode == "gone":
            request.close_connection = True
            request.connection.shutdown(socket.SHUT_RDWR)
            return None
        answers = {
            "html404": (404, "text/html", HTML),
            "html200": (200, "text/html", HTML),
            "empty": (200, "application/json", b"{}"),
            "500": (500, "application/json", b'{"error_code": "INTERNAL_ERROR"}'),
        }
        status, kind, payload = answers[mode]
        return self._send(request, status, kind, payload)

    def _send(
        self, request: http.server.BaseHTTPRequestHandler, status: int, kind: str, body: bytes
    ) -> None:
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _forward(self, request: http.server.BaseHTTPRequestHandler, body: bytes) -> None:
        assert self.upstream is not None, "proxy mode needs an upstream mlflow server"
        port = int(self.upstream.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            headers = {"Content-Type": request.headers.get("Content-Type") or "application/json"}
            conn.request(request.command, request.path, body=body or None, headers=headers)
            answer = conn.getresponse()
            payload = answer.read()
            kind = answer.getheader("Content-Type") or "application/json"
        finally:
            conn.close()
        self._send(request, answer.status, kind, payload)


@pytest.fixture
def flaky() -> Iterator[Flaky]:
    server = Flaky()
    yield server
    server.stop()


@pytest.fixture
def flaky_mlflow(flaky: Flaky, mlflow_server: Server) -> Flaky:
    """The misbehaving server in front of the real one (mode `proxy` until a test says else)."""
    flaky.upstream = mlflow_server.uri
    return flaky


def queue_file(root: Path) -> Path:
    return root / ".git" / "dvcflow" / "mlflow-queue.jsonl"


def mlflow_client(uri: str) -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def run_tags(uri: str, run_id: str) -> dict[str, str]:
    return dict(mlflow_client(uri).get_run(run_id).data.tags)


def make_run(
    uri: str, experiment: str, *, start: int, status: str = "FINISHED", **tags: str
) -> str:
    """A top-level run created directly with MLflow's client."""
    client = mlflow_client(uri)
    found = client.get_experiment_by_name(experiment)
    exp_id = found.experiment_id if found else client.create_experiment(experiment)
    run = client.create_run(exp_id, start_time=start, tags=tags)
    client.set_terminated(run.info.run_id, status, end_time=start + 500)
    return str(run.info.run_id)


def wait_until(check: Any, timeout: float = 60.0) -> None:
    """Poll `check()` until true; a safety net, not a measurement."""
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "condition not met within the safety timeout"
        time.sleep(0.1)


def tag_hook(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """`dvcflow-mlflow-tag ARGS` in `root`, as git runs it (a safety timeout, never measured)."""
    return subprocess.run(
        [MLFLOW_TAG, *args],
        cwd=root,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )
