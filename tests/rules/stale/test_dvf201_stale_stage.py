"""DVF201 stale-stage on real repositories: params, scripts, cmds and outputs changed without
`dvc repro`, in every project layout; the printed fix clears the finding."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import (
    BIN,
    DEMO_FILES,
    EVALUATE,
    PIPELINE,
    TRAIN,
    Repo,
    _build,
    both_engines,
    findings,
    run_fix,
    set_text,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # from inside DVC


def test_fresh_reproduced_repo_is_clean_without_importing_dvc(demo: Repo) -> None:
    assert findings(demo, "DVF2", "DVF203") == []
    assert both_engines(demo) == {"": {}}
    code = (
        "import sys\nfrom dvcflow.hooks.check import run\n"
        "code = run(['--all', '--select', 'DVF2'])\n"
        "print('dvc imported' if 'dvc.repo' in sys.modules else 'dvc not imported')\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=demo.root, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dvc not imported" in proc.stdout


def test_touching_files_without_changing_bytes_is_clean(demo: Repo) -> None:
    later = time.time() + 5
    for rel in (
        "params.yaml",
        "src/train.py",
        "data/raw.csv",
        "model.txt",
        "data/prepared/train.csv",
    ):
        path = demo.path(rel)
        path.write_bytes(path.read_bytes())
        os.utime(path, (later, later))
    assert findings(demo, "DVF2", "DVF203") == []
    assert both_engines(demo) == {"": {}}


def test_param_change_names_the_key_and_downstream_and_fix_clears_it(demo: Repo) -> None:
    set_text(demo, "params.yaml", "lr: 0.1", "lr: 0.01")
    (finding,) = findings(demo)
    assert finding["code"] == "DVF201"
    assert (finding["path"], finding["line"], finding["stage"]) == ("dvc.yaml", 11, "train")
    assert "params.yaml: train.lr modified" in finding["message"]
    assert "will also re-run: evaluate" in finding["message"]
    assert finding["fix"] == (
        "dvc repro train evaluate && git add dvc.lock params.yaml src/train.py metrics.json "
        "src/evaluate.py"
    )
    assert both_engines(demo) == {
        "": {"train": [{"changed deps": {"params.yaml": {"train": "modified"}}}]}
    }
    run_fix(demo, finding["fix"])
    assert findings(demo, "DVF2", "DVF203") == []


def test_unrelated_param_change_is_clean(demo: Repo) -> None:
    set_text(demo, "params.yaml", "seed: 7", "seed: 8")
    assert findings(demo) == []


def test_script_change_is_stale(demo: Repo) -> None:
    demo.write("src/evaluate.py", EVALUATE + "# tuned\n")
    (finding,) = findings(demo)
    assert finding["stage"] == "evaluate"
    assert "src/evaluate.py modified" in finding["message"]
    assert "will also re-run" not in finding["message"]
    run_fix(demo, finding["fix"])
    assert findings(demo) == []


def test_cmd_change_is_stale(demo: Repo) -> None:
    set_text(demo, "dvc.yaml", "cmd: python src/train.py", "cmd: python src/train.py --fast")
    (finding,) = findings(demo)
    assert finding["stage"] == "train"
    assert "cmd changed since dvc.lock" in finding["message"]
    assert both_engines(demo) == {"": {"train": ["changed command"]}}


def test_modified_output_is_stale(demo: Repo) -> None:
    demo.write("data/prepared/test.csv", "9,90\n")
    found = {f["stage"]: f for f in findings(demo)}
    assert set(found) == {"prepare", "train"}  # train reads the edited folder
    finding = found["prepare"]
    assert "data/prepared modified" in finding["message"]
    assert "will also re-run: train, evaluate" in finding["message"]


def test_git_tracked_results_not_staged_are_named_as_such(demo: Repo) -> None:
    """Under pre-commit, results `dvc repro` wrote but nobody staged are set aside: the work
    tree holds the committed metrics.json, which is not what dvc.lock records."""
    set_text(demo, "src/evaluate.py", '{"size": ', '{"size": 1 + ')
    run_fix(demo, "dvc repro -q && git add src/evaluate.py dvc.lock")  # metrics.json forgotten
    demo.git("stash", "-q", "--keep-index")  # what pre-commit does before the hook runs
    (finding,) = findings(demo)
    assert finding["stage"] == "evaluate"
    assert finding["message"].startswith(
        "stage 'evaluate': metrics.json (tracked by Git) is not the version dvc.lock records: "
        "the results of `dvc repro` are not staged"
    )
    assert finding["fix"] == "dvc repro evaluate && git add dvc.lock metrics.json src/evaluate.py"
    demo.git("stash", "pop", "-q")  # the hook fails; pre-commit restores the work tree
    run_fix(demo, finding["fix"])  # nothing to re-run; it stages the metrics
    assert not demo.git("diff", "--name-only")
    assert findings(demo) == []


def test_deleted_output_is_missing_data_not_staleness(demo: Repo) -> None:
    demo.path("model.txt").unlink()
    assert findings(demo) == []
    warnings = {f["stage"]: f for f in findings(demo, "DVF203")}
    assert set(warnings) == {"train", "evaluate"}
    warning = warnings["train"]
    assert (warning["code"], warning["severity"], warning["line"]) == ("DVF203", "warning", 11)
    assert "model.txt deleted" in warning["message"]
    assert warning["fix"] == "dvc checkout train"
    assert both_engines(demo) == {
        "": {
            "train": [{"changed outs": {"model.txt": "deleted"}}],
            "evaluate": [{"changed deps": {"model.txt": "deleted"}}],
        }
    }
    run_fix(demo, warning["fix"])
    assert findings(demo, "DVF2", "DVF203") == []


def test_never_reproduced_stage(demo: Repo) -> None:
    demo.write(
        "dvc.yaml",
        PIPELINE
        + (
            "  report:\n    cmd: python src/evaluate.py\n    deps:\n      - metrics.json\n"
            "    outs:\n      - report.txt\n"
        ),
        dedent=False,
    )
    (finding,) = findings(demo)
    assert finding["stage"] == "report"
    assert "has never been run" in finding["message"]
    assert both_engines(demo)[""]["report"] == [
        {"changed deps": {"metrics.json": "modified"}},
        {"changed outs": {"report.txt": "deleted"}},
    ]


def test_frozen_always_changed_and_ignored_stages_are_never_reported(demo: Repo) -> None:
    text = PIPELINE.replace(
        "    cmd: python src/train.py\n", "    cmd: python src/train.py\n    frozen: true\n"
    )
    text += "  stamp:\n    cmd: date\n  log:\n    cmd: echo hi\n    always_changed: true\n"
    text += "    deps:\n      - src/train.py\n"
    demo.write("dvc.yaml", text, dedent=False)
    demo.write("src/train.py", TRAIN + "# changed\n")
    demo.write("src/evaluate.py", EVALUATE + "# changed\n")
    (finding,) = findings(demo)
    assert finding["stage"] == "evaluate"
    raw = both_engines(demo)[""]
    assert raw["stamp"] == ["always changed"]
    assert raw["log"][-1] == "always changed"
    assert "train" not in raw  # frozen: deps are not checked
    demo.write("pyproject.toml", '[tool.dvcflow.stale]\nignore-stages = ["evaluate"]\n')
    assert findings(demo) == []


def test_foreach_stages_are_addressed_as_dvc_names_them(demo: Repo) -> None:
    text = PIPELINE + (
        "  export:\n    foreach: [a, b]\n    do:\n      cmd: cp model.txt out-${item}.txt\n"
        "      deps:\n        - model.txt\n      outs:\n        - out-${item}.txt\n"
    )
    demo.write("dvc.yaml", text, dedent=False)
    run_fix(demo, "dvc repro -q")
    assert findings(demo) == []
    demo.path("out-b.txt").write_text("edited\n")
    (finding,) = findings(demo)
    assert finding["stage"] == "export@b"
    assert finding["fix"] == "dvc repro export@b && git add dvc.lock"


# ------------------------------------------------------------------------------------ projects
SUB_PIPELINE = """\
stages:
  shout:
    cmd: >-
      python -c "import pathlib as p;
      p.Path('loud.txt').write_text(p.Path('words.txt').read_text().upper())"
    deps:
      - words.txt
    params:
      - ../params.yaml:
          - seed
    outs:
      - loud.txt
"""


def test_sub_folder_pipeline_fix_names_the_dvc_yaml(demo: Repo) -> None:
    demo.write("nlp/words.txt", "hello\n")
    demo.write("nlp/dvc.yaml", SUB_PIPELINE, dedent=False)
    run_fix(demo, "dvc repro -q nlp/dvc.yaml:shout")
    assert findings(demo) == []
    set_text(demo, "params.yaml", "seed: 7", "seed: 9")
    (finding,) = findings(demo)
    assert (finding["path"], finding["stage"]) == ("nlp/dvc.yaml", "nlp/dvc.yaml:shout")
    assert "params.yaml: seed modified" in finding["message"]
    assert finding["fix"] == (
        "dvc repro nlp/dvc.yaml:shout && git add nlp/dvc.lock params.yaml nlp/words.txt"
    )
    both_engines(demo)
    run_fix(demo, finding["fix"])
    assert findings(demo) == []


@pytest.mark.slow
def test_dvc_init_subdir_project(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _build(root, tmp_path / "home", DEMO_FILES, ["data/raw.csv"], subdir="ml")
    repo = Repo(root)
    assert findings(repo) == []
    set_text(repo, "ml/params.yaml", "lr: 0.1", "lr: 0.2")
    (finding,) = findings(repo)
    assert (finding["path"], finding["stage"]) == ("ml/dvc.yaml", "train")
    results = "dvc.lock params.yaml src/train.py metrics.json src/evaluate.py"
    assert finding["fix"] == f"dvc --cd ml repro train evaluate && git -C ml add {results}"
    (inside,) = findings(repo, cwd=root / "ml" / "src")  # the same, from anywhere in the repo
    assert inside == {  # with the commands written for that folder
        **finding,
        "fix": f"dvc --cd .. repro train evaluate && git -C .. add {results}",
    }
    both_engines(repo)
    run_fix(repo, finding["fix"])
    assert findings(repo) == []


@pytest.mark.slow
def test_pre_commit_hook_fails_a_stale_commit(demo: Repo) -> None:
    demo.write(
        ".pre-commit-config.yaml",
        (
            "repos:\n- repo: local\n  hooks:\n  - id: dvcflow-stale\n    name: dvcflow stale\n"
            f"    entry: {BIN / 'dvcflow-check'} --select DVF2\n    language: system\n"
            "    pass_filenames: false\n    always_run: true\n"
        ),
    )
    demo.run(str(BIN / "pre-commit"), "install")
    set_text(demo, "params.yaml", "lr: 0.1", "lr: 0.3")
    demo.add("params.yaml", ".pre-commit-config.yaml")
    proc = demo.run("git", "commit", "-q", "--no-gpg-sign", "-m", "lr", check=False)
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "DVF201 stage 'train' is stale: params.yaml: train.lr modified" in output
    run_fix(demo, "dvc repro --downstream train && git add dvc.lock")
    demo.add("dvc.lock", "metrics.json")
    proc = demo.run("git", "commit", "-q", "--no-gpg-sign", "-m", "lr", check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
