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
