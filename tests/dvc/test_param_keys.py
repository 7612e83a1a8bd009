"""`params.lookup`: one param-key lookup with DVC's semantics (dpath, separator ".").

Checked twice against DVC: against `dpath.get` itself on every key of many documents, and
against a real `dvc repro` + `dvc status` over YAML, JSON, TOML and Python params files.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from dvcflow.dvc.params import (
    AmbiguousParamKey,
    has_empty_key,
    has_param,
    lookup,
    parse_params,
)
from dvcflow.dvc.yamlio import load_yaml

from ..conftest import Repo

DOCUMENTS: list[Any] = [
    {"train": {"lr": 0.1, "epochs": 3}, "layers": [16, 32, 64]},
    {"a.b": 1, "a": {"b": 2}},
    {5: "int key", "5x": 1, True: "bool key", 1.5: "float", None: "null"},
    {"1": "str one", 1: "int one"},
    {"nested": [{"x": 1}, {"x": [7, 8, {"deep": True}]}], "t": (1, 2)},
    {"w": {"aa": 1, "ab": 2, "b": 3}, "l": [[1, 2], [3]]},
    {"x": {}, "y": [], "z": None, "-1": "minus one"},
]
KEYS = [
    "train", "train.lr", ".train.lr", "train.lr.x", "layers", "layers.0", "layers.2",
    "layers.3", "layers.-1", "layers.-3", "layers.-4", "layers.01", "layers. 1", "layers.+1",
    "layers.1_0", "layers.x", "a.b", "a", "5", "05", "5x", "True", "1", "true", "1.5", "None",
    "nested.1.x.2.deep", "nested.-1.x.-1", "nested.0.x", "t.1", "t.-2", "w.a*", "w.a?",
    "w.[ab]", "w.*", "l.*.0", "l.0.*", "x", "y", "z", "z.0", "-1", "", "/", "a..b", "w.b.",
]  # fmt: skip


def _dpath(document: Any, key: str) -> tuple[str, Any]:
    import dpath

    try:
        return "found", dpath.get(document, key, separator=".")
    except KeyError:
        return "missing", None
    except ValueError:
        return "ambiguous", None


def _ours(document: Any, key: str) -> tuple[str, Any]:
    try:
        return "found", lookup(document, key)
    except AmbiguousParamKey:
        return "ambiguous", None
    except KeyError:
        return "missing", None


@pytest.mark.parametrize(("index", "key"), list(itertools.product(range(len(DOCUMENTS)), KEYS)))
def test_lookup_is_dpath_get(index: int, key: str) -> None:
    document = DOCUMENTS[index]
    expected = _dpath(document, key)
    assert _ours(document, key) == expected
    assert has_param(document, key) == (expected[0] != "missing")


def test_an_empty_key_anywhere_is_what_dpath_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    import dpath
    from dpath.exceptions import InvalidKeyName

    # dpath's default; importing dvc.repo.plots (any test that opens a DVC Repo in this
    # process) turns it on for the rest of the process, so the test sets it itself.
    monkeypatch.setattr(dpath.options, "ALLOW_EMPTY_STRING_KEYS", False)

    document = {"a": 1, "b": [{"c": {"": 2}}]}
    assert has_empty_key(document)
    assert not has_empty_key(DOCUMENTS[0])
    with pytest.raises(InvalidKeyName):
        dpath.get(document, "a", separator=".")


BEFORE = {
    "params.yaml": """\
        train: {lr: 0.1, epochs: 3}
        layers: [16, 32, 64]
        5: five
        a: {b: 1}
        nested: [{x: 1}, {x: [7, 8]}]
        """,
    "conf/p.json": '{"opt": {"name": "adam", "betas": [0.9, 0.99]}, "n": 1}\n',
    "conf/p.toml": "[model]\ndepth = 3\nsizes = [1, 2, 3]\n",
    "conf/p.py": "LR = 0.5\n\n\nclass Train:\n    epochs = 4\n    sizes = [1, 2]\n",
}
AFTER = {
    "params.yaml": """\
        train: {lr: 0.1, epochs: 4}
        layers: [16, 32, 99]
        5: cinq
        a.b: 1
        nested: [{x: 1}, {x: [7, 9]}]
        """,
    "conf/p.json": '{"opt": {"name": "adam", "betas": [0.9, 0.5, 0.99]}, "n": 1}\n',
    "conf/p.toml": "[model]\ndepth = 3\nsizes = [0, 2, 3, 4]\n",
    "conf/p.py": "LR = 0.5\n\n\nclass Train:\n    epochs = 5\n    sizes = [2]\n",
}
TRACKED = {
    "params.yaml": [
        "train.lr", ".train.epochs", "layers.0", "layers.-1", "layers.01", "5", "a.b",
        "nested.-1.x.-1", "nested.0.x",
    ],
    "conf/p.json": ["opt.name", "opt.betas.-1", "opt.betas.1"],
    "conf/p.toml": ["model.depth", "model.sizes.-2", "model.sizes.0"],
    "conf/p.py": ["LR", "Train.epochs", "Train.sizes.-1"],
}  # fmt: skip


def _dvc_yaml() -> str:
    params = "".join(
        f"      - {path}:\n" + "".join(f"        - '{key}'\n" for key in keys)
        if path != "params.yaml"
        else "".join(f"      - '{key}'\n" for key in keys)
        for path, keys in TRACKED.items()
    )
    return f"stages:\n  s:\n    cmd: echo ok\n    params:\n{params}"


def _expected_status(repo: Repo, locked: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """What `dvc status` must say, from `lookup` on the edited files and dvc.lock's values."""
    status: dict[str, dict[str, str]] = {}
    for path, keys in TRACKED.items():
        data = parse_params(repo.read(path), path)
        for key in keys:
            try:
                value = lookup(data, key)
            except KeyError:
                status.setdefault(path, {})[key] = "deleted"
                continue
            if value != locked[path][key]:
                status.setdefault(path, {})[key] = "modified"
    return status


@pytest.mark.slow
def test_lookup_agrees_with_dvc_repro_and_status(dvc_repo: Repo) -> None:
    for path, text in BEFORE.items():
        dvc_repo.write(path, text)
    dvc_repo.write("dvc.yaml", _dvc_yaml(), dedent=False)
    dvc_repo.dvc("repro", "-q")
    lock = load_yaml(dvc_repo.read("dvc.lock")).data
    locked = {p["path"]: p["params"] for p in _lock_params(lock)}
    for path, keys in TRACKED.items():  # what DVC recorded is what lookup reads
        data = parse_params(dvc_repo.read(path), path)
        assert locked[path] == {key: lookup(data, key) for key in keys}, path
    for path, text in AFTER.items():
        dvc_repo.write(path, text)
    expected = _expected_status(dvc_repo, locked)
    assert expected["params.yaml"]["a.b"] == "deleted"  # the case is really exercised
    raw = json.loads(dvc_repo.dvc("status", "--json"))
    changed = raw["s"][0]["changed deps"]
    assert {path: changed[path] for path in changed} == expected


def _lock_params(lock: dict[str, Any]) -> list[dict[str, Any]]:
    params = lock["stages"]["s"]["params"]
    return [{"path": path, "params": values} for path, values in params.items()]
