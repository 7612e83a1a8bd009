"""Which MLflow runs a commit links to, and the queued work that tags them.

Settings come from `[tool.dvcflow.mlflow]` in pyproject.toml, falling back to MLflow's own
environment variables (`MLFLOW_TRACKING_URI`, `MLFLOW_EXPERIMENT_NAME`, `MLFLOW_EXPERIMENT_ID`).
With no experiment configured, every active experiment is searched.

Match `parent-commit` (the default) picks ONE top-level run: among the FINISHED runs without
`mlflow.parentRunId`, started after the commit's parent was committed and not after the
commit itself, not tagged by dvcflow for another commit, whose `dvcflow.dvc_lock.md5` tag (when
present) equals the md5 of a committed dvc.lock and whose `mlflow.source.git.branch` (when
present) is the commit's branch: the newest one whose dvc.lock md5 tag matches exactly, else
the newest one whose `mlflow.source.git.commit` is a parent of the commit. A run older than
one that another commit already claimed from the same source (same source commit or dvc.lock
md5, same source branch) is superseded: an amend or a sibling commit never picks it. Match
`since-parent` takes every such run, whatever its source commit. Each chosen run is tagged
with all of its nested runs, recursively.

Tags: `dvcflow.git.commit` (full SHA), `dvcflow.git.branch`, `dvcflow.git.commit_time`
(ISO 8601), and `dvcflow.git.rewritten_from` when an amend or rebase moved them. MLflow's own
`mlflow.*` tags are never written. A run's `dvcflow.git.commit` is written last (children first,
the chosen run's tags in one batch), so an interrupted delivery is redone from scratch.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from dvcflow.config import Config
from dvcflow.errors import DvcflowError
from dvcflow.git.commits import SHA, CommitFacts
from dvcflow.mlflow.redact import sanitize_uri
from dvcflow.mlflow.rest import Run
from dvcflow.mlflow.store import (
    TrackingStore,
    default_tracking_uri,
    is_plain_path,
)

COMMIT_TAG = "dvcflow.git.commit"
BRANCH_TAG = "dvcflow.git.branch"
COMMIT_TIME_TAG = "dvcflow.git.commit_time"
REWRITTEN_FROM_TAG = "dvcflow.git.rewritten_from"
LOCK_MD5_TAG = "dvcflow.dvc_lock.md5"  # written on the parent run by `dvcflow-repro`
SOURCE_COMMIT_TAG = "mlflow.source.git.commit"
SOURCE_BRANCH_TAG = "mlflow.source.git.branch"
MATCH_MODES = ("parent-commit", "since-parent")
CLOCK_SKEW_MS = 60_000  # nested runs may start this much before their parent (other hosts)
LOCAL_STORE_ALLOWANCE = 20.0  # seconds added to the deadline for importing the mlflow client
MD5 = re.compile(r"^[0-9a-f]{32}$")


class Settings(NamedTuple):
    enabled: bool
    tracking_uri: str | None
    uri_source: str  # where the URI came from, for messages
    experiments: tuple[str, ...]  # names
    experiment_ids: tuple[str, ...]
    match: str
    timeout: float  # seconds for the whole hook's network work


def _absolute(uri: str, base: Path) -> str:
    """Local paths and `sqlite:///relative.db` made absolute against `base`."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return f"sqlite:///{(base / uri[len('sqlite:///') :]).resolve()}"
    return str((base / uri).resolve()) if is_plain_path(uri) else uri


def load_settings(
    config: Config,
    root: Path,
    *,
    cli_uri: str | None = None,
    cli_experiments: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """CLI options over `[tool.dvcflow.mlflow]` over MLflow's environment variables."""
    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()

    def option(key: str) -> Any:
        return config.option("mlflow", key)

    uri: str | None
    if cli_uri:
        uri, source = _absolute(cli_uri, cwd), "--tracking-uri"
    elif option("tracking-uri"):
        uri, source = _absolute(option("tracking-uri"), root), "[tool.dvcflow.mlflow] tracking-uri"
    elif env.get("MLFLOW_TRACKING_URI"):
        uri, source = _absolute(env["MLFLOW_TRACKING_URI"], cwd), "MLFLOW_TRACKING_URI"
    else:
        uri, source = default_tracking_uri(root), "MLflow's default local store"
    names: tuple[str, ...] = tuple(cli_experiments) or tuple(option("experiments"))
    ids: tuple[str, ...] = ()
    if not names:
        names = tuple(filter(None, [env.get("MLFLOW_EXPERIMENT_NAME", "").strip()]))
        ids = tuple(filter(None, [env.get("MLFLOW_EXPERIMENT_ID", "").strip()]))
    return Settings(
        enabled=bool(option("enabled")),
        tracking_uri=uri,
        uri_source=source,
        experiments=names,
        experiment_ids=ids,
        match=str(option("match")),
        timeout=float(option("timeout")),
    )


# -- queue entries ---------------------------------------------------------------------------


def _target(settings: Settings) -> dict[str, Any]:
    assert settings.tracking_uri is not None
    return {
        "uri": sanitize_uri(settings.tracking_uri),
        "experiments": list(settings.experiments),
        "experiment_ids": list(settings.experiment_ids),
    }


def tag_entry(facts: CommitFacts, settings: Settings) -> dict[str, Any]:
    """The queued work 'tag the runs behind this commit' (resolved when delivered)."""
    return {
        "op": "tag",
        **_target(settings),
        "match": settings.match,
        "commit": facts.sha,
        "parents": list(facts.parents),
        "parent_time": facts.parent_time,
        "commit_time": facts.commit_time,
        "commit_time_iso": facts.commit_time_iso,
        "branch": facts.branch,
        "lock_md5s": list(facts.lock_md5s),
    }


def move_entry(
    pairs: Sequence[tuple[str, str]],
    times: Mapping[str, str],
    branch: str | None,
    settings: Settings,
) -> dict[str, Any]:
    """The queued work 'move dvcflow's tags from rewritten commits to their new SHAs'."""
    return {
        "op": "move",
        **_target(settings),
        "pairs": [list(pair) for pair in pairs],
        "branch": branch,
        "times": {sha: times[sha] for _, sha in pairs if sha in times},
    }


# -- resolution ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What delivering one entry did (or, in a dry run, would do)."""

    entry: dict[str, Any]
    roots: list[Run] = field(default_factory=list)
    nested: list[Run] = field(default_factory=list)
    moved: int = 0
    experiment_ids: list[str] = field(default_factory=list)
    missing_experiments: list[str] = field(default_factory=list)
    no_store: bool = False


def _quoted(value: str, pattern: re.Pattern[str]) -> str:
    if not pattern.match(value):
        raise DvcflowError(f"refusing to search MLflow for a malformed value {value!r}")
    return f"'{value}'"


def experiment_ids(store: TrackingStore, entry: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(ids to search, configured names that do not exist)."""
    configured = [str(i) for i in entry.get("experiment_ids", [])]
    names = [str(n) for n in entry.get("experiments", [])]
    missing = [i for i in configured if not store.has_experiment(i)]
    ids = [i for i in configured if i not in missing]
    for name in names:
        found = store.experiment_id(name)
        if found is None:
            missing.append(name)
        elif found not in ids:
            ids.append(found)
    if not names and not configured:
        ids = store.all_experiment_ids()
    return ids, missing


def _eligible(run: Run, entry: Mapping[str, Any]) -> bool:
    """A top-level run that may be the run behind the entry's commit."""
    tags = run.tags
    if run.parent_id is not None or run.status != "FINISHED":
        return False
    if run.start_time >= (int(entry["commit_time"]) + 1) * 1000:
        return False
    if tags.get(COMMIT_TAG) not in (None, entry["commit"]):
        return False
    if LOCK_MD5_TAG in tags and tags[LOCK_MD5_TAG] not in entry["lock_md5s"]:
        return False
    branch = entry.get("branch")
    return not (branch and tags.get(SOURCE_BRANCH_TAG) not in (None, "", branch))


def _newest(runs: Iterable[Run], entry: Mapping[str, Any]) -> list[Run]:
    found = {r.run_id: r for r in runs if _eligible(r, entry)}
    return sorted(found.values(), key=lambda r: (r.start_time, r.run_id), reverse=True)


def _claimed(run: Run, entry: Mapping[str, Any]) -> bool:
    return run.parent_id is None and run.tags.get(COMMIT_TAG) not in (None, entry["commit"])


def _unsuperseded(runs: Sequence[Run], entry: Mapping[str, Any], key: str) -> list[Run]:
    """Runs not older than the newest run another commit already claimed from the same source.

    Runs sharing `key` (the source commit, or the dvc.lock md5) and MLflow's source branch (when
    both record one) are attempts at the same commit: once a commit claimed the newest of them,
    the older ones are superseded (an amend, or a later commit from the same parent, must not
    pick them up).
    """

    claimed = [r for r in runs if _claimed(r, entry)]

    def superseded(run: Run) -> bool:
        branch = run.tags.get(SOURCE_BRANCH_TAG)
        return any(
            c.start_time > run.start_time
            and c.tags.get(key) == run.tags.get(key)
            and (
                not branch
                or not c.tags.get(SOURCE_BRANCH_TAG)
                or c.tags.get(SOURCE_BRANCH_TAG) == branch
            )
            for c in claimed
        )

    return [r for r in runs if not superseded(r)]


def candidate_roots(
    store: TrackingStore, ids: Sequence[str], entry: Mapping[str, Any]
) -> list[Run]:
    """The top-level run(s) behind the entry's commit, newest first."""
    since = (
        f"attributes.status = 'FINISHED' AND attributes.start_time >= "
        f"{int(entry.get('parent_time') or 0) * 1000}"
    )
    if entry.get("match") == "since-parent":
        return _newest(store.search_runs(ids, since), entry)
    exact: list[Run] = []
    for md5 in entry["lock_md5s"]:
        query = f"tags.`{LOCK_MD5_TAG}` = {_quoted(md5, MD5)} AND {since}"
        exact.extend(store.search_runs(ids, query))
    if chosen := _newest(_unsuperseded(exact, entry, LOCK_MD5_TAG), entry):
        return chosen[:1]
    from_parent: list[Run] = []
    for parent in entry["parents"]:
        query = f"tags.`{SOURCE_COMMIT_TAG}` = {_quoted(parent, SHA)} AND {since}"
        from_parent.extend(store.search_runs(ids, query))
    return _newest(_unsuperseded(from_parent, entry, SOURCE_COMMIT_TAG), entry)[:1]


def descendants(store: TrackingStore, ids: Sequence[str], roots: Sequence[Run]) -> list[Run]:
    """Every run nested under the roots, recursively (parents before their children)."""
    if not roots:
        return []
    start = min(r.start_time for r in roots) - CLOCK_SKEW_MS
    search_in = sorted({*ids, *(r.experiment_id for r in roots)})
    children: dict[str, list[Run]] = {}
    for run in store.search_runs(search_in, f"attributes.start_time >= {max(start, 0)}"):
        if run.parent_id:
            children.setdefault(run.parent_id, []).append(run)
    found: list[Run] = []
    seen = {r.run_id for r in roots}
    frontier = [r.run_id for r in roots]
    while frontier:
        level = [c for parent in frontier for c in children.get(parent, []) if c.run_id not in seen]
        seen.update(c.run_id for c in level)
        found.extend(level)
        frontier = [c.run_id for c in level]
    return found


def _write_tags(store: TrackingStore, run_id: str, tags: Mapping[str, str | None]) -> None:
    values = {k: v for k, v in tags.items() if v}
    if any(k.startswith("mlflow.") for k in values):  # pragma: no cover - a programming error
        raise AssertionError("dvcflow never writes MLflow's own tags")
    store.set_tags(run_id, values)


def apply_tag(store: TrackingStore, entry: dict[str, Any], *, dry_run: bool) -> Outcome:
    ids, missing = experiment_ids(store, entry)
    outcome = Outcome(entry, experiment_ids=ids, missing_experiments=missing)
    if not ids:
        return outcome
    outcome.roots = candidate_roots(store, ids, entry)
    outcome.nested = descendants(store, ids, outcome.roots)
    if dry_run:
        return outcome
    tags = {
        COMMIT_TAG: entry["commit"],
        BRANCH_TAG: entry.get("branch"),
        COMMIT_TIME_TAG: entry["commit_time_iso"],
    }
    for run in [*outcome.nested[::-1], *outcome.roots]:  # the chosen runs last
        _write_tags(store, run.run_id, tags)
    return outcome


def apply_move(store: TrackingStore, entry: dict[str, Any], *, dry_run: bool) -> Outcome:
    ids, missing = experiment_ids(store, entry)
    outcome = Outcome(entry, experiment_ids=ids, missing_experiments=missing)
    if not ids:
        return outcome
    for old, new in entry["pairs"]:
        runs = list(store.search_runs(ids, f"tags.`{COMMIT_TAG}` = {_quoted(old, SHA)}"))
        for run in sorted(runs, key=lambda r: r.parent_id is None):
            if not dry_run:
                _write_tags(
                    store,
                    run.run_id,
                    {
                        COMMIT_TAG: new,
                        BRANCH_TAG: entry.get("branch"),
                        COMMIT_TIME_TAG: entry["times"].get(new),
                        REWRITTEN_FROM_TAG: old,
                    },
                )
            (outcome.nested if run.parent_id else outcome.roots).append(run)
        outcome.moved += len(runs)
    return outcome


def _is_str_list(value: Any, length: int | None = None) -> bool:
    return (
        isinstance(value, list)
        and all(isinstance(item, str) for item in value)
        and (length is None or len(value) == length)
    )


def entry_problem(entry: Mapping[str, Any]) -> str | None:
    """Why a queued entry cannot be delivered (a field missing or of the wrong type), or None."""
    fields: dict[str, Any]
    if entry.get("op") == "tag":
        fields = {
            "commit": lambda v: isinstance(v, str) and bool(SHA.match(v)),
            "commit_time": lambda v: isinstance(v, int),
            "commit_time_iso": lambda v: isinstance(v, str),
            "parents": _is_str_list,
            "lock_md5s": _is_str_list,
        }
    elif entry.get("op") == "move":
        fields = {
            "pairs": lambda v: isinstance(v, list) and all(_is_str_list(p, 2) for p in v),
            "times": lambda v: isinstance(v, dict),
        }
    else:
        return f"unknown operation {entry.get('op')!r}"
    fields["uri"] = lambda v: isinstance(v, str) and bool(v)
    for name, valid in fields.items():
        if name not in entry:
            return f"missing {name!r}"
        if not valid(entry[name]):
            return f"malformed {name!r}"
    for name in ("experiments", "experiment_ids"):
        if name in entry and not _is_str_list(entry[name]):
            return f"malformed {name!r}"
    return None


def apply_entry(store: TrackingStore, entry: dict[str, Any], *, dry_run: bool = False) -> Outcome:
    if entry.get("op") == "move":
        return apply_move(store, entry, dry_run=dry_run)
    if entry.get("op") == "tag":
        return apply_tag(store, entry, dry_run=dry_run)
    raise DvcflowError(f"unknown queued operation {entry.get('op')!r}")
