"""DVF501 with a local directory remote: real `dvc add`, real `dvc push`, real commits."""

from __future__ import annotations

import shutil
from pathlib import Path

from ...conftest import Repo
from .conftest import lock_oid, object_path, pushed, run_fixes


def test_nothing_pushed_is_reported_and_the_fix_pushes_it(repo: Repo, local_remote: Path) -> None:
    code, out = pushed(repo)
    assert code == 1
    assert "data/images.dvc:2:1: DVF501 data/images (commit " in out
    assert "is not on DVC remote 'storage': its manifest and 2 of its 2 files are missing" in out
    assert "help: dvc push -r storage data/images" in out
    assert "help: dvc push -r storage data/table.csv" in out
    run_fixes(repo, out)
    assert pushed(repo) == (0, "All checks passed.\n")


def test_nothing_missing(repo: Repo, local_remote: Path) -> None:
    repo.dvc("push", "-q")
    assert pushed(repo)[0] == 0
    # what was seen on the remote is remembered: a second run asks it nothing
    shutil.rmtree(local_remote)
    assert pushed(repo)[0] == 0


def test_one_file_missing(repo: Repo, local_remote: Path) -> None:
    repo.dvc("push", "-q")
    object_path(local_remote, lock_oid(repo, "data/table.csv.dvc")).unlink()
    code, out = pushed(repo)
    assert code == 1 and out.count("DVF501") == 1
    assert "data/table.csv (commit" in out and "help: dvc push -r storage data/table.csv" in out
    run_fixes(repo, out)
    assert pushed(repo)[0] == 0


def test_one_directory_entry_missing(repo: Repo, local_remote: Path) -> None:
    repo.dvc("push", "-q")
    repo.write("data/images/c.txt", "c\n")
    repo.dvc("add", "-q", "data/images")
    repo.add("data/images.dvc")
    repo.commit("one more image")
    code, out = pushed(repo)
    assert code == 1
    assert "its manifest and 1 of its 3 files are missing (c.txt)" in out
    run_fixes(repo, out)
    assert pushed(repo)[0] == 0


def test_directory_counts_as_pushed_when_its_manifest_is(repo: Repo, local_remote: Path) -> None:
    """DVC's semantics: the manifest is uploaded last, so its presence means pushed."""
    repo.dvc("push", "-q")
    object_path(local_remote, "60b725f10c9c85c70d97880dfe8191b3").unlink()  # a.txt's object
    assert pushed(repo)[0] == 0


def test_missing_from_the_local_cache_too(repo: Repo, local_remote: Path) -> None:
    shutil.rmtree(repo.path(".dvc/cache"))
    code, out = pushed(repo)
    assert code == 1
    assert out.count("not in the local cache either, so it cannot be pushed from here") == 2
    assert "help:" not in out


def test_an_older_commits_version_needs_all_commits(repo: Repo, local_remote: Path) -> None:
    repo.write("data/table.csv", "x,y\n3,4\n")
    repo.dvc("add", "-q", "data/table.csv")
    repo.add("data/table.csv.dvc")
    repo.commit("new table")
    repo.dvc("push", "-q")  # pushes the work tree's version only
    code, out = pushed(repo)
    assert code == 1 and out.count("DVF501") == 1
    assert "the work tree's DVC files name another version" in out
    assert "help: dvc push -r storage --all-commits data/table.csv" in out
    run_fixes(repo, out)
    assert pushed(repo)[0] == 0


def test_push_range_names_the_commits(repo: Repo, local_remote: Path) -> None:
    first = repo.git("rev-parse", "HEAD").strip()
    repo.dvc("push", "-q")
    repo.write("data/table.csv", "x,y\n5,6\n")
    repo.dvc("add", "-q", "data/table.csv")
    repo.add("data/table.csv.dvc")
    second = repo.commit("new table, not pushed")
    assert pushed(repo, "--push-range", f"{first}..{first}")[0] == 0  # nothing in range
    assert pushed(repo, "--push-range", first)[0] == 0
    code, out = pushed(repo, "--push-range", f"{first}..{second}")
    assert code == 1 and f"(commit {second[:8]})" in out


def test_out_remote_and_local_config(repo: Repo, local_remote: Path, tmp_path: Path) -> None:
    """`remote:` on an out wins; `core.remote` comes from config.local when set there."""
    other = tmp_path / "other-remote"
    repo.dvc("remote", "add", "--local", "mine", str(other))
    repo.dvc("remote", "default", "--local", "mine")
    code, out = pushed(repo)
    assert code == 1 and "not on DVC remote 'mine'" in out
    run_fixes(repo, out)
    assert pushed(repo)[0] == 0 and any(other.rglob("*.dir"))
    text = repo.read("data/table.csv.dvc").replace(
        "  path: table.csv", "  path: table.csv\n  remote: storage"
    )
    repo.write("data/table.csv.dvc", text, dedent=False)
    repo.add("data/table.csv.dvc")
    repo.commit("table goes to storage")
    code, out = pushed(repo)
    assert code == 1 and "help: dvc push -r storage data/table.csv" in out
    run_fixes(repo, out)
    assert pushed(repo)[0] == 0


def test_pipeline_outputs(repo: Repo, local_remote: Path) -> None:
    repo.dvc("push", "-q")
    repo.write(
        "dvc.yaml",
        """\
        stages:
          count:
            cmd: wc -l data/table.csv > count.txt && mkdir -p out && cp data/table.csv out/
            deps: [data/table.csv]
            outs:
              - count.txt
              - out
              - skipped.txt:
                  push: false
    """,
    )
    repo.write("dvc.yaml", repo.read("dvc.yaml").replace(" && cp", " && touch skipped.txt && cp"))
    repo.dvc("repro", "-q")
    repo.add("dvc.yaml", "dvc.lock", ".gitignore")
    repo.commit("pipeline")
    code, out = pushed(repo)
    assert code == 1 and out.count("DVF501") == 2
    assert "dvc.lock:" in out and "help: dvc push -r storage count.txt" in out
    assert "skipped.txt" not in out
    run_fixes(repo, out)
    assert pushed(repo)[0] == 0


def test_no_remote_configured(repo: Repo, local_remote: Path) -> None:
    repo.dvc("remote", "remove", "storage")
    code, out = pushed(repo)
    assert code == 1 and "no DVC remote is configured" in out


def test_code_only_commits_ask_nothing(repo: Repo) -> None:
    repo.write("README.md", "hi\n")
    repo.add()
    repo.commit("code")
    code, out = pushed(repo)
    assert code == 0 and out.startswith("Nothing to check: this repository has no DVC project")


def test_older_commit_without_the_remote_in_its_config(repo: Repo, tmp_path: Path) -> None:
    """DVC reads each commit's own .dvc/config for --all-commits: the fix defines the remote in
    config.local first, or DVC would skip that commit ("failed to collect")."""
    repo.dvc("init", "-q")
    repo.write("table.csv", "1\n")
    repo.dvc("add", "-q", "table.csv")
    repo.add()
    repo.commit("v1, no remote yet")
    repo.write("table.csv", "2\n")
    repo.dvc("add", "-q", "table.csv")
    repo.dvc("remote", "add", "-d", "storage", str(tmp_path / "late-remote"))
    repo.add()
    repo.commit("v2 and the remote")
    code, out = pushed(repo)
    assert code == 1 and out.count(": DVF501 ") == 2
    assert "help: dvc remote modify --local storage url " in out
    run_fixes(repo, out)
    assert pushed(repo)[0] == 0
