"""DVF501's analysis: are the objects the pushed commits name on their DVC remotes?

1. Every pushed commit's dvc.lock and `.dvc` files are read from Git (a commit's files are
   parsed once per distinct blob set, so a long range of code-only commits costs little).
2. Each object goes to its out's `remote:`, else the project's `core.remote` as the pusher
   configured it (`config.local` included).
3. What an earlier run saw on that remote is not asked again (`KnownPresent`); the rest is
   asked in batches through DVC's object databases, under a timeout.
4. A directory counts as pushed when its `.dir` manifest is on the remote (DVC uploads the
   entries first). When it is not, its entries are read from the local cache's manifest and
   asked for too, so the finding can name the missing files.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from dvcflow.context import Context
from dvcflow.dvc.remotes import (
    KnownPresent,
    RemoteStore,
    RemoteUnavailable,
    batches,
    defined_outside_repo_config,
    defines_remote,
    open_remote,
    read_remotes,
    redact,
    with_timeout,
)
from dvcflow.errors import DvcflowError
from dvcflow.git.commitview import CommitSnapshot
from dvcflow.git.pushrange import PushRange, for_run
from dvcflow.rules.data.named import NamedObject, Parsed, objects_in

Obj = tuple[str, str]  # (kind, oid)


class Missing(NamedTuple):
    obj: NamedObject
    commit: str
    remote: str
    in_workspace: bool  # the work tree's DVC files name this object for the output
    not_local: bool  # not in the local cache either: cannot be pushed from here
    # an older version whose commit's .dvc/config lacks the remote: `dvc push --all-commits`
    # skips that commit unless config.local defines it; the URL to define it with
    define_url: str | None = None
    missing_entries: tuple[str, ...] = ()  # a directory's files missing from the remote
    entries: int = 0  # a directory's file count (0: not a directory or manifest unknown)
    manifest_unknown: bool = False  # a directory whose manifest is not in the local cache


class Unreachable:
    project: str
    remote: str | None  # None: no remote is configured
    url: str
    error: str
    outs: tuple[str, ...]

    __slots__ = ("error", "outs", "project", "remote", "url")

    def __init__(
        self, project: str, remote: str | None, url: str, error: str, outs: tuple[str, ...]
    ) -> None:
        self.project = project
        self.remote = remote
        self.url = url
        self.error = error
        self.outs = outs


class PushReport:
    def __init__(self, push_range: PushRange) -> None:
        self.push_range = push_range
        self.missing: list[Missing] = []
        self.unreachable: list[Unreachable] = []


class _Wanted:
    """The objects of one (project, remote), each with the newest commit naming it."""

    def __init__(self) -> None:
        self.named: dict[Obj, tuple[NamedObject, str]] = {}


def report(ctx: Context) -> PushReport:
    return ctx.memo(report, lambda: _build(ctx))


def _timeout(ctx: Context) -> float:
    return float(ctx.option("data", "remote-timeout"))  # type: ignore[arg-type]


def _collect(ctx: Context, push_range: PushRange) -> dict[tuple[str, str | None], _Wanted]:
    """(project, out remote or None) -> the objects the pushed commits name."""
    groups: dict[tuple[str, str | None], _Wanted] = {}
    parsed: Parsed = {}  # each DVC file (path, blob) parsed once for the whole range
    seen_trees: set[tuple[tuple[str, str], ...]] = set()
    for commit in push_range.commits:  # newest first: each object keeps its newest commit
        snapshot = CommitSnapshot(ctx.repo, commit, ctx.staged.max_bytes)
        key = tuple(
            (path, sha)
            for path, (_mode, sha) in sorted(snapshot.entries.items())
            if _is_dvc_input(path)
        )
        if key in seen_trees:
            continue  # the same DVC files as a commit already read
        seen_trees.add(key)
        for obj in objects_in(snapshot, parsed):
            wanted = groups.setdefault((obj.project, obj.remote), _Wanted())
            wanted.named.setdefault((obj.kind, obj.oid), (obj, commit))
    return groups


def _is_dvc_input(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name in ("config", "config.local", ".dvcignore") or name.endswith(
        (".dvc", ".lock", ".yaml", ".yml", ".json", ".toml")
    )


def _build(ctx: Context) -> PushReport:
    push_range = for_run(ctx)
    result = PushReport(push_range)
    groups = _collect(ctx, push_range)
    if not groups:
        return result
    workspace = {(o.out, o.kind, o.oid) for o in objects_in(ctx.workspace)}
    by_remote: dict[tuple[str, str | None], _Wanted] = {}
    for (project, out_remote), wanted in sorted(
        groups.items(), key=lambda i: (i[0][0], str(i[0][1]))
    ):
        remotes = read_remotes(ctx.root / project)
        name = out_remote or remotes.default
        merged = by_remote.setdefault((project, name), _Wanted())
        for obj, value in wanted.named.items():
            merged.named.setdefault(obj, value)
    for (project, name), wanted in sorted(by_remote.items(), key=lambda i: (i[0][0], str(i[0][1]))):
        _check_remote(ctx, project, name, wanted, workspace, result)
    return result


def _check_remote(
    ctx: Context,
    project: str,
    name: str | None,
    wanted: _Wanted,
    workspace: set[tuple[str, str, str]],
    result: PushReport,
) -> None:
    outs = tuple(sorted({obj.out for obj, _ in wanted.named.values()}))
    remotes = read_remotes(ctx.root / project)
    if name is None:
        result.unreachable.append(
            Unreachable(project, None, ",".join(sorted(remotes.urls)), "no default remote", outs)
        )
        return
    url = remotes.urls.get(name, "")
    folder = (ctx.repo.common_dir or ctx.root / ".git") / "dvcflow" / "remote-objects"
    known = KnownPresent(folder, name, url)
    unknown = sorted(set(wanted.named) - known.known)
    if not unknown:
        return
    project_dir = ctx.root / project
    try:
        found, store, entries = with_timeout(
            _timeout(ctx), f"asking DVC remote '{name}'", _ask, project_dir, name, unknown
        )
    except RemoteUnavailable as exc:
        result.unreachable.append(Unreachable(project, name, redact(url), str(exc), outs))
        return
    known.add(found)
    for obj in unknown:
        if obj in found:
            continue
        named, commit = wanted.named[obj]
        missing = _missing(named, commit, name, store, entries.get(obj), found, workspace)
        if not missing.in_workspace and not _collectable(ctx, project, commit, name):
            missing = missing._replace(define_url=url)
        result.missing.append(missing)


def _collectable(ctx: Context, project: str, commit: str, name: str) -> bool:
    """Whether `dvc push -r NAME --all-commits` can collect `commit` (DVC reads the committed
    .dvc/config of each revision: the remote must be defined there or outside the repo's)."""
    if defined_outside_repo_config(ctx.root / project, name):
        return True
    config = f"{project}/.dvc/config" if project else ".dvc/config"
    snapshot = CommitSnapshot(ctx.repo, commit)
    try:
        return defines_remote(snapshot.read_text(config), name)
    except (FileNotFoundError, DvcflowError):
        return False


def _ask(
    project_dir: Path, name: str, unknown: list[Obj]
) -> tuple[set[Obj], RemoteStore, dict[Obj, list[tuple[str, Obj]]]]:
    """What the remote holds of `unknown`, then of the entries of directories it lacks."""
    store = open_remote(project_dir, name)
    found: set[Obj] = set()
    for batch in batches(unknown):
        found |= store.present(batch)
    entries: dict[Obj, list[tuple[str, Obj]]] = {}
    for kind, oid in unknown:
        if (kind, oid) in found or not oid.endswith(".dir"):
            continue
        listed = store.manifest(kind, oid)
        if listed is not None:
            entries[(kind, oid)] = [(relpath, (kind, entry)) for relpath, entry in listed]
    wanted = sorted({e for listed in entries.values() for _, e in listed} - found)
    for batch in batches(wanted):
        found |= store.present(batch)
    return found, store, entries


def _missing(
    obj: NamedObject,
    commit: str,
    remote: str,
    store: RemoteStore,
    entries: list[tuple[str, Obj]] | None,
    found: set[Obj],
    workspace: set[tuple[str, str, str]],
) -> Missing:
    in_workspace = (obj.out, obj.kind, obj.oid) in workspace
    if not store.in_local_cache(obj.kind, obj.oid):
        return Missing(
            obj, commit, remote, in_workspace, not_local=True, manifest_unknown=obj.is_dir
        )
    if entries is None:
        return Missing(obj, commit, remote, in_workspace, not_local=False)
    absent = [(relpath, e) for relpath, e in entries if e not in found]
    not_local = any(not store.in_local_cache(*e) for _, e in absent)
    return Missing(
        obj,
        commit,
        remote,
        in_workspace,
        not_local=not_local,
        missing_entries=tuple(sorted(relpath for relpath, _ in absent)),
        entries=len(entries),
    )


def short(commit: str) -> str:
    return commit[:8]


def described(outs: Iterable[str], limit: int = 3) -> str:
    listed = sorted(outs)
    more = f" and {len(listed) - limit} more" if len(listed) > limit else ""
    return ", ".join(listed[:limit]) + more
