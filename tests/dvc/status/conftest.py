"""Builders for the status engine's tests: real git, real `dvc`, the fast verdict beside DVC's."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from dvcflow.context import Context
from dvcflow.dvc.status import StaleReport, build_report

from ...conftest import BIN, Repo


@pytest.fixture(autouse=True)
def _dvc_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`python` of this venv in stage commands; DVC's site cache (its state db) in tmp."""
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "dvc-site"))


def init_project(repo: Repo, subdir: str = "") -> Path:
    """`dvc init` (with `--subdir` in a sub-folder) and commit; the project's folder."""
    folder = repo.root / subdir
    folder.mkdir(parents=True, exist_ok=True)
    repo.dvc("init", "-q", *(["--subdir"] if subdir else []), cwd=folder)
    repo.dvc("config", "core.autostage", "false", cwd=folder)
    repo.add()
    repo.commit("dvc init")
    return folder


def report(repo: Repo, engine: str = "auto") -> StaleReport:
    ctx = Context.from_cwd(repo.root, all_files=True)
    try:
        return build_report(ctx, engine=engine)  # type: ignore[arg-type]
    finally:
        ctx.close()


def dvc_cli_status(repo: Repo, project: str = "") -> dict[str, Any]:
    """What `dvc status --json` prints, run as a user runs it from the project's folder."""
    out = repo.dvc("status", "--json", cwd=repo.root / project)
    data: dict[str, Any] = json.loads(out or "{}")
    return data


def same_as_dvc(repo: Repo, project: str = "") -> dict[str, Any]:
    """The fast path's status (no stage handed over) equals `dvc status`; returns it."""
    fast = report(repo, "fast")
    assert fast.judged["dvc"] == 0 and not fast.handed_over, fast.handed_over
    expected = dvc_cli_status(repo, project)
    assert fast.raw.get(project, {}) == expected
    return expected
