"""Shared by the reporter tests: a repository whose findings name non-ASCII stages and paths,
and running `dvcflow-check` as a process (its real stdout, its real encoding)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ..conftest import BIN, Repo

UNICODE_PIPELINE = """\
stages:
  prépare:
    cmd: python é.py
    deps:
      - données.csv
"""


@pytest.fixture
def unicode_repo(dvc_repo: Repo) -> Repo:
    """`dvc init`, then a dvc.yaml (staged) with a non-ASCII stage name and a missing dep."""
    dvc_repo.write("dvc.yaml", UNICODE_PIPELINE)
    dvc_repo.write("requirements.txt", "dvc==3.67.1\n")
    dvc_repo.add()
    return dvc_repo


def run_cli(
    cwd: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`dvcflow-check ARGV` in a process, stdout and stderr as bytes."""
    return subprocess.run(
        [str(BIN / "dvcflow-check"), *argv],
        cwd=cwd,
        capture_output=True,
        env={**os.environ, **(env or {})},
        timeout=300,
        check=False,
    )


STALE_PIPELINE = """\
stages:
  prepare:
    cmd: cp raw.txt clean.txt
    deps:
      - raw.txt
    outs:
      - clean.txt
  train:
    cmd: cp clean.txt model.txt
    deps:
      - clean.txt
    outs:
      - model.txt
"""


@pytest.fixture
def clean_repo(dvc_repo: Repo) -> Repo:
    """Two stages (prepare -> train), reproduced and committed: nothing to report."""
    dvc_repo.write("dvc.yaml", STALE_PIPELINE)
    dvc_repo.write("raw.txt", "raw\n")
    dvc_repo.write("requirements.txt", "dvc==3.67.1\n")
    dvc_repo.dvc("repro", "-q")
    dvc_repo.add()
    dvc_repo.commit("pipeline")
    return dvc_repo


@pytest.fixture
def stale_repo(clean_repo: Repo) -> Repo:
    """`raw.txt` changed and committed without `dvc repro`: prepare is stale, train downstream."""
    clean_repo.write("raw.txt", "raw, changed\n")
    clean_repo.add("raw.txt")
    clean_repo.commit("change the raw data")
    return clean_repo
