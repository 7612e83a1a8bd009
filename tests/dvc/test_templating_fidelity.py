"""The templating resolves every case exactly as DVC does: stages, errors, stage objects."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .templating_helpers import ALL, RESOLVABLE, dedupe, resolve_both


@pytest.mark.parametrize("name", ALL)
def test_same_stages_and_errors_as_dvc(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture, _, theirs, stages, errors = resolve_both(name, tmp_path, monkeypatch)
    assert [(s.name, s.definition, s.body) for s in stages] == theirs.stages
    for stage in stages:
        assert list(stage.vars_files[: len(theirs.top_imports)]) == theirs.top_imports
    assert bool(theirs.errors) == fixture.errors, theirs.errors
    ours = dedupe([(e.definition, e.message) for e in errors])
    expected = dedupe(theirs.errors)
    if fixture.same_message:
        assert ours == expected
    else:
        assert [d for d, _ in ours] == [d for d, _ in expected]


@pytest.mark.parametrize("name", RESOLVABLE)
def test_same_stage_objects_as_dvc(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What dvc's index builds from the resolved data: names, cmd, paths, params, wdir."""
    _, root, _, stages, _ = resolve_both(name, tmp_path, monkeypatch)
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        theirs = {s.name: s for s in repo.index.stages}
    assert list(theirs) == [s.name for s in stages]
    for stage in stages:
        dvc_stage = theirs[stage.name]
        assert dvc_stage.cmd == stage.body["cmd"]
        assert dvc_stage.addressing.endswith(stage.name)
        assert _dvc_paths(dvc_stage) == _our_paths(stage.body)
        stage_dir = os.path.dirname(dvc_stage.path)
        wdir = os.path.relpath(dvc_stage.wdir, stage_dir).replace(os.sep, "/")
        assert wdir == (stage.body.get("wdir") or ".")


def _dvc_paths(stage: Any) -> dict[str, Any]:
    from dvc.dependency import ParamsDependency

    deps = [d.def_path for d in stage.deps if not isinstance(d, ParamsDependency)]
    params = sorted(
        (d.def_path, tuple(d.params)) for d in stage.deps if isinstance(d, ParamsDependency)
    )
    outs = sorted((o.def_path, bool(o.metric), bool(o.plot)) for o in stage.outs)
    return {"deps": deps, "params": params, "outs": outs}


def _our_paths(body: dict[str, Any]) -> dict[str, Any]:
    def names(entries: list[Any] | None) -> list[str]:
        return [e if isinstance(e, str) else next(iter(e)) for e in entries or []]

    grouped: dict[str, list[str]] = {}
    for entry in body.get("params") or []:
        if isinstance(entry, str):
            grouped.setdefault("params.yaml", []).append(entry)
        else:
            for path, keys in entry.items():
                grouped.setdefault(path, []).extend(keys)
    outs = [(p, False, False) for p in names(body.get("outs"))]
    outs += [(p, True, False) for p in names(body.get("metrics"))]
    outs += [(p, False, True) for p in names(body.get("plots"))]
    return {
        "deps": names(body.get("deps")),
        "params": sorted((path, tuple(keys)) for path, keys in grouped.items()),
        "outs": sorted(outs),
    }
