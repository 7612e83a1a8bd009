"""Shared builders of the DVF1 tests: small real Git repositories with a DVC project."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ...conftest import DVC, Repo


def project(repo: Repo, root: str = "") -> None:
    """What `dvc init` leaves in Git (a `.dvc/config`), without the second it takes."""
    prefix = f"{root}/" if root else ""
    repo.write(f"{prefix}.dvc/config", "")
    repo.write(f"{prefix}.dvc/.gitignore", "/config.local\n/tmp\n/cache\n")


def findings(repo: Repo, *args: str, cwd: Path | None = None) -> list[dict[str, Any]]:
    """The JSON findings of `dvcflow-check` (stderr lines about fixes follow the JSON)."""
    _, out = repo.check("--output-format", "json", *args, cwd=cwd)
    data, _ = json.JSONDecoder().raw_decode(out)
    assert isinstance(data, list)
    return data


def codes(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return sorted((f["code"], f["target"]) for f in items)


def staged(repo: Repo, *files: tuple[str, str]) -> None:
    for path, text in files:
        repo.write(path, text)
    repo.add()


TRAIN = "import yaml\nfrom models.net import Net\n"
NET = "from . import layers\nfrom utils import helper\n"


def ml_repo(repo: Repo, pipeline: str) -> None:
    project(repo)
    staged(
        repo,
        ("dvc.yaml", pipeline),
        ("params.yaml", "train:\n  lr: 0.1\n  layers: [64, 32]\nseed: 1\n"),
        ("src/train.py", TRAIN),
        ("src/models/__init__.py", ""),
        ("src/models/net.py", NET),
        ("src/models/layers.py", "import numpy\n"),
        ("src/utils.py", "def helper(): ...\n"),
        ("data/raw.csv", "a,b\n"),
    )


@pytest.fixture(scope="session")
def dvc_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real `dvc init` (committed), copied by `dvc_copy`: each case gets its own repository
    without paying for DVC's start-up again."""
    root = tmp_path_factory.mktemp("dvc-template") / "repo"
    root.mkdir()
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    for args in (
        ["git", "init", "-q", "-b", "main"],
        [DVC, "init", "-q"],
        ["git", "add", "."],
        [
            "git",
            "-c",
            "user.name=dvcflow tests",
            "-c",
            "user.email=tests@dvcflow.invalid",
            "commit",
            "-q",
            "--no-gpg-sign",
            "-m",
            "dvc init",
        ],
    ):
        subprocess.run(args, cwd=root, env=env, check=True, capture_output=True)
    return root


@pytest.fixture
def dvc_copy(dvc_template: Path, tmp_path: Path) -> Repo:
    """A fresh copy of the `dvc init` repository."""
    root = tmp_path / "repo"
    shutil.copytree(dvc_template, root, symlinks=True)
    return Repo(root)
