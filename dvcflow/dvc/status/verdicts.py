"""Verdicts: DVC's status of a project turned into what `dvc repro --allow-missing` would do.

Each reported change is either *stale* (a modified or new dep, changed params, a modified
output, a changed command) or *missing* data (a deleted dep, an output deleted or not in the
cache). A deleted dep still counts as stale when the stage that produces it recorded another
version of it than this stage's dvc.lock entry (DVC's `upstream` check).
"""

from __future__ import annotations

import fnmatch
import posixpath
import shlex
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from dvcflow.dvc.dvcfiles import DvcFile, load_dvc_file
from dvcflow.dvc.params import ParamsError, lookup, read_params
from dvcflow.dvc.pipeline import Pipeline, Stage
from dvcflow.dvc.projects import DvcProject
from dvcflow.dvc.status.model import RawStatus, StatusEntry
from dvcflow.dvc.status.report import MISSING_STATES, Change, ChangeKind, Verdict
from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import normalize

if TYPE_CHECKING:
    from dvcflow.context import Context


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


class _Graph:
    """Which stages consume which outputs, as DVC's stage graph connects them."""

    def __init__(
        self,
        producers: dict[str, str],
        outs_sorted: list[str],
        consumers: dict[str, list[str]],
        order: dict[str, int],
    ) -> None:
        self.producers = producers  # output path (repo-relative) -> address
        self.outs_sorted = outs_sorted
        self.consumers = consumers  # address -> addresses depending on it
        self.order = order

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


class _Judge:
    """Turns one project's raw status into verdicts."""

    def __init__(
        self,
        ctx: Context,
        project: DvcProject,
        stages: dict[str, Stage],
        data: dict[str, DvcFile],
        graph: _Graph,
        dep_hashes: dict[tuple[str, str], HashId],
        out_hashes: dict[str, HashId],
        ignored: list[str],
    ) -> None:
        self.ctx = ctx
        self.project = project
        self.stages = stages
        self.data = data
        self.graph = graph
        self.dep_hashes = dep_hashes
        self.out_hashes = out_hashes
        self.ignored = ignored
        self._params_cache: dict[str, Any] = {}

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
            where=lambda: (stage.line, stage.column),
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
        path = self.repo_path(first.path) if first is not None and first.path else None

        def where() -> tuple[int, int]:
            line = next((o.line for o in dvc_file.outs if o.repo_path == path), 0)
            return (line or 1, 1)

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
            where=where,
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
                self._params_cache[repo_path] = read_params(self.ctx.workspace, repo_path)
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
