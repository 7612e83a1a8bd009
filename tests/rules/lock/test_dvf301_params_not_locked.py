"""DVF301 params-not-locked on real repositories: params edited, reproduced or not, staged."""

from __future__ import annotations

import pytest

from .conftest import Repo, assert_agrees, errors, findings, run_fix, set_line


def test_params_edited_and_committed_without_repro(project: Repo) -> None:
    set_line(project, "params.yaml", "lr: 0.1", "lr: 0.2")
    project.add("params.yaml")
    (found,) = errors(project)
    assert found["code"] == "DVF301"
    assert (found["path"], found["line"], found["stage"]) == ("params.yaml", 2, "train")
    assert (
        found["message"]
        == "train.lr is 0.2 in this commit but dvc.lock records 0.1 for stage 'train'"
    )
    assert (
        found["fix"] == "dvc repro train && git add dvc.lock params.yaml metrics.json train.py src"
    )
    assert assert_agrees(project) == {"train"}
    run_fix(project, found["fix"])
    assert findings(project) == [] and assert_agrees(project) == set()


def test_values_dvc_considers_equal_are_not_findings(project: Repo) -> None:
    set_line(project, "params.yaml", "lr: 0.1", "lr: 1e-1")
    set_line(project, "params.yaml", "epochs: 3", "epochs: 3.0  # same value")
    project.add("params.yaml")
    assert findings(project) == [] and assert_agrees(project) == set()
    set_line(project, "params.yaml", "epochs: 3.0", "epochs: '3'")
    project.add("params.yaml")
    (found,) = errors(project)
    assert found["message"].startswith("train.epochs is '3' in this commit but dvc.lock records 3")
    assert assert_agrees(project) == {"train"}


def test_a_section_tracked_whole_names_the_key_that_differs(project: Repo) -> None:
    """`params: [train]` records the whole mapping; both values are cut short in the message,
    so it also names the first nested key that differs (as in ccao-data/model-condo-avm)."""
    set_line(project, "dvc.yaml", "      - train.lr\n      - train.epochs\n", "      - train\n")
    project.dvc("repro", "-q")
    project.add()
    project.commit("track the train section whole")
    set_line(project, "params.yaml", "epochs: 3", "epochs: 5")
    project.add("params.yaml")
    (found,) = errors(project)
    assert found["message"] == (
        'train is {"epochs": 5, "lr": 0.1} in this commit but dvc.lock records '
        """{"epochs": 3, "lr": 0.1} for stage 'train' (train.epochs: 5 here, 3 in dvc.lock)"""
    )
    assert assert_agrees(project) == {"train"}


@pytest.mark.slow
def test_reproduced_but_only_params_staged(project: Repo) -> None:
    set_line(project, "params.yaml", "epochs: 3", "epochs: 5")
    project.dvc("repro", "-q")
    project.add("params.yaml")  # dvc.lock and metrics.json left unstaged
    found = errors(project)
    assert [f["code"] for f in found] == ["DVF301"]
    assert "train.epochs is 5 in this commit but dvc.lock records 3" in found[0]["message"]
    assert assert_agrees(project) == {"train"}
    # dvc repro has nothing left to do: the fix is right because it also stages dvc.lock and
    # the metrics the run wrote.
    run_fix(project, found[0]["fix"])
    assert not project.git("diff", "--name-only", "dvc.lock", "metrics.json")
    assert findings(project) == [] and assert_agrees(project) == set()


@pytest.mark.parametrize(
    ("committed", "recorded", "equal"),
    [
        ("1", "1.0", True),
        ("true", "1", True),
        ("2e-1", "0.2", True),
        ("yes", "true", False),  # YAML 1.2: `yes` is a string
        ("'1'", "1", False),
        ("[1, 2]", "[1.0, 2]", True),
        ("{a: 1}", "{a: 1, b: 2}", False),
        ("null", "~", True),
    ],
)
def test_params_compare_as_dvc_compares_them(committed: str, recorded: str, equal: bool) -> None:
    from dvcflow.dvc.yamlio import load_yaml
    from dvcflow.rules.lock.analysis import params_equal

    value = load_yaml(f"v: {committed}\n").data["v"]
    locked = load_yaml(f"v: {recorded}\n").data["v"]
    assert params_equal(value, locked) is equal
    assert params_equal((1, 2), [1, 2])  # a tuple from a .py params file equals its list
