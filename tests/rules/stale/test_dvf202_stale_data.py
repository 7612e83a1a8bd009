"""DVF202 stale-data: data edited without `dvc add`, folder hashes and DVC 2.x entries."""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path

import pytest

from .conftest import RAW, TRAIN, Repo, both_engines, findings, run_fix, set_text

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # from inside DVC


# ------------------------------------------------------------------------------------ DVF202
def test_data_edited_without_dvc_add(demo: Repo) -> None:
    demo.write("data/raw.csv", RAW + "4,40\n")
    found = {f["code"]: f for f in findings(demo)}
    assert set(found) == {"DVF201", "DVF202"}
    stale_data = found["DVF202"]
    assert (stale_data["path"], stale_data["line"]) == ("data/raw.csv.dvc", 2)
    assert "data/raw.csv changed since `dvc add`" in stale_data["message"]
    assert "will also re-run: prepare, train, evaluate" in stale_data["message"]
    assert stale_data["fix"] == (
        "dvc add data/raw.csv && dvc repro prepare evaluate && git add dvc.lock params.yaml "
        "src/prepare.py data/raw.csv.dvc src/train.py metrics.json src/evaluate.py"
    )
    stage = found["DVF201"]
    assert stage["stage"] == "prepare" and "data/raw.csv modified" in stage["message"]
    assert stage["fix"] == (
        "dvc repro prepare evaluate && git add dvc.lock params.yaml src/prepare.py "
        "data/raw.csv.dvc src/train.py metrics.json src/evaluate.py"
    )
    both_engines(demo)
    run_fix(demo, stale_data["fix"])  # one round: the data and every stage reading it
    assert findings(demo) == []
    run_fix(demo, stage["fix"])  # printed after it, and harmless: nothing left to re-run
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


def test_the_version_note_follows_the_pin_it_remembered(demo: Repo) -> None:
    """The pinned version is kept in the blob cache by the dependency files' blob ids; a new
    pin, in the file or in a file it includes, is read again."""
    installed = metadata.version("dvc")
    set_text(demo, "params.yaml", "lr: 0.1", "lr: 0.01")
    demo.write("requirements.txt", "-r base.txt\n")
    for pin in ("3.0.0", "3.0.0", "2.0.0"):  # the second run reads the cache
        demo.write("base.txt", f"dvc=={pin}\n")
        demo.add("requirements.txt", "base.txt")
        (finding,) = findings(demo)
        assert finding["message"].endswith(
            f"(judged with dvc {installed}; the project pins dvc=={pin})"
        )
    demo.write("base.txt", f"dvc=={installed}\n")
    demo.add("base.txt")
    (finding,) = findings(demo)
    assert "judged with" not in finding["message"]
