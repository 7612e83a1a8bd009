"""DVF501 as a pre-push hook: real `git push` to a bare repository, the hook installed by real
`pre-commit` (and as a plain Git hook), blocked until the printed `dvc push` line is run."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from dvcflow.git import pushrange

from ...conftest import BIN, PRE_COMMIT, Repo
from .conftest import run_fixes

CONFIG = f"""\
repos:
  - repo: local
    hooks:
      - id: dvcflow-pushed
        name: dvcflow data pushed (DVF501)
        entry: {BIN / "dvcflow-check"} --select DVF501
        language: system
        pass_filenames: false
        require_serial: true
        always_run: true
        stages: [pre-push]
"""


def _origin(repo: Repo, tmp_path: Path) -> None:
    bare = tmp_path / "origin.git"
    repo.run("git", "init", "-q", "--bare", str(bare))
    repo.git("remote", "add", "origin", str(bare))


def _push(repo: Repo) -> tuple[int, str]:
    proc = repo.run("git", "push", "-q", "origin", "main", check=False)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
def test_pre_commit_pre_push_blocks_until_dvc_push(
    repo: Repo, local_remote: Path, tmp_path: Path
) -> None:
    _origin(repo, tmp_path)
    repo.write(".pre-commit-config.yaml", CONFIG)
    repo.add(".pre-commit-config.yaml")
    repo.commit("hooks")
    repo.run(PRE_COMMIT, "install", "--hook-type", "pre-push")
    code, out = _push(repo)  # the root commit is pushed: pre-commit sets LOCAL_BRANCH only
    assert code != 0 and "DVF501 data/images (commit" in out, out
    run_fixes(repo, out)
    code, out = _push(repo)
    assert code == 0, out

    repo.write("data/table.csv", "x,y\n9,9\n")  # a later push: FROM_REF..TO_REF
    repo.dvc("add", "-q", "data/table.csv")
    repo.add("data/table.csv.dvc")
    repo.commit("new table")
    code, out = _push(repo)
    assert code != 0 and out.count(": DVF501 ") == 1 and "data/table.csv (commit" in out
    run_fixes(repo, out)
    assert _push(repo)[0] == 0


def test_plain_git_hook_reads_gits_pre_push_input(
    repo: Repo, local_remote: Path, tmp_path: Path
) -> None:
    _origin(repo, tmp_path)
    hook = repo.path(".git/hooks/pre-push")
    hook.write_text(
        f'#!/bin/sh\nexec "{BIN / "dvcflow-check"}" --select DVF501 --push-range - "$@"\n'
    )
    hook.chmod(hook.stat().st_mode | stat.S_IEXEC)
    code, out = _push(repo)
    assert code != 0 and "DVF501 data/table.csv (commit" in out, out
    run_fixes(repo, out)
    code, out = _push(repo)
    assert code == 0, out


def test_ranges_from_pre_commits_environment(repo: Repo) -> None:
    repo.write("a.txt", "1\n")
    repo.add()
    first = repo.commit("one")
    repo.write("a.txt", "2\n")
    repo.add()
    second = repo.commit("two")
    root = repo.root
    env = {"PRE_COMMIT_FROM_REF": first, "PRE_COMMIT_TO_REF": second}
    found = pushrange.from_environment(root, env)
    assert found is not None and found.commits == (second,)
    found = pushrange.from_environment(root, {"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main"})
    assert found is not None and found.commits == (second, first)
    assert pushrange.from_environment(root, {}) is None
    text = f"refs/heads/main {second} refs/heads/main {first}\n"
    assert pushrange.from_pre_push_input(root, text, "origin").commits == (second,)
    zero = "0" * 40
    deleting = f"(delete) {zero} refs/heads/old {first}\n"
    assert pushrange.from_pre_push_input(root, deleting, "origin").commits == ()
    assert pushrange.from_spec(root, f"{first}..{second}").commits == (second,)
    assert pushrange.unpushed(root).commits == (second, first)
    assert os.environ.get("PRE_COMMIT_FROM_REF") is None


def test_unknown_push_range_is_a_usage_error(repo: Repo, local_remote: Path) -> None:
    code, out = repo.check("--select", "DVF501", "--push-range", "nope..HEAD")
    assert code == 2 and "unknown commit or ref 'nope'" in out
