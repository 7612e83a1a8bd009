"""Finding positions from the C parser's marks equal ruamel's round-trip positions.

`YamlDocument.tree` is built from the C parser's events (one C-speed parse); every key and
list item must sit where ruamel's round-trip tree (`YamlDocument.roundtrip`) says it does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from dvcflow.dvc.yamlio import PositionMap, PositionSeq, YamlError, child, load_yaml, position

from .test_yamlio import ROOT, TRICKY, _repository_yaml

DVC_LIKE = [
    "stages:\n  train:\n    cmd: python train.py\n    deps:\n    - src/train.py\n"
    "    - data\n    params:\n    - lr\n    - other.yaml:\n      - a.b\n    outs: [model.pkl]\n",
    "schema: '2.0'\nstages:\n  s:\n    cmd: echo\n    deps:\n      - path: a\n"
    "        hash: md5\n        md5: 0123\n        size: 3\n",
    "vars:\n  - params.yaml\nstages:\n  grid:\n    matrix: {a: [1, 2], b: [x]}\n"
    "    cmd: echo ${item.a}\n  f:\n    foreach: ${regions}\n    do:\n      cmd: echo ${item}\n",
    "outs:\n- md5: abc\n  size: 1\n  path: data.csv\n",
    "a:\n    - x\n    -   y\n    - {b: 1, c: [2, 3]}\n'quoted key': \"v\"\n? plain\n: explicit\n",
]


def _parses(text: str) -> bool:
    try:
        load_yaml(text)
    except YamlError:
        return False
    return True


def _pairs(rt: Any, ours: Any, where: str) -> Iterator[tuple[str, Any, Any, Any]]:
    """Every (where, key, rt container, our container) below two trees walked together."""
    keys: Any = list(rt) if isinstance(rt, dict) else range(len(rt))
    for key in keys:
        yield where, key, rt, ours
        rt_child, our_child = child(rt, key), child(ours, key)
        if isinstance(rt_child, (dict, list)):
            yield from _pairs(rt_child, our_child, f"{where}.{key}")


def _same_positions(text: str) -> None:
    document = load_yaml(text)
    rt, ours = document.roundtrip, document.tree
    if not isinstance(ours, (PositionMap, PositionSeq)):
        return  # ruamel's own tree served (tags, merge keys, ...): nothing to compare
    assert position(ours) == position(rt)
    for where, key, rt_node, our_node in _pairs(rt, ours, ""):
        if "*" in text:  # an alias: ruamel marks the anchored node, we the alias itself
            continue
        assert position(our_node, key) == position(rt_node, key), (where, key)
        assert position(child(our_node, key)) == position(child(rt_node, key)), (where, key)


@pytest.mark.parametrize("text", [t for t in TRICKY + DVC_LIKE if _parses(t)])
def test_positions_as_ruamel_round_trip(text: str) -> None:
    _same_positions(text)


def test_positions_of_every_yaml_file_of_this_repository() -> None:
    paths = _repository_yaml()
    assert len(paths) >= 5
    for path in paths:
        _same_positions((ROOT / path).read_text(encoding="utf-8"))


def test_position_tree_is_the_data() -> None:
    for text in DVC_LIKE:
        document = load_yaml(text)
        assert document.tree == document.data


def test_position_tree_does_not_parse_round_trip() -> None:
    document = load_yaml(DVC_LIKE[0])
    assert position(child(child(document.tree, "stages"), "train"), "deps") == (4, 5)
    assert document._roundtrip is None  # the pure-Python round trip never ran
