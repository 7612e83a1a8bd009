"""Real repositories for real tests: `git init`, real `dvc`, real commits in tmp folders."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dvcflow.hooks.check import run as run_check

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else name


DVC = _tool("dvc")
PRE_COMMIT = _tool("pre-commit")


@pytest.fixture(autouse=True)
def _isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = tmp_path_factory.getbasetemp() / "home"
    home.mkdir(exist_ok=True)
    for key in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "dvcflow tests")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tests@dvcflow.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "dvcflow tests")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tests@dvcflow.invalid")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("DVC_GLOBAL_CONFIG_DIR", str(home / "dvc-global"))
    monkeypatch.setenv("DVC_SYSTEM_CONFIG_DIR", str(home / "dvc-system"))
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path_factory.getbasetemp() / "pre-commit-home"))
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("DO_NOT_TRACK", "1")


class Repo:
    """A real Git repository in a tmp folder, with helpers that shell out to real tools."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, rel: str) -> Path:
        return self.root / rel

    def write(self, rel: str, content: str | bytes, *, dedent: bool = True) -> Path:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(textwrap.dedent(content) if dedent else content, encoding="utf-8")
        return target

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def run(
        self, *args: str, cwd: Path | None = None, check: bool = True, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            list(args),
            cwd=cwd or self.root,
            capture_output=True,
            text=True,
            input=input,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    def git(self, *args: str, check: bool = True) -> str:
        return self.run("git", *args, check=check).stdout

    def dvc(self, *args: str, cwd: Path | None = None, check: bool = True) -> str:
        return self.run(DVC, *args, cwd=cwd, check=check).stdout

    def add(self, *paths: str) -> None:
        self.git("add", "--", *(paths or (".",)))

    def commit(self, message: str = "commit", *extra: str) -> str:
        self.git("commit", "-q", "--no-gpg-sign", "--no-verify", "-m", message, *extra)
        return self.git("rev-parse", "HEAD").strip()

    def check(self, *argv: str, cwd: Path | None = None) -> tuple[int, str]:
        """Run dvcflow-check in-process from `cwd` (default: the root); return (code, stdout)."""
        old = Path.cwd()
        os.chdir(cwd or self.root)
        try:
            import io
            from contextlib import redirect_stderr, redirect_stdout

            out, err = io.StringIO(), io.StringIO()
            with redirect_stdout(out), redirect_stderr(err):
                code = run_check(list(argv))
            return code, out.getvalue() + err.getvalue()
        finally:
            os.chdir(old)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    root = tmp_path / "repo"
    root.mkdir()
    r = Repo(root)
    r.git("init", "-q", "-b", "main")
    yield r


@pytest.fixture
def dvc_repo(repo: Repo) -> Repo:
    """A Git repository with `dvc init` done and committed."""
    repo.dvc("init", "-q")
    repo.dvc("config", "core.autostage", "false")
    repo.add()
    repo.commit("dvc init")
    return repo


# -- adversarial input (tests/robustness/, tests/git/test_special_files.py) --------------------

ALL_RULES = ("--select", "DVF", "--select", "DVF203")  # DVF203 is off unless named
HANG = 120.0  # seconds: a safety net far above any run here (a hang never ends), not a timing

PIPELINE = """\
stages:
  train:
    cmd: python src/train.py
    deps:
      - src/train.py
    params:
      - train.lr
    outs:
      - model.txt
"""


def _porcelain(repo: Repo) -> str:
    return repo.git("status", "--porcelain", "--ignored")


def run_all(
    repo: Repo, *extra: str, pre_commit: bool = False, rules: tuple[str, ...] = ALL_RULES
) -> tuple[int, str]:
    """Run the rules (all of them by default); assert no traceback, no hang, one-line errors,
    nothing written without --fix."""
    before = _porcelain(repo)
    started = time.monotonic()
    code, out = repo.check(*(() if pre_commit else ("--all",)), *rules, *extra)
    assert time.monotonic() - started < HANG, "bad input must not make dvcflow hang"
    assert "Traceback" not in out and "internal error" not in out, out
    assert code in (0, 1, 2), out
    if code == 2:
        errors = [line for line in out.splitlines() if line.startswith("dvcflow: error:")]
        assert len(errors) == 1, out
    if "--fix" not in extra:
        assert _porcelain(repo) == before, "dvcflow wrote to the repository without --fix"
    return code, out


def both_modes(repo: Repo) -> Iterator[tuple[int, str]]:
    yield run_all(repo)
    yield run_all(repo, pre_commit=True)


def _template(folder: Path) -> None:
    """`dvc init`, then a committed one-stage pipeline (no dvc.lock: no `dvc repro` needed)."""
    repo = Repo(folder)
    folder.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.dvc("init", "-q")
    repo.dvc("config", "core.autostage", "false")
    repo.write("params.yaml", "train:\n  lr: 0.1\nseed: 1\n")
    repo.write("src/train.py", "print('train')\n")
    repo.write("dvc.yaml", PIPELINE)
    repo.write("requirements.txt", "dvc==3.67.1\n")
    repo.add()
    repo.commit("pipeline")


@pytest.fixture
def project(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """A copy of the template, made once per worker (`dvc init` costs seconds; a copy does not)."""
    template = tmp_path_factory.getbasetemp() / "robustness-template"
    if not template.exists():
        _template(template)
    root = tmp_path / "repo"
    shutil.copytree(template, root, symlinks=True)
    return Repo(root)


def _free_port() -> int:
    """A TCP port nobody listens on now, on 127.0.0.1 (for servers the tests start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
