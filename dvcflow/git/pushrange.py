"""The commits a `git push` sends, from every place a pre-push hook can learn them.

- pre-commit's pre-push stage sets `PRE_COMMIT_FROM_REF` / `PRE_COMMIT_TO_REF`; a push that
  includes the root commit sets neither, only `PRE_COMMIT_LOCAL_BRANCH` (and
  `PRE_COMMIT_REMOTE_NAME`).
- A plain `.git/hooks/pre-push` gets the remote's name and URL as arguments and one line per
  ref on stdin: `<local ref> <local sha> <remote ref> <remote sha>` (`--push-range -`).
- CI names a range: `--push-range A..B` (or one commit, `B`).

Without any of these, the commits of HEAD that no remote-tracking branch holds are checked
(HEAD alone when there are none: what a CI checkout of a pushed branch holds).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from dvcflow.errors import DvcflowError
from dvcflow.git.repo import run_git

if TYPE_CHECKING:
    from dvcflow.context import Context

ZERO = "0" * 40


class PushRange(NamedTuple):
    commits: tuple[str, ...]  # newest first, each once
    origin: str  # how it was learned, for messages: "PRE_COMMIT_FROM_REF..TO_REF", "A..B"


def _rev_list(root: Path, args: list[str]) -> list[str]:
    out = run_git(["rev-list", *args], root).decode()
    return [line for line in out.split() if line]


def _verify(root: Path, ref: str) -> str:
    out = run_git(["rev-parse", "--verify", "-q", f"{ref}^{{commit}}"], root, check=False)
    sha = out.decode().strip()
    if not sha:
        raise DvcflowError(f"--push-range: unknown commit or ref '{ref}'")
    return sha


def _unique(commits: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(commits))


def from_spec(root: Path, spec: str) -> PushRange:
    """`A..B` (the commits of B not in A) or a single commit `B` (that commit alone)."""
    if ".." in spec:
        base, _, tip = spec.partition("..")
        tip_sha = _verify(root, tip or "HEAD")
        if not base or base == ZERO:
            return PushRange(_unique(_rev_list(root, [tip_sha, "--not", "--remotes"])), spec)
        return PushRange(_unique(_rev_list(root, [f"{_verify(root, base)}..{tip_sha}"])), spec)
    return PushRange((_verify(root, spec),), spec)


def from_pre_push_input(root: Path, text: str, remote: str | None) -> PushRange:
    """Git's pre-push stdin: `<local ref> <local sha> <remote ref> <remote sha>`, a line a ref."""
    commits: list[str] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        _local_ref, local_sha, _remote_ref, remote_sha = parts
        if local_sha == ZERO:  # deleting a remote branch pushes nothing
            continue
        if remote_sha != ZERO and _exists(root, remote_sha):
            commits.extend(_rev_list(root, [f"{remote_sha}..{local_sha}"]))
        else:
            commits.extend(_rev_list(root, [local_sha, "--not", _remotes(remote)]))
    return PushRange(_unique(commits), "git's pre-push input")


def _remotes(remote: str | None) -> str:
    return f"--remotes={remote}" if remote else "--remotes"


def _exists(root: Path, sha: str) -> bool:
    return bool(run_git(["cat-file", "-t", sha], root, check=False).strip())


def from_environment(root: Path, environ: Mapping[str, str] | None = None) -> PushRange | None:
    """What pre-commit's pre-push stage passes, or None outside it."""
    env = os.environ if environ is None else environ
    source = env.get("PRE_COMMIT_FROM_REF") or env.get("PRE_COMMIT_SOURCE")
    target = env.get("PRE_COMMIT_TO_REF") or env.get("PRE_COMMIT_ORIGIN")
    if source and target:
        return PushRange(
            _unique(_rev_list(root, [f"{source}..{target}"])), f"{source[:12]}..{target[:12]}"
        )
    branch = env.get("PRE_COMMIT_LOCAL_BRANCH")
    if branch:  # the push includes the root commit: everything the remote lacks
        remote = env.get("PRE_COMMIT_REMOTE_NAME")
        commits = _rev_list(root, [branch, "--not", _remotes(remote)])
        return PushRange(_unique(commits), branch)
    return None


def unpushed(root: Path) -> PushRange:
    """HEAD's commits that no remote-tracking branch holds; HEAD alone if none."""
    head = run_git(["rev-parse", "--verify", "-q", "HEAD"], root, check=False).decode().strip()
    if not head:
        return PushRange((), "HEAD")
    commits = _rev_list(root, [head, "--not", "--remotes"])
    return PushRange(_unique(commits) or (head,), "HEAD")


def from_option(root: Path, spec: str, remote: str | None = None) -> PushRange:
    """`--push-range`: `-` reads git's pre-push input from stdin (`remote` is the hook's first
    argument, the remote's name), anything else is `A..B` or one commit."""
    if spec == "-":
        import sys

        return from_pre_push_input(root, sys.stdin.read(), remote)
    return from_spec(root, spec)


def remember(ctx: Context, push_range: PushRange) -> None:
    """The commits this run judges (the hook's `--push-range`), before any rule asks."""
    ctx.memo(for_run, lambda: push_range)


def for_run(ctx: Context) -> PushRange:
    """The commits being pushed: as remembered, else from pre-commit's environment, else the
    commits of HEAD that no remote-tracking branch holds."""
    return ctx.memo(for_run, lambda: from_environment(ctx.root) or unpushed(ctx.root))
