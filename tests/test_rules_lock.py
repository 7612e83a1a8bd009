"""DVF301-DVF304 on real repositories: each finding arises from a real mistake made with real
`git` and `dvc` commands, `dvc status` on the staged state agrees, and the fix the finding
prints (run through a shell) makes it disappear.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import BIN, Repo

PARAMS = """\
train:
  lr: 0.1
  epochs: 3
seed: 1
"""
PREPARE = """\
from pathlib import Path
rows = Path("data/raw.csv").read_text().splitlines()
Path("data/prepared.csv").write_text("\\n".join(r.upper() for r in rows) + "\\n")
"""
# Two edits far apart make two hunks, so `git add -p` can stage one of them.
TRAIN = (
    "import json\nfrom pathlib import Path\n"
    "SCALE = 1\n" + "".join(f"# padding {i}\n" for i in range(12)) + "OFFSET = 0\n"
    "rows = Path('data/prepared.csv').read_text().splitlines()\n"
    "Path('model.txt').write_text(f'{len(rows) * SCALE + OFFSET}\\n')\n"
    "Path('metrics.json').write_text(json.dumps({'rows': len(rows), 'scale': SCALE}))\n"
)
PIPELINE = """\
stages:
  prepare:
    cmd: python prepare.py
    deps:
      - prepare.py
      - data/raw.csv
    outs:
      - data/prepared.csv
  train:
    cmd: python train.py
    deps:
      - train.py
      - src
      - data/prepared.csv
    params:
      - train.lr
      - train.epochs
    outs:
      - model.txt
    metrics:
      - metrics.json:
          cache: false
"""


# ------------------------------------------------------------------------------------ helpers
def _env(mp: pytest.MonkeyPatch, home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    for key in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        mp.delenv(key, raising=False)
    for who in ("AUTHOR", "COMMITTER"):
        mp.setenv(f"GIT_{who}_NAME", "dvcflow tests")
        mp.setenv(f"GIT_{who}_EMAIL", "tests@dvcflow.invalid")
    mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
    mp.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    mp.setenv("DVC_NO_ANALYTICS", "1")
    mp.setenv("DVC_GLOBAL_CONFIG_DIR", str(home / "dvc-global"))
    mp.setenv("DVC_SYSTEM_CONFIG_DIR", str(home / "dvc-system"))
    mp.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")  # `python` in cmds, `dvc` in fixes


@pytest.fixture(autouse=True)
def _path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")


def new_repo(root: Path) -> Repo:
    root.mkdir(parents=True)
    repo = Repo(root)
    repo.git("init", "-q", "-b", "main")
    return repo


def init_dvc(repo: Repo, subdir: str = "") -> None:
    cwd = repo.root / subdir
    cwd.mkdir(exist_ok=True)
    repo.dvc("init", "-q", *(["--subdir"] if subdir else []), cwd=cwd)
    repo.dvc("config", "core.autostage", "false", cwd=cwd)


def findings(repo: Repo, *argv: str, cwd: Path | None = None) -> list[dict[str, Any]]:
    code, out = repo.check("--select", "DVF3", "--output-format", "json", *argv, cwd=cwd)
    found: list[dict[str, Any]] = json.loads(out)
    assert code == (1 if any(f["severity"] == "error" for f in found) else 0), out
    return found


def errors(repo: Repo, *argv: str, cwd: Path | None = None) -> list[dict[str, Any]]:
    return [f for f in findings(repo, *argv, cwd=cwd) if f["severity"] == "error"]


def error_stages(repo: Repo, cwd: Path | None = None) -> set[str]:
    """Stages with DVF3 errors over the whole staged snapshot (`--all`)."""
    return {f["stage"] for f in errors(repo, "--all", cwd=cwd)}


def staged_status(repo: Repo, cwd: Path | None = None) -> dict[str, Any]:
    """`dvc status` on the staged state: unstaged changes are set aside as pre-commit does
    (`git diff` to a patch, `git checkout -- .`, run, `git apply`); untracked outputs stay."""
    patch = subprocess.run(
        ["git", "diff", "--binary", "--no-color", "--no-ext-diff"],
        cwd=repo.root,
        capture_output=True,
        check=True,
    ).stdout
    if patch:
        repo.git("checkout", "--", ".")
    try:
        out = repo.dvc("status", "--json", cwd=cwd or repo.root)
    finally:
        if patch:
            subprocess.run(
                ["git", "apply", "--whitespace=nowarn", "-"],
                cwd=repo.root,
                input=patch,
                check=True,
                capture_output=True,
            )
    status: dict[str, Any] = json.loads(out or "{}")
    return {k: v for k, v in status.items() if not k.endswith(".dvc") and v != ["always changed"]}


def assert_agrees(repo: Repo, cwd: Path | None = None) -> set[str]:
    """DVF3's errors name exactly the stages `dvc status` reports changed on the staged state."""
    ours, dvcs = error_stages(repo, cwd), set(staged_status(repo, cwd))
    assert ours == dvcs, f"dvcflow: {sorted(ours)}; dvc status: {sorted(dvcs)}"
    return ours


def run_fix(repo: Repo, fix: str) -> None:
    """Run a finding's fix exactly as printed, from the repository root."""
    proc = subprocess.run(["bash", "-c", fix], cwd=repo.root, capture_output=True, text=True)
    assert proc.returncode == 0, f"{fix}\n{proc.stdout}\n{proc.stderr}"


def stage_first_hunk(repo: Repo, path: str) -> None:
    """`git add -p` answering yes to the first hunk only."""
    diff = repo.git("diff", "-U0", path)
    head, *hunks = diff.split("\n@@")
    assert len(hunks) >= 2, diff
    first = hunks[0].rstrip("\n")
    repo.run("git", "apply", "--cached", "--unidiff-zero", "-", input=f"{head}\n@@{first}\n")


def set_line(repo: Repo, path: str, old: str, new: str) -> None:
    text = repo.read(path)
    assert old in text, (old, text)
    repo.write(path, text.replace(old, new, 1), dedent=False)


# ------------------------------------------------------------------------------------ project
@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """prepare -> train, reproduced and committed once; each test works on a copy."""
    with pytest.MonkeyPatch.context() as mp:
        _env(mp, tmp_path_factory.getbasetemp() / "home")
        repo = new_repo(tmp_path_factory.mktemp("base") / "repo")
        init_dvc(repo)
        repo.write("params.yaml", PARAMS)
        repo.write("prepare.py", PREPARE)
        repo.write("train.py", TRAIN, dedent=False)
        repo.write("src/util.py", "HELP = 1\n")
        repo.write("src/data/table.csv", "k,v\n")
        repo.write("data/raw.csv", "a\nb\nc\n")
        repo.write("dvc.yaml", PIPELINE)
        repo.dvc("add", "-q", "data/raw.csv")
        repo.dvc("repro", "-q")
        repo.add()
        repo.commit("pipeline")
        yield repo.root


@pytest.fixture
def project(base_project: Path, tmp_path: Path) -> Repo:
    root = tmp_path / "repo"
    shutil.copytree(base_project, root, symlinks=True)
    return Repo(root)


# ------------------------------------------------------------------------------------ tests
def test_consistent_commit_passes(project: Repo) -> None:
    assert findings(project, "--all") == []
    assert staged_status(project) == {}
    project.write("README.md", "docs\n")
    project.add("README.md")
    assert findings(project) == []


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
    assert found["fix"] == "dvc repro train && git add dvc.lock params.yaml"
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


@pytest.mark.slow
def test_reproduced_but_only_params_staged(project: Repo) -> None:
    set_line(project, "params.yaml", "epochs: 3", "epochs: 5")
    project.dvc("repro", "-q")
    project.add("params.yaml")  # dvc.lock and metrics.json left unstaged
    found = errors(project)
    assert [f["code"] for f in found] == ["DVF301"]
    assert "train.epochs is 5 in this commit but dvc.lock records 3" in found[0]["message"]
    assert assert_agrees(project) == {"train"}
    # dvc repro has nothing left to do: the fix is right because it also stages dvc.lock.
    run_fix(project, found[0]["fix"])
    assert errors(project) == []
    project.add("metrics.json")
    assert findings(project) == [] and assert_agrees(project) == set()


@pytest.mark.slow
def test_partially_staged_dependency(project: Repo) -> None:
    set_line(project, "train.py", "SCALE = 1", "SCALE = 2")
    set_line(project, "train.py", "OFFSET = 0", "OFFSET = 1")
    project.dvc("repro", "-q")  # hashes the whole edited train.py
    project.add("dvc.lock", "metrics.json")
    stage_first_hunk(project, "train.py")  # `git add -p`: only SCALE = 2
    (found,) = errors(project)
    assert (found["code"], found["path"], found["line"], found["target"]) == (
        "DVF303",
        "dvc.yaml",
        12,
        "train.py",
    )
    assert found["message"].startswith(
        "dep train.py in this commit is not the version dvc.lock records for stage 'train'"
    )
    assert found["fix"] == "dvc repro train && git add dvc.lock train.py"
    assert assert_agrees(project) == {"train"}
    run_fix(project, found["fix"])
    assert findings(project) == [] and assert_agrees(project) == set()


@pytest.mark.slow
def test_committed_output_left_unstaged(project: Repo) -> None:
    set_line(project, "train.py", "SCALE = 1", "SCALE = 3")
    project.dvc("repro", "-q")
    project.add("train.py", "dvc.lock")  # metrics.json (cache: false, in Git) forgotten
    (found,) = errors(project)
    assert (found["code"], found["target"], found["line"]) == ("DVF303", "metrics.json", 21)
    assert found["message"].startswith(
        "output metrics.json in this commit is not the version dvc.lock records for stage 'train'"
    )
    assert found["fix"] == "dvc repro train && git add dvc.lock metrics.json"
    assert assert_agrees(project) == {"train"}
    run_fix(project, found["fix"])
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


@pytest.mark.slow
def test_data_re_added_without_repro(project: Repo) -> None:
    project.write("data/raw.csv", "a\nb\nc\nd\n")
    project.dvc("add", "-q", "data/raw.csv")
    project.add("data/raw.csv.dvc")
    (found,) = errors(project)
    assert (found["code"], found["stage"], found["target"]) == ("DVF303", "prepare", "data/raw.csv")
    assert (
        "is tracked by data/raw.csv.dvc, whose hash in this commit is not the one dvc.lock records"
        in found["message"]
    )
    assert found["fix"] == "dvc repro prepare && git add dvc.lock data/raw.csv.dvc"
    assert assert_agrees(project) == {"prepare"}
    run_fix(project, found["fix"])
    # prepare's new output now reaches train: the next finding is the downstream stage.
    (found,) = errors(project)
    assert (found["stage"], found["target"]) == ("train", "data/prepared.csv")
    assert assert_agrees(project) == {"train"}
    run_fix(project, found["fix"])
    project.add("metrics.json")
    assert findings(project) == [] and assert_agrees(project) == set()


@pytest.mark.slow
def test_folder_dep_holding_dvc_managed_data(project: Repo) -> None:
    """data/ holds a .dvc-tracked file and a stage output (neither in Git): their hashes come
    from data/raw.csv.dvc and dvc.lock, so the folder's hash is known from the commit alone."""
    project.write(
        "dvc.yaml",
        project.read("dvc.yaml") + "  stats:\n    cmd: ls data > stats.txt\n"
        "    deps: [data]\n    outs: [stats.txt]\n",
        dedent=False,
    )
    project.dvc("repro", "-q", "stats")
    project.add()
    assert findings(project, "--all") == [] and assert_agrees(project) == set()
    project.commit("stats")
    project.write("data/raw.csv", "q\n")
    project.dvc("add", "-q", "data/raw.csv")
    project.add("data/raw.csv.dvc")
    assert {(f["stage"], f["target"]) for f in errors(project)} == {
        ("prepare", "data/raw.csv"),
        ("stats", "data"),
    }
    assert assert_agrees(project) == {"prepare", "stats"}


@pytest.mark.slow
def test_upstream_reproduced_downstream_not(project: Repo) -> None:
    set_line(project, "prepare.py", "r.upper()", "r.upper() + '!'")
    project.dvc("repro", "-q", "-s", "prepare")
    project.add("prepare.py", "dvc.lock")
    (found,) = errors(project)
    assert (found["code"], found["stage"], found["target"], found["line"]) == (
        "DVF303",
        "train",
        "data/prepared.csv",
        14,
    )
    assert "but stage 'prepare', which writes it, records" in found["message"]
    assert found["fix"] == "dvc repro train && git add dvc.lock"
    assert assert_agrees(project) == {"train"}
    run_fix(project, found["fix"])
    project.add("metrics.json")
    assert findings(project) == [] and assert_agrees(project) == set()


def test_stage_definition_changed(project: Repo) -> None:
    set_line(project, "dvc.yaml", "      - train.epochs\n", "      - train.epochs\n      - seed\n")
    set_line(project, "dvc.yaml", "cmd: python train.py", "cmd: python train.py --fast")
    project.write(
        "dvc.yaml",
        project.read("dvc.yaml") + "  report:\n    cmd: echo hi\n    deps: [train.py]\n",
        dedent=False,
    )
    project.add("dvc.yaml")
    found = {(f["stage"], f["target"]): f for f in errors(project)}
    assert set(found) == {("train", "train"), ("train", "params.yaml:seed"), ("report", "report")}
    assert (
        "the cmd of stage 'train' is not the one dvc.lock records"
        in found["train", "train"]["message"]
    )
    assert found["train", "params.yaml:seed"]["message"] == (
        "stage 'train' declares param params.yaml:seed, which dvc.lock does not record"
    )
    assert found["report", "report"]["message"].startswith(
        "stage 'report' has no entry in dvc.lock"
    )
    assert found["report", "report"]["fix"] == "dvc repro report && git add dvc.lock"
    assert assert_agrees(project) == {"train", "report"}


@pytest.mark.slow
def test_removed_declarations_warn_and_dvc_commit_clears_them(project: Repo) -> None:
    set_line(project, "dvc.yaml", "      - train.epochs\n", "")
    set_line(project, "dvc.yaml", "      - src\n", "")
    project.add("dvc.yaml")
    found = findings(project)
    assert {(f["code"], f["severity"], f["target"]) for f in found} == {
        ("DVF302", "warning", "src"),
        ("DVF302", "warning", "params.yaml:train.epochs"),
    }
    assert assert_agrees(project) == set()  # DVC ignores what dvc.yaml no longer declares
    assert found[0]["fix"] == "dvc commit -f train && git add dvc.lock"
    run_fix(project, found[0]["fix"])
    assert findings(project) == []


def test_orphan_lock_entry(project: Repo) -> None:
    set_line(project, "dvc.yaml", "  prepare:", "  featurize:")
    project.add("dvc.yaml")
    found = {f["code"]: f for f in findings(project)}
    orphan = found["DVF304"]
    assert (orphan["severity"], orphan["path"], orphan["line"], orphan["target"]) == (
        "warning",
        "dvc.lock",
        3,
        "prepare",
    )
    assert orphan["message"] == "dvc.lock records stage 'prepare', which dvc.yaml no longer defines"
    assert found["DVF302"]["stage"] == "featurize"
    assert assert_agrees(project) == {"featurize"}


def test_scope_precommit_vs_all(project: Repo) -> None:
    set_line(project, "params.yaml", "lr: 0.1", "lr: 0.3")
    project.add("params.yaml")
    project.commit("legacy inconsistency")
    project.write("README.md", "unrelated\n")
    project.add("README.md")
    assert findings(project) == []  # an unrelated commit is not blocked
    assert [f["code"] for f in errors(project, "--all")] == ["DVF301"]
    project.write("src/util.py", "HELP = 2\n")  # a dep of train: train is in scope again
    project.add("src/util.py")
    assert {f["target"] for f in errors(project)} == {"params.yaml:train.lr", "src"}
    project.git("reset", "-q", "src/util.py")
    project.write("data/raw.csv", "z\n")  # upstream data: prepare, and train downstream of it
    project.dvc("add", "-q", "data/raw.csv")
    project.add("data/raw.csv.dvc")
    assert {f["stage"] for f in errors(project)} == {"prepare", "train"}


@pytest.mark.slow
def test_untracked_files_in_a_folder_dep(project: Repo, tmp_path: Path) -> None:
    project.write(".gitignore", project.read(".gitignore") + "__pycache__/\n")
    project.write("src/__pycache__/util.cpython-311.pyc", b"\x00compiled")
    project.dvc("repro", "-q")  # DVC hashes src/ with __pycache__ in it
    project.add(".gitignore", "dvc.lock")
    (found,) = errors(project)
    assert (found["code"], found["target"]) == ("DVF303", "src")
    assert (
        "only with files Git does not track (src/__pycache__/util.cpython-311.pyc)"
        in found["message"]
    )
    assert found["fix"] == (
        "add `__pycache__/` to .dvcignore so DVC hashes only what Git tracks, then "
        "`dvc commit -f train && git add dvc.lock .dvcignore`"
    )
    assert staged_status(project) == {}  # here; but a clone has no __pycache__:
    assert set(clone_status(project, tmp_path / "clone")) == {"train"}
    project.write(".dvcignore", project.read(".dvcignore") + "__pycache__/\n")
    run_fix(project, "dvc commit -f train && git add dvc.lock .dvcignore")
    assert findings(project) == []
    assert clone_status(project, tmp_path / "clone2") == {}


def clone_status(repo: Repo, dest: Path) -> dict[str, Any]:
    """`dvc status` in a fresh clone of the staged state, with the data checked out."""
    repo.commit("snapshot for a clone")
    clone = Repo(dest)
    repo.run("git", "clone", "-q", str(repo.root), str(dest))
    clone.dvc("config", "--local", "cache.dir", str(repo.root / ".dvc" / "cache"))
    clone.dvc("checkout", "-q")
    repo.git("reset", "-q", "--soft", "HEAD~1")
    return json.loads(clone.dvc("status", "--json") or "{}")  # type: ignore[no-any-return]


@pytest.mark.slow
def test_subfolder_pipeline(project: Repo) -> None:
    project.write("sub/params.yaml", "k: 1\nmsg: hi\n")
    project.write(
        "sub/dvc.yaml",
        """\
        stages:
          featurize:
            cmd: python -c "open('f.txt', 'w').write('${msg}')"
            params: [k]
            outs: [f.txt]
        """,
    )
    project.dvc("repro", "-q", "sub/dvc.yaml:featurize")
    project.add("sub")
    project.commit("sub pipeline")
    project.write("sub/params.yaml", "k: 2\nmsg: hi\n")
    project.add("sub/params.yaml")
    (found,) = errors(project)
    assert (found["path"], found["stage"]) == ("sub/params.yaml", "sub/dvc.yaml:featurize")
    assert (
        found["message"]
        == "k is 2 in this commit but sub/dvc.lock records 1 for stage 'sub/dvc.yaml:featurize'"
    )
    assert (
        found["fix"] == "dvc repro sub/dvc.yaml:featurize && git add sub/dvc.lock sub/params.yaml"
    )
    assert assert_agrees(project) == {"sub/dvc.yaml:featurize"}
    run_fix(project, found["fix"])
    assert findings(project) == [] and assert_agrees(project) == set()
    # A param used only through ${} in cmd is not under `params` in dvc.lock: the cmd changes.
    set_line(project, "sub/params.yaml", "msg: hi", "msg: bye")
    project.add("sub/params.yaml")
    (found,) = errors(project)
    assert (found["code"], found["path"], found["line"]) == ("DVF302", "sub/dvc.yaml", 3)
    assert found["message"].startswith(
        "the cmd of stage 'sub/dvc.yaml:featurize' is not the one sub/dvc.lock records"
    )
    assert assert_agrees(project) == {"sub/dvc.yaml:featurize"}


@pytest.mark.slow
def test_subdir_project(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "mono")
    init_dvc(repo, "proj")
    repo.write("proj/params.yaml", "lr: 1\n")
    repo.write(
        "proj/dvc.yaml",
        """\
        stages:
          train:
            cmd: python -c "open('m.txt', 'w').write('m')"
            params: [lr]
            outs: [m.txt]
        """,
    )
    proj = repo.root / "proj"
    repo.dvc("repro", "-q", cwd=proj)
    repo.add()
    repo.commit("subdir project")
    repo.write("proj/params.yaml", "lr: 2\n")
    repo.add("proj/params.yaml")
    (found,) = errors(repo, cwd=proj)
    assert (found["path"], found["stage"]) == ("proj/params.yaml", "train")
    assert found["fix"] == "cd proj && dvc repro train && git add dvc.lock params.yaml"
    assert assert_agrees(repo, cwd=proj) == {"train"}
    run_fix(repo, found["fix"])
    assert findings(repo) == [] and assert_agrees(repo, cwd=proj) == set()


@pytest.mark.slow
def test_foreach_stages(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "fe")
    init_dvc(repo)
    repo.write("params.yaml", "regions:\n  us:\n    lr: 1\n  eu:\n    lr: 2\n")
    repo.write(
        "dvc.yaml",
        """\
        stages:
          train:
            foreach: [us, eu]
            do:
              cmd: python -c "open('m-${item}.txt', 'w').write('${item}')"
              params:
                - regions.${item}.lr
              outs:
                - m-${item}.txt
        """,
    )
    repo.dvc("repro", "-q")
    repo.add()
    repo.commit("foreach")
    set_line(repo, "params.yaml", "lr: 1", "lr: 10")
    repo.add("params.yaml")
    (found,) = errors(repo)
    assert (found["stage"], found["line"]) == ("train@us", 3)
    assert (
        found["message"]
        == "regions.us.lr is 10 in this commit but dvc.lock records 1 for stage 'train@us'"
    )
    assert found["fix"] == "dvc repro train@us && git add dvc.lock params.yaml"
    assert assert_agrees(repo) == {"train@us"}
    run_fix(repo, found["fix"])
    assert findings(repo) == [] and assert_agrees(repo) == set()


def _legacy_md5(data: bytes) -> str:
    """DVC 2.x: text files (judged by their first 512 bytes) are hashed with LF line ends."""
    from dvcflow.dvc.hashing import is_text_block

    return hashlib.md5(
        data.replace(b"\r\n", b"\n") if is_text_block(data[:512]) else data
    ).hexdigest()


@pytest.mark.slow
def test_dvc2_lock_and_crlf_deps(tmp_path: Path) -> None:
    """A DVC 2.x dvc.lock (no `hash:` lines, dos2unix md5) beside DVC 3 entries (raw md5)."""
    repo = new_repo(tmp_path / "legacy")
    init_dvc(repo)
    files = {
        "notes.txt": b"one\r\ntwo\r\n",
        "raw.txt": b"three\r\nfour\r\n",
        "src/a.py": b"print(1)\r\n",
        "src/b.bin": b"\x00\x01\r\n",
        "out.txt": b"x\n",
    }
    for path, data in files.items():
        repo.write(path, data)
    legacy = {p: _legacy_md5(d) for p, d in files.items()}
    manifest = json.dumps(
        [
            {"md5": legacy["src/a.py"], "relpath": "a.py"},
            {"md5": legacy["src/b.bin"], "relpath": "b.bin"},
        ],
        sort_keys=True,
    )
    src_md5 = hashlib.md5(manifest.encode()).hexdigest() + ".dir"
    repo.write(
        "dvc.yaml",
        """\
        stages:
          build:
            cmd: python -c "pass"
            deps: [notes.txt, raw.txt, src]
            outs:
              - out.txt:
                  cache: false
        """,
    )
    repo.write(
        "dvc.lock",
        f"""\
        schema: '2.0'
        stages:
          build:
            cmd: python -c "pass"
            deps:
            - path: notes.txt
              md5: {legacy["notes.txt"]}
              size: 10
            - path: raw.txt
              hash: md5
              md5: {hashlib.md5(files["raw.txt"]).hexdigest()}
              size: 13
            - path: src
              md5: {src_md5}
              size: 14
              nfiles: 2
            outs:
            - path: out.txt
              md5: {legacy["out.txt"]}
              size: 2
        """,
    )
    repo.add()
    assert findings(repo, "--all") == []
    assert assert_agrees(repo) == set()  # DVC 3 computes the same legacy hashes
    repo.commit("legacy lock")
    # CRLF -> LF: the legacy entries do not change (dos2unix), the raw md5 entry does.
    for path in ("notes.txt", "raw.txt", "src/a.py"):
        repo.write(path, files[path].replace(b"\r\n", b"\n"))
    repo.add()
    (found,) = errors(repo)
    assert (found["code"], found["target"]) == ("DVF303", "raw.txt")
    assert set(staged_status(repo)["build"][0]["changed deps"]) == {"raw.txt"}
    repo.write("src/b.bin", b"\x00\x01\n")  # binary: line ends count, even for DVC 2.x
    repo.write("notes.txt", b"one\ntwo\nthree\n")
    repo.add()
    assert {f["target"] for f in errors(repo)} == {"raw.txt", "src", "notes.txt"}
    assert set(staged_status(repo)["build"][0]["changed deps"]) == {"raw.txt", "src", "notes.txt"}


@pytest.mark.slow
def test_precommit_blocks_then_allows(project: Repo) -> None:
    project.write(
        ".pre-commit-config.yaml",
        f"""\
        repos:
          - repo: local
            hooks:
              - id: dvcflow-lock
                name: dvcflow-lock
                entry: {BIN / "dvcflow-check"} --select DVF3
                language: system
                pass_filenames: false
                always_run: true
        """,
    )
    project.add(".pre-commit-config.yaml")
    project.commit("hooks")
    project.run(str(BIN / "pre-commit"), "install")
    set_line(project, "params.yaml", "lr: 0.1", "lr: 0.5")
    project.dvc("repro", "-q")
    project.add("params.yaml")  # the updated dvc.lock stays unstaged (stashed while hooks run)
    blocked = project.run("git", "commit", "-m", "lr", "--no-gpg-sign", check=False)
    assert blocked.returncode != 0
    assert (
        "DVF301 train.lr is 0.5 in this commit but dvc.lock records 0.1"
        in blocked.stdout + blocked.stderr
    )
    project.add("dvc.lock", "metrics.json")
    allowed = project.run("git", "commit", "-m", "lr", "--no-gpg-sign", check=False)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr


def test_dvc_is_never_imported(project: Repo) -> None:
    code = (
        "import sys, os; os.chdir(sys.argv[1]);"
        "from dvcflow.hooks.check import run; run(['--all', '--select', 'DVF3']);"
        "print(any(m == 'dvc' or m.startswith(('dvc.', 'dvc_')) for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(project.root)], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().endswith("False")
