"""dvc.lock (schema 2.0) as a model: what DVC recorded for each stage when it last ran."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dvcflow.dvc.yamlio import YamlDocument, child, position

Line = Callable[[], int]


def _no_line() -> int:
    return 0


class LockEntry:
    """A dep or out as dvc.lock records it. `path` is relative to the stage's wdir."""

    def __init__(
        self,
        path: str,
        md5: str | None,
        hash: str | None,
        size: int | None,
        nfiles: int | None,
        raw: dict[str, Any],
        where: Line = _no_line,
    ) -> None:
        self.path = path
        self.md5 = md5
        self.hash = hash  # "md5" for DVC 3 raw-md5 entries; None for DVC 2.x (legacy dos2unix md5)
        self.size = size
        self.nfiles = nfiles
        self.raw = raw
        self.where = where

    @property
    def line(self) -> int:
        """Computed on first use, from the marks dvc.lock was parsed with."""
        return self.where()

    @property
    def is_dir(self) -> bool:
        return bool(self.md5 and self.md5.endswith(".dir"))


class LockStage:
    def __init__(
        self,
        name: str,
        cmd: str | list[str] | None,
        deps: tuple[LockEntry, ...],
        outs: tuple[LockEntry, ...],
        params: dict[str, dict[str, Any]],
        where: Line = _no_line,
    ) -> None:
        self.name = name
        self.cmd = cmd
        self.deps = deps
        self.outs = outs
        self.params = params  # params file (relative to wdir) -> key -> value
        self.where = where

    @property
    def line(self) -> int:
        return self.where()


class LockFile:
    def __init__(self, path: str, stages: dict[str, LockStage] | None = None) -> None:
        self.path = path
        self.stages: dict[str, LockStage] = {} if stages is None else stages


def _entry(raw: Any, where: Line) -> LockEntry | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("path"), str):
        return None
    md5 = raw.get("md5") or raw.get("etag") or raw.get("checksum")
    size, nfiles = raw.get("size"), raw.get("nfiles")
    return LockEntry(
        path=raw["path"],
        md5=str(md5) if md5 is not None else None,
        hash=raw.get("hash") if isinstance(raw.get("hash"), str) else None,
        size=size if isinstance(size, int) else None,
        nfiles=nfiles if isinstance(nfiles, int) else None,
        raw=raw,
        where=where,
    )


def _entries(raw: Any, document: YamlDocument, stage: str, key: str) -> tuple[LockEntry, ...]:
    if not isinstance(raw, list):
        return ()
    found = (_entry(item, _item_line(document, stage, key, i)) for i, item in enumerate(raw))
    return tuple(e for e in found if e is not None)


def parse_lock(path: str, document: YamlDocument) -> LockFile:
    """Build the model from already-validated YAML (see dvcflow.dvc.schema.validate_lock)."""
    data = document.data
    lock = LockFile(path)
    stages = data.get("stages") if isinstance(data, dict) else None
    if not isinstance(stages, dict):
        return lock
    for name, body in stages.items():
        if not isinstance(body, dict):
            continue
        params = body.get("params")
        lock.stages[str(name)] = LockStage(
            name=str(name),
            cmd=body.get("cmd"),
            deps=_entries(body.get("deps"), document, name, "deps"),
            outs=_entries(body.get("outs"), document, name, "outs"),
            params={
                str(f): dict(v) if isinstance(v, dict) else {}
                for f, v in (params.items() if isinstance(params, dict) else ())
            },
            where=_stage_line(document, name),
        )
    return lock


def _stage_line(document: YamlDocument, stage: str) -> Line:
    return lambda: position(child(document.tree, "stages"), stage)[0]


def _item_line(document: YamlDocument, stage: str, key: str, index: int) -> Line:
    def where() -> int:
        items = child(child(child(document.tree, "stages"), stage), key)
        return position(items, index)[0] if isinstance(items, list) else 0

    return where
