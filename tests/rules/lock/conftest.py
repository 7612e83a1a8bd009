"""Shared builders of the DVF3 tests: a real prepare -> train project (reproduced and committed
once per module, copied per test), dvcflow's findings as JSON, and `dvc status` on the staged
state, so each test checks that DVF3 agrees with DVC and that the printed fix (run through a
shell) clears the finding.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ...conftest import BIN, Repo

PARAMS = """\
train:
  lr: 0.1
  epochs: 3
seed: 1
"""
PREPARE = """\
from pathlib import Path
rows = Path("data/raw.csv").read_text().splitlines()
Path("data/prepared.csv").write_text("\\n".join(r.upper() for r in rows) + "\\n")
"""
# Two edits far apart make two hunks, so `git add -p` can stage one of them.
TRAIN = (
    "import json\nfrom pathlib import Path\n"
    "SCALE = 1\n" + "".join(f"# padding {i}\n" for i in range(12)) + "OFFSET = 0\n"
    "rows = Path('data/prepared.csv').read_text().splitlines()\n"
    "Path('model.txt').write_text(f'{len(rows) * SCALE + OFFSET}\\n')\n"
    "Path('metrics.json').write_text(json.dumps({'rows': len(rows), 'scale': SCALE}))\n"
)
PIPELINE = """\
stages:
  prepare:
    cmd: python prepare.py
    deps:
      - prepare.py
      - data/raw.csv
    outs:
      - data/prepared.csv
  train:
    cmd: python train.py
    deps:
      - train.py
      - src
      - data/prepared.csv
    params:
      - train.lr
      - train.epochs
    outs:
      - model.txt
    metrics:
      - metrics.json:
          cache: false
"""


# ------------------------------------------------------------------------------------ helpers
def _env(mp: pytest.MonkeyPatch, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    for key in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        mp.delenv(key, raising=False)
    for who in ("AUTHOR", "COMMITTER"):
        mp.setenv(f"GIT_{who}_NAME", "dvcflow tests")
        mp.setenv(f"GIT_{who}_EMAIL", "tests@dvcflow.invalid")
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    mp.setenv("DVC_NO_ANALYTICS", "1")
    mp.setenv("DVC_GLOBAL_CONFIG_DIR", str(home / "dvc-global"))
    mp.setenv("DVC_SYSTEM_CONFIG_DIR", str(home / "dvc-system"))
    mp.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")  # `python` in cmds, `dvc` in fixes


@pytest.fixture(autouse=True)
def _path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")


def new_repo(root: Path) -> Repo:
    root.mkdir(parents=True)
    repo = Repo(root)
    repo.git("init", "-q", "-b", "main")
    return repo


def init_dvc(repo: Repo, subdir: str = "") -> None:
    cwd = repo.root / subdir
    cwd.mkdir(exist_ok=True)
    repo.dvc("init", "-q", *(["--subdir"] if subdir else []), cwd=cwd)
    repo.dvc("config", "core.autostage", "false", cwd=cwd)


def findings(repo: Repo, *argv: str, cwd: Path | None = None) -> list[dict[str, Any]]:
    code, out = repo.check("--select", "DVF3", "--output-format", "json", *argv, cwd=cwd)
    found: list[dict[str, Any]] = json.loads(out)
    assert code == (1 if any(f["severity"] == "error" for f in found) else 0), out
    return found


def errors(repo: Repo, *argv: str, cwd: Path | None = None) -> list[dict[str, Any]]:
    return [f for f in findings(repo, *argv, cwd=cwd) if f["severity"] == "error"]


def error_stages(repo: Repo, cwd: Path | None = None) -> set[str]:
    """Stages with DVF3 errors over the whole staged snapshot (`--all`)."""
    return {f["stage"] for f in errors(repo, "--all", cwd=cwd)}


def staged_status(repo: Repo, cwd: Path | None = None) -> dict[str, Any]:
    """`dvc status` on the staged state: unstaged changes are set aside as pre-commit does
    (`git diff` to a patch, `git checkout -- .`, run, `git apply`); untracked outputs stay."""
    patch = subprocess.run(
        ["git", "diff", "--binary", "--no-color", "--no-ext-diff"],
        cwd=repo.root,
        capture_output=True,
        check=True,
    ).stdout
    if patch:
        repo.git("checkout", "--", ".")
    try:
        out = repo.dvc("status", "--json", cwd=cwd or repo.root)
    finally:
        if patch:
            subprocess.run(
                ["git", "apply", "--whitespace=nowarn", "-"],
                cwd=repo.root,
                input=patch,
                check=True,
                capture_output=True,
            )
    status: dict[str, Any] = json.loads(out or "{}")
    return {k: v for k, v in status.items() if not k.endswith(".dvc") and v != ["always changed"]}


def assert_agrees(repo: Repo, cwd: Path | None = None) -> set[str]:
    """DVF3's errors name exactly the stages `dvc status` reports changed on the staged state."""
    ours, dvcs = error_stages(repo, cwd), set(staged_status(repo, cwd))
    assert ours == dvcs, f"dvcflow: {sorted(ours)}; dvc status: {sorted(dvcs)}"
    return ours


def run_fix(repo: Repo, fix: str, cwd: Path | None = None) -> None:
    """Run a finding's fix exactly as printed, from where dvcflow ran (default: the root)."""
    proc = subprocess.run(["bash", "-c", fix], cwd=cwd or repo.root, capture_output=True, text=True)
    assert proc.returncode == 0, f"{fix}\n{proc.stdout}\n{proc.stderr}"


def stage_first_hunk(repo: Repo, path: str) -> None:
    """`git add -p` answering yes to the first hunk only."""
    diff = repo.git("diff", "-U0", path)
    head, *hunks = diff.split("\n@@")
    assert len(hunks) >= 2, diff
    first = hunks[0].rstrip("\n")
    repo.run("git", "apply", "--cached", "--unidiff-zero", "-", input=f"{head}\n@@{first}\n")


def set_line(repo: Repo, path: str, old: str, new: str) -> None:
    text = repo.read(path)
    assert old in text, (old, text)
    repo.write(path, text.replace(old, new, 1), dedent=False)


# ------------------------------------------------------------------------------------ project
@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """prepare -> train, reproduced and committed once; each test works on a copy."""
    with pytest.MonkeyPatch.context() as mp:
        _env(mp, tmp_path_factory.getbasetemp() / "home")
        repo = new_repo(tmp_path_factory.mktemp("base") / "repo")
        init_dvc(repo)
        repo.write("params.yaml", PARAMS)
        repo.write("prepare.py", PREPARE)
        repo.write("train.py", TRAIN, dedent=False)
        repo.write("src/util.py", "HELP = 1\n")
        repo.write("src/data/table.csv", "k,v\n")
        repo.write("data/raw.csv", "a\nb\nc\n")
        repo.write("dvc.yaml", PIPELINE)
        repo.dvc("add", "-q", "data/raw.csv")
        repo.dvc("repro", "-q")
        repo.add()
        repo.commit("pipeline")
        yield repo.root


@pytest.fixture
def project(base_project: Path, tmp_path: Path) -> Repo:
    root = tmp_path / "repo"
    shutil.copytree(base_project, root, symlinks=True)
    return Repo(root)
