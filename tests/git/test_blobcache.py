"""dvcflow.git.blobcache: imports and md5s remembered by blob id never change a verdict.

Real Git repositories, dvcflow-check run again and again: warm runs give the findings a cold
run gives, an edit (a new blob) is seen at once, and a broken or unwritable cache is ignored.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dvcflow.git.blobcache import FILENAME, MAX_ENTRIES, BlobCache

from ..conftest import Repo

PIPELINE = """\
stages:
  train:
    cmd: python src/train.py
    deps:
    - src/train.py
    - src/lib.py
    outs:
    - model.txt
"""
LOCK = """\
schema: '2.0'
stages:
  train:
    cmd: python src/train.py
    deps:
    - path: src/lib.py
      hash: md5
      md5: {lib}
      size: {lib_size}
    - path: src/train.py
      hash: md5
      md5: {train}
      size: {train_size}
    outs:
    - path: model.txt
      hash: md5
      md5: 0cc175b9c0f1b6a831c399e269772661
      size: 1
"""


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode()).hexdigest()


def _pipeline_repo(repo: Repo) -> None:
    train, lib = "import lib\n", "VALUE = 1\n"
    repo.write(".dvc/config", "")
    repo.write("dvc.yaml", PIPELINE)
    repo.write("src/train.py", train)
    repo.write("src/lib.py", lib)
    lock = LOCK.format(lib=_md5(lib), lib_size=len(lib), train=_md5(train), train_size=len(train))
    repo.write("dvc.lock", lock)
    repo.add()
    repo.commit("pipeline")


def _cache_file(repo: Repo) -> Path:
    return repo.root / ".git" / "dvcflow" / FILENAME


def _run(repo: Repo, *args: str) -> tuple[int, list[tuple[str, str | None]]]:
    code, out = repo.check("--all", "--select", "DVF1,DVF3", "--output-format", "json", *args)
    return code, sorted((f["code"], f["target"]) for f in json.loads(out))


def test_warm_runs_agree_with_cold_runs_and_edits_are_seen(repo: Repo) -> None:
    _pipeline_repo(repo)
    cold = _run(repo)
    assert cold == (0, []) and _cache_file(repo).is_file()
    entries = json.loads(_cache_file(repo).read_text())["entries"]
    assert any(k.startswith("imports:") for k in entries)
    assert any(k.startswith("md5:") for k in entries)
    assert _run(repo) == cold
    # A new blob for lib.py: it now imports a module the stage does not list, and its md5 no
    # longer matches dvc.lock. Both are found on a warm cache.
    repo.write("src/helpers.py", "X = 1\n")
    repo.write("src/lib.py", "import helpers\nVALUE = 2\n")
    repo.add()
    assert _run(repo) == (1, [("DVF102", "src/helpers.py"), ("DVF303", "src/lib.py")])
    # Back to the committed lib.py: its cached facts are reused, and right.
    repo.run("git", "checkout", "HEAD", "--", "src/lib.py")
    repo.add()
    assert _run(repo) == (0, [])


def test_a_corrupt_or_foreign_cache_is_ignored_and_rewritten(repo: Repo) -> None:
    _pipeline_repo(repo)
    expected = _run(repo)
    for junk in ("{not json", json.dumps({"format": "other", "entries": {"x": 1}}), "[]"):
        _cache_file(repo).write_text(junk)
        assert _run(repo) == expected
        assert json.loads(_cache_file(repo).read_text())["entries"]


def test_wrong_shapes_inside_a_valid_cache_are_parsed_again(repo: Repo) -> None:
    _pipeline_repo(repo)
    expected = _run(repo)
    data = json.loads(_cache_file(repo).read_text())
    data["entries"] = {key: ["bad"] for key in data["entries"]}
    _cache_file(repo).write_text(json.dumps(data))
    assert _run(repo) == expected


def test_no_cache_env_and_an_unwritable_cache_folder(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pipeline_repo(repo)
    monkeypatch.setenv("DVCFLOW_NO_CACHE", "1")
    expected = _run(repo)
    assert not _cache_file(repo).exists()
    monkeypatch.delenv("DVCFLOW_NO_CACHE")
    (repo.root / ".git" / "dvcflow").write_text("a file where the folder should be\n")
    assert _run(repo) == expected  # the write fails (even as root); the run does not


def test_saving_keeps_the_most_recently_used(tmp_path: Path) -> None:
    cache = BlobCache(tmp_path)
    for i in range(MAX_ENTRIES + 10):
        cache.put("md5", f"{i:040x}", f"{i}")
    cache.save()
    reread = BlobCache(tmp_path)
    assert reread.get("md5", f"{0:040x}") is None  # the oldest went first
    assert reread.get("md5", f"{MAX_ENTRIES + 9:040x}") == str(MAX_ENTRIES + 9)
