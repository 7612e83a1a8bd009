"""Shared builders of the DVF2 tests: a real, reproduced and committed 3-stage pipeline
(prepare -> train -> evaluate, with `dvc add`ed data) copied per test, findings as JSON, both
status engines side by side, and the printed fixes run through a shell.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dvcflow.context import Context
from dvcflow.dvc.status import StaleReport, build_report

from ...conftest import BIN, Repo

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # from inside DVC

PARAMS = "prepare:\n  split: 0.2\ntrain:\n  lr: 0.1\n  epochs: 3\nseed: 7\n"
PREPARE = """\
import sys
from pathlib import Path
out = Path("data/prepared"); out.mkdir(parents=True, exist_ok=True)
rows = Path("data/raw.csv").read_text().splitlines()
(out / "train.csv").write_text("\\n".join(rows[:-1]) + "\\n")
(out / "test.csv").write_text(rows[-1] + "\\n")
"""
TRAIN = """\
from pathlib import Path
n = len(Path("data/prepared/train.csv").read_text().splitlines())
Path("model.txt").write_text(f"model trained on {n} rows\\n")
"""
EVALUATE = """\
import json
from pathlib import Path
Path("metrics.json").write_text(json.dumps({"size": len(Path("model.txt").read_text())}))
"""
PIPELINE = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps:
      - src/prepare.py
      - data/raw.csv
    params:
      - prepare.split
    outs:
      - data/prepared
  train:
    cmd: python src/train.py
    deps:
      - src/train.py
      - data/prepared
    params:
      - train
    outs:
      - model.txt
  evaluate:
    cmd: python src/evaluate.py
    deps:
      - src/evaluate.py
      - model.txt
    metrics:
      - metrics.json:
          cache: false
"""
RAW = "id,value\n1,10\n2,20\n3,30\n"


# ------------------------------------------------------------------------------------ helpers
@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`python` and `dvc` of this venv in stage commands and fixes; DVC's caches in tmp."""
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    site = tmp_path_factory.getbasetemp() / "dvc-site-cache"
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(site))


def _tool_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(key, None)
    env.update(
        {
            "GIT_AUTHOR_NAME": "dvcflow tests",
            "GIT_AUTHOR_EMAIL": "tests@dvcflow.invalid",
            "GIT_COMMITTER_NAME": "dvcflow tests",
            "GIT_COMMITTER_EMAIL": "tests@dvcflow.invalid",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "DVC_NO_ANALYTICS": "1",
            "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"),
            "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
            "DVC_SITE_CACHE_DIR": str(home / "dvc-site-cache"),
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        }
    )
    return env


def _sh(cwd: Path, env: dict[str, str], *args: str) -> None:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _build(
    root: Path, home: Path, files: dict[str, str | bytes], add: list[str], subdir: str = ""
) -> None:
    """git init, dvc init, `dvc add`, `dvc repro`, commit: a repository in a clean state."""
    env = _tool_env(home)
    root.mkdir(parents=True)
    _sh(root, env, "git", "init", "-q", "-b", "main")
    project = root / subdir
    project.mkdir(parents=True, exist_ok=True)
    _sh(project, env, str(BIN / "dvc"), "init", "-q", *(["--subdir"] if subdir else []))
    _sh(project, env, str(BIN / "dvc"), "config", "core.autostage", "false")
    _write(project, files)
    for target in add:
        _sh(project, env, str(BIN / "dvc"), "add", "-q", target)
    _sh(project, env, str(BIN / "dvc"), "repro", "-q", "-P")
    _sh(root, env, "git", "add", "-A")
    _sh(root, env, "git", "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "init")


DEMO_FILES: dict[str, str | bytes] = {
    "requirements.txt": "dvc==3.67.1\n",
    "params.yaml": PARAMS,
    "dvc.yaml": PIPELINE,
    "data/raw.csv": RAW,
    "src/prepare.py": PREPARE,
    "src/train.py": TRAIN,
    "src/evaluate.py": EVALUATE,
}


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("stale-demo")
    _build(base / "repo", base / "home", DEMO_FILES, ["data/raw.csv"])
    return base / "repo"


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Repo:
    """A copy of a reproduced, committed 3-stage pipeline with a `dvc add`ed data file."""
    root = tmp_path / "repo"
    shutil.copytree(demo_template, root, symlinks=True)
    return Repo(root)


def findings(repo: Repo, *select: str, cwd: Path | None = None) -> list[dict[str, Any]]:
    code, out = repo.check(
        "--all", "--select", ",".join(select or ("DVF2",)), "--output-format", "json", cwd=cwd
    )
    found: list[dict[str, Any]] = json.loads(out)
    assert code == (1 if any(f["severity"] == "error" for f in found) else 0), out
    return found


def report(repo: Repo, engine: str = "auto", cwd: Path | None = None) -> StaleReport:
    ctx = Context.from_cwd(cwd or repo.root, all_files=True)
    try:
        return build_report(ctx, engine=engine)  # type: ignore[arg-type]
    finally:
        ctx.close()


def both_engines(repo: Repo) -> dict[str, Any]:
    """The raw status from the fast path and from DVC; they must agree."""
    fast = report(repo, "fast")
    slow = report(repo, "dvc")
    assert fast.raw == slow.raw
    assert set(fast.engines.values()) == {"fast"}
    return fast.raw


def run_fix(repo: Repo, fix: str, cwd: Path | None = None) -> None:
    proc = subprocess.run(
        ["bash", "-c", fix], cwd=cwd or repo.root, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"{fix}\n{proc.stdout}\n{proc.stderr}"


def set_text(repo: Repo, rel: str, old: str, new: str) -> None:
    text = repo.read(rel)
    assert old in text
    repo.write(rel, text.replace(old, new), dedent=False)
