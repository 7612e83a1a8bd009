"""DVF103 on real Git repositories: keys as DVC looks them up, and agreement with `dvc repro`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ...conftest import DVC, Repo
from .conftest import findings, project, staged

PARAMS = """\
train:
  lr: 0.1
  layers: [64, 32]
  optimizer: {name: adam}
seed: 1
"""


def test_dvf103_keys_as_dvc_looks_them_up(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("params.yaml", PARAMS),
        ("config.json", '{"a": {"b": 1}}'),
        ("extra.toml", "[model]\ndepth = 3\n"),
        (
            "dvc.yaml",
            "stages:\n  train:\n    cmd: echo\n    params:\n"
            "    - train.lr\n    - train.layers.0\n    - train.layers.-1\n"
            "    - train.layers.5\n    - train.optimizer.name\n    - train.momentun\n"
            "    - seed\n"
            "    - config.json:\n      - a.b\n      - a.*\n      - a.c\n"
            "    - extra.toml:\n    - missing.yaml:\n",
        ),
    )
    found = findings(repo, "--all", "--select", "DVF103")
    by_target = {f["target"]: f for f in found}
    assert sorted(by_target) == [
        "config.json:a.c",
        "missing.yaml",
        "params.yaml:train.layers.5",
        "params.yaml:train.momentun",
    ]
    assert by_target["params.yaml:train.layers.5"]["line"] == 8
    assert by_target["config.json:a.c"]["line"] == 15
    momentum = by_target["params.yaml:train.momentun"]
    assert "tracks param 'train.momentun', which params.yaml does not define" in momentum["message"]
    assert momentum["fix"].startswith("add `momentun: <value>` under `train` in params.yaml")
    assert "not in the commit" in by_target["missing.yaml"]["message"]


def test_dvf103_missing_and_unparsable_params_files(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        (
            "dvc.yaml",
            "stages:\n  a:\n    cmd: echo\n    params:\n    - lr\n"
            "  b:\n    cmd: echo\n    params:\n    - bad.yaml:\n      - x\n",
        ),
        ("bad.yaml", "x: [1\n"),
    )
    repo.write("params.yaml", "lr: 1\n")  # in the work tree, not staged
    found = {f["stage"]: f for f in findings(repo, "--all", "--select", "DVF103")}
    assert found["a"]["fix"] == "git add params.yaml"
    assert "DVC cannot parse" in found["b"]["message"]
    repo.add()
    assert [f["stage"] for f in findings(repo, "--all", "--select", "DVF103")] == ["b"]


@pytest.mark.slow
def test_dvf103_agrees_with_dvc_repro(dvc_repo: Repo) -> None:
    repo = dvc_repo
    staged(
        repo,
        ("params.yaml", PARAMS),
        (
            "dvc.yaml",
            "stages:\n  ok:\n    cmd: echo ok\n    params:\n    - train.layers.-1\n"
            "  bad:\n    cmd: echo bad\n    params:\n    - train.layers.5\n",
        ),
    )
    assert [f["stage"] for f in findings(repo, "--all", "--select", "DVF103")] == ["bad"]
    env = {**os.environ, "PATH": f"{Path(DVC).parent}{os.pathsep}{os.environ['PATH']}"}
    ok = subprocess.run(
        [DVC, "repro", "ok"], cwd=repo.root, capture_output=True, text=True, env=env, check=False
    )
    bad = subprocess.run(
        [DVC, "repro", "bad"], cwd=repo.root, capture_output=True, text=True, env=env, check=False
    )
    assert ok.returncode == 0, ok.stderr
    assert bad.returncode != 0 and "train.layers.5" in bad.stderr
