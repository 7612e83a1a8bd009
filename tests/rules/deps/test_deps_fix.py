"""`--fix` for DVF101/DVF102: round-trips keep every other byte, DVC accepts the result."""

from __future__ import annotations

import difflib

import pytest

from dvcflow.dvc.yamledit import add_deps

from ...conftest import Repo
from .conftest import findings, ml_repo, staged

FLOW_AND_COMMENTS = """\
# Pipeline for the demo
stages:
  prepare:  # first stage
    cmd: python src/prepare.py
    deps: [data/raw.csv]   # flow list
    outs:
      - data/prepared
  train:
    # the training stage
    cmd: >-
      python src/train.py
      --epochs 3
    # outputs below
    outs:
      - "model.pkl"  # quoted
  evaluate:
    cmd: python src/evaluate.py
    deps:
      - 'model.pkl'   # single-quoted
      - src/evaluate.py
    metrics:
      - metrics.json:
          cache: false
"""
FIXED = """\
# Pipeline for the demo
stages:
  prepare:  # first stage
    cmd: python src/prepare.py
    deps: [data/raw.csv, src/prepare.py]   # flow list
    outs:
      - data/prepared
  train:
    # the training stage
    cmd: >-
      python src/train.py
      --epochs 3
    deps:
      - src/train.py
      - src/models/layers.py
      - src/models/net.py
      - src/utils.py
    # outputs below
    outs:
      - "model.pkl"  # quoted
  evaluate:
    cmd: python src/evaluate.py
    deps:
      - 'model.pkl'   # single-quoted
      - src/evaluate.py
      - 'src/utils.py'
    metrics:
      - metrics.json:
          cache: false
"""


def test_fix_round_trip_keeps_every_other_byte(repo: Repo) -> None:
    ml_repo(repo, FLOW_AND_COMMENTS)
    staged(
        repo,
        ("src/prepare.py", ""),
        ("src/evaluate.py", "import utils\n"),
    )
    found = findings(repo, "--all", "--select", "DVF101,DVF102")
    assert len(found) == 6 and all("--fix-only --stage-fixes" in f["fix"] for f in found)
    _, out = repo.check("--all", "--select", "DVF101,DVF102", "--fix")
    assert "dvcflow: fixed dvc.yaml: added `- src/prepare.py` to stages.prepare.deps" in out
    assert repo.read("dvc.yaml") == FIXED
    # Every byte of the original is kept, in order: the edit only inserts.
    matcher = difflib.SequenceMatcher(None, FLOW_AND_COMMENTS, FIXED, autojunk=False)
    assert {op for op, *_ in matcher.get_opcodes()} == {"equal", "insert"}
    repo.check("--all", "--select", "DVF101,DVF102", "--fix")  # a second --fix changes nothing
    assert repo.read("dvc.yaml") == FIXED
    repo.add()
    assert findings(repo, "--all", "--select", "DVF101,DVF102") == []


def test_fix_keeps_crlf_and_a_file_without_final_newline(repo: Repo) -> None:
    ml_repo(repo, "stages:\r\n  train:\r\n    cmd: python src/train.py\r\n    deps:\r\n    - src")
    repo.write(
        "dvc.yaml", "stages:\r\n  train:\r\n    cmd: python src/prepare.py\r\n", dedent=False
    )
    repo.write("src/prepare.py", "")
    repo.add()
    repo.check("--all", "--select", "DVF101", "--fix")
    assert repo.path("dvc.yaml").read_bytes() == (
        b"stages:\r\n  train:\r\n    cmd: python src/prepare.py\r\n"
        b"    deps:\r\n    - src/prepare.py\r\n"
    )


@pytest.mark.slow
def test_fixed_file_is_accepted_by_dvc(dvc_repo: Repo) -> None:
    repo = dvc_repo
    ml_repo(repo, FLOW_AND_COMMENTS)
    staged(repo, ("src/prepare.py", ""), ("src/evaluate.py", "import utils\n"))
    repo.check("--all", "--select", "DVF1", "--fix")
    status = repo.dvc("status", "train")  # DVC reads the inserted deps
    for path in ("src/train.py", "src/models/net.py", "src/models/layers.py", "src/utils.py"):
        assert f"modified:           {path}" in status
    repo.add()
    assert findings(repo, "--all", "--select", "DVF101,DVF102") == []


# The text edit itself, on the layouts a dvc.yaml takes (each case: before, after or None).
EDIT_CASES = {
    "flow, one line, trailing comma": (
        "stages:\n  train:\n    cmd: x\n    deps: [a,]\n",
        "stages:\n  train:\n    cmd: x\n    deps: [a, src/t.py,]\n",
    ),
    "flow, empty": (
        "stages:\n  train:\n    cmd: x\n    deps: []\n",
        "stages:\n  train:\n    cmd: x\n    deps: [src/t.py]\n",
    ),
    "flow, several lines, comment after the last item": (
        "stages:\n  train:\n    cmd: x\n    deps: [\n      a,\n      b  # why\n    ]\n",
        "stages:\n  train:\n    cmd: x\n    deps: [\n      a,\n      b,  # why\n"
        "      src/t.py\n    ]\n",
    ),
    "flow, several lines, trailing comma": (
        "stages:\n  train:\n    cmd: x\n    deps: [\n      a,\n    ]\n",
        "stages:\n  train:\n    cmd: x\n    deps: [\n      a,\n      src/t.py,\n    ]\n",
    ),
    "block, indented dashes, double quotes": (
        'stages:\n  train:\n    cmd: x\n    deps:\n      -   "a"\n    outs: [m]\n',
        'stages:\n  train:\n    cmd: x\n    deps:\n      -   "a"\n      -   "src/t.py"\n'
        "    outs: [m]\n",
    ),
    "no deps, block cmd last, next stage commented": (
        "stages:\n  train:\n    cmd: |\n      python t.py\n      # part of the command\n"
        "  # the next stage\n  other:\n    cmd: y\n",
        "stages:\n  train:\n    cmd: |\n      python t.py\n      # part of the command\n"
        "    deps:\n    - src/t.py\n  # the next stage\n  other:\n    cmd: y\n",
    ),
    "deps from an anchor": ("x: &d [a]\nstages:\n  train:\n    cmd: x\n    deps: *d\n", None),
    "merge key": ("b: &b {cmd: x}\nstages:\n  train:\n    <<: *b\n    outs: [m]\n", None),
    "flow-style stage": ("stages:\n  train: {cmd: x, deps: [a]}\n", None),
    "interpolated list": ("stages:\n  train:\n    cmd: x\n    deps: ${d}\n", None),
}


@pytest.mark.parametrize("case", list(EDIT_CASES))
def test_add_deps_text_edits(case: str) -> None:
    before, after = EDIT_CASES[case]
    assert add_deps(before, "train", ["src/t.py"]) == after
    if after is not None:
        assert add_deps(after, "train", ["src/t.py"]) == after  # idempotent
