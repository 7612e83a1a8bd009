"""Help lines are shell commands for the folder dvcflow ran in.

A user pastes them one after the other into one shell: a `cd` in one line would move the
next. Run that way (one bash, `set -e`) from the repository root, from a `dvc init --subdir`
project and from a folder inside it, the printed lines make the next check pass and leave
`dvc status` clean.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from .conftest import BIN, DVC, Repo

pytestmark = pytest.mark.slow

TRAIN = """\
from pathlib import Path

import helper

Path("model.txt").write_text(Path("params.yaml").read_text() + helper.SUFFIX)
"""
PIPELINE = """\
stages:
  train:
    cmd: python src/train.py
    params: [lr]
    outs:
      - model.txt:
          cache: false
"""


def check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "dvcflow-check"), "--all"], cwd=folder, capture_output=True, text=True
    )


@pytest.mark.parametrize("where", ["", "proj", "proj/src"])
def test_help_lines_run_in_one_shell_from_the_folder_dvcflow_ran_in(
    repo: Repo, where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("PRE_COMMIT", raising=False)  # (when the suite itself runs under it)
    proj = repo.root / "proj"
    proj.mkdir()
    repo.dvc("init", "--subdir", "-q", cwd=proj)
    repo.write("proj/params.yaml", "lr: 0.1\n")
    repo.write("proj/src/train.py", TRAIN, dedent=False)
    repo.write("proj/src/helper.py", 'SUFFIX = "-v1"\n')
    repo.write("proj/dvc.yaml", PIPELINE, dedent=False)
    repo.dvc("repro", "-q", cwd=proj)
    repo.add()
    repo.commit("the pipeline")
    repo.write("proj/params.yaml", "lr: 0.2\n")  # and never `dvc repro`
    repo.add("proj/params.yaml")

    folder = repo.root / where
    blocked = check(folder)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    lines = [ln.split("help: ", 1)[1] for ln in blocked.stdout.splitlines() if "help: " in ln]
    fixes = list(dict.fromkeys(lines))
    assert any("--fix-only --stage-fixes" in fix for fix in fixes), fixes
    assert not any(fix.startswith("cd ") or " cd " in fix for fix in fixes), fixes
    script = "set -e\n" + "\n".join(fixes) + "\n"
    ran = subprocess.run(["bash", "-c", script], cwd=folder, capture_output=True, text=True)
    assert ran.returncode == 0, f"{fixes}\n{ran.stdout}\n{ran.stderr}"

    after = check(folder)
    assert after.returncode == 0, f"after {fixes}:\n{after.stdout}{after.stderr}"
    status = json.loads(repo.run(DVC, "status", "--json", cwd=proj).stdout or "{}")
    assert status == {}, status
    assert "- src/helper.py" in repo.git("show", ":proj/dvc.yaml")  # the fix is staged
    assert repo.git("status", "--porcelain", "--untracked-files=no") == (
        "M  proj/dvc.lock\nM  proj/dvc.yaml\nM  proj/model.txt\nM  proj/params.yaml\n"
        "A  requirements.txt\n"  # DVF401: no file declared dvc; the fix wrote the pin
    )
