"""The hand-over to DVC at the smallest scope, and without DVC installed: a warning, not exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ...conftest import Repo
from .conftest import dvc_cli_status, report

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

TWO_STAGES = """\
stages:
  plain:
    cmd: python -c "open('a.out', 'w').write('a')"
    deps:
      - a.txt
    outs:
      - a.out
  linked:
    cmd: python -c "open('b.out', 'w').write('b')"
    deps:
      - link.txt
    outs:
      - b.out
"""
NO_DVC = (
    "import sys\nsys.modules['dvc'] = None\n"
    "from dvcflow.hooks.check import run\nsys.exit(run(sys.argv[1:]))\n"
)


@pytest.fixture
def linked(dvc_repo: Repo) -> Repo:
    """Two stages; one depends on a symlink, which the fast path leaves to DVC."""
    dvc_repo.write("a.txt", "a\n")
    dvc_repo.write("target.txt", "t\n")
    os.symlink("target.txt", dvc_repo.path("link.txt"))
    dvc_repo.write("dvc.yaml", TWO_STAGES, dedent=False)
    dvc_repo.dvc("repro", "-q")
    dvc_repo.add()
    dvc_repo.commit("two stages")
    return dvc_repo


def test_only_the_stage_beyond_the_fast_path_goes_to_dvc(linked: Repo) -> None:
    found = report(linked)
    assert list(found.handed_over) == ["linked"] and "symlink" in found.handed_over["linked"]
    assert found.judged == {"fast": 1, "dvc": 1}
    assert found.engines == {"": "fast; dvc for linked"}
    assert found.raw[""] == dvc_cli_status(linked) == {}
    linked.write("a.txt", "changed\n")
    linked.write("target.txt", "changed\n")
    found = report(linked)
    assert found.raw[""] == dvc_cli_status(linked)
    assert set(found.raw[""]) == {"plain", "linked"}


def _hook(repo: Repo, *argv: str, pre_commit: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PRE_COMMIT"}
    if pre_commit:
        env["PRE_COMMIT"] = "1"
    return subprocess.run(
        [sys.executable, "-c", NO_DVC, *argv],
        cwd=repo.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_dvc_a_stage_dvc_must_judge_is_a_warning_with_its_fix(linked: Repo) -> None:
    proc = _hook(linked, "--select", "DVF2", "--output-format", "json", pre_commit=True)
    assert proc.returncode == 0, proc.stderr
    (finding,) = json.loads(proc.stdout)
    assert finding["code"] == "DVF201" and finding["severity"] == "warning"
    assert finding["message"].startswith("staleness of linked was not checked")
    assert finding["fix"] == (
        'add `additional_dependencies: ["dvc"]` to the dvcflow hook in .pre-commit-config.yaml'
    )
    linked.write("requirements.txt", "dvc==3.67.1\n")
    linked.add("requirements.txt")
    proc = _hook(linked, "--all", "--select", "DVF2", "--output-format", "json", pre_commit=False)
    (finding,) = json.loads(proc.stdout)
    assert proc.returncode == 0 and finding["fix"] == "pip install dvc==3.67.1"


def test_without_dvc_the_fast_path_still_finds_stale_stages(linked: Repo) -> None:
    linked.write("a.txt", "changed\n")
    proc = _hook(linked, "--all", "--select", "DVF2", pre_commit=False)
    assert proc.returncode == 1
    assert "DVF201 stage 'plain' is stale: a.txt modified" in proc.stdout
    assert "staleness of linked was not checked" in proc.stdout


def test_statistics_count_findings_and_say_which_engine_judged(linked: Repo) -> None:
    linked.write("a.txt", "changed\n")
    code, out = linked.check("--all", "--select", "DVF2", "--statistics")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split() == ["1", "DVF201", "stale-stage"]
    assert lines[1] == "staleness: 1 stages and .dvc files judged by the fast path, 1 by DVC"
    assert lines[2].startswith("  handed to DVC: linked: ") and "symlink" in lines[2]


def test_a_handed_over_dvc_file_is_named_once(dvc_repo: Repo) -> None:
    """A `.dvc` file with a field the fast path does not model (`fs_config`, which DVC passes
    to the output's file system): `--statistics` names the file once, then why."""
    dvc_repo.write("data.csv", "a\n")
    dvc_repo.dvc("add", "-q", "data.csv")
    dvc_repo.write(
        "data.csv.dvc", dvc_repo.read("data.csv.dvc") + "  fs_config: {}\n", dedent=False
    )
    dvc_repo.add()
    code, out = dvc_repo.check("--all", "--select", "DVF2", "--statistics")
    assert code == 0, out
    assert "  handed to DVC: data.csv.dvc: output field fs_config" in out.splitlines(), out
