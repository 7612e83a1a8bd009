"""The tag queue, the settings and the rewritten commits: real files, real Git, no server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dvcflow.config import Config
from dvcflow.git.commits import git_dirs, parse_pairs, rewritten_pairs
from dvcflow.mlflow.delivery import Delivery, deliver
from dvcflow.mlflow.matching import entry_problem, load_settings
from dvcflow.mlflow.queue import QueueError, TagQueue

from ..conftest import Repo

# -- the queue -------------------------------------------------------------------------------


def test_queue_keeps_entries_until_acknowledged(tmp_path: Path) -> None:
    queue = TagQueue(tmp_path / "dvcflow")
    first = queue.append({"op": "tag", "commit": "a" * 40, "uri": "http://h"})
    second = queue.append({"op": "move", "pairs": [], "uri": "http://h"})
    assert [e["id"] for e in queue.pending()] == [first, second]
    queue.ack(first)
    queue.ack(first)  # re-delivery acknowledged twice: harmless
    assert [e["id"] for e in queue.pending()] == [second]
    queue.compact()
    assert len(queue.path.read_text().splitlines()) == 1
    queue.ack(second)
    queue.compact()
    assert not queue.path.exists()
    assert queue.pending() == []


def test_queue_survives_a_line_torn_by_a_crash(tmp_path: Path) -> None:
    queue = TagQueue(tmp_path / "dvcflow")
    kept = queue.append({"op": "tag", "commit": "b" * 40})
    with queue.path.open("ab") as handle:
        handle.write(b'{"op": "tag", "commit": "cc')  # the process died mid-write
    later = queue.append({"op": "tag", "commit": "d" * 40})
    assert [e["id"] for e in queue.pending()] == [kept, later]


def test_queue_never_stores_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-12345")
    queue = TagQueue(tmp_path / "dvcflow")
    queue.append({"op": "tag", "uri": "https://alice:pw-678@mlflow.example/prefix?k=v"})
    assert "pw-678" not in queue.path.read_text()
    assert queue.pending()[0]["uri"] == "https://mlflow.example/prefix"
    with pytest.raises(QueueError, match="credential"):
        queue.append({"op": "tag", "note": "Bearer tok-12345"})
    assert "tok-12345" not in queue.path.read_text()


def test_queue_lives_in_the_common_git_dir_shared_by_worktrees(repo: Repo) -> None:
    repo.write("a.txt", "a\n")
    repo.add()
    repo.commit("a")
    repo.git("worktree", "add", "-q", str(repo.root.parent / "wt"), "-b", "wt")
    main_dirs, wt_dirs = git_dirs(repo.root), git_dirs(repo.root.parent / "wt")
    assert wt_dirs.git_dir != main_dirs.git_dir
    assert wt_dirs.common_dir == main_dirs.common_dir == (repo.root / ".git").resolve()


def test_settings_come_from_pyproject_then_mlflow_environment(tmp_path: Path) -> None:
    env = {
        "MLFLOW_TRACKING_URI": "http://env:5000",
        "MLFLOW_EXPERIMENT_NAME": "from-env",
        "MLFLOW_EXPERIMENT_ID": "7",
    }
    from_env = load_settings(Config(), tmp_path, env=env, cwd=tmp_path)
    assert (from_env.tracking_uri, from_env.experiments, from_env.experiment_ids) == (
        "http://env:5000",
        ("from-env",),
        ("7",),
    )
    assert (from_env.match, from_env.timeout, from_env.enabled) == ("parent-commit", 2.0, True)
    config = Config(
        sections={
            "mlflow": {
                "tracking-uri": "sqlite:///mlflow.db",
                "experiments": ["a", "b"],
                "match": "since-parent",
            }
        }
    )
    configured = load_settings(config, tmp_path, env=env, cwd=tmp_path)
    assert configured.tracking_uri == f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    assert (configured.experiments, configured.experiment_ids) == (("a", "b"), ())
    assert configured.match == "since-parent"
    cli = load_settings(
        config, tmp_path, env=env, cwd=tmp_path, cli_uri="./mlruns", cli_experiments=["c"]
    )
    assert (cli.tracking_uri, cli.experiments) == (str(tmp_path.resolve() / "mlruns"), ("c",))
    databricks = load_settings(Config(), tmp_path, env={"MLFLOW_TRACKING_URI": "databricks"})
    assert databricks.tracking_uri == "databricks"
    nothing = load_settings(Config(), tmp_path, env={}, cwd=tmp_path)
    assert nothing.tracking_uri is None and nothing.experiments == ()


def test_rewritten_commits_are_found_without_stdin(repo: Repo) -> None:
    for name in ("a", "b"):
        repo.write(f"{name}.txt", name)
        repo.add()
        repo.commit(name)
    old = repo.git("rev-parse", "HEAD").strip()
    new = repo.commit("b amended", "--amend")
    dirs = git_dirs(repo.root)
    assert rewritten_pairs(dirs, "amend") == ([(old, new)], "reflog")
    repo.git("checkout", "-q", "-b", "side", "HEAD~1")
    repo.write("c.txt", "c")
    repo.add()
    repo.commit("c")
    repo.git("checkout", "-q", "main")
    repo.git("rebase", "-q", "side")
    rebased = repo.git("rev-parse", "HEAD").strip()
    assert rewritten_pairs(dirs, "rebase") == ([(new, rebased)], "ORIG_HEAD")  # state gone
    assert parse_pairs(f"{old} {new}\n{new} {rebased} extra\nnoise\n") == [
        (old, new),
        (new, rebased),
    ]


def test_a_malformed_entry_is_set_aside_and_never_blocks_the_others(tmp_path: Path) -> None:
    queue = TagQueue(tmp_path / "dvcflow")
    broken = queue.append({"op": "tag", "commit": "a" * 40, "uri": "http://127.0.0.1:9"})
    unknown = queue.append({"op": "paint", "uri": "http://127.0.0.1:9"})
    settings = load_settings(Config(), tmp_path, env={}, cwd=tmp_path)
    progress = deliver(queue, queue.pending(), settings, None, Delivery())
    assert [(e["id"], why) for e, why in progress.set_aside] == [
        (broken, "missing 'commit_time'"),
        (unknown, "unknown operation 'paint'"),
    ]
    assert queue.pending() == [] and not queue.path.exists()
    kept = [json.loads(line) for line in queue.set_aside_path.read_text().splitlines()]
    assert [k["id"] for k in kept] == [broken, unknown]
    assert kept[0]["set_aside_because"] == "missing 'commit_time'"


def test_entry_problems_name_the_field() -> None:
    good = {
        "op": "tag",
        "uri": "http://h",
        "commit": "a" * 40,
        "commit_time": 1,
        "commit_time_iso": "t",
        "parents": [],
        "lock_md5s": [],
    }
    assert entry_problem(good) is None
    assert entry_problem({**good, "lock_md5s": None}) == "malformed 'lock_md5s'"
    assert entry_problem({k: v for k, v in good.items() if k != "lock_md5s"}) == (
        "missing 'lock_md5s'"
    )
    move = {"op": "move", "uri": "http://h", "pairs": [["a", "b"]], "times": {}}
    assert entry_problem(move) is None
    assert entry_problem({**move, "pairs": [["a"]]}) == "malformed 'pairs'"


@pytest.mark.parametrize("blocker", ["file-for-folder", "folder-for-file"])
def test_an_unwritable_queue_raises_a_queue_error_naming_why(tmp_path: Path, blocker: str) -> None:
    folder = tmp_path / "dvcflow"
    if blocker == "file-for-folder":
        folder.write_text("not a folder")
        why = "a file is in the way of its folder"
    else:
        (folder / "mlflow-queue.jsonl").mkdir(parents=True)
        why = "a folder is in its place"
    queue = TagQueue(folder)
    with pytest.raises(QueueError, match=why):
        queue.append({"op": "tag", "uri": "http://h"})
    queue.compact()  # best effort, never raises
