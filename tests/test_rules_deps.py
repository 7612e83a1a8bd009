"""DVF101-DVF104 on real Git repositories: findings, scope, `--fix` round-trips, and no false
positive on a pipeline modelled on DVC's get-started example.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from dvcflow.dvc.yamledit import add_deps

from .conftest import DVC, Repo


# ------------------------------------------------------------------------------------ helpers
def project(repo: Repo, root: str = "") -> None:
    """What `dvc init` leaves in Git (a `.dvc/config`), without the second it takes."""
    prefix = f"{root}/" if root else ""
    repo.write(f"{prefix}.dvc/config", "")
    repo.write(f"{prefix}.dvc/.gitignore", "/config.local\n/tmp\n/cache\n")


def findings(repo: Repo, *args: str, cwd: Path | None = None) -> list[dict[str, Any]]:
    """The JSON findings of `dvcflow-check` (stderr lines about fixes follow the JSON)."""
    _, out = repo.check("--output-format", "json", *args, cwd=cwd)
    data, _ = json.JSONDecoder().raw_decode(out)
    assert isinstance(data, list)
    return data


def codes(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return sorted((f["code"], f["target"]) for f in items)


def staged(repo: Repo, *files: tuple[str, str]) -> None:
    for path, text in files:
        repo.write(path, text)
    repo.add()


TRAIN = "import yaml\nfrom models.net import Net\n"
NET = "from . import layers\nfrom utils import helper\n"


def ml_repo(repo: Repo, pipeline: str) -> None:
    project(repo)
    staged(
        repo,
        ("dvc.yaml", pipeline),
        ("params.yaml", "train:\n  lr: 0.1\n  layers: [64, 32]\nseed: 1\n"),
        ("src/train.py", TRAIN),
        ("src/models/__init__.py", ""),
        ("src/models/net.py", NET),
        ("src/models/layers.py", "import numpy\n"),
        ("src/utils.py", "def helper(): ...\n"),
        ("data/raw.csv", "a,b\n"),
    )


# ------------------------------------------------------------------------------------ DVF101
def test_dvf101_fires_at_the_stage_and_the_listed_script_is_clean(repo: Repo) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    cmd: python src/train.py data/raw.csv\n"
        "    deps:\n    - data/raw.csv\n    outs:\n    - model.pkl\n",
    )
    found = [f for f in findings(repo, "--all", "--select", "DVF101")]
    assert len(found) == 1
    finding = found[0]
    assert (finding["path"], finding["line"], finding["column"]) == ("dvc.yaml", 2, 3)
    assert (finding["stage"], finding["target"]) == ("train", "src/train.py")
    assert "runs src/train.py" in finding["message"]
    assert finding["fix"].startswith("add `- src/train.py` under stages.train.deps")

    repo.write(
        "dvc.yaml", repo.read("dvc.yaml").replace("- data/raw.csv\n", "- data/raw.csv\n    - src\n")
    )
    repo.add()
    assert findings(repo, "--all", "--select", "DVF101,DVF102") == []  # a folder covers below it


def test_dvf101_runners_and_wrappers_in_a_real_pipeline(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("train.py", ""),
        ("run.sh", "python steps/inner.py\n"),
        ("steps/inner.py", ""),
        ("analysis.R", ""),
        ("nb.ipynb", json.dumps({"cells": [], "metadata": {}})),
        (
            "dvc.yaml",
            "stages:\n"
            "  a:\n    cmd: uv run --with pandas python train.py --data data/raw.csv\n"
            "  b:\n    cmd: PYTHONPATH=. conda run -n ml time Rscript analysis.R\n"
            "  c:\n    cmd: bash run.sh\n"
            "  d:\n    cmd: papermill nb.ipynb out.ipynb -p alpha 1\n"
            "  e:\n    cmd: docker run -v $(pwd):/w img python /w/train.py && cargo run\n",
        ),
    )
    found = findings(repo, "--all", "--select", "DVF101")
    assert sorted((f["stage"], f["target"]) for f in found) == [
        ("a", "train.py"),
        ("b", "analysis.R"),
        ("c", "run.sh"),
        ("c", "steps/inner.py"),
        ("d", "nb.ipynb"),
    ]
    via = next(f for f in found if f["target"] == "steps/inner.py")
    assert "runs steps/inner.py (via run.sh)" in via["message"]


def test_foreach_is_reported_once_naming_the_instances(repo: Repo) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    foreach: [us, eu, asia]\n    do:\n"
        "      cmd: python src/train.py --region ${item}\n"
        "      deps:\n      - data/${item}.csv\n      outs:\n      - model-${item}.pkl\n",
    )
    for region in ("us", "eu", "asia"):
        repo.write(f"data/{region}.csv", "x\n")
    repo.add()
    found = findings(repo, "--all", "--select", "DVF101")
    assert len(found) == 1
    assert found[0]["line"] == 2 and found[0]["stage"] == "train"
    assert "train@us, train@eu, train@asia" in found[0]["message"]
    # deps built by ${item}: the fix is printed, never applied
    assert found[0]["fix"] == "add `- src/train.py` under stages.train.do.deps"
    before = repo.read("dvc.yaml")
    findings(repo, "--all", "--select", "DVF1", "--fix")
    assert repo.read("dvc.yaml") == before


def test_matrix_instances_and_fix_adding_a_deps_key(repo: Repo) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    matrix:\n      model: [cnn, rnn]\n      lr: [1, 2]\n"
        "    cmd: python src/train.py ${item.model} ${item.lr}\n"
        "    outs:\n    - model-${item.model}-${item.lr}.pkl\n",
    )
    found = findings(repo, "--all", "--select", "DVF101,DVF102")
    assert codes(found) == [
        ("DVF101", "src/train.py"),
        ("DVF102", "src/models/layers.py"),
        ("DVF102", "src/models/net.py"),
        ("DVF102", "src/utils.py"),
    ]
    assert all(f["line"] == 2 for f in found)
    assert "train@cnn-1, train@cnn-2, train@rnn-1, train@rnn-2" in found[0]["message"]
    findings(repo, "--all", "--select", "DVF1", "--fix")
    assert "    deps:\n    - src/train.py\n    - src/models/layers.py\n" in repo.read("dvc.yaml")
    repo.add()
    assert findings(repo, "--all", "--select", "DVF1") == []


def test_wdir_and_sub_folder_dvc_yaml(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("sub/dvc.yaml", "stages:\n  train:\n    wdir: code\n    cmd: python s.py\n"),
        ("sub/code/s.py", "import helper\n"),
        ("sub/code/helper.py", ""),
    )
    found = findings(repo, "--all", "--select", "DVF101,DVF102")
    assert [(f["path"], f["stage"], f["target"]) for f in found] == [
        ("sub/dvc.yaml", "sub/dvc.yaml:train", "sub/code/s.py"),
        ("sub/dvc.yaml", "sub/dvc.yaml:train", "sub/code/helper.py"),
    ]
    assert found[0]["fix"].startswith("add `- s.py` under stages.train.deps")
    findings(repo, "--all", "--select", "DVF1", "--fix")
    assert repo.read("sub/dvc.yaml").endswith("    deps:\n    - s.py\n    - helper.py\n")
    repo.add()
    assert findings(repo, "--all", "--select", "DVF1") == []


@pytest.mark.slow
def test_dvc_init_subdir_project(repo: Repo) -> None:
    (repo.root / "proj").mkdir()
    repo.dvc("init", "--subdir", "-q", cwd=repo.root / "proj")
    staged(
        repo,
        (
            "proj/dvc.yaml",
            "stages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - raw\n",
        ),
        ("proj/src/train.py", "from lib import tools\n"),
        ("proj/lib/__init__.py", ""),
        ("proj/lib/tools.py", ""),
    )
    found = findings(repo, "--all", "--select", "DVF1", cwd=repo.root / "proj")
    assert [(f["code"], f["path"], f["stage"], f["target"]) for f in found] == [
        ("DVF101", "proj/dvc.yaml", "train", "proj/src/train.py"),
        ("DVF102", "proj/dvc.yaml", "train", "proj/lib/tools.py"),
        ("DVF104", "proj/dvc.yaml", "train", "proj/raw"),
    ]
    assert "`cd proj && dvc add raw`" in found[2]["fix"]
    findings(repo, "--all", "--select", "DVF1", "--fix")
    repo.add()
    assert codes(findings(repo, "--all", "--select", "DVF1")) == [("DVF104", "proj/raw")]
    assert "Depends on raw, src/train.py, lib/tools.py" in repo.dvc(
        "stage", "list", cwd=repo.root / "proj"
    )


# ------------------------------------------------------------------------------------ DVF102
def test_dvf102_names_the_import_chain(repo: Repo) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - src/train.py\n",
    )
    found = findings(repo, "--all", "--select", "DVF102")
    chains = {f["target"]: f["message"] for f in found}
    assert set(chains) == {"src/models/net.py", "src/models/layers.py", "src/utils.py"}
    assert (
        "imports src/utils.py (src/train.py -> src/models/net.py -> src/utils.py)"
        in (chains["src/utils.py"])
    )
    assert all(f["fix"].startswith(f"add `- {f['target']}` under") for f in found)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("direct", ["src/models/net.py"]), ("off", []), ("transitive", None)],
)
def test_dvf102_imports_option(repo: Repo, mode: str, expected: list[str] | None) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - src/train.py\n",
    )
    repo.write("pyproject.toml", f'[tool.dvcflow.deps]\nimports = "{mode}"\n')
    targets = sorted(f["target"] for f in findings(repo, "--all", "--select", "DVF102"))
    assert targets == (
        expected
        if expected is not None
        else sorted(["src/models/net.py", "src/models/layers.py", "src/utils.py"])
    )


# ------------------------------------------------------------------------------------ --fix
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
    assert len(found) == 6 and all("dvcflow-check --fix" in f["fix"] for f in found)
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


# ------------------------------------------------------------------------------------ scope
def test_pre_commit_scope(repo: Repo) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    cmd: python src/train.py\n    params:\n    - train.lr\n"
        "  other:\n    cmd: python other.py\n    deps:\n    - other.py\n",
    )
    repo.write("other.py", "")
    repo.add()
    repo.commit("legacy pipeline with findings")
    staged(repo, ("README.md", "hello\n"))
    assert findings(repo, "--select", "DVF1") == []  # an unrelated commit is not blocked
    assert len(findings(repo, "--all", "--select", "DVF1")) == 4

    staged(repo, ("src/utils.py", "def helper(): return 1\n"))  # an imported module
    assert codes(findings(repo, "--select", "DVF1")) == [
        ("DVF101", "src/train.py"),
        ("DVF102", "src/models/layers.py"),
        ("DVF102", "src/models/net.py"),
        ("DVF102", "src/utils.py"),
    ]
    repo.git("checkout", "-q", "HEAD", "--", "src/utils.py")
    staged(repo, ("other.py", "print(1)\n"))  # the other stage's script: nothing to report
    assert findings(repo, "--select", "DVF1") == []
    staged(repo, ("params.yaml", "train:\n  learning_rate: 0.1\n"))  # a params file
    assert ("DVF103", "params.yaml:train.lr") in codes(findings(repo, "--select", "DVF1"))


# ------------------------------------------------------------------------------------ DVF103
PARAMS = """\
train:
  lr: 0.1
  layers: [64, 32]
  optimizer: {name: adam}
seed: 1
"""


def test_dvf103_keys_as_dvc_looks_them_up(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("params.yaml", PARAMS),
        ("config.json", '{"a": {"b": 1}}'),
        ("extra.toml", "[model]\ndepth = 3\n"),
        (
            "dvc.yaml",
            "stages:\n  train:\n    cmd: echo\n    params:\n"
            "    - train.lr\n    - train.layers.0\n    - train.layers.-1\n"
            "    - train.layers.5\n    - train.optimizer.name\n    - train.momentun\n"
            "    - seed\n"
            "    - config.json:\n      - a.b\n      - a.*\n      - a.c\n"
            "    - extra.toml:\n    - missing.yaml:\n",
        ),
    )
    found = findings(repo, "--all", "--select", "DVF103")
    by_target = {f["target"]: f for f in found}
    assert sorted(by_target) == [
        "config.json:a.c",
        "missing.yaml",
        "params.yaml:train.layers.5",
        "params.yaml:train.momentun",
    ]
    assert by_target["params.yaml:train.layers.5"]["line"] == 8
    assert by_target["config.json:a.c"]["line"] == 15
    momentum = by_target["params.yaml:train.momentun"]
    assert "tracks param 'train.momentun', which params.yaml does not define" in momentum["message"]
    assert momentum["fix"].startswith("add `momentun: <value>` under `train` in params.yaml")
    assert "not in the commit" in by_target["missing.yaml"]["message"]


def test_dvf103_missing_and_unparsable_params_files(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        (
            "dvc.yaml",
            "stages:\n  a:\n    cmd: echo\n    params:\n    - lr\n"
            "  b:\n    cmd: echo\n    params:\n    - bad.yaml:\n      - x\n",
        ),
        ("bad.yaml", "x: [1\n"),
    )
    repo.write("params.yaml", "lr: 1\n")  # in the work tree, not staged
    found = {f["stage"]: f for f in findings(repo, "--all", "--select", "DVF103")}
    assert found["a"]["fix"] == "git add params.yaml"
    assert "DVC cannot parse" in found["b"]["message"]
    repo.add()
    assert [f["stage"] for f in findings(repo, "--all", "--select", "DVF103")] == ["b"]


@pytest.mark.slow
def test_dvf103_agrees_with_dvc_repro(dvc_repo: Repo) -> None:
    repo = dvc_repo
    staged(
        repo,
        ("params.yaml", PARAMS),
        (
            "dvc.yaml",
            "stages:\n  ok:\n    cmd: echo ok\n    params:\n    - train.layers.-1\n"
            "  bad:\n    cmd: echo bad\n    params:\n    - train.layers.5\n",
        ),
    )
    assert [f["stage"] for f in findings(repo, "--all", "--select", "DVF103")] == ["bad"]
    env = {**os.environ, "PATH": f"{Path(DVC).parent}{os.pathsep}{os.environ['PATH']}"}
    ok = subprocess.run(
        [DVC, "repro", "ok"], cwd=repo.root, capture_output=True, text=True, env=env, check=False
    )
    bad = subprocess.run(
        [DVC, "repro", "bad"], cwd=repo.root, capture_output=True, text=True, env=env, check=False
    )
    assert ok.returncode == 0, ok.stderr
    assert bad.returncode != 0 and "train.layers.5" in bad.stderr


# ------------------------------------------------------------------------------------ DVF104
def test_dvf104_what_counts_as_found(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("data/data.xml.dvc", "outs:\n- md5: 22a1a2931c8370d3aeedd7183606fd7f\n  path: data.xml\n"),
        ("data/.gitignore", "/data.xml\n"),
        ("committed.csv", "x\n"),
        ("sub/dvc.yaml", "stages:\n  make:\n    cmd: echo\n    outs:\n    - ../made\n"),
        (
            "dvc.lock",
            "schema: '2.0'\nstages:\n  old:\n    cmd: echo\n    outs:\n"
            "    - path: locked.bin\n      md5: 1\n",
        ),
        (
            "dvc.yaml",
            "stages:\n  prep:\n    cmd: echo\n    deps:\n    - data/data.xml\n    - committed.csv\n"
            "    - made/part.csv\n    - locked.bin\n    - s3://bucket/x.csv\n    - /abs/path\n"
            "    - typo.csv\n    outs:\n    - out\n"
            "  use:\n    cmd: echo\n    deps:\n    - out/sub\n    - local.csv\n",
        ),
    )
    repo.write("local.csv", "not staged\n")
    found = {f["target"]: f for f in findings(repo, "--all", "--select", "DVF104")}
    assert sorted(found) == ["local.csv", "typo.csv"]
    assert (found["typo.csv"]["line"], found["typo.csv"]["stage"]) == (11, "prep")
    assert "not in the commit, not an output of any stage" in found["typo.csv"]["message"]
    assert "`dvc add typo.csv`" in found["typo.csv"]["fix"]
    assert found["local.csv"]["fix"].startswith("`git add local.csv`")


def test_dvf104_foreach_reported_once_and_deleted_dvc_file_in_scope(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("raw.csv.dvc", "outs:\n- md5: 1\n  path: raw.csv\n"),
        (
            "dvc.yaml",
            "stages:\n  prep:\n    foreach: [a, b]\n    do:\n      cmd: echo\n"
            "      deps:\n      - in/${item}.csv\n      - raw.csv\n",
        ),
    )
    found = findings(repo, "--all", "--select", "DVF104")
    assert len(found) == 1
    assert "in/a.csv, in/b.csv" in found[0]["message"]
    assert "prep@a, prep@b" in found[0]["message"]
    repo.write("in/a.csv", "")
    repo.write("in/b.csv", "")
    repo.add()
    repo.commit("ok")
    repo.git("rm", "-q", "raw.csv.dvc")  # deleting the .dvc file breaks a fresh clone
    assert [f["target"] for f in findings(repo, "--select", "DVF104")] == ["raw.csv"]


# ------------------------------------------------------------------------------------ get-started
GET_STARTED_DVC_YAML = """\
stages:
  prepare:
    cmd: python src/prepare.py data/data.xml
    deps:
    - data/data.xml
    - src/prepare.py
    params:
    - prepare.seed
    - prepare.split
    outs:
    - data/prepared
  featurize:
    cmd: python src/featurization.py data/prepared data/features
    deps:
    - data/prepared
    - src/featurization.py
    params:
    - featurize.max_features
    - featurize.ngrams
    outs:
    - data/features
  train:
    cmd: python src/train.py data/features model.pkl
    deps:
    - data/features
    - src/train.py
    params:
    - train.min_split
    - train.n_est
    - train.seed
    outs:
    - model.pkl
  evaluate:
    cmd: python src/evaluate.py model.pkl data/features
    deps:
    - data/features
    - model.pkl
    - src/evaluate.py
    outs:
    - eval
metrics:
- eval/metrics.json
plots:
- eval/plots/images/importance.png
"""
GET_STARTED_PARAMS = """\
prepare:
  split: 0.20
  seed: 20170428

featurize:
  max_features: 200
  ngrams: 2

train:
  seed: 20170428
  n_est: 50
  min_split: 0.01
"""
IMPORTS = {
    "src/prepare.py": "import os\nimport random\nimport re\nimport sys\n"
    "import xml.etree.ElementTree\nimport yaml\n",
    "src/featurization.py": "import os\nimport pickle\nimport sys\n\nimport numpy as np\n"
    "import pandas as pd\nimport scipy.sparse as sparse\nimport yaml\n"
    "from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer\n",
    "src/train.py": "import os\nimport pickle\nimport sys\n\nimport numpy as np\nimport yaml\n"
    "from sklearn.ensemble import RandomForestClassifier\n",
    "src/evaluate.py": "import json\nimport math\nimport os\nimport pickle\nimport sys\n\n"
    "import pandas as pd\nfrom sklearn import metrics\nfrom sklearn import tree\n"
    "from dvclive import Live\nfrom matplotlib import pyplot as plt\n",
}


def test_no_false_positive_on_the_get_started_pipeline(repo: Repo) -> None:
    project(repo)
    staged(
        repo,
        ("dvc.yaml", GET_STARTED_DVC_YAML),
        ("params.yaml", GET_STARTED_PARAMS),
        (
            "data/data.xml.dvc",
            "outs:\n- md5: 22a1a2931c8370d3aeedd7183606fd7f\n  size: 14445097\n"
            "  hash: md5\n  path: data.xml\n",
        ),
        ("data/.gitignore", "/data.xml\n/prepared\n/features\n"),
        ("src/requirements.txt", "dvc\nscikit-learn\n"),
        *IMPORTS.items(),
    )
    assert findings(repo, "--all", "--select", "DVF1") == []
    code, out = repo.check("--all", "--select", "DVF1")
    assert code == 0, out
