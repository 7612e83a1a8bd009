"""DVF105 agrees with DVC: every file DVC refuses is reported, every file DVC loads is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import Repo

REFUSED = {
    "outs-persist": "stages:\n  t:\n    cmd: x\n    outs_persist: [m]\n",
    "missing-cmd": "stages:\n  t:\n    deps: [a]\n",
    "deps-not-list": "stages:\n  t:\n    cmd: x\n    deps: a\n",
    "wdir-int": "stages:\n  t:\n    cmd: x\n    wdir: 1\n",
    "frozen-string": "stages:\n  t:\n    cmd: x\n    frozen: 'yes'\n",
    "cache-string": "stages:\n  t:\n    cmd: x\n    outs:\n      - m:\n          cache: 'no'\n",
    "unknown-top-level": "stage:\n  t:\n    cmd: x\n",
    "foreach-without-do": "stages:\n  t:\n    foreach: [a, b]\n    cmd: x\n",
    "bad-yaml": "stages:\n  t:\n    cmd: [x\n",
    "duplicate-stage": "stages:\n  t:\n    cmd: a\n  t:\n    cmd: b\n",
    "unknown-var": "stages:\n  t:\n    cmd: echo ${missing}\n",
    "plot-unknown-prop": "stages:\n  t:\n    cmd: x\n    plots:\n      - p.csv:\n          xx: 1\n",
    "stages-list": "stages:\n  - cmd: x\n",
}
ACCEPTED = {
    "minimal": "stages:\n  t:\n    cmd: x\n",
    "empty": "",
    "full": (
        "stages:\n  t:\n    cmd: [a, b]\n    wdir: .\n    deps: [a]\n    params: [p, {c.yaml: }]\n"
        "    outs:\n      - m:\n          cache: false\n          persist: true\n"
        "    metrics: [{s.json: {cache: false}}]\n"
        "    plots:\n      - p.csv:\n          x: a\n          y: b\n    frozen: true\n"
        "    always_changed: false\n    desc: d\n    meta: {any: thing}\n"
    ),
    "foreach": "stages:\n  t:\n    foreach: [a, b]\n    do:\n      cmd: echo ${item}\n",
    "matrix": "stages:\n  t:\n    matrix:\n      x: [1, 2]\n    cmd: echo ${item.x}\n",
    "vars": "vars:\n  - {n: 1}\nstages:\n  t:\n    cmd: echo ${n}\n",
    "top-level-plots": "plots:\n  - p.csv\n  - {q.csv: {x: a}}\nstages: {}\n",
}


def _dvc_refuses(root: Path) -> bool:
    from dvc.repo import Repo as DvcRepo

    try:
        with DvcRepo(str(root)) as dvc:
            for stage in dvc.index.stages:
                _ = stage.cmd, stage.deps, stage.outs
    except Exception:  # any refusal counts; the test compares verdicts
        return True
    return False


def _setup(dvc_repo: Repo, text: str) -> None:
    dvc_repo.write("c.yaml", "k: 1\n")
    dvc_repo.write("dvc.yaml", text)
    dvc_repo.add()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_by_dvc_and_reported(name: str, dvc_repo: Repo) -> None:
    _setup(dvc_repo, REFUSED[name])
    assert _dvc_refuses(dvc_repo.root), "fixture error: DVC accepts this file"
    code, out = dvc_repo.check("--all", "--select", "DVF105")
    assert code == 1 and "DVF105" in out


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_by_dvc_and_not_reported(name: str, dvc_repo: Repo) -> None:
    _setup(dvc_repo, ACCEPTED[name])
    assert not _dvc_refuses(dvc_repo.root), "fixture error: DVC refuses this file"
    assert dvc_repo.check("--all", "--select", "DVF105") == (0, "All checks passed.\n")


LOCKS_REFUSED = {
    "dvc-1-format": "t:\n  cmd: x\n",
    "wrong-schema": "schema: '3.0'\nstages:\n  t:\n    cmd: x\n",
    "entry-without-path": "schema: '2.0'\nstages:\n  t:\n    cmd: x\n    deps:\n      - md5: abc\n",
}


@pytest.mark.parametrize("name", sorted(LOCKS_REFUSED))
def test_lock_refused_by_dvc_and_reported(name: str, dvc_repo: Repo) -> None:
    _setup(dvc_repo, "stages:\n  t:\n    cmd: x\n")
    dvc_repo.write("dvc.lock", LOCKS_REFUSED[name])
    dvc_repo.add()
    assert _dvc_refuses(dvc_repo.root), "fixture error: DVC accepts this lock"
    code, out = dvc_repo.check("--all", "--select", "DVF105")
    assert code == 1 and "dvc.lock:" in out and "DVF105" in out
