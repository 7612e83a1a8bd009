"""Bad input ends in a finding or a one-line error naming the file, never a traceback."""

from __future__ import annotations

import time

import pytest

from .conftest import Repo


def _check(repo: Repo) -> tuple[int, str]:
    started = time.monotonic()
    code, out = repo.check("--all", "--select", "DVF105")
    assert time.monotonic() - started < 60, "bad input must not make dvcflow hang"
    assert "Traceback" not in out
    return code, out


def test_yaml_syntax_error(dvc_repo: Repo) -> None:
    dvc_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: [python, x.py\n")
    dvc_repo.add()
    code, out = _check(dvc_repo)
    assert code == 1 and "dvc.yaml:4:1: DVF105" in out and "YAML syntax error" in out


def test_merge_conflict_markers(dvc_repo: Repo) -> None:
    dvc_repo.write(
        "dvc.yaml",
        "stages:\n<<<<<<< HEAD\n  train:\n    cmd: a\n=======\n  train:\n    cmd: b\n>>>>>>> x\n",
    )
    dvc_repo.add()
    code, out = _check(dvc_repo)
    assert code == 1 and "dvc.yaml:2:1: DVF105" in out and "merge-conflict marker" in out


def test_yaml_bomb(dvc_repo: Repo) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    dvc_repo.write("dvc.yaml", "\n".join(lines) + "\nstages: {}\n")
    dvc_repo.add()
    code, out = _check(dvc_repo)
    assert code == 1 and "YAML bomb" in out


def test_deeply_nested_yaml(dvc_repo: Repo) -> None:
    dvc_repo.write("dvc.yaml", "stages: " + "[" * 3000 + "]" * 3000 + "\n")
    dvc_repo.add()
    code, out = _check(dvc_repo)
    assert code == 1 and "dvc.yaml" in out and "nested too deeply" in out


def test_binary_dvc_yaml(dvc_repo: Repo) -> None:
    dvc_repo.write("dvc.yaml", b"\x00\x01stages")
    dvc_repo.add()
    code, out = _check(dvc_repo)
    assert code == 1 and "dvc.yaml" in out and "binary file" in out


def test_non_utf8_dvc_yaml(dvc_repo: Repo) -> None:
    dvc_repo.write("dvc.yaml", "stages:\n  caf\xe9:\n    cmd: x\n".encode("latin-1"))
    dvc_repo.add()
    code, out = _check(dvc_repo)
    assert code == 1 and "dvc.yaml:2" in out and "not valid UTF-8" in out


@pytest.mark.slow
def test_fifty_megabyte_params_file(dvc_repo: Repo) -> None:
    dvc_repo.write("params.yaml", b"k: " + b"x" * (50 * 1024 * 1024) + b"\n")
    dvc_repo.write("dvc.yaml", "stages:\n  t:\n    cmd: echo ${k}\n")
    dvc_repo.add()
    code, out = _check(dvc_repo)
    assert code == 1 and "params.yaml" in out and "too large" in out


def test_symlinked_dvc_yaml_pointing_outside(dvc_repo: Repo, tmp_path: object) -> None:
    from pathlib import Path

    outside = Path(str(tmp_path)) / "outside.yaml"
    outside.write_text("stages: {}\n")
    (dvc_repo.root / "dvc.yaml").symlink_to(outside)
    dvc_repo.add()
    code, out = _check(dvc_repo)
    assert code == 1 and "outside the repository" in out


def test_unresolved_interpolation(dvc_repo: Repo) -> None:
    dvc_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python x.py ${nope}\n")
    dvc_repo.add()
    code, out = _check(dvc_repo)
    assert code == 1 and "dvc.yaml:3" in out and "nope" in out


def test_lock_in_dvc_1_format(dvc_repo: Repo) -> None:
    dvc_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: echo\n")
    dvc_repo.write("dvc.lock", "train:\n  cmd: echo\n")
    dvc_repo.add()
    code, out = _check(dvc_repo)
    assert code == 1 and "dvc.lock:1:1: DVF105" in out and "1.x format" in out


def test_duplicate_stage_names(dvc_repo: Repo) -> None:
    dvc_repo.write("dvc.yaml", "stages:\n  t:\n    cmd: a\n  t:\n    cmd: b\n")
    dvc_repo.add()
    code, out = _check(dvc_repo)
    assert code == 1 and "dvc.yaml:4" in out and "duplicate key" in out


def test_no_dvc_project_is_clean(repo: Repo) -> None:
    repo.write("README.md", "no dvc here\n")
    repo.add()
    code, out = _check(repo)
    assert code == 0 and out.startswith("Nothing to check: this repository has no DVC project")


def test_never_writes_without_fix(dvc_repo: Repo) -> None:
    dvc_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python x.py\n    outs_persist: [m]\n")
    dvc_repo.add()
    before = dvc_repo.git("status", "--porcelain", "--ignored")
    _check(dvc_repo)
    assert dvc_repo.git("status", "--porcelain", "--ignored") == before
