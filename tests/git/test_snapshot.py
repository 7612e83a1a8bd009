"""The staged and workspace views read the right bytes in every kind of repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvcflow.context import Context
from dvcflow.errors import NotAGitRepository
from dvcflow.git.repo import GitRepo
from dvcflow.git.snapshot import StagedSnapshot, UnreadableFile, WorkspaceSnapshot

from ..conftest import Repo


def test_staged_view_reads_the_index_not_the_work_tree(repo: Repo) -> None:
    repo.write("params.yaml", "lr: 0.1\n")
    repo.add("params.yaml")
    repo.write("params.yaml", "lr: 0.2\n")
    git = GitRepo.discover(repo.root)
    assert StagedSnapshot(git).read_text("params.yaml") == "lr: 0.1\n"
    assert WorkspaceSnapshot(git).read_text("params.yaml") == "lr: 0.2\n"


def test_partially_staged_file_is_read_as_staged(repo: Repo) -> None:
    repo.write("p.yaml", "a: 1\nb: 2\n" + "x: 0\n" * 20 + "c: 3\n")
    repo.add()
    repo.commit("base")
    repo.write("p.yaml", "a: 10\nb: 2\n" + "x: 0\n" * 20 + "c: 30\n")
    # Stage only the first hunk, as `git add -p` would.
    diff = repo.git("diff", "-U0", "p.yaml")
    first_hunk = diff.split("\n@@")[0] + "\n@@" + diff.split("\n@@")[1].split("\n@@")[0] + "\n"
    repo.run("git", "apply", "--cached", "--unidiff-zero", "-", input=first_hunk)
    staged = StagedSnapshot(GitRepo.discover(repo.root)).read_text("p.yaml")
    assert staged.startswith("a: 10\n") and staged.endswith("c: 3\n")


def test_repository_without_commits(repo: Repo) -> None:
    repo.write("dvc.yaml", "stages: {}\n")
    repo.add()
    git = GitRepo.discover(repo.root)
    assert not git.has_head
    assert git.staged_changes() == {"dvc.yaml"}
    assert StagedSnapshot(git).files() == ["dvc.yaml"]


def test_detached_head_and_subfolder_start(repo: Repo) -> None:
    repo.write("src/a.py", "x = 1\n")
    repo.add()
    sha = repo.commit("one")
    repo.git("checkout", "-q", "--detach", sha)
    git = GitRepo.discover(repo.root / "src")
    assert git.root == repo.root
    assert git.has_head and git.staged_changes() == set()


def test_linked_worktree(repo: Repo, tmp_path: Path) -> None:
    repo.write("a.txt", "a\n")
    repo.add()
    repo.commit("one")
    other = tmp_path / "wt"
    repo.git("worktree", "add", "-q", str(other), "-b", "feature")
    (other / "b.txt").write_text("b\n")
    Repo(other).add("b.txt")
    git = GitRepo.discover(other)
    assert git.root.resolve() == other.resolve()
    assert StagedSnapshot(git).files() == ["a.txt", "b.txt"]
    assert git.staged_changes() == {"b.txt"}


def test_spaces_and_non_ascii_paths(repo: Repo) -> None:
    repo.write("data sets/naïve données.yaml", "k: v\n")
    repo.add()
    snap = StagedSnapshot(GitRepo.discover(repo.root))
    assert snap.files() == ["data sets/naïve données.yaml"]
    assert snap.is_dir("data sets")
    assert snap.read_text("data sets/naïve données.yaml") == "k: v\n"


def test_symlink_out_of_the_repository_is_not_followed(repo: Repo, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: x\n")
    (repo.root / "params.yaml").symlink_to(secret)
    repo.add()
    git = GitRepo.discover(repo.root)
    for snap in (StagedSnapshot(git), WorkspaceSnapshot(git)):
        with pytest.raises(UnreadableFile, match="outside the repository"):
            snap.read_text("params.yaml")


def test_symlink_inside_the_repository_is_followed(repo: Repo) -> None:
    repo.write("conf/params.yaml", "lr: 1\n")
    (repo.root / "params.yaml").symlink_to("conf/params.yaml")
    repo.add()
    git = GitRepo.discover(repo.root)
    assert StagedSnapshot(git).read_text("params.yaml") == "lr: 1\n"
    assert WorkspaceSnapshot(git).read_text("params.yaml") == "lr: 1\n"


def test_binary_non_utf8_and_large_files(repo: Repo) -> None:
    repo.write("bin.yaml", b"\x00\x01\x02")
    repo.write("latin.yaml", "k: caf\xe9\n".encode("latin-1"))
    repo.write("big.yaml", b"k: v\n" * 1000)
    repo.add()
    snap = StagedSnapshot(GitRepo.discover(repo.root), max_bytes=1024)
    with pytest.raises(UnreadableFile, match="binary"):
        snap.read_text("bin.yaml")
    with pytest.raises(UnreadableFile, match="UTF-8") as info:
        snap.read_text("latin.yaml")
    assert info.value.line == 1
    with pytest.raises(UnreadableFile, match="too large"):
        snap.read_text("big.yaml")
    # The pipe to `git cat-file` stays in step after a refused blob.
    assert snap.read_bytes("bin.yaml") == b"\x00\x01\x02"


def test_large_blob_streams_in_chunks(repo: Repo) -> None:
    repo.write("data.bin", b"x" * (3 * 1024 * 1024 + 7))
    repo.add()
    snap = StagedSnapshot(GitRepo.discover(repo.root), max_bytes=1024)
    chunks = list(snap.stream("data.bin"))
    assert len(chunks) == 4 and sum(map(len, chunks)) == 3 * 1024 * 1024 + 7


def test_not_a_git_repository(tmp_path: Path) -> None:
    with pytest.raises(NotAGitRepository, match="not inside a Git work tree"):
        GitRepo.discover(tmp_path)


def test_projects_found_at_root_and_in_subfolders(repo: Repo) -> None:
    repo.dvc("init", "-q")
    sub = repo.root / "sub"
    sub.mkdir()
    repo.dvc("init", "-q", "--subdir", cwd=sub)
    repo.write("dvc.yaml", "stages: {}\n")
    repo.write("sub/dvc.yaml", "stages: {}\n")
    repo.write("sub/nested/dvc.yaml", "stages: {}\n")
    repo.write("sub/.dvcignore", "nested/\n")
    repo.add()
    ctx = Context.from_cwd(repo.root / "sub", all_files=True)
    assert [p.project.root for p in ctx.pipelines()] == ["", "sub"]
    assert [p.path for p in ctx.pipelines()] == ["dvc.yaml", "sub/dvc.yaml"]
