"""The pre-commit manifest stays in sync with the console scripts and rule families."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from dvcflow.rules import CODES, family

from .conftest import Repo

ROOT = Path(__file__).resolve().parent.parent
BAD = "stages:\n  train:\n    cmd: python train.py\n    outs_persist:\n      - model.pkl\n"


def test_manifest_ids_and_entries() -> None:
    from ruamel.yaml import YAML

    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    by_id = {h["id"]: h for h in hooks}
    # One hook id per rule family folder (`rules/deps/` -> dvcflow-deps), selecting only its codes.
    expected: dict[str, str | None] = {"dvcflow-check": None}
    expected.update({f"dvcflow-{family(code)}": code[:4] for code in CODES})
    for hook_id, prefix in expected.items():
        hook = by_id[hook_id]
        assert hook["language"] == "python" and hook["pass_filenames"] is False
        assert hook["require_serial"] is True and "minimum_pre_commit_version" in hook
        assert hook["entry"].split()[0] == "dvcflow-check"
        if prefix:
            selected = hook["entry"].split("--select", 1)[1].split()[0].split(",")
            assert all(code.startswith(prefix) for code in selected), hook_id
    tag = by_id["dvcflow-mlflow-tag"]
    assert tag["stages"] == ["post-commit"] and tag["verbose"] is True
    assert tag["always_run"] is True and tag["pass_filenames"] is False
    assert by_id["dvcflow-mlflow-tag-rewrite"]["stages"] == ["post-rewrite"]
    scripts = (ROOT / "pyproject.toml").read_text()
    for hook in hooks:
        assert f"{hook['entry'].split()[0]} = " in scripts, f"{hook['id']}: no console script"


def test_python_m_entry_point(dvc_repo: Repo) -> None:
    dvc_repo.write("dvc.yaml", BAD)
    dvc_repo.add()
    proc = subprocess.run(
        [sys.executable, "-m", "dvcflow.hooks.check", "--all"],
        cwd=dvc_repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1 and "DVF105" in proc.stdout
