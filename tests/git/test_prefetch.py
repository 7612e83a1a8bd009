"""The git listings a run starts ahead (`GitRepo.prefetch`) read what the plain calls read."""

from __future__ import annotations

from dvcflow.git.repo import GitRepo

from ..conftest import Repo


def _listings(git: GitRepo) -> tuple[object, ...]:
    return (git.index(), git.staged_status(), git.workspace_files())


def test_prefetched_listings_equal_the_plain_ones(repo: Repo) -> None:
    for name in ("kept.txt", "gone.txt", "edited.txt", "ignored.txt", "naïve dir/a b.txt"):
        repo.write(name, f"{name}\n")
    repo.add()
    repo.commit("base")
    repo.write(".gitignore", "ignored.txt\nbuild/\n")
    repo.write("build/out.bin", "x\n")
    repo.write("untracked.txt", "u\n")
    repo.write("new.txt", "n\n")
    repo.write("edited.txt", "changed\n")
    repo.add("new.txt", "edited.txt")
    (repo.root / "gone.txt").unlink()  # deleted from the work tree, still in the index
    plain = _listings(GitRepo.discover(repo.root))
    ahead = GitRepo.discover(repo.root)
    ahead.prefetch(staged=True, workspace=True)
    assert _listings(ahead) == plain
    assert plain[1] == {"new.txt": "A", "edited.txt": "M"}
    files = plain[2]
    assert isinstance(files, list)
    assert "gone.txt" not in files and "ignored.txt" in files  # tracked, though ignored
    assert {"untracked.txt", "naïve dir/a b.txt", ".gitignore"} <= set(files)
    assert "build/out.bin" not in files
    unread = GitRepo.discover(repo.root)
    unread.prefetch(staged=True, workspace=True)
    unread.close()  # listings never read are stopped and reaped
