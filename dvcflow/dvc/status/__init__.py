"""Stale outputs: `dvc status` per stage, judged like `dvc repro --allow-missing --dry`.

The engine behind rules DVF201 stale-stage, DVF202 stale-data and DVF203 missing-data.

1. The status. For each DVC project of the workspace, the result of DVC's `Repo.status()`
   (`{"train": [{"changed deps": {"params.yaml": {"train.lr": "modified"}}}]}`): computed by
   `dvcflow.dvc.status.fast` without importing DVC when it understands everything in the project,
   else by DVC's own Python API (imported here, lazily, only then).
2. The verdict. Each reported change is either *stale* (what `dvc repro --allow-missing`
   would re-run a stage for: a modified or new dep, changed params, a modified output, a
   changed command) or *missing* data (a deleted dep, an output deleted or not in the cache:
   a fresh clone before `dvc pull`). A deleted dep still counts as stale when the stage that
   produces it recorded another version of it than this stage's dvc.lock entry (DVC's
   `upstream` check). `frozen`, `always_changed` and cmd-only stages, and stages listed in
   `[tool.dvcflow.stale] ignore-stages`, are never reported.

The workspace is judged as a whole in every mode (pre-commit and `--all`): dvc.yaml and
dvc.lock are read from the work tree, as DVC reads them. The `dvc` package is needed only when
DVC itself must answer; then its absence is a MissingExtra error (exit 2). A project whose
dvc.yaml or dvc.lock DVC would refuse is left to DVF105.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import logging
import os
import posixpath
import shlex
import weakref
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from dvcflow.dvc.dvcfiles import DvcFile, is_dvc_file, load_dvc_file
from dvcflow.dvc.params import ParamsError, lookup, parse_params
from dvcflow.dvc.pipeline import Pipeline, Stage
from dvcflow.dvc.projects import DvcProject
from dvcflow.dvc.status.fast import (
    RawStatus,
    StatusEntry,
    Unsupported,
    project_status,
    read_settings,
)
from dvcflow.errors import DvcflowError, MissingExtra
from dvcflow.git.blobcache import blob_cache
from dvcflow.git.snapshot import is_within, normalize

if TYPE_CHECKING:
    from dvcflow.context import Context

ChangeKind = Literal["dep", "params", "out", "command", "checksum", "always"]
MISSING_STATES = frozenset({"deleted", "not in cache"})
MAX_PARAM_DETAILS = 5


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Change:
    """One thing `dvc status` reports about a stage."""

    kind: ChangeKind
    path: str | None  # as DVC prints it, relative to the project root
    state: str  # modified | deleted | new | not in cache | changed
    keys: tuple[tuple[str, str], ...] = ()  # params: (key, state)

    def describe(self) -> str:
        if self.kind == "command":
            return "cmd changed since dvc.lock"
        if self.kind == "checksum":
            return "the file's md5 changed"
        if self.kind == "always":
            return "always changed"
        if self.keys:
            shown = [f"{key} {state}" for key, state in self.keys[:MAX_PARAM_DETAILS]]
            more = len(self.keys) - MAX_PARAM_DETAILS
            return f"{self.path}: {', '.join(shown)}" + (f" (+{more} more)" if more > 0 else "")
        return f"{self.path} {self.state}"


@dataclass(frozen=True)
class Verdict:
    """One stage (or `.dvc` file) as DVF2 judges it."""

    project: DvcProject
    address: str  # as DVC addresses it from the project root: `train`, `sub/dvc.yaml:x`, `a.dvc`
    path: str  # repo-relative dvc.yaml or .dvc file
    line: int
    column: int
    kind: Literal["stage", "data"]
    changes: tuple[Change, ...] = ()  # everything `dvc status` says
    stale: tuple[Change, ...] = ()  # what `dvc repro --allow-missing` would re-run it for
    missing: tuple[Change, ...] = ()  # absent data (deleted, not in cache)
    skipped: str | None = None  # why no finding is made: frozen, always changed, ignored
    locked: bool = True  # a pipeline stage with an entry in dvc.lock
    downstream: tuple[str, ...] = ()  # stages `dvc repro` would also re-run
    fix: str = ""
    pull_fix: str = ""

    @property
    def reasons(self) -> str:
        return "; ".join(c.describe() for c in self.stale)

    @property
    def missing_reasons(self) -> str:
        return "; ".join(c.describe() for c in self.missing)


@dataclass(frozen=True)
class Problem:
    """A project whose status could not be computed (DVC busy, or DVC refused it)."""

    path: str  # repo-relative file the finding is shown on
    message: str
    fix: str | None = None
    line: int = 0


@dataclass
class StaleReport:
    verdicts: list[Verdict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    engines: dict[str, str] = field(default_factory=dict)  # project root -> "fast" | "dvc: why"
    raw: dict[str, RawStatus] = field(default_factory=dict)  # project root -> DVC's format
    version_note: str = ""  # " (judged with dvc 3.1.0; the project pins dvc==3.67.1)"


class DvcBusy(Exception):
    """Another DVC process (a running `dvc repro`) holds the project's lock."""


class DvcFailed(Exception):
    """DVC refused to compute the status; the message is DVC's."""


# --------------------------------------------------------------------------- entry point


_REPORTS: weakref.WeakKeyDictionary[Context, StaleReport] = weakref.WeakKeyDictionary()


def stale_report(ctx: Context) -> StaleReport:
    """The workspace's staleness, computed once per run and shared by DVF201-DVF203."""
    if ctx not in _REPORTS:
        _REPORTS[ctx] = build_report(ctx)
    return _REPORTS[ctx]


def build_report(ctx: Context, *, engine: Literal["auto", "fast", "dvc"] = "auto") -> StaleReport:
    """Judge every stage and `.dvc` file of every DVC project in the workspace.

    `engine` forces one path (tests compare both); "fast" raises Unsupported where the fast
    path would hand over to DVC.
    """
    report = StaleReport()
    project_map = ctx.projects("workspace")
    if not project_map.projects:
        return report
    pipelines = ctx.pipelines("workspace")
    dvc_files = _dvc_files(ctx)
    roots = tuple(p.root for p in project_map.projects)
    ignored = [str(s) for s in ctx.config.option("stale", "ignore-stages")]
    for project in project_map.projects:
        if not project.initialized:  # no `.dvc/` in the work tree: DVC cannot run there
            continue
        mine = [p for p in pipelines if p.project.root == project.root]
        files = [f for f in dvc_files if project_map.owner(f) is project]
        raw = _project_raw(ctx, report, project, mine, files, roots, engine)
        if raw is not None:
            report.raw[project.root] = raw
            report.verdicts.extend(judge(ctx, project, mine, files, raw, ignored))
    if report.problems or any(v.changes or v.missing for v in report.verdicts):
        report.version_note = version_note(ctx)  # only findings show it; it costs a lookup
    return report


def version_note(ctx: Context) -> str:
    """Say so when the dvc judging the workspace is not the version the project pins."""
    from dvcflow.requirements.model import same_version
    from dvcflow.rules.pin import scope as pins

    installed = pins.installed_version("dvc")
    try:
        pinned = pins.status(pins.declarations(ctx), "dvc").versions
    except DvcflowError:
        return ""
    if installed is None or len(pinned) != 1 or same_version(pinned[0], installed):
        return ""
    return f" (judged with dvc {installed}; the project pins dvc=={pinned[0]})"


def _dvc_files(ctx: Context) -> list[str]:
    snapshot = ctx.workspace
    project_map = ctx.projects("workspace")
    found: list[str] = []
    for path in snapshot.files():
        if not is_dvc_file(path):
            continue
        owner = project_map.owner(path)
        if owner is not None and not owner.is_ignored(path):
            found.append(path)
    return found


def _project_raw(
    ctx: Context,
    report: StaleReport,
    project: DvcProject,
    pipelines: list[Pipeline],
    dvc_files: list[str],
    roots: tuple[str, ...],
    engine: str,
) -> RawStatus | None:
    where = _problem_path(project, pipelines)
    folder = project_dir(ctx.root, project)
    if any(p.problems for p in pipelines):  # DVF105 reports why DVC refuses the files
        report.engines[project.root] = "skipped: a dvc.yaml or dvc.lock DVC would refuse"
        report.problems.extend(_unstaged_refusals(ctx, pipelines))
        return None
    busy = busy_reason(folder)
    if busy is not None:
        report.problems.append(_busy_problem(project, where, busy))
        return None
    if _refuse_unsafe_inputs(ctx, report, project, pipelines, dvc_files, deep=False):
        return None
    nested = tuple(r for r in roots if r != project.root and is_within(r, project.root))
    if engine != "dvc":
        try:
            raw = project_status(
                ctx.root, project, pipelines, dvc_files, ctx.workspace, nested, blob_cache(ctx)
            )
            report.engines[project.root] = "fast"
            return raw
        except Unsupported as exc:
            if engine == "fast":
                raise
            report.engines[project.root] = f"dvc: {exc}"
    else:
        report.engines[project.root] = "dvc: requested"
    if _refuse_unsafe_inputs(ctx, report, project, pipelines, dvc_files, deep=True):
        return None
    try:
        return dvc_status(folder)
    except DvcBusy as exc:
        report.problems.append(_busy_problem(project, where, str(exc).splitlines()[0]))
    except DvcFailed as exc:
        report.problems.append(
            Problem(
                where,
                f"DVC cannot compute the status of the pipelines: {exc}",
                project.command("dvc status"),
            )
        )
    return None


def _refuse_unsafe_inputs(
    ctx: Context,
    report: StaleReport,
    project: DvcProject,
    pipelines: list[Pipeline],
    dvc_files: list[str],
    *,
    deep: bool,
) -> bool:
    """Never hand DVC a FIFO, a device or a symlink loop to hash (it hangs or reads forever):
    a problem naming the first such file instead (issue 16). Every dvc.yaml, dvc.lock, .dvc
    file, dep, out and params file is checked before the fast path; with `deep` (before the
    hand-over to DVC) the files below folders too."""
    paths = [*dvc_files, *(p.path for p in pipelines)]
    paths.extend(posixpath.join(posixpath.dirname(p.path), "dvc.lock") for p in pipelines)
    for stage in (s for p in pipelines for s in p.stages):
        paths.extend(d.repo_path for d in (*stage.deps, *stage.outs))
        paths.extend(p.repo_path for p in stage.params)
    refused = ctx.workspace.refusals(dict.fromkeys(paths), below=deep)
    if not refused:
        return False
    path, why = refused[0]
    report.engines[project.root] = f"skipped: {path} {why}"
    report.problems.append(
        Problem(
            path,
            f"{path} {why}; staleness was not checked (dvcflow never hands such a file to DVC)",
            f"replace {path} with a regular file or folder",
        )
    )
    return True


def _unstaged_refusals(ctx: Context, pipelines: list[Pipeline]) -> Iterator[Problem]:
    """DVF105 judges the commit; when only the work tree's files (a dvc.yaml, its dvc.lock,
    params or `vars` files) are what DVC refuses, say so rather than skip staleness silently
    (`dvc status` fails on them)."""
    staged = {p.path: p for p in ctx.pipelines("staged")}
    for pipeline in pipelines:
        committed = staged.get(pipeline.path)
        if not pipeline.problems or (committed is not None and committed.problems):
            continue  # the commit has the problem too: DVF105 reports it
        problem = pipeline.problems[0]
        yield Problem(
            problem.path,
            "staleness was not checked: DVC refuses the work tree's files, which differ from "
            f"the commit (unstaged changes): {problem.message}",
            "correct them, or set the unstaged changes aside: `git stash --keep-index`",
            problem.line,
        )


def _problem_path(project: DvcProject, pipelines: list[Pipeline]) -> str:
    if pipelines:
        return pipelines[0].path
    return posixpath.join(project.root, ".dvc", "config") if project.root else ".dvc/config"


def _busy_problem(project: DvcProject, where: str, why: str) -> Problem:
    return Problem(
        where,
        f"DVC is busy ({why.rstrip(':. ')}); staleness was not checked",
        "wait for it to finish and commit again (if no DVC process runs, see "
        "https://dvc.org/doc/user-guide/troubleshooting#lock-issue)",
    )


# --------------------------------------------------------------------------- DVC's lock


def is_busy(project_dir: str) -> bool:
    return busy_reason(project_dir) is not None


def busy_reason(project_dir: str) -> str | None:
    """Why DVC is busy in this project (a running `dvc repro`), probed without waiting or writing.

    `dvc repro` holds the repo lock (`.dvc/tmp/lock`) while it plans and records, and while a
    stage's command runs it releases it but lists the outputs being written, with its PID, in
    `.dvc/tmp/rwlock`; `dvc status` waits for the first and fails on the second. The repo lock
    (zc.lockfile) is an exclusive `flock`: a shared, non-blocking `flock` on a read-only handle
    fails exactly while it is held. With `core.hardlink_lock` the lock file exists only while
    held.
    """
    tmp = os.path.join(project_dir, ".dvc", "tmp")
    if _repo_lock_held(os.path.join(tmp, "lock"), project_dir):
        return "another DVC process holds .dvc/tmp/lock"
    writer = _rwlock_writer(os.path.join(tmp, "rwlock"))
    if writer is not None:
        return f"`{writer[1]}` (PID {writer[0]}) is writing {writer[2]}"
    return None


def _repo_lock_held(lock: str, project_dir: str) -> bool:
    try:
        hardlink = read_settings(project_dir).hardlink_lock
    except Unsupported:
        hardlink = False
    if hardlink:
        return os.path.exists(lock)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: DVC's own lock error is reported instead
        return False
    try:
        fd = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _rwlock_writer(path: str) -> tuple[int, str, str] | None:
    """(pid, cmd, path) of a live process DVC's rwlock file says is writing an output."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    writes = data.get("write") if isinstance(data, dict) else None
    if not isinstance(writes, dict):
        return None
    for target, info in writes.items():
        if not isinstance(info, dict):
            continue
        pid, cmd = info.get("pid"), info.get("cmd")
        if isinstance(pid, int) and pid != os.getpid() and _alive(pid):
            return pid, str(cmd), str(target)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


# --------------------------------------------------------------------------- DVC's own API


@contextlib.contextmanager
def _cwd(path: str) -> Iterator[None]:
    """DVC prints paths relative to the working folder: run it from the project root."""
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _quiet_dvc_logs() -> None:
    logger = logging.getLogger("dvc")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def dvc_status(project_dir: str) -> RawStatus:
    """`Repo.status()` of one project from DVC's Python API, keyed as DVC prints it.

    Stages are asked one by one (`Stage.status()`), like `dvc status` does, except that
    imports report their outputs only: their sources are `dvc update`'s business and may be
    remote. DVC's repo lock is taken as `dvc status` takes it; a held lock is DvcBusy.
    """
    try:
        from dvc.exceptions import DvcException  # type: ignore[import-untyped]
        from dvc.lock import LockError  # type: ignore[import-untyped]
        from dvc.repo import Repo, lock_repo  # type: ignore[import-untyped]
    except ImportError as exc:
        raise MissingExtra("dvc", "dvc", "DVF2 (dvcflow-stale)") from exc
    _quiet_dvc_logs()
    with _cwd(project_dir):
        try:
            repo = Repo(project_dir)
        except DvcException as exc:
            raise DvcFailed(_dvc_message(exc)) from exc
        except Exception as exc:  # DVC's own crash on input it does not expect
            raise DvcFailed(_dvc_crash(exc)) from exc
        try:
            with lock_repo(repo):
                status: RawStatus = {}
                for stage in repo.index.stages:
                    status.update(_stage_status(stage))
                return status
        except LockError as exc:
            raise DvcBusy(str(exc)) from exc
        except DvcException as exc:
            raise DvcFailed(_dvc_message(exc)) from exc
        except Exception as exc:  # a symlink loop, a path outside the repo, a wrongly typed field
            raise DvcFailed(_dvc_crash(exc)) from exc
        finally:
            repo.close()


def _stage_status(stage: Any) -> RawStatus:
    if stage.is_import or stage.is_repo_import:
        entries: list[StatusEntry] = []
        stage._status_outs(entries, filter_info=None)
        return {stage.addressing: entries} if entries else {}
    result: RawStatus = stage.status(check_updates=False)
    return result


def _dvc_crash(exc: Exception) -> str:
    """An exception DVC raised without explaining it (`dvc status` fails the same way)."""
    detail = str(exc).splitlines()[0] if str(exc).strip() else ""
    return f"DVC failed with {type(exc).__name__}{': ' + detail if detail else ''}"


def _dvc_message(exc: BaseException) -> str:
    parts = [str(exc)]
    cause = exc.__cause__
    while cause is not None and len(parts) < 3:
        parts.append(str(cause))
        cause = cause.__cause__
    return ": ".join(p for p in parts if p)


# --------------------------------------------------------------------------- judging


def parse_changes(entries: list[StatusEntry], params_files: set[str]) -> list[Change]:
    """DVC's status entries for one stage as a flat list of changes."""
    changes: list[Change] = []
    for entry in entries:
        if entry == "always changed":
            changes.append(Change("always", None, "changed"))
        elif entry == "changed command":
            changes.append(Change("command", None, "changed"))
        elif entry == "changed checksum":
            changes.append(Change("checksum", None, "changed"))
        elif isinstance(entry, dict):
            for group, items in entry.items():
                is_dep = group == "changed deps"
                for path, state in (items or {}).items():
                    changes.append(_change(str(path), state, is_dep, params_files))
    return changes


def _change(path: str, state: Any, is_dep: bool, params_files: set[str]) -> Change:
    if isinstance(state, dict):
        keys = tuple((str(k), str(v)) for k, v in state.items())
        return Change("params", path, "modified", keys)
    kind: ChangeKind = "out"
    if is_dep:
        kind = "params" if path in params_files else "dep"
    return Change(kind, path, str(state))


@dataclass
class _Graph:
    """Which stages consume which outputs, as DVC's stage graph connects them."""

    producers: dict[str, str]  # output path (repo-relative) -> address
    outs_sorted: list[str]
    consumers: dict[str, list[str]]  # address -> addresses depending on it
    order: dict[str, int]

    def downstream(self, address: str) -> tuple[str, ...]:
        seen: set[str] = set()
        todo = list(self.consumers.get(address, []))
        while todo:
            node = todo.pop()
            if node in seen or node == address:
                continue
            seen.add(node)
            todo.extend(self.consumers.get(node, []))
        return tuple(sorted(seen, key=lambda a: self.order.get(a, 0)))


def _overlapping(graph_outs: list[str], producers: dict[str, str], dep: str) -> Iterator[str]:
    """Producers of outputs equal to, above or below a dep path (DVC's outs trie lookup)."""
    parent = dep
    while parent:
        if parent in producers:
            yield producers[parent]
        if parent == posixpath.dirname(parent):  # "/" of a path outside the repository
            break
        parent = posixpath.dirname(parent)
    prefix = dep + "/"
    index = bisect_left(graph_outs, prefix)
    while index < len(graph_outs) and graph_outs[index].startswith(prefix):
        yield producers[graph_outs[index]]
        index += 1


def _build_graph(stages: list[Stage], data: list[tuple[str, DvcFile]]) -> _Graph:
    producers: dict[str, str] = {}
    order: dict[str, int] = {}
    for index, stage in enumerate(stages):
        order[stage.address] = index
        for out in stage.outs:
            producers[out.repo_path] = stage.address
    for address, dvc_file in data:
        for dvc_out in dvc_file.outs:
            producers[dvc_out.repo_path] = address
    outs_sorted = sorted(producers)
    consumers: dict[str, list[str]] = {}
    for stage in stages:
        if stage.frozen:  # DVC disconnects a frozen stage from what it depends on
            continue
        for dep in stage.deps:
            for producer in _overlapping(outs_sorted, producers, dep.repo_path):
                if producer != stage.address:
                    consumers.setdefault(producer, []).append(stage.address)
    return _Graph(producers, outs_sorted, consumers, order)


HashId = tuple[str, str | None]


def _hash_id(raw: dict[str, Any] | None, stage_locked: bool) -> HashId:
    """The HashInfo DVC's loader gives an entry, for the `--allow-missing` upstream check."""
    if raw is None:
        return ("md5-dos2unix" if stage_locked else "md5", None)
    md5 = raw.get("md5")
    return (
        "md5" if raw.get("hash") == "md5" else "md5-dos2unix",
        str(md5) if md5 is not None else None,
    )


def _recorded_hashes(
    stages: list[Stage], data: list[tuple[str, DvcFile]], snapshot_outs: dict[str, HashId]
) -> tuple[dict[tuple[str, str], HashId], dict[str, HashId]]:
    """(stage address, dep path) -> dep hash; out path -> out hash, as dvc.lock records them."""
    dep_hashes: dict[tuple[str, str], HashId] = {}
    out_hashes: dict[str, HashId] = dict(snapshot_outs)
    for stage in stages:
        lock = stage.pipeline.lock.stages.get(stage.name) if stage.pipeline.lock else None
        deps = {e.path: e.raw for e in lock.deps} if lock else {}
        outs = {e.path: e.raw for e in lock.outs} if lock else {}
        for dep in stage.deps:
            dep_hashes[(stage.address, dep.repo_path)] = _hash_id(deps.get(dep.path), bool(lock))
        for out in stage.outs:
            out_hashes[out.repo_path] = _hash_id(outs.get(out.path), bool(lock))
    return dep_hashes, out_hashes


@dataclass
class _Judge:
    """Turns one project's raw status into verdicts."""

    ctx: Context
    project: DvcProject
    stages: dict[str, Stage]
    data: dict[str, DvcFile]
    graph: _Graph
    dep_hashes: dict[tuple[str, str], HashId]
    out_hashes: dict[str, HashId]
    ignored: list[str]
    _params_cache: dict[str, Any] = field(default_factory=dict)

    def repo_path(self, shown: str) -> str:
        return (
            normalize(posixpath.join(self.project.root, shown))
            if self.project.root
            else normalize(shown)
        )

    def is_stale(self, address: str, change: Change) -> bool:
        """DVC's `changed(allow_missing=True, upstream=...)` for one change."""
        if change.kind == "always":
            return False
        if change.state not in MISSING_STATES or change.kind in ("command", "checksum"):
            return True
        if change.kind != "dep" or change.state != "deleted":
            return False
        path = self.repo_path(change.path or "")
        producer = self.graph.producers.get(path)
        if producer is None or producer == address:
            return False
        mine = self.dep_hashes.get((address, path))
        return mine is not None and mine != self.out_hashes.get(path)

    def verdict(self, address: str, entries: list[StatusEntry]) -> Verdict:
        stage = self.stages.get(address)
        dvc_file = self.data.get(address)
        if stage is None and dvc_file is None:
            return self._unknown_verdict(address, entries)
        params_shown = {self._shown(p.repo_path) for p in stage.params} if stage else set()
        changes = [self._refine(stage, c) for c in parse_changes(entries, params_shown)]
        stale = tuple(c for c in changes if self.is_stale(address, c))
        missing = tuple(c for c in changes if c not in stale and c.kind != "always")
        if stage is not None:
            return self._stage_verdict(stage, tuple(changes), stale, missing)
        assert dvc_file is not None
        return self._data_verdict(address, dvc_file, tuple(changes), stale, missing)

    def _unknown_verdict(self, address: str, entries: list[StatusEntry]) -> Verdict:
        """A stage DVC reports that dvcflow's model of the files does not have."""
        is_data = address.endswith(".dvc")
        file = address if is_data else (address.rsplit(":", 1)[0] if ":" in address else "dvc.yaml")
        changes = tuple(parse_changes(entries, set()))
        stale = tuple(c for c in changes if self.is_stale(address, c))
        missing = tuple(c for c in changes if c not in stale and c.kind != "always")
        command = "dvc add" if is_data else "dvc repro"
        return Verdict(
            project=self.project,
            address=address,
            path=self.repo_path(file),
            line=0,
            column=0,
            kind="data" if is_data else "stage",
            changes=changes,
            stale=stale,
            missing=missing,
            skipped="always changed" if any(c.kind == "always" for c in changes) else None,
            fix=self.project.command(f"{command} {shlex.quote(address)}"),
            pull_fix=self.project.command(f"dvc pull {shlex.quote(address)}"),
        )

    def _shown(self, repo_path: str) -> str:
        return posixpath.relpath(repo_path, self.project.root) if self.project.root else repo_path

    def _stage_verdict(
        self,
        stage: Stage,
        changes: tuple[Change, ...],
        stale: tuple[Change, ...],
        missing: tuple[Change, ...],
    ) -> Verdict:
        lock_path = stage.pipeline.lock_path or normalize(
            posixpath.join(stage.pipeline.folder, "dvc.lock")
        )
        locked = bool(stage.pipeline.lock and stage.name in stage.pipeline.lock.stages)
        downstream = self.graph.downstream(stage.address) if stale else ()
        repro = stage.repro_command
        if downstream:  # re-run what follows it too, in one command
            repro = self.project.command(f"dvc repro --downstream {shlex.quote(stage.address)}")
        fix = f"{repro} && git add {shlex.quote(self.project.relative(lock_path))}"
        pull = self.project.command(f"dvc pull --with-deps {shlex.quote(stage.address)}")
        if _only_deleted_outs(missing):
            pull = self.project.command(f"dvc checkout {shlex.quote(stage.address)}")
        return Verdict(
            project=self.project,
            address=stage.address,
            path=stage.pipeline.path,
            line=stage.line,
            column=stage.column,
            kind="stage",
            changes=changes,
            stale=stale,
            missing=missing,
            skipped=self._skipped(stage),
            locked=locked,
            downstream=downstream,
            fix=fix,
            pull_fix=pull,
        )

    def _data_verdict(
        self,
        address: str,
        dvc_file: DvcFile,
        changes: tuple[Change, ...],
        stale: tuple[Change, ...],
        missing: tuple[Change, ...],
    ) -> Verdict:
        first = next((c for c in stale), None) or next(iter(missing), None)
        line = 0
        if first is not None and first.path is not None:
            path = self.repo_path(first.path)
            line = next((o.line for o in dvc_file.outs if o.repo_path == path), 0)
        outs = [c.path for c in stale if c.path] or [
            self._shown(o.repo_path) for o in dvc_file.outs
        ]
        add = " ".join(shlex.quote(o) for o in outs)
        fix = self.project.command(f"dvc add {add} && git add {shlex.quote(address)}")
        if dvc_file.is_import:  # imported data edited in place: restore it (or `dvc update`)
            fix = self.project.command(f"dvc checkout --force {shlex.quote(address)}")
        pull_cmd = "checkout" if _only_deleted_outs(missing) else "pull"
        return Verdict(
            project=self.project,
            address=address,
            path=dvc_file.path,
            line=line or 1,
            column=1,
            kind="data",
            changes=changes,
            stale=stale,
            missing=missing,
            downstream=self.graph.downstream(address) if stale else (),
            fix=fix,
            pull_fix=self.project.command(f"dvc {pull_cmd} {shlex.quote(address)}"),
        )

    def _skipped(self, stage: Stage) -> str | None:
        if stage.frozen:
            return "frozen"
        if stage.always_changed or (stage.cmd and not (stage.deps or stage.outs or stage.params)):
            return "always changed"
        names = {stage.address, stage.name, stage.definition, f"{stage.pipeline.path}:{stage.name}"}
        if any(fnmatch.fnmatchcase(n, pattern) for n in names for pattern in self.ignored):
            return "ignored by [tool.dvcflow.stale] ignore-stages"
        return None

    def _refine(self, stage: Stage | None, change: Change) -> Change:
        """Name the leaf keys of a dict-valued param that changed (`train.lr`, not `train`)."""
        if stage is None or change.kind != "params" or not change.keys:
            return change
        repo_path = self.repo_path(change.path or "")
        decl = next((p for p in stage.params if p.repo_path == repo_path), None)
        lock = stage.pipeline.lock.stages.get(stage.name) if stage.pipeline.lock else None
        if decl is None or lock is None:
            return change
        locked = lock.params.get(decl.file) or {}
        current = self._params(repo_path)
        keys: list[tuple[str, str]] = []
        for key, state in change.keys:
            keys.extend(_leaf_changes(key, state, locked.get(key, _NONE), _lookup(current, key)))
        return Change(change.kind, change.path, change.state, tuple(keys))

    def _params(self, repo_path: str) -> Any:
        if repo_path not in self._params_cache:
            try:
                text = self.ctx.workspace.read_text(repo_path)
                self._params_cache[repo_path] = parse_params(text, repo_path)
            except (DvcflowError, FileNotFoundError, ParamsError):
                self._params_cache[repo_path] = None
        return self._params_cache[repo_path]


_NONE = object()


def _lookup(data: Any, key: str) -> Any:
    if data is None:
        return _NONE
    try:
        return lookup(data, key)
    except KeyError:
        return _NONE


def _leaf_changes(key: str, state: str, old: Any, new: Any) -> list[tuple[str, str]]:
    """`train modified` -> `train.lr modified` when both sides are mappings."""
    if state != "modified" or not isinstance(old, dict) or not isinstance(new, dict):
        return [(key, state)]
    found: list[tuple[str, str]] = []
    for name in dict.fromkeys([*new, *old]):
        child = f"{key}.{name}"
        if name not in old:
            found.append((child, "new"))
        elif name not in new:
            found.append((child, "deleted"))
        elif old[name] != new[name]:
            found.extend(_leaf_changes(child, "modified", old[name], new[name]))
    return found or [(key, state)]


def _only_deleted_outs(missing: Iterable[Change]) -> bool:
    items = list(missing)
    return bool(items) and all(c.kind == "out" and c.state == "deleted" for c in items)


def judge(
    ctx: Context,
    project: DvcProject,
    pipelines: list[Pipeline],
    dvc_files: list[str],
    raw: RawStatus,
    ignored: list[str],
) -> list[Verdict]:
    """Verdicts for every stage and `.dvc` file `dvc status` reports a change for."""
    stages = [s for p in pipelines for s in p.stages]
    data: list[tuple[str, DvcFile]] = []
    for path in dvc_files:
        loaded = load_dvc_file(ctx.workspace, path)
        if loaded is not None:
            data.append((project.relative(path), loaded))
    data_hashes: dict[str, HashId] = {
        o.repo_path: (("md5" if o.hash == "md5" else "md5-dos2unix"), o.md5)
        for _, f in data
        for o in f.outs
    }
    dep_hashes, out_hashes = _recorded_hashes(stages, data, data_hashes)
    judge_ = _Judge(
        ctx=ctx,
        project=project,
        stages={s.address: s for s in stages},
        data=dict(data),
        graph=_build_graph(stages, data),
        dep_hashes=dep_hashes,
        out_hashes=out_hashes,
        ignored=ignored,
    )
    return [judge_.verdict(address, entries) for address, entries in raw.items()]


def project_dir(root: Path, project: DvcProject) -> str:
    return str(root / project.root) if project.root else str(root)
