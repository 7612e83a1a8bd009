"""Adversarial input for every rule at once: a finding or one `dvcflow: error:` line, never a
traceback, never a hang, and nothing written without --fix (malformed files).

Each test is a crash (or hang) found by running `dvcflow-check --all --select DVF,DVF203` (and the
pre-commit mode, and --fix) over crafted repositories; the module that owned it was fixed.
"""

from __future__ import annotations

import pytest

from ..conftest import PIPELINE, Repo, both_modes, run_all

# -- params files (dvcflow/params.py) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("p.json", '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply"),
        ("p.toml", "a = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
        ("p.json", '{"a": 1' + "0" * 5000 + "}", "unreadable value"),
        ("p.toml", "a = 1" + "0" * 5000 + "\n", "unreadable value"),
        ("p.yaml", "a: 2020-13-45\n", "unreadable value: month must be in 1..12"),
        ("p.yaml", "a: 1" + "0" * 5000 + "\n", "unreadable value"),
        ("p.py", "a = " + "-" * 100_000 + "1\n", "nested too deeply"),
    ],
)
def test_unreadable_params_file_is_a_finding(
    project: Repo, name: str, content: str, why: str
) -> None:
    project.write(name, content)
    project.write("dvc.yaml", PIPELINE.replace("- train.lr", f"- {name}:\n        - a"))
    project.add()
    for code, out in both_modes(project):
        assert code == 1
        assert f"DVF103 stage 'train' reads params from {name}, which DVC cannot parse" in out
        assert why in out


def test_recursive_yaml_alias_in_params(project: Repo) -> None:
    project.write("params.yaml", "train:\n  lr: 0.1\nloop: &a\n  b: *a\n")
    project.add()
    for code, out in both_modes(project):
        assert code == 1
        assert "params.yaml:4:1: DVF105" in out and "'params.yaml'" in out
        assert "a YAML alias refers to a mapping or list that contains it" in out


def test_params_file_staged_as_dangling_symlink(project: Repo) -> None:
    (project.root / "params.yaml").unlink()
    (project.root / "params.yaml").symlink_to("gone.yaml")
    project.add()
    for code, out in both_modes(project):
        assert code == 1
        assert "DVF103" in out and "is a dangling symlink (to gone.yaml, which the commit" in out


# -- DVC's own status on input it does not expect (dvcflow/stale.py) ----------------------------


def test_params_symlink_loop_is_a_stale_finding(project: Repo) -> None:
    (project.root / "params.yaml").unlink()
    (project.root / "params.yaml").symlink_to("params.yaml")
    project.add()
    code, out = run_all(project)
    assert code == 1
    assert "params.yaml: DVF201 params.yaml is a symlink loop" in out
    assert "staleness was not checked (dvcflow never hands such a file to DVC)" in out


def test_dvc_file_with_absolute_out_path(project: Repo) -> None:
    project.write("data.dvc", "outs:\n- md5: d41d8cd98f00b204e9800998ecf8427e\n  path: /etc/x\n")
    project.add()
    code, out = run_all(project)
    assert code == 1
    assert "DVC cannot compute the status of the pipelines: DVC failed with AssertionError" in out


# -- paths outside the repository (stagedeps, stale, consistency, DVF303) ----------------------


def test_absolute_wdir_does_not_hang(project: Repo) -> None:
    project.write("dvc.yaml", PIPELINE.replace("  train:\n", "  train:\n    wdir: /tmp\n"))
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "DVF104" in out and "/tmp/src/train.py" in out


def test_absolute_outs_and_deps_in_dvc_lock_do_not_hang(project: Repo) -> None:
    project.write(
        "dvc.yaml",
        "stages:\n"
        "  a:\n    cmd: echo\n    deps: [/etc/hostname]\n    outs: [/tmp/dvcflow-out]\n"
        "  b:\n    cmd: echo\n    deps: [/tmp/dvcflow-out]\n",
    )
    md5 = "md5: 0123456789abcdef0123456789abcdef"
    project.write(
        "dvc.lock",
        "schema: '2.0'\nstages:\n"
        f"  a:\n    cmd: echo\n    deps:\n    - path: /etc/hostname\n      {md5}\n"
        f"    outs:\n    - path: /tmp/dvcflow-out\n      {md5}\n"
        f"  b:\n    cmd: echo\n    deps:\n    - path: /tmp/dvcflow-out\n      {md5}\n",
    )
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "dvc.yaml" in out


# -- templating (dvcflow/templating.py) ---------------------------------------------------------


@pytest.mark.parametrize(
    "dvc_yaml",
    [
        pytest.param(
            "vars:\n  - &x {y: [*x]}\nstages:\n  t:\n    cmd: echo ${y}\n",
            id="recursive-alias-in-vars",
        ),
        pytest.param(  # ruamel's round-trip loader takes seconds on 900 nested lists
            "stages:\n  t:\n    cmd: echo\n    meta: " + "[" * 900 + "]" * 900 + "\n",
            id="deep-nesting",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_unresolvable_dvc_yaml_is_dvf105(project: Repo, dvc_yaml: str) -> None:
    project.write("dvc.yaml", dvc_yaml)
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "DVF105" in out and "nested too deeply to resolve" in out


# -- notebooks a stage runs (dvcflow/imports.py) ------------------------------------------------


def test_malformed_notebooks(project: Repo) -> None:
    cmd = "papermill a.ipynb o.ipynb && papermill b.ipynb o.ipynb && papermill c.ipynb o.ipynb"
    project.write("dvc.yaml", f"stages:\n  nb:\n    cmd: {cmd}\n    deps: [a.ipynb]\n")
    project.write("a.ipynb", '{"cells": 5}')
    project.write("b.ipynb", '{"cells": [5, {"cell_type": "code", "source": ["import ", 5]}]}')
    project.write("c.ipynb", '{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "DVF101 stage 'nb' runs b.ipynb" in out


def test_path_parents_with_a_huge_index_does_not_hang(project: Repo) -> None:
    project.write(
        "src/train.py",
        "import sys\nfrom pathlib import Path\n"
        "sys.path.insert(0, str(Path(__file__).parents[1000000000000]))\nimport helper\n",
    )
    project.write("helper.py", "x = 1\n")
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "DVF102 stage 'train' imports helper.py" in out


# -- dependency declarations (reqmodel, pins, pinfix) and the config ----------------------------


def test_thousands_of_repeated_pins_are_read_in_linear_time(project: Repo) -> None:
    project.write("requirements.txt", "dvc==3.67.1\n" * 3000 + "dvc>=3\n" * 1000)
    project.add()
    code, out = run_all(project, rules=("--select", "DVF4"))
    assert code == 0, out


def test_version_with_thousands_of_digits(project: Repo) -> None:
    project.write("requirements.txt", "dvc==" + "9" * 5000 + "\ndvc>=3\n")
    project.add()
    code, _ = run_all(project)
    assert code in (0, 1)


def test_fix_never_writes_over_a_folder(project: Repo) -> None:
    (project.root / "requirements.txt").unlink()
    project.write("requirements.txt/README", "a folder, not a file\n")
    project.add()
    code, out = run_all(project, "--fix", rules=("--select", "DVF401"))
    assert code == 1 and "DVF401" in out
    assert (project.root / "requirements.txt").is_dir()
    assert project.read("requirements.txt/README") == "a folder, not a file\n"


@pytest.mark.parametrize(
    ("pyproject", "exit_code", "message"),
    [
        ("tool = 5\n", 0, "All checks passed"),
        ("[tool.dvcflow]\nmax-file-size-mb = inf\n", 2, "must be a positive number"),
        ("[tool.dvcflow]\nmax-file-size-mb = 1e308\n", 2, "must be a positive number"),
        ("a = " + "[" * 3000 + "]" * 3000 + "\n", 2, "pyproject.toml: cannot read"),
    ],
)
def test_odd_pyproject(project: Repo, pyproject: str, exit_code: int, message: str) -> None:
    project.write("pyproject.toml", pyproject)
    project.add()
    code, out = run_all(project, rules=("--select", "DVF105"))
    assert code == exit_code and message in out
