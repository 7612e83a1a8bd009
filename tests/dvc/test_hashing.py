"""dvcflow.dvc.hashing against dvc-data itself and against what a real `dvc repro` writes."""

from __future__ import annotations

import hashlib
import io
import os
import sys
import tracemalloc
from collections.abc import Iterator

import pytest

from dvcflow.context import Context
from dvcflow.dvc.hashing import (
    CHUNK_SIZE,
    collect_folder,
    dir_md5,
    folder_md5,
    is_text_block,
    manifest_bytes,
    md5_of_bytes,
    md5_of_chunks,
    snapshot_file_md5,
)
from dvcflow.dvc.lock import LockEntry

from ..conftest import Repo

TEXT_CRLF = b"a,b\r\n1,2\r\n" * 10
BINARY = bytes(range(256)) * 4
# Larger than one 1 MiB chunk: text, then a binary chunk, with a CRLF split by the boundary.
MIXED = b"x" * (CHUNK_SIZE - 1) + b"\r\n" + b"\0\1\2" * 300 + b"\r\n" * 100 + b"tail\r\n"
SAMPLES = {
    "empty": b"",
    "lf-text": b"hello\nworld\n",
    "crlf-text": TEXT_CRLF,
    "lone-cr": b"a\rb\r\n",
    "binary-nul": b"\0" + TEXT_CRLF,
    "mostly-binary": bytes(range(128, 256)) + b"\r\n",
    "utf8-text": "héllo wörld\r\n".encode() * 5,
    "binary": BINARY,
    "mixed-large": MIXED,
    "text-large": b"line\r\n" * (CHUNK_SIZE // 3),
}


def _dvc_md5(data: bytes, name: str) -> str:
    from dvc_data.hashfile.hash import fobj_md5

    return fobj_md5(io.BytesIO(data), name=name)


def _odd_chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("sample", sorted(SAMPLES))
@pytest.mark.parametrize("name", ["md5", "md5-dos2unix"])
def test_file_md5_matches_dvc_data(sample: str, name: str) -> None:
    data = SAMPLES[sample]
    expected = _dvc_md5(data, name)
    assert md5_of_bytes(data, name) == expected  # type: ignore[arg-type]
    # Whatever chunk sizes the source yields, the dos2unix boundaries are DVC's.
    assert md5_of_chunks(_odd_chunks(data, 65_537), name) == expected  # type: ignore[arg-type]


def test_legacy_md5_ignores_line_endings_of_text_only() -> None:
    assert (
        md5_of_bytes(TEXT_CRLF, "md5-dos2unix")
        == hashlib.md5(TEXT_CRLF.replace(b"\r\n", b"\n")).hexdigest()
    )
    assert md5_of_bytes(TEXT_CRLF, "md5") == hashlib.md5(TEXT_CRLF).hexdigest()
    binary = b"\0\r\n"
    assert md5_of_bytes(binary, "md5-dos2unix") == hashlib.md5(binary).hexdigest()


def test_text_heuristic_matches_dvc_data() -> None:
    from dvc_data.hashfile.istextfile import istextblock

    for block in [
        b"",
        b"abc",
        b"\0abc",
        bytes(range(256)),
        "ünïcödé".encode() * 10,
        b"\x80" * 3 + b"a" * 7,
    ]:
        assert is_text_block(block) == istextblock(block)


def test_directory_hash_matches_dvc_data_tree() -> None:
    from dvc_data.hashfile.hash_info import HashInfo
    from dvc_data.hashfile.meta import Meta
    from dvc_data.hashfile.tree import Tree

    files = {"b.txt": "2" * 32, "a/z.py": "1" * 32, "a/ä.csv": "3" * 32, "a b/c": "4" * 32}
    tree = Tree()  # type: ignore[no-untyped-call]
    for rel, md5 in files.items():
        tree.add(tuple(rel.split("/")), Meta(size=1), HashInfo("md5", md5))
    tree.digest()
    assert dir_md5(files.items()) == tree.hash_info.value
    assert manifest_bytes(files.items()) == tree.as_bytes()


def test_collect_folder_drops_what_dvc_does_not_walk() -> None:
    paths = [
        "src/a.py",
        "src/.git",
        "src/x/.dvc/config",
        "src/sub/.dvc/config",
        "src/sub/f",
        "src/__pycache__/a.pyc",
        "other/b.py",
    ]
    listing = collect_folder(paths, "src", None, nested_roots=["src/sub"])
    assert listing.files == ("__pycache__/a.pyc", "a.py")
    assert collect_folder(["src/.dvcignore", "src/a"], "src", None).blocked
    assert folder_md5("src", ["a.py"], lambda p: None) is None


@pytest.mark.slow
def test_hashes_of_a_real_repro(dvc_repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """`dvc repro` writes exactly the hashes dvcflow computes from the staged blobs."""
    monkeypatch.setenv("PATH", f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}")
    dvc_repo.write("src/a.py", b"print('a')\r\n")
    dvc_repo.write("src/sub/b.txt", MIXED)
    dvc_repo.write("src/ünï code.txt", b"x\n")
    dvc_repo.write("src/ignored.tmp", b"not hashed\n")
    dvc_repo.write(".dvcignore", "*.tmp\n")
    dvc_repo.write("notes.txt", TEXT_CRLF)
    dvc_repo.write(
        "dvc.yaml",
        """\
        stages:
          s:
            cmd: python -c "open('out.txt', 'w').write('x')"
            deps: [src, notes.txt]
            outs: [out.txt]
        """,
    )
    dvc_repo.dvc("repro", "-q")
    dvc_repo.add()
    ctx = Context.from_cwd(dvc_repo.root, all_files=True)
    try:
        (pipeline,) = ctx.pipelines()
        assert pipeline.lock is not None
        entries: dict[str, LockEntry] = {e.path: e for e in pipeline.lock.stages["s"].deps}
        assert snapshot_file_md5(ctx.staged, "notes.txt", "md5") == entries["notes.txt"].md5
        project = pipeline.project
        listing = collect_folder(ctx.staged.files_under("src"), "src", project)
        assert "ignored.tmp" not in listing.files
        got = folder_md5("src", listing.files, lambda p: snapshot_file_md5(ctx.staged, p, "md5"))
        assert got == entries["src"].md5
    finally:
        ctx.close()


def test_large_blob_is_streamed(repo: Repo) -> None:
    data = os.urandom(1024) * (16 * 1024)  # 16 MiB
    repo.write("big.bin", data)
    repo.add("big.bin")
    ctx = Context.from_cwd(repo.root)
    try:
        tracemalloc.start()
        got = snapshot_file_md5(ctx.staged, "big.bin", "md5-dos2unix")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    finally:
        ctx.close()
    assert got == hashlib.md5(data).hexdigest()
    assert peak < 6 * 2**20, f"hashing held {peak / 2**20:.1f} MiB"


def test_a_dvcignore_blocks_only_where_dvc_walk_reaches_it() -> None:
    """A `.dvcignore` inside a hashed folder makes DVC refuse it, but not one inside a nested
    DVC project (every `dvc init` writes one) or in an ignored sub-folder: the walk skips those."""
    paths = ["data/a.csv", "data/sub/.dvcignore", "data/sub/b.csv"]
    assert collect_folder(paths, "data", None, ["", "data/sub"]).files == ("a.csv",)
    listing = collect_folder([*paths, "data/.dvcignore"], "data", None, ["", "data/sub"])
    assert listing.files == () and listing.blocked is not None


def test_malformed_state_entries_are_skipped() -> None:
    from dvcflow.dvc.status.fast import decode_entries

    assert decode_entries({"k": ""}) == {}
    assert decode_entries({"a": "1,2", "b": "3"}) == {"b": 3}
    assert decode_entries({"a": '{"x": 1}', "b": "[" * 100_000}) == {"a": {"x": 1}}
