"""`editable` answers from the position tree exactly as from ruamel's round-trip tree, so a
DVF101/DVF102 help line never pays for the pure-Python round-trip parse; `add_deps` edits from
the same positions, so `--fix` works wherever the help line offers it."""

from __future__ import annotations

import pytest

from dvcflow.context import Context
from dvcflow.dvc.yamledit import add_deps, deps_keypath, editable
from dvcflow.dvc.yamlio import PositionMap, load_yaml
from dvcflow.rules.deps.analysis import analysis

from ..conftest import Repo

STAGES = {
    "block": "  s:\n    cmd: python a.py\n    deps:\n      - b.py\n",
    "no-deps": "  s:\n    cmd: python a.py\n",
    "empty-deps": "  s:\n    cmd: python a.py\n    deps:\n",
    "flow-deps": "  s:\n    cmd: python a.py\n    deps: [b.py]\n",
    "empty-flow-deps": "  s:\n    cmd: python a.py\n    deps: []\n",
    "flow-stage": "  s: {cmd: python a.py, deps: [b.py]}\n",
    "interpolated-deps": "  s:\n    cmd: python a.py\n    deps: ${deps}\n",
    "interpolated-item": "  s:\n    cmd: python a.py\n    deps:\n      - ${item}.py\n",
    "number-item": "  s:\n    cmd: python a.py\n    deps:\n      - 1\n",
    "interpolated-wdir": "  s:\n    cmd: python a.py\n    wdir: ${dir}\n",
    "anchored-deps": "  s:\n    cmd: python a.py\n    deps: &common\n      - b.py\n"
    "  t:\n    cmd: python c.py\n    deps: *common\n",
    "generated-anchor": "  s:\n    cmd: python a.py\n    deps: &id001\n      - b.py\n",
    "id000-anchor": "  s:\n    cmd: python a.py\n    deps: &id000\n      - b.py\n",
    "anchored-stage": "  s: &base\n    cmd: python a.py\n    deps:\n      - b.py\n  t: *base\n",
    "foreach": "  s:\n    foreach: [a, b]\n    do:\n      cmd: python ${item}.py\n",
    "foreach-flow-do": "  s:\n    foreach: [a, b]\n    do: {cmd: python x.py}\n",
    "merge": "  base: &b\n    cmd: python a.py\n  s:\n    <<: *b\n    deps:\n      - b.py\n",
    "string-stage": "  s: python a.py\n",
}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_position_tree_answers_as_round_trip(name: str) -> None:
    document = load_yaml(f"stages:\n{STAGES[name]}")
    for definition in ("s", "t", "missing"):
        expected = editable(document.roundtrip, definition)
        assert editable(document.tree, definition) == expected, definition
        assert deps_keypath(document.tree, definition) == deps_keypath(
            document.roundtrip, definition
        )


def test_position_tree_serves_without_round_trip() -> None:
    document = load_yaml(f"stages:\n{STAGES['anchored-deps']}")
    assert isinstance(document.tree, PositionMap)
    assert not editable(document.tree, "s") and not editable(document.tree, "t")
    assert document._roundtrip is None


def test_missing_dep_finding_does_not_parse_round_trip(repo: Repo) -> None:
    repo.write(".dvc/config", "")
    repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n")
    repo.write("train.py", "import helper\n")
    repo.write("helper.py", "")
    repo.add()
    ctx = Context.from_cwd(repo.root, all_files=True)
    try:
        found = list(analysis(ctx).unlisted(lambda dep: True))
        assert [u.path for u in found] == ["train.py", "helper.py"]
        assert all(u.insertion.fixable for u in found)
        document = ctx.pipelines()[0].document
        assert document is not None and document._roundtrip is None
    finally:
        ctx.close()


@pytest.mark.parametrize(
    "text",
    [
        "stages:\n  s:\n    cmd:\tpython a.py\n    deps:\n    - b.py\n",
        "stages:\n  s:\n    cmd: python a.py\t# a tab before the comment\n    deps: [b.py]\n",
        "stages:\n  s:\n    cmd: python a.py\n    deps:\n      - b.py\t\n",
    ],
)
def test_a_file_only_libyaml_reads_is_edited_as_offered(text: str) -> None:
    """Tabs that ruamel's round-trip parser refuses but DVC's libyaml reads: the help line
    offers `--fix` (`editable`) and `add_deps` makes that edit, from the same positions."""
    document = load_yaml(text)
    assert document.roundtrip is None and editable(document.tree, "s")
    edited = add_deps(text, "s", ["c.py"])
    assert edited is not None
    assert load_yaml(edited).data["stages"]["s"]["deps"] == ["b.py", "c.py"]
    assert edited.count("\t") == text.count("\t")  # the tabs stay where they were
