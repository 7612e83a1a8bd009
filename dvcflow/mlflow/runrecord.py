"""What `dvcflow-repro` and `dvcflow.mlflow.stage_run` record about a pipeline run, in MLflow terms.

Pure functions over dvcflow's pipeline model (no mlflow, no dvc import):

- keys: MLflow accepts param and tag keys of at most 250 characters made of letters, digits,
  `_ - . / space` (`:` too, except on Windows) that are normalised paths; `mlflow_key` maps
  any name to such a key (a digest keeps long or clashing names apart);
- params: the keys each stage declares in `params:` (a whole file when it declares no keys),
  read from the workspace and flattened with dots (`train.optimizer.lr`); keys of the
  project's `params.yaml` as they are, keys of other files prefixed with the file's path
  (`configs/model.yaml/depth`); values rendered like YAML scalars (`true`, `0.1`, `[8, 4]`)
  and cut at MLflow's 6000 characters;
- data versions: the hash dvc.lock records for every output of every stage, and the hash a
  `.dvc` file records for every input the stages depend on;
- the stage log: which stages `dvc repro` ran, skipped, restored from its run cache or failed,
  read from DVC's own log lines (`Running stage 'train':`, `Stage 'train' didn't change,
  skipping`, `Stage 'train' is cached - skipping run, ...`, `ERROR: failed to reproduce ...`);
- the hashes of a stage's deps at the moment its command runs (what `stage_run` tags).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from dvcflow.dvc.dvcfiles import DvcFile
from dvcflow.dvc.hashing import collect_folder, folder_md5, snapshot_file_md5
from dvcflow.dvc.params import DEFAULT_PARAMS_FILE, ParamsError, lookup, read_params
from dvcflow.dvc.pipeline import Pipeline, Stage
from dvcflow.dvc.projects import DvcProject, ProjectMap
from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot, is_within, normalize
from dvcflow.requirements.discover import is_dependency_file

MAX_KEY_LENGTH = 250  # mlflow.utils.validation.MAX_ENTITY_KEY_LENGTH
MAX_PARAM_VALUE_LENGTH = 6000  # MAX_PARAM_VAL_LENGTH
MAX_TAG_VALUE_LENGTH = 8000  # MAX_TAG_VAL_LENGTH
MAX_BATCH = 100  # MAX_PARAMS_TAGS_PER_BATCH: params (or tags) per log-batch request

# Exported by dvcflow-repro to `dvc repro` and so to every stage command.
PARENT_ENV = "DVCFLOW_PARENT_RUN_ID"
EXPERIMENT_ENV = "DVCFLOW_EXPERIMENT_ID"
CWD_ENV = "DVCFLOW_REPRO_CWD"  # where `dvc repro` runs: DVC_STAGE addresses are relative to it

STAGE_TAG = "dvcflow.stage"
DEP_TAG_PREFIX = "dvcflow.dep."
DATA_TAG_PREFIX = "dvcflow.data."
SUMMARY_ARTIFACT = "dvcflow-repro.json"

_BAD_KEY_CHARS = re.compile(r"[^\w./\- ]")  # no `:`: MLflow refuses it on Windows
_ANSI = re.compile(rb"\x1b\[[0-9;?]*[ -/]*[@-~]")
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_RAN = re.compile(r"^Running stage '(?P<stage>.+)':$")
_SKIPPED = re.compile(r"^Stage '(?P<stage>.+)' didn't change, skipping$")
_CACHED = re.compile(r"^Stage '(?P<stage>.+)' is cached - skipping run, checking out outputs$")
_FAILED = re.compile(r"^ERROR: failed to reproduce(?: stages:)? (?P<names>'.*)$")
_NAME_IN_LIST = re.compile(r"'([^']*)'(?:(, | and )|(?=$|:))")

STATUSES = ("ran", "failed", "cached", "skipped")
T = TypeVar("T")


# -- keys and values -------------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]


def mlflow_key(name: str, limit: int = MAX_KEY_LENGTH) -> str:
    """A key MLflow accepts for a param or tag: valid characters, a normalised path, <= limit."""
    key = _BAD_KEY_CHARS.sub("_", name)
    key = "/".join(part if part not in ("", ".", "..") else "_" for part in key.split("/"))
    if len(key) > limit:
        key = f"{key[: limit - 9]}-{_digest(name)}"
    return key


@dataclass
class KeyBook:
    """Maps names to distinct MLflow keys (two names never share a key)."""

    _owners: dict[str, str] = field(default_factory=dict)

    def key(self, name: str) -> str:
        key = mlflow_key(name)
        if self._owners.setdefault(key, name) != name:
            key = mlflow_key(f"{key[: MAX_KEY_LENGTH - 9]}-{_digest(name)}")
            self._owners[key] = name
        return key


def clip(text: str, limit: int) -> str:
    """The text cut to `limit` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def param_text(value: Any) -> str:
    """A param value as YAML would show it: `0.1`, `true`, `null`, `[8, 4]`, `adam`."""
    if isinstance(value, str):
        return value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def flatten(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    """Nested mappings as dotted keys; lists and scalars are leaves."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from flatten(f"{prefix}.{key}" if prefix else str(key), item)
    elif prefix:
        yield prefix, value


def batches(items: Sequence[T], size: int = MAX_BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- the pipelines of one `dvc repro` --------------------------------------------------------


def project_pipelines(pipelines: Iterable[Pipeline], project: DvcProject | None) -> list[Pipeline]:
    """The pipelines of the DVC project `dvc repro` runs in (all of them if it is unknown)."""
    return [p for p in pipelines if project is None or p.project.root == project.root]


@dataclass
class Params:
    values: dict[str, str] = field(default_factory=dict)  # param name -> value text
    problems: list[str] = field(default_factory=list)


def _param_name(project: DvcProject, repo_path: str, key: str) -> str:
    relative = project.relative(repo_path)
    return key if relative == DEFAULT_PARAMS_FILE else f"{relative}/{key}"


def pipeline_params(pipelines: Sequence[Pipeline], snapshot: Snapshot) -> Params:
    """The params every stage declares, flattened, as read from the workspace now."""
    found = Params()
    files: dict[str, dict[str, Any] | None] = {}
    for pipeline in pipelines:
        for stage in pipeline.stages:
            for decl in stage.params:
                if decl.repo_path not in files:
                    files[decl.repo_path] = _read_params(snapshot, decl.repo_path, found)
                data = files[decl.repo_path]
                if data is None:
                    continue
                for key in decl.keys if decl.keys is not None else tuple(data):
                    try:
                        value = lookup(data, key)
                    except KeyError:
                        continue  # DVC itself reports a missing param key
                    for name, leaf in flatten(key, value):
                        full = _param_name(pipeline.project, decl.repo_path, name)
                        found.values[full] = param_text(leaf)
    return found


def _read_params(snapshot: Snapshot, path: str, found: Params) -> dict[str, Any] | None:
    try:
        return read_params(snapshot, path)
    except FileNotFoundError:
        found.problems.append(f"{path}: not found")
    except (ParamsError, DvcflowError) as exc:
        found.problems.append(f"{path}: {getattr(exc, 'message', exc)}")
    return None


def data_versions(pipelines: Sequence[Pipeline], dvc_files: Sequence[DvcFile]) -> dict[str, str]:
    """Repo path -> hash: every stage output (dvc.lock) and every `.dvc`-tracked input."""
    versions: dict[str, str] = {}
    deps: set[str] = set()
    for pipeline in pipelines:
        for stage in pipeline.stages:
            deps.update(dep.repo_path for dep in stage.deps)
            locked = pipeline.lock.stages.get(stage.name) if pipeline.lock else None
            for out in locked.outs if locked else ():
                if out.md5:
                    versions[stage.resolve_path(out.path)] = out.md5
    for dvc_file in dvc_files:
        for tracked in dvc_file.outs:
            path = tracked.repo_path
            if tracked.md5 and any(is_within(path, d) or is_within(d, path) for d in deps):
                versions[path] = tracked.md5
    return dict(sorted(versions.items()))


def lock_paths(pipelines: Sequence[Pipeline]) -> list[str]:
    """The dvc.lock of every pipeline (whether it exists yet or not)."""
    return sorted({normalize(posixpath.join(p.folder, "dvc.lock")) for p in pipelines})


def input_files(pipelines: Sequence[Pipeline], snapshot: Snapshot, project_root: str) -> list[str]:
    """Files logged as the run's inputs: dvc.yaml, params and vars files, dependency files.

    Dependency declarations (`requirements*.txt`, `pyproject.toml`, lock files, ...) are taken
    from the repository's root and the DVC project's root.
    """
    found: set[str] = set()
    for pipeline in pipelines:
        found.add(pipeline.path)
        found.update(pipeline.vars_files)
        found.update(decl.repo_path for stage in pipeline.stages for decl in stage.params)
    folders = {"", project_root}
    found.update(
        p for p in snapshot.files() if posixpath.dirname(p) in folders and is_dependency_file(p)
    )
    return sorted(p for p in found if not p.startswith("../") and snapshot.is_file(p))


# -- what `dvc repro` did --------------------------------------------------------------------


def _failed_names(text: str) -> list[str]:
    """The stage names DVC lists before its reason: `'a', 'b' and 'c': reason` (quoted names
    in the reason, such as paths and hosts, are not stages)."""
    names: list[str] = []
    position = 0
    while matched := _NAME_IN_LIST.match(text, position):
        names.append(matched[1])
        if not matched[2]:
            break
        position = matched.end()
    return names


class StageLog:
    """Stage outcomes read from DVC's log lines; fed raw output bytes from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, bytes] = {}
        self.stages: dict[str, str] = {}  # DVC address -> ran | failed | cached | skipped

    def feed(self, data: bytes, stream: str = "out") -> None:
        with self._lock:
            lines = _LINE_BREAK.split(self._pending.get(stream, b"") + data)
            self._pending[stream] = lines.pop()
            for line in lines:
                self._line(line)

    def close(self) -> None:
        with self._lock:
            for rest in self._pending.values():
                self._line(rest)
            self._pending.clear()

    def _line(self, raw: bytes) -> None:
        text = _ANSI.sub(b"", raw).decode("utf-8", "replace").strip()
        if failed := _FAILED.match(text):
            for name in _failed_names(failed["names"]):
                self.stages[name] = "failed"
            return
        for pattern, status in ((_RAN, "ran"), (_SKIPPED, "skipped"), (_CACHED, "cached")):
            if matched := pattern.match(text):
                if self.stages.get(matched["stage"]) != "failed":
                    self.stages[matched["stage"]] = status
                return

    def having(self, status: str) -> list[str]:
        return [name for name, found in self.stages.items() if found == status]


# -- a stage's deps, from inside its command --------------------------------------------------


def split_address(address: str) -> tuple[str, str]:
    """(dvc.yaml path relative to DVC's working folder, stage name) from `DVC_STAGE`."""
    path, sep, name = address.rpartition(":")
    return (path, name) if sep and path else ("dvc.yaml", address)


def find_stage(pipelines: Sequence[Pipeline], address: str, bases: Sequence[str]) -> Stage | None:
    """The stage `DVC_STAGE` names; `bases` are repo-relative folders DVC may have run in."""
    path, name = split_address(address)
    for base in bases:
        yaml_path = normalize(posixpath.join(base, path))
        for pipeline in pipelines:
            if pipeline.path == yaml_path and (stage := pipeline.stage(name)) is not None:
                return stage
    return None


def path_md5(snapshot: Snapshot, path: str, projects: ProjectMap) -> str | None:
    """The raw md5 (`hash: md5`) DVC 3 records for a file, or `<md5>.dir` for a folder."""
    if snapshot.is_file(path):
        return snapshot_file_md5(snapshot, path)
    if not snapshot.is_dir(path):
        return None
    listing = collect_folder(
        snapshot.files_under(path),
        path,
        projects.owner(path),
        [p.root for p in projects.projects],
    )
    if listing.blocked:
        return None
    return folder_md5(path, listing.files, lambda p: snapshot_file_md5(snapshot, p))


def dep_hashes(stage: Stage, snapshot: Snapshot, projects: ProjectMap) -> dict[str, str]:
    """Repo path -> md5 of each of the stage's deps inside the repository, as they are now."""
    hashes: dict[str, str] = {}
    for dep in stage.deps:
        path = dep.repo_path
        if path.startswith("../") or path == ".." or "://" in dep.path:
            continue
        md5 = path_md5(snapshot, path, projects)
        if md5 is not None:
            hashes[path] = md5
    return hashes
