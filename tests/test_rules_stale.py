"""DVF201-DVF203 on real repositories: real `dvc repro`, `dvc add`, `git clone`, real data.

Every finding comes from a real change made with real tools; the fix it prints, run through a
shell, makes it go away. A differential test drives a generated repository through many states
and checks that the fast path and DVC's own `Stage.status()` agree entry for entry.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from dvcflow.context import Context
from dvcflow.dvc.status import StaleReport, build_report, dvc_status, is_busy
from dvcflow.dvc.status.fast import state_checksum

from .conftest import BIN, Repo

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # from inside DVC

PARAMS = "prepare:\n  split: 0.2\ntrain:\n  lr: 0.1\n  epochs: 3\nseed: 7\n"
PREPARE = """\
import sys
from pathlib import Path
out = Path("data/prepared"); out.mkdir(parents=True, exist_ok=True)
rows = Path("data/raw.csv").read_text().splitlines()
(out / "train.csv").write_text("\\n".join(rows[:-1]) + "\\n")
(out / "test.csv").write_text(rows[-1] + "\\n")
"""
TRAIN = """\
from pathlib import Path
n = len(Path("data/prepared/train.csv").read_text().splitlines())
Path("model.txt").write_text(f"model trained on {n} rows\\n")
"""
EVALUATE = """\
import json
from pathlib import Path
Path("metrics.json").write_text(json.dumps({"size": len(Path("model.txt").read_text())}))
"""
PIPELINE = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps:
      - src/prepare.py
      - data/raw.csv
    params:
      - prepare.split
    outs:
      - data/prepared
  train:
    cmd: python src/train.py
    deps:
      - src/train.py
      - data/prepared
    params:
      - train
    outs:
      - model.txt
  evaluate:
    cmd: python src/evaluate.py
    deps:
      - src/evaluate.py
      - model.txt
    metrics:
      - metrics.json:
          cache: false
"""
RAW = "id,value\n1,10\n2,20\n3,30\n"


# ------------------------------------------------------------------------------------ helpers
@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """`python` and `dvc` of this venv in stage commands and fixes; DVC's caches in tmp."""
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ['PATH']}")
    site = tmp_path_factory.getbasetemp() / "dvc-site-cache"
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(site))


def _tool_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"):
        env.pop(key, None)
    env.update(
        {
            "GIT_AUTHOR_NAME": "dvcflow tests",
            "GIT_AUTHOR_EMAIL": "tests@dvcflow.invalid",
            "GIT_COMMITTER_NAME": "dvcflow tests",
            "GIT_COMMITTER_EMAIL": "tests@dvcflow.invalid",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "DVC_NO_ANALYTICS": "1",
            "DVC_GLOBAL_CONFIG_DIR": str(home / "dvc-global"),
            "DVC_SYSTEM_CONFIG_DIR": str(home / "dvc-system"),
            "DVC_SITE_CACHE_DIR": str(home / "dvc-site-cache"),
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        }
    )
    return env


def _sh(cwd: Path, env: dict[str, str], *args: str) -> None:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _build(
    root: Path, home: Path, files: dict[str, str | bytes], add: list[str], subdir: str = ""
) -> None:
    """git init, dvc init, `dvc add`, `dvc repro`, commit: a repository in a clean state."""
    env = _tool_env(home)
    root.mkdir(parents=True)
    _sh(root, env, "git", "init", "-q", "-b", "main")
    project = root / subdir
    project.mkdir(parents=True, exist_ok=True)
    _sh(project, env, str(BIN / "dvc"), "init", "-q", *(["--subdir"] if subdir else []))
    _sh(project, env, str(BIN / "dvc"), "config", "core.autostage", "false")
    _write(project, files)
    for target in add:
        _sh(project, env, str(BIN / "dvc"), "add", "-q", target)
    _sh(project, env, str(BIN / "dvc"), "repro", "-q", "-P")
    _sh(root, env, "git", "add", "-A")
    _sh(root, env, "git", "commit", "-q", "--no-gpg-sign", "--no-verify", "-m", "init")


DEMO_FILES: dict[str, str | bytes] = {
    "requirements.txt": "dvc==3.67.1\n",
    "params.yaml": PARAMS,
    "dvc.yaml": PIPELINE,
    "data/raw.csv": RAW,
    "src/prepare.py": PREPARE,
    "src/train.py": TRAIN,
    "src/evaluate.py": EVALUATE,
}


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("stale-demo")
    _build(base / "repo", base / "home", DEMO_FILES, ["data/raw.csv"])
    return base / "repo"


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path) -> Repo:
    """A copy of a reproduced, committed 3-stage pipeline with a `dvc add`ed data file."""
    root = tmp_path / "repo"
    shutil.copytree(demo_template, root, symlinks=True)
    return Repo(root)


def findings(repo: Repo, *select: str, cwd: Path | None = None) -> list[dict[str, Any]]:
    code, out = repo.check(
        "--all", "--select", ",".join(select or ("DVF2",)), "--output-format", "json", cwd=cwd
    )
    found: list[dict[str, Any]] = json.loads(out)
    assert code == (1 if any(f["severity"] == "error" for f in found) else 0), out
    return found


def report(repo: Repo, engine: str = "auto", cwd: Path | None = None) -> StaleReport:
    ctx = Context.from_cwd(cwd or repo.root, all_files=True)
    try:
        return build_report(ctx, engine=engine)  # type: ignore[arg-type]
    finally:
        ctx.close()


def both_engines(repo: Repo) -> dict[str, Any]:
    """The raw status from the fast path and from DVC; they must agree."""
    fast = report(repo, "fast")
    slow = report(repo, "dvc")
    assert fast.raw == slow.raw
    assert set(fast.engines.values()) == {"fast"}
    return fast.raw


def run_fix(repo: Repo, fix: str, cwd: Path | None = None) -> None:
    proc = subprocess.run(
        ["bash", "-c", fix], cwd=cwd or repo.root, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"{fix}\n{proc.stdout}\n{proc.stderr}"


def set_text(repo: Repo, rel: str, old: str, new: str) -> None:
    text = repo.read(rel)
    assert old in text
    repo.write(rel, text.replace(old, new), dedent=False)


# ------------------------------------------------------------------------------------ DVF201
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
    assert finding["fix"] == "dvc repro --downstream train && git add dvc.lock"
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
    assert finding["fix"] == "dvc repro nlp/dvc.yaml:shout && git add nlp/dvc.lock"
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
    assert finding["fix"] == "cd ml && dvc repro --downstream train && git add dvc.lock"
    assert findings(repo, cwd=root / "ml" / "src") == [finding]  # from anywhere in the repo
    both_engines(repo)
    run_fix(repo, finding["fix"])
    assert findings(repo) == []


# ------------------------------------------------------------------------------------ DVF202
def test_data_edited_without_dvc_add(demo: Repo) -> None:
    demo.write("data/raw.csv", RAW + "4,40\n")
    found = {f["code"]: f for f in findings(demo)}
    assert set(found) == {"DVF201", "DVF202"}
    stale_data = found["DVF202"]
    assert (stale_data["path"], stale_data["line"]) == ("data/raw.csv.dvc", 2)
    assert "data/raw.csv changed since `dvc add`" in stale_data["message"]
    assert "will also re-run: prepare, train, evaluate" in stale_data["message"]
    assert stale_data["fix"] == "dvc add data/raw.csv && git add data/raw.csv.dvc"
    stage = found["DVF201"]
    assert stage["stage"] == "prepare" and "data/raw.csv modified" in stage["message"]
    assert stage["fix"] == "dvc repro --downstream prepare && git add dvc.lock"
    both_engines(demo)
    run_fix(demo, stale_data["fix"])
    assert [f["code"] for f in findings(demo)] == ["DVF201"]  # prepare still needs a repro
    run_fix(demo, stage["fix"])
    assert findings(demo) == []


def test_a_folder_of_many_files_reads_the_state_in_one_pass(demo: Repo) -> None:
    """More files than one SQL query takes (and most of DVC's state table) are read by a
    scan of the table; the verdicts stay DVC's."""
    from dvcflow.dvc.status.fast import SQLITE_MAX_VARIABLES, StateDb, _state_path, read_settings

    count = SQLITE_MAX_VARIABLES + 200
    for i in range(count):
        demo.write(f"data/many/f{i:04}.txt", f"{i}\n", dedent=False)
    run_fix(demo, "dvc add -q data/many && git add data/many.dvc data/.gitignore")
    assert findings(demo) == [] and both_engines(demo) == {"": {}}
    state = StateDb(_state_path(read_settings(str(demo.root.resolve()))))
    keys = sorted(str(p.resolve()) for p in (demo.root / "data" / "many").iterdir())
    assert 3 * len(keys) >= state._entries()  # so lookup() scans
    scanned = state.lookup(keys)
    assert len(scanned) == count and scanned == dict(state._probe(keys))  # type: ignore[arg-type]
    state.close()
    demo.write("data/many/f0007.txt", "changed\n", dedent=False)
    (finding,) = findings(demo)
    assert finding["code"] == "DVF202" and finding["path"] == "data/many.dvc"
    both_engines(demo)


def _age(folder: Path, seconds: float = 60.0) -> None:
    for path in folder.iterdir():
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - int(seconds * 1e9)))


def _remembered_folders(repo: Repo) -> int:
    cache = repo.root / ".git" / "dvcflow" / "blob-cache.json"
    entries = json.loads(cache.read_text())["entries"] if cache.exists() else {}
    return sum(key.startswith("folder:") for key in entries)


def test_a_remembered_folder_hash_trusts_no_more_than_dvc_does(demo: Repo) -> None:
    """dvcflow keeps a folder's hash under its files' (path, inode, mtime, size): an edit
    is seen; an in-place same-size edit with the mtime put back is trusted by DVC's state
    database too, so the two still agree. A folder with a file modified in the last seconds
    is not remembered (it could change again within the same mtime tick)."""
    few = demo.root / "data" / "few"
    for name in ("a", "b", "c"):
        demo.write(f"data/few/{name}.txt", f"{name}\n", dedent=False)
    run_fix(demo, "dvc add -q data/few && git add data/few.dvc data/.gitignore")
    assert findings(demo) == []
    others = _remembered_folders(demo)  # data/prepared; data/few was just written: racy
    _age(few)
    assert findings(demo) == [] and _remembered_folders(demo) == others + 1
    assert findings(demo) == []  # from the memo
    demo.write("data/few/b.txt", "bb\n", dedent=False)
    assert [f["code"] for f in findings(demo)] == ["DVF202"]
    run_fix(demo, "dvc add -q data/few && git add data/few.dvc")
    _age(few)
    assert findings(demo) == [] and both_engines(demo) == {"": {}}
    target = few / "b.txt"
    before = os.stat(target)
    with open(target, "r+b") as handle:  # same inode, same size
        handle.write(b"xx")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    both_engines(demo)


def test_crlf_and_legacy_dos2unix_entries(demo: Repo) -> None:
    """A DVC 2.x lock (no `hash: md5`) compares dos2unix md5: a CRLF-only edit is no change."""
    demo.write("src/train.py", TRAIN.replace("\n", "\r\n"))
    (finding,) = findings(demo)  # DVC 3 entries: raw md5, the CRLF edit is a change
    assert finding["stage"] == "train" and "src/train.py modified" in finding["message"]
    lock = demo.read("dvc.lock").replace("      hash: md5\n", "")
    demo.write("dvc.lock", lock, dedent=False)
    raw = both_engines(demo)[""]
    assert "src/train.py" not in json.dumps(raw)
    # Legacy outputs live in the legacy cache layout: DVC sees them as not in cache.
    assert raw["train"] == [{"changed outs": {"model.txt": "not in cache"}}]
    assert findings(demo) == []


def test_a_dvc_other_than_the_pinned_one_is_named(demo: Repo) -> None:
    demo.write("requirements.txt", "dvc==3.0.0\n")
    demo.add("requirements.txt")
    set_text(demo, "params.yaml", "lr: 0.1", "lr: 0.01")
    (finding,) = findings(demo)
    installed = metadata.version("dvc")
    assert finding["message"].endswith(
        f"(judged with dvc {installed}; the project pins dvc==3.0.0)"
    )


# ------------------------------------------------------------------------------------ clones
@pytest.mark.slow
def test_fresh_clone_without_data_is_green_and_dvf203_warns(demo: Repo, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    demo.run("git", "clone", "-q", str(demo.root), str(clone))
    repo = Repo(clone)
    code, out = repo.check("--all")
    assert code == 0, out
    assert findings(repo) == []
    warned = {f["stage"]: f for f in findings(repo, "DVF203")}
    assert set(warned) == {"prepare", "train", "evaluate", "data/raw.csv.dvc"}
    assert "model.txt not in cache" in warned["train"]["message"]
    assert warned["train"]["fix"] == "dvc pull --with-deps train"
    assert all(f["severity"] == "warning" for f in warned.values())
    raw = both_engines(repo)[""]
    assert raw["prepare"] == [
        {"changed deps": {"data/raw.csv": "deleted"}},
        {"changed outs": {"data/prepared": "not in cache"}},
    ]
    # A clone with the params changed is still stale: missing data hides nothing.
    set_text(repo, "params.yaml", "lr: 0.1", "lr: 0.5")
    (finding,) = findings(repo)
    assert finding["stage"] == "train" and "train.lr modified" in finding["message"]


# ------------------------------------------------------------------------------------ errors
NO_DVC = (
    "import sys\nsys.modules['dvc'] = None\n"
    "from dvcflow.hooks.check import run\nsys.exit(run(['--all', '--select', 'DVF2']))\n"
)


def test_without_dvc_the_fast_path_still_judges(demo: Repo) -> None:
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", NO_DVC], cwd=demo.root, capture_output=True, text=True
        )

    assert run().returncode == 0
    set_text(demo, "params.yaml", "lr: 0.1", "lr: 0.01")
    stale = run()
    assert stale.returncode == 1 and "DVF201 stage 'train' is stale" in stale.stdout


def test_missing_dvc_is_a_one_line_error_when_dvc_must_answer(demo: Repo) -> None:
    demo.write(  # an import: only DVC itself can judge it
        "data/remote.csv.dvc",
        "md5: c58972d169d1d74ae2725eaf03d2be2a\nfrozen: true\ndeps:\n"
        "- path: https://example.com/remote.csv\n  checksum: abc\nouts:\n"
        "- md5: 0e33842e24a9c977be4e0107933c0723\n  size: 5\n  path: remote.csv\n",
    )
    proc = subprocess.run(
        [sys.executable, "-c", NO_DVC], cwd=demo.root, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "dvcflow: error: DVF2 (dvcflow-stale) needs the 'dvc' package: "
        "pip install 'dvcflow[dvc]' (or add it to additional_dependencies)"
    ]
    assert report(demo).engines == {"": "dvc: data/remote.csv.dvc: not a plain `dvc add` file"}


def test_what_dvc_refuses_is_one_finding(demo: Repo) -> None:
    demo.write("extra.json", '{"alpha": 1}')
    set_text(
        demo,
        "dvc.yaml",
        "      - train\n",
        "      - train\n      - extra.json:\n          - alpha\n",
    )
    run_fix(demo, "dvc repro -q train")
    assert findings(demo, "DVF2") == []
    demo.write("extra.json", "{broken")  # dvc.yaml loads, but DVC cannot read the params
    (finding,) = findings(demo, "DVF2")
    assert finding["path"] == "dvc.yaml"
    assert "DVC cannot compute the status of the pipelines" in finding["message"]
    assert "extra.json" in finding["message"]
    assert finding["fix"] == "dvc status"


def test_an_invalid_dvc_yaml_is_left_to_dvf105_once_staged(demo: Repo) -> None:
    demo.write(
        "dvc.yaml",
        PIPELINE.replace(
            "    outs:\n      - model.txt\n", "    outs_persist:\n      - model.txt\n"
        ),
        dedent=False,
    )
    (unchecked,) = findings(demo, "DVF2")  # the work tree's file: DVF2 cannot judge it
    assert unchecked["code"] == "DVF201" and unchecked["line"] == 18
    assert "staleness was not checked" in unchecked["message"]
    assert [f["code"] for f in findings(demo, "DVF105")] == []  # DVF105 judges the commit...
    demo.add("dvc.yaml")
    assert [f["code"] for f in findings(demo, "DVF105")] == ["DVF105"]  # ...once it is staged
    assert findings(demo, "DVF2") == []  # and then it is DVF105's alone


@pytest.mark.slow
def test_running_dvc_repro_is_reported_as_busy(demo: Repo) -> None:
    set_text(
        demo,
        "dvc.yaml",
        "cmd: python src/evaluate.py",
        "cmd: python -c \"import pathlib, time; pathlib.Path('started').touch(); "
        'time.sleep(5)" && python src/evaluate.py',
    )
    proc = subprocess.Popen(
        [str(BIN / "dvc"), "repro", "-q", "evaluate"],
        cwd=demo.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while not demo.path("started").exists():
            assert time.time() < deadline and proc.poll() is None
            time.sleep(0.05)
        assert is_busy(str(demo.root))
        started = time.time()
        (finding,) = findings(demo)
        assert time.time() - started < 2  # no waiting for the lock
        assert finding["code"] == "DVF201" and "DVC is busy" in finding["message"]
        from dvcflow.dvc.status import DvcBusy

        with pytest.raises(DvcBusy):  # DVC's own lock, as the DVC path takes it
            dvc_status(str(demo.root))
    finally:
        proc.wait(timeout=60)
    assert not is_busy(str(demo.root))


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


# ------------------------------------------------------------------------------------ the state
def test_state_checksum_matches_dvc(tmp_path: Path) -> None:
    from dvc_data.hashfile import state
    from dvc_objects.fs import local

    path = tmp_path / "f"
    path.write_text("x")
    dvc_fs: Any = local.LocalFileSystem
    dvc_checksum: Any = state._checksum
    assert state_checksum(os.stat(path)) == dvc_checksum(dvc_fs().info(str(path)))


# ------------------------------------------------------------------------------------ differential
DIFF_PARAMS = (
    "prepare:\n  split: 0.25\ntrain:\n  lr: 0.1\n  layers: [8, 4]\nmodels: [a, b]\nseed: 1\n"
)
DIFF_PIPELINE = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps: [src/prepare.py, data/raw.csv, data/images]
    params: [prepare.split]
    outs: [data/prepared]
  train:
    foreach: ${models}
    do:
      cmd: python src/train.py ${item}
      deps: [src/train.py, src/notes.txt, data/prepared]
      params: [train.lr, train.layers]
      outs:
        - models/${item}.txt
  evaluate:
    cmd: python src/evaluate.py
    deps: [src/evaluate.py, models]
    metrics:
      - metrics.json:
          cache: false
  pinned:
    cmd: python -c "open('pinned.txt', 'w').write('x')"
    deps: [metrics.json]
    outs: [pinned.txt]
"""
DIFF_SUB = """\
stages:
  echo:
    cmd: python -c "import shutil; shutil.copy('in.txt', 'out.txt')"
    deps: [in.txt]
    params:
      - ../params.yaml:
          - seed
    outs: [out.txt]
"""
DIFF_PREPARE = """\
from pathlib import Path
out = Path("data/prepared"); out.mkdir(parents=True, exist_ok=True)
raw = Path("data/raw.csv").read_bytes() if Path("data/raw.csv").exists() else b""
(out / "rows.csv").write_bytes(raw)
(out / "count.txt").write_text(str(len(list(Path("data/images").glob("*.png")))))
"""
DIFF_TRAIN = """\
import sys
from pathlib import Path
Path("models").mkdir(exist_ok=True)
Path(f"models/{sys.argv[1]}.txt").write_text(Path("data/prepared/rows.csv").read_text()[:20])
"""
DIFF_EVALUATE = """\
import json
from pathlib import Path
Path("metrics.json").write_text(json.dumps(sorted(p.name for p in Path("models").iterdir())))
"""
DIFF_FILES: dict[str, str | bytes] = {
    "params.yaml": DIFF_PARAMS,
    "dvc.yaml": DIFF_PIPELINE,
    ".dvcignore": "*.tmp\n",
    "data/raw.csv": "a,b\r\n1,2\r\n",
    "data/images/1.png": bytes(range(256)) * 8,
    "data/images/2.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 300,
    "data/images/sub/3.png": b"three\r\n",
    "src/prepare.py": DIFF_PREPARE,
    "src/train.py": DIFF_TRAIN,
    "src/evaluate.py": DIFF_EVALUATE,
    "src/notes.txt": "line one\r\nline two\r\n",
    "sub/dvc.yaml": DIFF_SUB,
    "sub/in.txt": "sub input\n",
}


@pytest.fixture(scope="module")
def differential_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("stale-diff")
    _build(base / "repo", base / "home", DIFF_FILES, ["data/raw.csv", "data/images"])
    return base / "repo"


class StateGenerator:
    """Random, seeded edits to a repository: the states the differential test compares."""

    TEXT_FILES = (
        "src/prepare.py",
        "src/train.py",
        "src/evaluate.py",
        "src/notes.txt",
        "sub/in.txt",
        "data/raw.csv",
        "metrics.json",
        "models/a.txt",
        "data/prepared/rows.csv",
        "sub/out.txt",
        "data/images/sub/3.png",
    )

    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.log: list[str] = []

    def mutate(self) -> None:
        """One new state: a few random edits, or a reset to clean plus a harmless edit."""
        self.log.clear()
        if self.rng.random() < 0.3:
            self.reset()
            if self.rng.random() < 0.6:
                self.rng.choice([self.touch, self.add_ignored, self.unrelated_param])()
            return
        actions: list[Callable[[], None]] = [
            self.edit,
            self.edit,
            self.touch,
            self.delete,
            self.add_file,
            self.crlf,
            self.param,
            self.param,
            self.cmd,
            self.dvc_add,
            self.legacy_lock,
            self.drop_cache_object,
            self.repro,
        ]
        for _ in range(self.rng.randint(1, 3)):
            self.rng.choice(actions)()

    def reset(self) -> None:
        """Committed files back, `dvc checkout`, `dvc repro`: a clean state again."""
        self.log.append("reset")
        subprocess.run(["git", "checkout", "-q", "--", "."], cwd=self.root, check=True)
        for stray in ("data/images/new.png", "data/images/d", "data/images/skip.tmp"):
            path = self.root / stray
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        self._dvc(lambda dvc: dvc.checkout(force=True))
        self.repro()

    def add_ignored(self) -> None:
        self.log.append("add .dvcignored file")
        (self.root / "data/images/skip.tmp").write_bytes(b"ignored\n")

    def unrelated_param(self) -> None:
        self.log.append("unrelated param")
        path = self.root / "params.yaml"
        path.write_text(path.read_text() + "unused: 1\n")

    def _pick(self) -> Path:
        return self.root / self.rng.choice(self.TEXT_FILES)

    def edit(self) -> None:
        path = self._pick()
        self.log.append(f"edit {path.name}")
        if path.exists():
            path.write_bytes(path.read_bytes() + b"more\n")

    def touch(self) -> None:
        path = self._pick()
        self.log.append(f"touch {path.name}")
        if path.exists():
            path.write_bytes(path.read_bytes())

    def delete(self) -> None:
        rel = self.rng.choice([*self.TEXT_FILES, "data/images/1.png", "data/prepared", "models"])
        path = self.root / rel
        self.log.append(f"delete {rel}")
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    def add_file(self) -> None:
        rel = self.rng.choice(
            [
                "data/images/new.png",
                "data/images/skip.tmp",
                "data/prepared/extra.txt",
                "models/c.txt",
                "data/images/d/x.png",
            ]
        )
        self.log.append(f"add {rel}")
        path = self.root / rel
        if path.parent.exists() or rel.startswith("data/images/d"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"new\n")

    def crlf(self) -> None:
        path = self._pick()
        self.log.append(f"crlf {path.name}")
        if path.exists():
            data = path.read_bytes()
            if b"\r\n" in data:
                path.write_bytes(data.replace(b"\r\n", b"\n"))
            else:
                path.write_bytes(data.replace(b"\n", b"\r\n"))

    def param(self) -> None:
        text = (self.root / "params.yaml").read_text()
        old, new = self.rng.choice(
            [
                ("lr: 0.1", "lr: 0.2"),
                ("lr: 0.2", "lr: 0.1"),
                ("layers: [8, 4]", "layers: [8, 5]"),
                ("seed: 1", "seed: 2"),
                ("split: 0.25", "split: 0.3"),
                ("seed: 2", "seed: 1"),
                ("  lr: 0.1\n", ""),
                ("models: [a, b]", "models: [a, b, c]"),
                ("models: [a, b, c]", "models: [a, b]"),
            ]
        )
        self.log.append(f"param {old!r}->{new!r}")
        (self.root / "params.yaml").write_text(text.replace(old, new))

    def cmd(self) -> None:
        text = (self.root / "dvc.yaml").read_text()
        old, new = self.rng.choice(
            [
                ("python src/evaluate.py\n", "python src/evaluate.py --v2\n"),
                ("python src/evaluate.py --v2\n", "python src/evaluate.py\n"),
                ("train.py ${item}", "train.py ${item} --seed 1"),
                ("    outs: [pinned.txt]\n", "    outs: [pinned.txt]\n    frozen: true\n"),
                ("    frozen: true\n", ""),
            ]
        )
        self.log.append(f"cmd {old!r}")
        (self.root / "dvc.yaml").write_text(text.replace(old, new))

    def _dvc(self, action: Callable[[Any], None]) -> None:
        from dvc.exceptions import DvcException  # type: ignore[import-untyped]
        from dvc.repo import Repo as DvcRepo  # type: ignore[import-untyped]

        old = os.getcwd()
        os.chdir(self.root)
        try:
            with DvcRepo(str(self.root)) as dvc:
                action(dvc)
        except DvcException as exc:
            self.log.append(f"  dvc refused: {str(exc)[:60]}")
        finally:
            os.chdir(old)

    def dvc_add(self) -> None:
        target = self.rng.choice(["data/raw.csv", "data/images"])
        self.log.append(f"dvc add {target}")
        if (self.root / target).exists():
            self._dvc(lambda dvc: dvc.add(target))

    def repro(self) -> None:
        self.log.append("dvc repro -P")
        self._dvc(lambda dvc: dvc.reproduce(all_pipelines=True))

    def legacy_lock(self) -> None:
        lock = self.root / "dvc.lock"
        self.log.append("legacy lock")
        if lock.exists():
            lock.write_text(lock.read_text().replace("      hash: md5\n", ""))

    def drop_cache_object(self) -> None:
        objects = sorted((self.root / ".dvc/cache/files/md5").rglob("*"))
        files = [p for p in objects if p.is_file()]
        if files:
            victim = self.rng.choice(files)
            self.log.append(f"drop cache {victim.name[:6]}")
            victim.chmod(0o644)
            victim.unlink()


def repro_would_run(root: Path) -> set[str]:
    """Stages DVC's `dvc repro --allow-missing` would re-run: `Stage.changed(allow_missing=True,
    upstream=...)` on DVC's active graph (frozen, always-changed and cmd-only stages left out,
    as DVF2 leaves them out)."""
    from dvc.repo import Repo as DvcRepo  # type: ignore[import-untyped,unused-ignore]
    from dvc.repo import lock_repo
    from dvc.repo.reproduce import get_active_graph  # type: ignore[import-untyped]

    old = os.getcwd()
    os.chdir(root)
    try:
        with DvcRepo(str(root)) as dvc, lock_repo(dvc):
            graph = get_active_graph(dvc.index.graph)
            return {
                stage.addressing
                for stage in graph
                if not (stage.frozen or stage.is_callback or stage.always_changed)
                and stage.changed(allow_missing=True, upstream=list(graph.successors(stage)))
            }
    finally:
        os.chdir(old)


def _compare(repo: Repo, generator: StateGenerator, step: int) -> dict[str, Any]:
    fast = report(repo, "fast")
    slow = report(repo, "dvc")
    assert not slow.problems, slow.problems
    where = f"state {step} after {generator.log}"
    assert fast.raw == slow.raw, where
    stale = {v.address for v in fast.verdicts if v.stale and not v.skipped}
    assert stale == {v.address for v in slow.verdicts if v.stale and not v.skipped}, where
    assert stale == repro_would_run(repo.root), where
    return fast.raw


@pytest.mark.slow
def test_fast_path_agrees_with_dvc_status_on_generated_states(
    differential_template: Path, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(differential_template, root, symlinks=True)
    repo = Repo(root)
    assert _compare(repo, StateGenerator(root, 0), 0) == {"": {}}
    generator = StateGenerator(root, seed=20240607)
    seen: set[str] = set()
    for step in range(1, 31):
        generator.mutate()
        raw = _compare(repo, generator, step)
        seen.update(_kinds(raw))
    # The generated states covered every kind of change DVC reports.
    assert {"modified", "deleted", "not in cache", "changed command", "params", "clean"} <= seen, (
        seen
    )


def _kinds(raw: dict[str, Any]) -> Iterator[str]:
    status = raw.get("", {})
    if not status:
        yield "clean"
    for entries in status.values():
        for entry in entries:
            if isinstance(entry, str):
                yield entry
                continue
            for items in entry.values():
                for value in items.values():
                    yield "params" if isinstance(value, dict) else value
