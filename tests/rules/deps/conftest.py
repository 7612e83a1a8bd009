"""Shared builders of the DVF1 tests: small real Git repositories with a DVC project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ...conftest import Repo


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
