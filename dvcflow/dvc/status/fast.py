"""`dvc status` for one DVC project without importing DVC: the staleness rules' fast path.

It recomputes what DVC's `Stage.status()` computes (dvc/stage/__init__.py, dvc/output.py,
dvc/dependency/param.py) for the common case, entry for entry, in DVC's own result format
(`{"train": [{"changed deps": {"params.yaml": {"train.lr": "modified"}}}]}`):

- a dep or out is `deleted` when absent, `modified` when its md5 differs from the lock entry
  (raw md5 for `hash: md5`, legacy dos2unix md5 without it, the `.dir` manifest hash for a
  folder, `.dvcignore` respected), `not in cache` when a cached out's objects are missing;
- params are read like DVC (`YAML(typ="safe")`, JSON, TOML, Python) and looked up like
  `dpath.get`;
- `changed command` when dvc.lock records another cmd; `always changed` for `always_changed`
  stages and stages with a cmd but no deps and no outs.

Also modelled as DVC does: params files in YAML, JSON, TOML and Python; `.dvcignore` with
negated patterns (`ignore`); a dep `.dvcignore` ignores (DVC does not apply it to deps); deps
outside a DVC project in a sub-folder (files); frozen stages (outputs only); `cache.shared`.
Imports (`dvc import`, `dvc import-url`) are judged on their output, as the hand-over does;
their source and a stage's URL deps would need the network and are reported as not checked.

The pieces: `config` (DVC's config levels), `statedb` (DVC's hash cache, read-only),
`workspace` (stat, walk, hash, cache probes), `ignore` (`.dvcignore`), `plan` (what each stage
compares). A stage this module does not fully understand (a symlink, a folder dep outside the
project, unusual lock fields...) raises `Unsupported` and goes alone to DVC (`handover`).
tests/test_rules_stale.py checks it against `dvc status` on generated repositories.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dvcflow.dvc.params import AmbiguousParamKey, has_empty_key, lookup
from dvcflow.dvc.pipeline import Pipeline
from dvcflow.dvc.projects import DvcProject
from dvcflow.dvc.status.config import read_settings
from dvcflow.dvc.status.model import RawStatus, StatusEntry, Unsupported
from dvcflow.dvc.status.plan import EntryPlan, ParamsPlan, Planner, StagePlan
from dvcflow.dvc.status.statedb import (  # noqa: F401 - re-exported for tests/test_rules_stale.py
    SQLITE_MAX_VARIABLES,
    StateDb,
    _state_path,
    decode_entries,
    state_checksum,
)
from dvcflow.dvc.status.workspace import DirNode, Node, Workspace
from dvcflow.dvc.yamlio import load_yaml
from dvcflow.git.snapshot import Snapshot

if TYPE_CHECKING:
    from dvcflow.git.blobcache import BlobCache


def _node(ws: Workspace, entry: EntryPlan) -> Node:
    """The entry's file or folder; folders DVC walks differently are left to DVC."""
    if entry.outside or ws.ignore.active:
        full = ws.absolute(entry.repo_path)
        if entry.outside and os.path.isdir(full):
            raise Unsupported(f"{entry.shown} is a folder outside the DVC project")
        if not entry.outside and ws.ignore.is_ignored(entry.repo_path) and os.path.isdir(full):
            raise Unsupported(f"{entry.shown} is a .dvcignored folder")
    return ws.node(entry.repo_path)


def _dep_status(ws: Workspace, entry: EntryPlan) -> str | None:
    node = _node(ws, entry)
    if node is None:
        return "deleted"
    actual = ws.md5(node, entry.name)
    return None if entry.md5 is not None and actual == entry.md5 else "modified"


def _out_status(ws: Workspace, entry: EntryPlan) -> str | None:
    if entry.md5 is not None and entry.use_cache and not ws.in_cache(entry.md5, entry.name):
        return "not in cache"
    return _dep_status(ws, entry)


def _params_status(ws: Workspace, plan: ParamsPlan) -> str | dict[str, str] | None:
    node = ws.node(plan.repo_path)
    if node is None:
        return "deleted"
    if isinstance(node, DirNode):
        raise Unsupported(f"{plan.shown} is a folder")
    if plan.locked is None:
        return "new"
    config = ws.params(node.path, plan.repo_path)
    if plan.keys is None:
        actual = config
        info = plan.locked
        keys = list(dict.fromkeys([*actual, *info]))
    else:
        actual = _tracked_values(config, plan.keys)
        info = {k: plan.locked[k] for k in plan.keys if k in plan.locked}
        keys = list(dict.fromkeys(plan.keys))
    changes: dict[str, str] = {}
    for key in keys:
        if key not in actual:
            changes[key] = "deleted"
        elif key not in info:
            changes[key] = "new"
        elif actual[key] != info[key]:
            changes[key] = "modified"
    return changes or None


def _tracked_values(config: Any, keys: Iterable[str]) -> dict[str, Any]:
    """`read_param_file(..., flatten=True)`: the keys DVC finds, by `params.lookup`."""
    if has_empty_key(config):
        raise Unsupported("a params file has an empty key (left to DVC's dpath settings)")
    actual: dict[str, Any] = {}
    for key in keys:
        try:
            actual[key] = lookup(config, key)
        except AmbiguousParamKey as exc:
            raise Unsupported(f"param key {key!r} is ambiguous") from exc
        except KeyError:
            continue
    return actual


def plan_status(ws: Workspace, plan: StagePlan) -> RawStatus:
    """`Stage.status()` for one planned stage, in DVC's format."""
    result: list[StatusEntry] = []
    if not plan.frozen:
        deps: dict[str, Any] = {}
        for entry in plan.deps:
            if (dep := _dep_status(ws, entry)) is not None:
                deps[entry.shown] = dep
        for params in plan.params:
            if (param := _params_status(ws, params)) is not None:
                deps[params.shown] = param
        if deps:
            result.append({"changed deps": deps})
    outs: dict[str, Any] = {}
    for entry in plan.outs:
        if (out := _out_status(ws, entry)) is not None:
            outs[entry.shown] = out
    if outs:
        result.append({"changed outs": outs})
    if plan.always_changed:
        result.append("always changed")
    if plan.command_changed:
        result.append("changed command")
    return {plan.address: result} if result else {}


def _touch_nodes(ws: Workspace, plan: StagePlan) -> None:
    """Stat and walk every path of a stage up front, so state entries load in one batch."""
    entries = [*plan.outs] if plan.frozen else [*plan.deps, *plan.outs]
    for entry in entries:
        _node(ws, entry)
    if not plan.frozen:
        for params in plan.params:
            ws.node(params.repo_path)


class FastStatus:
    """One project's status as far as the fast path judged it.

    `handed` names the stages and `.dvc` files (by address) it left to DVC, with why; they are
    absent from `raw`. `not_checked` names what neither engine checks in a commit hook (an
    import's upstream source: `dvc update`'s business, over the network).
    """

    def __init__(self) -> None:
        self.raw: RawStatus = {}
        self.handed: dict[str, str] = {}
        self.not_checked: dict[str, str] = {}
        self.judged = 0  # stages and `.dvc` files judged here


def project_status(
    root: Path,
    project: DvcProject,
    pipelines: list[Pipeline],
    dvc_files: list[str],
    snapshot: Snapshot,
    nested_roots: tuple[str, ...] = (),
    memo: BlobCache | None = None,
) -> FastStatus:
    """`Repo.status()` of one DVC project, computed here as far as it can be.

    A stage the fast path does not model is handed over alone (`FastStatus.handed`); what
    concerns the whole project (DVC config it does not model, a legacy Dvcfile) raises
    Unsupported. `memo` keeps folder hashes between runs, keyed by their files' stat signature.
    """
    real_root = os.path.realpath(root)
    settings = read_settings(os.path.join(real_root, project.root) if project.root else real_root)
    if any(p.problems for p in pipelines):
        raise Unsupported("a dvc.yaml or dvc.lock DVC would refuse")
    if any(posixpath.basename(f) == "Dvcfile" for f in snapshot.files() if project.contains(f)):
        raise Unsupported("a legacy Dvcfile")
    result = FastStatus()
    ws = Workspace(real_root, project, nested_roots, settings, StateDb.for_project(settings))
    plans = _plans(Planner(project, real_root, ws.ignore), pipelines, dvc_files, snapshot, result)
    ws.memo = memo
    ws.load_yaml = lambda text: snapshot.parsed_text(text, load_yaml)
    try:
        for plan in plans:
            try:
                _touch_nodes(ws, plan)
            except Unsupported as exc:
                result.handed[plan.address] = str(exc)
        ws.prefetch()
        for plan in plans:
            if plan.address not in result.handed:
                try:
                    result.raw.update(plan_status(ws, plan))
                    result.judged += 1
                except Unsupported as exc:
                    result.handed[plan.address] = str(exc)
                else:
                    if plan.not_checked:
                        result.not_checked[plan.address] = plan.not_checked
        return result
    finally:
        ws.state.close()


def _plans(
    planner: Planner,
    pipelines: list[Pipeline],
    dvc_files: list[str],
    snapshot: Snapshot,
    result: FastStatus,
) -> list[StagePlan]:
    """Each stage's and `.dvc` file's plan; what the fast path cannot plan is handed over."""
    plans: list[StagePlan] = []
    for stage in (s for p in pipelines for s in p.stages):
        try:
            plans.append(planner.stage(stage))
        except Unsupported as exc:
            result.handed[stage.address] = str(exc)
    for path in dvc_files:
        try:
            plans.append(planner.dvc_file(snapshot, path))
        except Unsupported as exc:
            result.handed[planner.shown(path)] = str(exc)
    return plans
