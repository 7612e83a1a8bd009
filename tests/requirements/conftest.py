"""Shared helpers of the requirements and DVF4 tests."""

from __future__ import annotations

import importlib.metadata
import textwrap

from dvcflow.requirements.model import Declaration

DVC = importlib.metadata.version("dvc")
DVC_DATA = importlib.metadata.version("dvc-data")


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def only(decls: list[Declaration], package: str) -> Declaration:
    found = [d for d in decls if d.package == package]
    assert len(found) == 1, found
    return found[0]


# A pixi manifest with a conda range, a pinned conda table, a platform target and PyPI entries.
PIXI_TOML = dedent("""
    [project]
    name = "books"
    channels = ["conda-forge"]

    [dependencies]
    python = "~=3.12.0"
    pandas = "*"

    [feature.data.dependencies]
    dvc = "~=3.30"
    dvc-s3 = { version = "==3.2.0", channel = "conda-forge" }

    [feature.data.target.linux-64.dependencies]
    libsqlite = "=3.48"

    [pypi-dependencies]
    mlflow = "==2.19.0"
    books = { path = ".", editable = true }
""")
