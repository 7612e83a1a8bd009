"""dvcflow.dvc.yamlio: the event reader must return exactly what ruamel's safe load returns.

`_load_safe` builds the data from the C parser's events for the YAML DVC files are made of
and hands everything else to ruamel's full loader; these tests compare the two on tricky
documents, on random documents dumped in every style, and on every YAML file in this
repository.
"""

from __future__ import annotations

import datetime
import io
import math
import random
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from dvcflow.dvc.yamlio import (
    PositionMap,
    PositionSeq,
    YamlError,
    _EventReader,
    _load_safe,
    _Unusual,
    _yaml,
    load_yaml,
)

ROOT = Path(__file__).resolve().parents[2]

TRICKY = [
    "",
    "# only a comment\n",
    "---\n",
    "---\n...\n",
    "a: 1\n",
    "a:\n",
    "a: ~\nb: null\nc: Null\nd: NULL\n",
    "t: [true, True, TRUE, false, yes, no, on, off, y, n]\n",
    "i: [0, -1, +2, 0o17, 017, 0x1F, 1_000, 12:30, 0b101]\n",
    "f: [1.5, -1e3, 1E-3, .inf, -.Inf, .NaN, 1., .5, 1_0.5]\n",
    "d: [2020-01-02, 2020-01-02T03:04:05Z, 2020-1-2 3:04:05.5 +01:00, 2020-13-45x]\n",
    "q: ['1', \"true\", 'null', '', \"\\t\\u00e9\", 'it''s']\n",
    "s: |\n  line one\n  line two\nt: >-\n  folded\n  text\n",
    "flow: {a: [1, {b: c}], 'd e': f, g: }\n",
    "anchors:\n  base: &b {x: 1, y: [1, 2]}\n  copy: *b\n  scalar: &s 7\n  again: *s\n",
    "merge:\n  base: &b {x: 1}\n  child:\n    <<: *b\n    y: 2\n",
    "tags: [!!str 1, !!int '2', !!float 3, !custom x]\n",
    "? [complex, key]\n: value\n",
    "dup: 1\ndup: 2\n",
    "%YAML 1.1\n---\nyes: no\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    "a: 1\n---\nb: 2\n",
    "recursive: &r [*r]\n",
    "a: &x 1\nb: &x 2\n",
    "a: &x [1]\nb: &x {c: 1}\nd: *x\n",
    "a: &x\n  b: &x 1\n",
    "unknown: *nowhere\n",
    "bad: [1, 2\n",
    "bad: 'unterminated\n",
    "\tbad: tab\n",
    "key: value\n  bad indent: x\n",
    "=: 1\n",
    "list:\n- a\n- - nested\n  - deeper\n- {x: y}\n",
    "1: int key\n2.5: float key\nnull: null key\ntrue: bool key\n2020-01-01: date key\n",
    "unicode: 'modèle-训练'\nemoji: 🙂\n",
    "stages:\n  train:\n    cmd: python train.py ${lr}\n    deps: [a, b]\n"
    "    outs:\n    - m.pkl:\n        cache: false\n",
]


def _plain_type(value: Any) -> type:
    return {PositionMap: dict, PositionSeq: list}.get(type(value), type(value))


def _same(fast: Any, full: Any, seen: set[tuple[int, int]] | None = None) -> bool:
    """Equal, including types (1 vs 1.0 vs True), NaN and self-referencing aliases.

    The event reader's mappings and lists are PositionMap/PositionSeq (dict/list with marks).
    """
    if _plain_type(fast) is not type(full):
        return False
    seen = set() if seen is None else seen
    if isinstance(full, (dict, list)):
        if (id(fast), id(full)) in seen:
            return True
        seen.add((id(fast), id(full)))
    if isinstance(full, dict):
        return list(fast) == list(full) and all(_same(fast[k], full[k], seen) for k in full)
    if isinstance(full, list):
        pairs = zip(fast, full, strict=False)
        return len(fast) == len(full) and all(_same(a, b, seen) for a, b in pairs)
    if isinstance(full, float) and math.isnan(full):
        return math.isnan(fast)
    return bool(fast == full)


def _outcome(load: Any, text: str) -> tuple[str, Any]:
    try:
        return ("value", load(text))
    except Exception as exc:  # the error type and message must match too
        return ("error", f"{type(exc).__name__}: {exc}")


def assert_like_ruamel(text: str) -> None:
    fast_kind, fast = _outcome(_load_safe, text)
    full_kind, full = _outcome(_yaml("safe").load, text)
    assert fast_kind == full_kind, (text, fast, full)
    assert _same(fast, full) if fast_kind == "value" else fast == full, (text, fast, full)


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_documents_load_as_ruamel_loads_them(text: str) -> None:
    assert_like_ruamel(text)


def test_what_the_event_reader_handles_and_what_it_hands_over() -> None:
    assert _EventReader("a: [1, 'x', 2020-01-02]\nb: &k {c: d}\ne: *k\n").read() == {
        "a": [1, "x", datetime.date(2020, 1, 2)],
        "b": {"c": "d"},
        "e": {"c": "d"},
    }
    for text in ("m:\n  <<: {a: 1}\n", "a: !!str 1\n", "a: 1\na: 2\n", "a: [1\n", "a: 1\n---\n"):
        with pytest.raises(_Unusual):
            _EventReader(text).read()


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    scalars: list[Any] = [
        rng.randint(-(10**6), 10**6),
        rng.random() * 10 ** rng.randint(-5, 5),
        rng.choice([True, False, None]),
        rng.choice(["yes", "no", "null", "~", "1e3", "0x1F", "010", "", " ", "a: b", "- x"]),
        "".join(rng.choice("ab:# -'\"\\é\t") for _ in range(rng.randint(0, 8))),
        datetime.date(2000 + rng.randint(0, 30), rng.randint(1, 12), rng.randint(1, 28)),
    ]
    if depth >= 3 or rng.random() < 0.4:
        return rng.choice(scalars)
    if rng.random() < 0.5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice([str(rng.randint(0, 50)), f"k{rng.randint(0, 50)}", rng.randint(0, 9)]): (
            _random_value(rng, depth + 1)
        )
        for _ in range(rng.randint(0, 4))
    }


def test_random_documents_in_every_style() -> None:
    rng = random.Random(0)
    for _ in range(300):
        data = {"root": _random_value(rng)}
        for flow in (False, True, None):
            dumper = YAML(typ="safe", pure=True)
            dumper.default_flow_style = flow
            stream = io.StringIO()
            dumper.dump(data, stream)
            assert_like_ruamel(stream.getvalue())


def _repository_yaml() -> list[str]:
    """Every YAML file Git tracks in this repository (examples, configs, fixtures)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return [
        p
        for p in listed.split("\0")
        if p.endswith((".yaml", ".yml", ".lock", ".dvc")) and (ROOT / p).is_file()
    ]


def test_every_yaml_file_of_this_repository() -> None:
    paths = _repository_yaml()
    assert len(paths) >= 5
    for path in paths:
        assert_like_ruamel((ROOT / path).read_text(encoding="utf-8"))


def test_errors_still_name_the_line() -> None:
    with pytest.raises(YamlError) as caught:
        load_yaml("a: 1\nb: [2\n")
    assert caught.value.line == 3
