"""What the MLflow post-commit and post-rewrite hooks need to know from Git.

The commit (SHA, parents, committer times, branch), the md5 of every `dvc.lock` it contains,
whether a rebase is in progress, and which commits an amend or a rebase rewrote. Plain `git`
plumbing, a handful of processes, no GitPython.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from dvcflow.errors import DvcflowError
from dvcflow.git.repo import BlobReader, _git_env, run_git

LOCK_NAME = "dvc.lock"
SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
REWRITE_FILES = ("rebase-merge/rewritten-list", "rebase-apply/rewritten")
SEP = "\x1f"


class GitDirs:
    root: Path  # the work tree
    git_dir: Path  # this worktree's git dir (rebase state lives here)
    common_dir: Path  # shared by all worktrees (the tag queue lives here)

    __slots__ = ("common_dir", "git_dir", "root")

    def __init__(self, root: Path, git_dir: Path, common_dir: Path) -> None:
        self.root = root
        self.git_dir = git_dir
        self.common_dir = common_dir


class CommitFacts:
    sha: str
    parents: tuple[str, ...]
    parent_time: int | None  # newest committer time of the parents, seconds
    commit_time: int  # committer time, seconds
    commit_time_iso: str
    branch: str | None
    lock_md5s: tuple[str, ...]  # md5 of each dvc.lock in the commit

    __slots__ = (
        "branch",
        "commit_time",
        "commit_time_iso",
        "lock_md5s",
        "parent_time",
        "parents",
        "sha",
    )

    def __init__(
        self,
        sha: str,
        parents: tuple[str, ...],
        parent_time: int | None,
        commit_time: int,
        commit_time_iso: str,
        branch: str | None,
        lock_md5s: tuple[str, ...],
    ) -> None:
        self.sha = sha
        self.parents = parents
        self.parent_time = parent_time
        self.commit_time = commit_time
        self.commit_time_iso = commit_time_iso
        self.branch = branch
        self.lock_md5s = lock_md5s


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape").strip()


def git_dirs(cwd: Path) -> GitDirs:
    """The work tree and Git directories of the repository around `cwd`."""
    out = _text(
        run_git(["rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir"], cwd)
    ).splitlines()
    if len(out) != 3:
        raise DvcflowError("not inside a Git work tree")
    root, git_dir, common = (Path(line) for line in out)
    return GitDirs(root, git_dir, (cwd / common).resolve() if not common.is_absolute() else common)


def current_branch(root: Path) -> str | None:
    name = _text(run_git(["symbolic-ref", "-q", "--short", "HEAD"], root, check=False))
    return name or None


def _branch_for(root: Path, sha: str) -> str | None:
    branch = current_branch(root)
    if branch is None:
        return None
    head = _text(run_git(["rev-parse", "-q", "--verify", "HEAD^{commit}"], root, check=False))
    if head == sha:
        return branch
    base = _text(run_git(["merge-base", sha, "HEAD"], root, check=False))
    return branch if base == sha else None


def commit_facts(root: Path, ref: str = "HEAD") -> CommitFacts:
    """Facts about one commit; raises DvcflowError if `ref` names no commit."""
    line = _text(
        run_git(
            [
                "log",
                "-1",
                "--no-walk",
                f"--format=%H{SEP}%P{SEP}%ct{SEP}%cI",
                f"{ref}^{{commit}}",
                "--",
            ],
            root,
        )
    )
    sha, parents_text, ctime, iso = line.split(SEP)
    parents = tuple(parents_text.split())
    return CommitFacts(
        sha=sha,
        parents=parents,
        parent_time=_newest_time(root, parents),
        commit_time=int(ctime),
        commit_time_iso=iso,
        branch=_branch_for(root, sha),
        lock_md5s=lock_md5s(root, sha),
    )


def _newest_time(root: Path, commits: tuple[str, ...]) -> int | None:
    if not commits:
        return None
    out = _text(run_git(["log", "--no-walk", "--format=%ct", *commits, "--"], root))
    return max(int(t) for t in out.split())


def commit_times(root: Path, shas: Sequence[str]) -> dict[str, str]:
    """Committer time (ISO 8601) of each commit, in one `git log`."""
    if not shas:
        return {}
    out = _text(run_git(["log", "--no-walk", f"--format=%H{SEP}%cI", *shas, "--"], root))
    return dict(line.split(SEP, 1) for line in out.splitlines() if SEP in line)


def lock_md5(data: bytes) -> str:
    """The md5 (hex) dvcflow records for a dvc.lock: of its bytes, exactly as committed."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def lock_md5s(root: Path, sha: str) -> tuple[str, ...]:
    """md5 (hex, of the committed bytes) of every dvc.lock in the commit, sorted."""
    blobs: list[str] = []
    for record in run_git(["ls-tree", "-r", "-z", "--full-tree", sha], root).split(b"\0"):
        meta, _, raw_path = record.partition(b"\t")
        fields = meta.split()
        if (
            len(fields) == 3
            and fields[1] == b"blob"
            and PurePosixPath(_text(raw_path)).name == LOCK_NAME
        ):
            blobs.append(fields[2].decode("ascii"))
    if not blobs:
        return ()
    reader = BlobReader(root)
    try:
        digests = {lock_md5(reader.read(b)) for b in blobs}
    finally:
        reader.close()
    return tuple(sorted(digests))


def rebase_in_progress(dirs: GitDirs) -> bool:
    return any((dirs.git_dir / name).is_dir() for name in ("rebase-merge", "rebase-apply"))


def parse_pairs(text: str) -> list[tuple[str, str]]:
    """`old new [extra]` lines as git's post-rewrite hook receives them on stdin."""
    pairs: list[tuple[str, str]] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 2 and SHA.match(fields[0]) and SHA.match(fields[1]):
            pairs.append((fields[0], fields[1]))
    return pairs


def rewritten_pairs(dirs: GitDirs, command: str | None) -> tuple[list[tuple[str, str]], str]:
    """The (old, new) commits an amend or a rebase just rewrote, and where that came from.

    pre-commit runs `post-rewrite` hooks without git's stdin, so the pairs are recovered from
    what git leaves behind: the rebase's rewritten list (still present while the hook runs),
    the `commit (amend)` reflog entry, or ORIG_HEAD matched by patch id.
    """
    if command in (None, "rebase"):
        for name in REWRITE_FILES:
            path = dirs.git_dir / name
            if path.is_file():
                return parse_pairs(path.read_text(encoding="ascii", errors="replace")), name
    if command in (None, "amend"):
        pairs = _amend_pair(dirs.root)
        if pairs or command == "amend":
            return pairs, "reflog"
    return _orig_head_pairs(dirs.root), "ORIG_HEAD"


def _amend_pair(root: Path) -> list[tuple[str, str]]:
    out = _text(
        run_git(
            ["reflog", "show", "-n", "2", f"--format=%H{SEP}%gs", "HEAD", "--"], root, check=False
        )
    ).splitlines()
    if len(out) < 2:
        return []
    new, subject = out[0].split(SEP, 1)
    old = out[1].split(SEP, 1)[0]
    if not subject.startswith("commit (amend)") or old == new:
        return []
    return [(old, new)]


def _patch_ids(root: Path, revs: list[str]) -> dict[str, str]:
    """commit -> patch id, for the commits `git rev-list` gives for `revs`."""
    log = run_git(["log", "-p", "--no-color", "--format=commit %H", *revs, "--"], root)
    proc = subprocess.run(
        ["git", "patch-id", "--stable"],
        cwd=root,
        input=log,
        capture_output=True,
        env=_git_env(),
        check=False,
    )
    ids: dict[str, str] = {}
    for line in _text(proc.stdout).splitlines():
        patch_id, _, commit = line.partition(" ")
        ids[commit] = patch_id
    return ids


def _orig_head_pairs(root: Path) -> list[tuple[str, str]]:
    """Commits between HEAD and ORIG_HEAD paired by patch id (a rebase without its list)."""
    if not _text(run_git(["rev-parse", "-q", "--verify", "ORIG_HEAD"], root, check=False)):
        return []
    old = _patch_ids(root, ["ORIG_HEAD", "--not", "HEAD"])
    new_by_patch = {pid: c for c, pid in _patch_ids(root, ["HEAD", "--not", "ORIG_HEAD"]).items()}
    return [(c, new_by_patch[pid]) for c, pid in old.items() if pid in new_by_patch][::-1]
