"""Plain `git` plumbing: the repository root, the index, staged changes and blobs.

GitPython costs about 0.1 s to import and a process per call for what is needed here; three
plumbing commands and one long-lived `git cat-file --batch` read everything a run needs.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

from dvcflow.errors import DvcflowError, NotAGitRepository

T = TypeVar("T")

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
SYMLINK_MODE = "120000"
GITLINK_MODE = "160000"
_BATCH = 256  # blob requests written to `git cat-file --batch` at once
_INDEX = ["ls-files", "-s", "-z"]
_WORKSPACE = ["ls-files", "-z", "-t", "--cached", "--others", "--deleted", "--exclude-standard"]


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    # Never take locks a concurrent `git commit` holds, never page, never prompt.
    env["GIT_OPTIONAL_LOCKS"] = "0"
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    env.pop("GIT_PAGER", None)
    return env


def run_git(args: list[str], cwd: Path | str, *, check: bool = True) -> bytes:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, env=_git_env(), check=False
        )
    except FileNotFoundError as exc:
        raise DvcflowError("git is not installed or not on PATH") from exc
    if check and proc.returncode != 0:
        message = _decode(proc.stderr).strip().splitlines()
        raise DvcflowError(f"git {args[0]} failed: {message[-1] if message else proc.returncode}")
    return proc.stdout


def check_ignore(root: Path | str, paths: list[str]) -> set[str] | None:
    """The ones among `paths` Git ignores, in one `git check-ignore -z --stdin` (it lists only
    those; exit 1: none); None when git fails (exit 128: a path outside the repository or
    beyond a symlink), for the caller to ask `check_ignore_one` per path."""
    data = "\0".join(paths).encode("utf-8", "surrogateescape") + b"\0"
    try:
        proc = subprocess.run(
            ["git", "check-ignore", "-z", "--stdin"],
            cwd=root,
            input=data,
            capture_output=True,
            env=_git_env(),
            check=False,
        )
    except OSError:
        return None
    if proc.returncode not in (0, 1):
        return None
    found = set(proc.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1])
    if (proc.returncode == 1) != (not found) or not found.issubset(paths):
        return None  # not what check-ignore answers: ask one by one
    return found


def check_ignore_one(root: Path | str, path: str) -> bool:
    args = ["-c", "core.quotePath=false", "check-ignore", "--", path]
    return bool(run_git(args, root, check=False).strip())


class _Started:
    """A git command started ahead of its use: git works on another core while Python goes on
    (loading the rules); its output is read, and checked, where it is needed."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        self.args = args
        self.proc = subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_git_env(),
        )

    def result(self) -> bytes:
        out, err = self.proc.communicate()
        if self.proc.returncode != 0:
            message = _decode(err).strip().splitlines()
            raise DvcflowError(
                f"git {self.args[0]} failed: {message[-1] if message else self.proc.returncode}"
            )
        return out

    def discard(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


class IndexEntry(NamedTuple):
    mode: str
    sha: str
    stage: int  # 0 normally; 1-3 while a merge conflict is unresolved

    @property
    def is_symlink(self) -> bool:
        return self.mode == SYMLINK_MODE

    @property
    def is_submodule(self) -> bool:
        return self.mode == GITLINK_MODE


class BlobTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class BlobReader:
    """One `git cat-file --batch` process for all blobs of a run."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._proc: subprocess.Popen[bytes] | None = None

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                cwd=self._root,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=_git_env(),
            )
        return self._proc

    def header(self, sha: str) -> int:
        """Ask for a blob and return its size; the caller must then consume exactly that."""
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(sha.encode() + b"\n")
        proc.stdin.flush()
        fields = proc.stdout.readline().split()
        if len(fields) != 3:
            raise DvcflowError(f"git object {sha} is missing from the repository")
        return int(fields[2])

    def read(self, sha: str, max_bytes: int | None = None) -> bytes:
        """The blob's bytes; raises BlobTooLarge (after draining it) past max_bytes."""
        size = self.header(sha)
        assert self._proc is not None and self._proc.stdout is not None
        if max_bytes is not None and size > max_bytes:
            for _ in self._chunks(size):
                pass
            raise BlobTooLarge(size)
        data = self._proc.stdout.read(size)
        self._proc.stdout.read(1)  # the newline after each object
        return data

    def _chunks(self, size: int, chunk_size: int = 1 << 20) -> Iterable[bytes]:
        assert self._proc is not None and self._proc.stdout is not None
        remaining = size
        while remaining:
            chunk = self._proc.stdout.read(min(chunk_size, remaining))
            remaining -= len(chunk)
            yield chunk
        self._proc.stdout.read(1)

    def read_many(self, shas: list[str], max_bytes: int, budget: int) -> dict[str, bytes]:
        """Many blobs in few round trips: requests go out in batches, answers are read back.

        Blobs larger than `max_bytes` are drained and left out (read them one by one), and
        reading stops once `budget` bytes are held. Missing objects are left out too.
        """
        proc = self._process()
        assert proc.stdin is not None and proc.stdout is not None
        found: dict[str, bytes] = {}
        held = 0
        for start in range(0, len(shas), _BATCH):
            batch = shas[start : start + _BATCH]  # a few KB: never blocks on a full pipe
            proc.stdin.write(b"".join(sha.encode() + b"\n" for sha in batch))
            proc.stdin.flush()
            for sha in batch:
                fields = proc.stdout.readline().split()
                if len(fields) != 3:
                    continue  # `<sha> missing`: nothing follows
                size = int(fields[2])
                if size > max_bytes:
                    for _ in self._chunks(size):
                        pass
                    continue
                found[sha] = proc.stdout.read(size)
                proc.stdout.read(1)
                held += size
            if held > budget:
                break
        return found

    def stream(self, sha: str) -> Iterable[bytes]:
        """Yield a blob in chunks, so a 1 GB file never sits in memory whole.

        The generator must be consumed to the end before the next blob is asked for.
        """
        yield from self._chunks(self.header(sha))

    def close(self) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None


class GitRepo:
    """A Git work tree, found from any folder inside it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = BlobReader(root)
        self._index: dict[str, IndexEntry] | None = None
        self._conflicts: set[str] = set()
        self._has_head: bool | None = None
        self.common_dir: Path | None = None  # `.git` (shared by worktrees), set by discover()
        self._started: dict[tuple[str, ...], _Started] = {}
        self._status: dict[str, str] | None = None
        self._parsed: dict[Hashable, Any] = {}

    @classmethod
    def discover(cls, start: Path | str = ".") -> GitRepo:
        """The work tree holding `start`; whether HEAD exists is asked in the same call."""
        try:
            proc = subprocess.run(
                [
                    "git",
                    "rev-parse",
                    "--show-toplevel",
                    "--git-common-dir",
                    "--verify",
                    "-q",
                    "HEAD",
                ],
                cwd=start,
                capture_output=True,
                env=_git_env(),
                check=False,
            )
        except FileNotFoundError as exc:
            raise DvcflowError("git is not installed or not on PATH") from exc
        except NotADirectoryError as exc:
            raise NotAGitRepository(f"{start} is not a folder") from exc
        # One line each (split on "\n" alone: a path may hold \x1c or \u2028, which
        # splitlines() would also split on): work tree, common dir, HEAD's id if it exists.
        lines = _decode(proc.stdout).removesuffix("\n").split("\n")
        if proc.returncode not in (0, 1) or len(lines) < 2 or not lines[0]:  # 1: no commit
            raise NotAGitRepository(
                f"{Path(start).resolve()} is not inside a Git work tree "
                "(run dvcflow from a clone, or `git init` first)"
            )
        repo = cls(Path(lines[0]))
        repo.common_dir = (Path(start) / lines[1]).resolve()  # relative to `start`
        repo._has_head = proc.returncode == 0 and len(lines) > 2
        return repo

    def relative_cwd(self, cwd: Path | str) -> str:
        """`cwd` relative to the work tree's root, posix ("" for the root or outside it)."""
        try:
            rel = Path(cwd).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return ""
        return "" if rel == "." else rel

    @property
    def has_head(self) -> bool:
        if self._has_head is None:
            out = run_git(["rev-parse", "--verify", "-q", "HEAD"], self.root, check=False)
            self._has_head = bool(out.strip())
        return self._has_head

    def index(self) -> dict[str, IndexEntry]:
        """Every path in the index (what the next commit contains), keyed by posix path."""
        if self._index is None:
            entries: dict[str, IndexEntry] = {}
            for record in self._git(_INDEX).split(b"\0"):
                if not record:
                    continue
                meta, _, raw_path = record.partition(b"\t")
                mode, sha, stage = _decode(meta).split()
                path = _decode(raw_path)
                if stage != "0":
                    self._conflicts.add(path)
                    if path in entries:
                        continue
                entries[path] = IndexEntry(mode, sha, int(stage))
            self._index = entries
        return self._index

    def conflicted(self) -> set[str]:
        self.index()
        return self._conflicts

    def staged_changes(self) -> set[str]:
        """Paths the commit being made adds, modifies or deletes."""
        return set(self.staged_status())

    def staged_status(self) -> dict[str, str]:
        """{path: `git diff --cached --name-status` letter (A, M, D, T, U)} of the commit being
        made, against HEAD (the empty tree before the first commit); read once per run."""
        if self._status is None:
            fields = [_decode(f) for f in self._git(self._status_args()).split(b"\0")]
            self._status = dict(zip(fields[1::2], fields[0::2], strict=False))
            self._status.pop("", None)
        return self._status

    def _status_args(self) -> list[str]:
        base = "HEAD" if self.has_head else EMPTY_TREE
        return ["diff", "--cached", "--name-status", "-z", "--no-renames", base]

    def unstaged_paths(self) -> set[str]:
        """Paths whose work-tree file differs from the index, and untracked files."""
        out = run_git(
            ["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"], self.root
        )
        return {_decode(e[3:]) for e in out.split(b"\0") if len(e) > 3 and e[1:2] != b" "}

    def add(self, paths: list[str]) -> None:
        """`git add` these paths; what was read or started about the index is read again."""
        if paths:
            run_git(["add", "--", *paths], self.root)
            self._index, self._status = None, None
            self._conflicts = set()
            started, self._started = self._started, {}
            for command in started.values():
                command.discard()

    def workspace_files(self) -> list[str]:
        """Tracked and untracked, not ignored, files present in the work tree.

        A path deleted from the work tree but still in the index is not a workspace file: one
        `git ls-files -t` lists both, the deleted ones tagged `R`.
        """
        listed: set[str] = set()
        gone: set[str] = set()
        for record in self._git(_WORKSPACE).split(b"\0"):
            if len(record) > 2:
                (gone if record[:1] == b"R" else listed).add(_decode(record[2:]))
        return sorted(listed - gone)

    def prefetch(self, *, staged: bool, workspace: bool) -> None:
        """Start the listings this run will read (the index; the staged changes; the work
        tree's files) in the background, while Python loads the rules."""
        wanted = [_INDEX, *([self._status_args()] if staged else []), *([_WORKSPACE] * workspace)]
        for args in wanted:
            if tuple(args) not in self._started:
                try:
                    self._started[tuple(args)] = _Started(args, self.root)
                except OSError:
                    return  # run when needed, with run_git's error

    def _git(self, args: list[str]) -> bytes:
        started = self._started.pop(tuple(args), None)
        return started.result() if started is not None else run_git(args, self.root)

    def parsed(self, key: Hashable, compute: Callable[[], T]) -> T:
        """What `compute` parsed from a file's content, once per run for every view holding that
        content (the index, a commit, the work tree): `key` names the parser and the content
        (see Snapshot.parsed). The result is shared: no caller may change it."""
        if key not in self._parsed:
            self._parsed[key] = compute()
        return cast(T, self._parsed[key])

    def close(self) -> None:
        self.blobs.close()
        started, self._started = self._started, {}
        for command in started.values():
            command.discard()
