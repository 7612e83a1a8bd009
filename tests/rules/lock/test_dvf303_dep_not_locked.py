"""DVF303 dep-not-locked on real repositories: deps, data and Git-tracked outputs the commit holds
in another version than dvc.lock records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    Repo,
    assert_agrees,
    errors,
    findings,
    init_dvc,
    new_repo,
    run_fix,
    set_line,
    stage_first_hunk,
    staged_status,
)


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
    assert (
        found["fix"] == "dvc repro train && git add dvc.lock params.yaml metrics.json train.py src"
    )
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
    assert (
        found["fix"] == "dvc repro train && git add dvc.lock params.yaml metrics.json train.py src"
    )
    assert assert_agrees(project) == {"train"}
    run_fix(project, found["fix"])
    assert findings(project) == [] and assert_agrees(project) == set()


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
    assert found["fix"] == (
        "dvc repro prepare train && git add dvc.lock prepare.py data/raw.csv.dvc params.yaml "
        "metrics.json train.py src"
    )
    assert assert_agrees(project) == {"prepare"}
    run_fix(project, found["fix"])  # one round: train, downstream of prepare, re-runs too
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
    assert (
        found["fix"] == "dvc repro train && git add dvc.lock params.yaml metrics.json train.py src"
    )
    assert assert_agrees(project) == {"train"}
    run_fix(project, found["fix"])
    assert findings(project) == [] and assert_agrees(project) == set()


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
def test_new_stage_git_tracked_output_missing_from_the_commit(project: Repo) -> None:
    """dvc.lock records a `cache: false` output Git does not have: a clone would lack it."""
    add_report_stage(project)
    project.dvc("repro", "-q", "report")
    project.add("dvc.yaml", "dvc.lock")  # report.txt forgotten
    (found,) = errors(project)
    assert (found["code"], found["stage"], found["target"]) == ("DVF303", "report", "report.txt")
    assert "this commit lacks it" in found["message"]
    assert found["fix"] == "dvc repro report && git add dvc.lock report.txt"
    run_fix(project, found["fix"])
    assert findings(project) == []


@pytest.mark.slow
def test_a_git_ignored_cache_false_output_is_not_for_git(project: Repo) -> None:
    """A `cache: false` output the project's .gitignore ignores (ccao-data/model-res-avm:
    `*.parquet`) is not Git's to carry: a fresh clone without it is no finding, and no fix
    names it in `git add` (which would fail on an ignored path)."""
    project.write(".gitignore", project.read(".gitignore") + "report.txt\n", dedent=False)
    add_report_stage(project)
    project.dvc("repro", "-q", "report")
    project.add(".gitignore", "dvc.yaml", "dvc.lock")
    project.commit("report")
    (project.root / "report.txt").unlink()  # as in a clone
    assert findings(project, "--all") == []
    set_line(project, "dvc.yaml", "wc -l data/prepared.csv", "wc -c data/prepared.csv")
    project.add("dvc.yaml")
    fixes = {f["fix"] for f in errors(project)}
    assert fixes == {"dvc repro report && git add dvc.lock"}, fixes
    run_fix(project, fixes.pop())
    assert findings(project) == []


def add_report_stage(project: Repo) -> None:
    """A stage whose output Git carries (`cache: false`)."""
    project.write(
        "dvc.yaml",
        project.read("dvc.yaml") + "  report:\n    cmd: wc -l data/prepared.csv > report.txt\n"
        "    deps: [data/prepared.csv]\n    outs:\n      - report.txt:\n          cache: false\n",
        dedent=False,
    )
