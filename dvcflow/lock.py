"""dvc.lock (schema 2.0) as a model: what DVC recorded for each stage when it last ran."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dvcflow.yamlio import child, position


@dataclass(frozen=True)
class LockEntry:
    """A dep or out as dvc.lock records it. `path` is relative to the stage's wdir."""

    path: str
    md5: str | None
    hash: str | None  # "md5" for DVC 3 raw-md5 entries; None for DVC 2.x (legacy dos2unix md5)
    size: int | None
    nfiles: int | None
    line: int
    raw: dict[str, Any]

    @property
    def is_dir(self) -> bool:
        return bool(self.md5 and self.md5.endswith(".dir"))


@dataclass(frozen=True)
class LockStage:
    name: str
    cmd: str | list[str] | None
    deps: tuple[LockEntry, ...]
    outs: tuple[LockEntry, ...]
    params: dict[str, dict[str, Any]]  # params file (relative to wdir) -> key -> value
    line: int


@dataclass
class LockFile:
    path: str
    stages: dict[str, LockStage] = field(default_factory=dict)


def _entry(raw: Any, line: int) -> LockEntry | None:
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
        line=line,
        raw=raw,
    )


def _entries(raw: Any, lines: list[int]) -> tuple[LockEntry, ...]:
    if not isinstance(raw, list):
        return ()
    found = (_entry(item, lines[i] if i < len(lines) else 0) for i, item in enumerate(raw))
    return tuple(e for e in found if e is not None)


def parse_lock(path: str, data: Any, tree: Any) -> LockFile:
    """Build the model from already-validated YAML data (see dvcflow.schema.validate_lock)."""
    lock = LockFile(path)
    stages = data.get("stages") if isinstance(data, dict) else None
    if not isinstance(stages, dict):
        return lock
    tree_stages = child(tree, "stages")
    for name, body in stages.items():
        if not isinstance(body, dict):
            continue
        tree_body = child(tree_stages, name)
        params = body.get("params")
        lock.stages[str(name)] = LockStage(
            name=str(name),
            cmd=body.get("cmd"),
            deps=_entries(body.get("deps"), _item_lines(tree_body, "deps")),
            outs=_entries(body.get("outs"), _item_lines(tree_body, "outs")),
            params={
                str(f): dict(v) if isinstance(v, dict) else {}
                for f, v in (params.items() if isinstance(params, dict) else ())
            },
            line=position(tree_stages, name)[0],
        )
    return lock


def _item_lines(tree_body: Any, key: str) -> list[int]:
    items = child(tree_body, key)
    if not isinstance(items, list):
        return []
    return [position(items, i)[0] for i in range(len(items))]
