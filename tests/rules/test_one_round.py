"""One round: after a blocked commit, the printed `help:` lines, run verbatim and in order, make
the next `git commit` pass, leave `dvc status` clean and leave no result of the pipeline unstaged.

Each scenario is a real mistake in a real repository (prepare -> train -> evaluate, `dvc add`ed
data, Git-tracked metrics and plots) with the README's pre-commit install run verbatim, and an
unrelated unstaged edit and untracked file in the tree (pre-commit sets them aside). The hook
environment is built once per session (PRE_COMMIT_HOME is shared).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..conftest import BIN, DVC, Repo
from .conftest import install_readme_hooks

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

PARAMS = "prepare:\n  keep: 3\ntrain:\n  lr: 0.1\n  epochs: 3\n"
PIPELINE = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps: [src/prepare.py, data/raw.csv]
    params: [prepare.keep]
    outs: [data/prepared.csv]
  train:
    cmd: python src/train.py
    deps: [src/train.py, src/util.py, data/prepared.csv]
    params: [train.lr, train.epochs]
    outs: [model.txt]
  evaluate:
    cmd: python src/evaluate.py
    deps: [src/evaluate.py, model.txt]
    metrics:
      - metrics.json:
          cache: false
    plots:
      - plots/scores.csv:
          cache: false
"""
PREPARE = """\
from pathlib import Path
rows = Path("data/raw.csv").read_text().splitlines()
Path("data/prepared.csv").write_text("\\n".join(rows[:3]) + "\\n")
"""
TRAIN = """\
import hashlib
from pathlib import Path

import util

seen = Path("params.yaml").read_text() + Path("data/prepared.csv").read_text()
Path("model.txt").write_text(hashlib.md5(seen.encode()).hexdigest() + util.SUFFIX + "\\n")
"""
UTIL = 'SUFFIX = "-v1"\n'
EVALUATE = """\
import json
from pathlib import Path

Path("plots").mkdir(exist_ok=True)
model = Path("model.txt").read_text()
Path("metrics.json").write_text(json.dumps({"score": len(model), "tag": model[:6]}))
Path("plots/scores.csv").write_text("step,score\\n1," + str(len(model)) + "\\n")
"""
FILES = {
    "params.yaml": PARAMS,
    "dvc.yaml": PIPELINE,
    "src/prepare.py": PREPARE,
    "src/train.py": TRAIN,
    "src/util.py": UTIL,
    "src/evaluate.py": EVALUATE,
    "data/raw.csv": "a\nb\nc\nd\n",
    "requirements.txt": "dvc==3.67.1\n",
    "README.md": "# a project\n",
    ".gitignore": "__pycache__/\n",  # as real projects have it: stages import src/util.py
}


@pytest.fixture(autouse=True)
def _path(monkeypatch: pytest.MonkeyPatch) -> None:
    """`python` and `dvc` of this venv in stage commands and in the printed fixes."""
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture(scope="module")
def template(
    tmp_path_factory: pytest.TempPathFactory, source_repo: tuple[Path, str]
) -> Iterator[Path]:
    """The project reproduced and committed, with the README's hooks installed; the hook's
    environment is built here once (a commit that passes)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
        root = tmp_path_factory.mktemp("one-round") / "repo"
        root.mkdir()
        repo = Repo(root)
        repo.git("init", "-q", "-b", "main")
        repo.dvc("init", "-q")
        repo.dvc("config", "core.autostage", "false")
        for rel, text in FILES.items():
            repo.write(rel, text, dedent=False)
        repo.dvc("add", "-q", "data/raw.csv")
        repo.dvc("repro", "-q")
        install_readme_hooks(repo, source_repo[0])
        repo.add()
        commit = git_commit(repo, "the pipeline")
        assert commit.returncode == 0, commit.stdout + commit.stderr
        yield root


def git_commit(repo: Repo, message: str) -> subprocess.CompletedProcess[str]:
    return repo.run("git", "commit", "--no-gpg-sign", "-m", message, check=False)


def help_lines(output: str) -> list[str]:
    """The `help:` lines of the hook's output, each once, in the order printed."""
    found = [line.split("help:", 1)[1].strip() for line in output.splitlines() if "help:" in line]
    return list(dict.fromkeys(found))


def edit(repo: Repo, rel: str, old: str, new: str) -> None:
    text = repo.read(rel)
    assert old in text, (rel, old)
    repo.write(rel, text.replace(old, new, 1), dedent=False)


# ------------------------------------------------------------------------------ the mistakes
def params_edited_without_repro(repo: Repo) -> None:
    edit(repo, "params.yaml", "lr: 0.1", "lr: 0.2")
    repo.add("params.yaml")


def new_module_imported(repo: Repo) -> None:
    repo.write("src/features.py", 'EXTRA = "+features"\n')
    edit(repo, "src/train.py", "import util\n", "import features\nimport util\n")
    edit(repo, "src/train.py", "util.SUFFIX", "util.SUFFIX + features.EXTRA")
    repo.dvc("repro", "-q")
    repo.add("src", "dvc.lock", "metrics.json", "plots")


def module_imported_in_a_tabbed_pipeline(repo: Repo) -> None:
    """A tab before a comment: libyaml (DVC's parser) reads it, ruamel's pure-Python
    round-trip parser refuses it, so `--fix` must edit from the C parser's positions."""
    edit(
        repo, "dvc.yaml", "    cmd: python src/train.py\n", "    cmd: python src/train.py\t# fit\n"
    )
    new_module_imported(repo)
    repo.add("dvc.yaml")


def repro_but_only_params_staged(repo: Repo) -> None:
    edit(repo, "params.yaml", "epochs: 3", "epochs: 5")
    repo.dvc("repro", "-q")
    repo.add("params.yaml")


def data_added_without_repro(repo: Repo) -> None:
    repo.write("data/raw.csv", "z\ny\nx\nw\n")
    repo.dvc("add", "-q", "data/raw.csv")
    repo.add("data/raw.csv.dvc")


def dvc_unpinned(repo: Repo) -> None:
    repo.write("requirements.txt", "dvc>=3.0\npyyaml\n")  # (pinned back, it differs from HEAD)
    repo.add("requirements.txt")


def metrics_not_staged(repo: Repo) -> None:
    edit(repo, "src/evaluate.py", '"score": len(model),', '"score": len(model) * 2,')
    repo.dvc("repro", "-q")
    repo.add("src/evaluate.py", "dvc.lock")


def script_edited_without_repro(repo: Repo) -> None:
    edit(repo, "src/train.py", "+ util.SUFFIX", '+ util.SUFFIX + "!"')
    repo.add("src/train.py")


def dep_removed_while_module_edited(repo: Repo) -> None:
    repo.write("src/util.py", 'SUFFIX = "-v2"\n')
    edit(repo, "dvc.yaml", "deps: [src/train.py, src/util.py, ", "deps: [src/train.py, ")
    repo.add("src/util.py", "dvc.yaml")


def new_stage_without_repro(repo: Repo) -> None:
    repo.write(
        "dvc.yaml",
        repo.read("dvc.yaml") + '  report:\n    cmd: python -c "import shutil; '
        "shutil.copy('metrics.json', 'report.json')\"\n    deps: [metrics.json]\n"
        "    outs:\n      - report.json:\n          cache: false\n",
        dedent=False,
    )
    repo.add("dvc.yaml")


SCENARIOS: dict[str, Callable[[Repo], None]] = {
    f.__name__: f
    for f in (
        params_edited_without_repro,
        new_module_imported,
        module_imported_in_a_tabbed_pipeline,
        repro_but_only_params_staged,
        data_added_without_repro,
        dvc_unpinned,
        metrics_not_staged,
        script_edited_without_repro,
        dep_removed_while_module_edited,
        new_stage_without_repro,
    )
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_printed_fixes_pass_the_next_commit(
    scenario: str, template: Path, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(template, root, symlinks=True)
    repo = Repo(root)
    repo.write("README.md", "# a project\n\nwork in progress, not for this commit\n")
    repo.write("notes.txt", "scratch\n")  # untracked
    SCENARIOS[scenario](repo)

    blocked = git_commit(repo, scenario)
    output = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0, output
    fixes = help_lines(output)
    assert fixes, output
    for line in fixes:
        proc = subprocess.run(["bash", "-c", line], cwd=root, capture_output=True, text=True)
        assert proc.returncode == 0, f"{line}\n{proc.stdout}\n{proc.stderr}\n--- hook:\n{output}"

    allowed = git_commit(repo, scenario)
    assert allowed.returncode == 0, f"after {fixes}:\n{allowed.stdout}{allowed.stderr}"
    status = json.loads(repo.run(DVC, "status", "--json").stdout or "{}")
    assert status == {}, f"after {fixes}: dvc status {status}"
    left = sorted(repo.git("status", "--porcelain", "--untracked-files=all").splitlines())
    assert left == [" M README.md", "?? notes.txt"], f"after {fixes}: {left}"
