"""The machinery behind bench/generate.py: run a stage's command here and record it as DVC would.

`Workspace` writes files, runs each generated stage's command in-process, stores its outputs in
the DVC cache (objects read-only, as DVC leaves them) and writes dvc.lock entries in DVC's key
order; `Generated` is a built repository with its typical change. The repository kinds are in
bench/generate.py.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent
CACHE_MODE = 0o444  # DVC makes its cache objects read-only


def tool(name: str) -> str:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else name


def bench_env() -> dict[str, str]:
    """The environment the generators and the measured commands run in."""
    return {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@dvcflow.invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@dvcflow.invalid",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def use_bench_env(work: Path) -> None:
    """Set this process's environment (inherited by every command) for measuring.

    Python byte code is cached (as for an installed package) in a folder of ours, even when
    the caller's environment says PYTHONDONTWRITEBYTECODE; DVC's hash cache (which DVF2 reads
    too) lives in a folder of ours, not in /var/tmp/dvc.
    """
    os.environ.update(bench_env())
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["DVC_SITE_CACHE_DIR"] = str(work / "dvc-site-cache")


def must(args: list[str], cwd: Path) -> str:
    proc = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, check=False, env=bench_env()
    )
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed in {cwd}:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


# --------------------------------------------------------------------------- emulated DVC


@dataclass
class StageRun:
    """One stage as DVC runs and records it; paths relative to the dvc.yaml's folder."""

    name: str  # as in dvc.lock: `train`, `featurize@s03`, `train@a-f1`
    cmd: str
    deps: list[str]
    params: list[str]  # keys in the folder's params.yaml
    outs: dict[str, bytes]  # what the command writes


def _dump_yaml(data: Any) -> str:
    """YAML as DVC dumps it (dvc/utils/serialize/_yaml.py: round-trip, block style)."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[part]
    return data


class Workspace:
    """Writes files, remembers their hashes, and records stages and data as DVC does."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache = root / ".dvc" / "cache" / "files" / "md5"
        self._hashes: dict[str, tuple[str, int]] = {}
        self.params: dict[str, Any] = {}  # repo-relative params file -> data
        self._ignores: dict[str, dict[str, None]] = {}  # .gitignore -> lines
        self._dirty: set[str] = set()

    # -- files -----------------------------------------------------------------------------
    def write(self, rel: str, data: bytes | str) -> None:
        """Write a file unless it already has these bytes (DVC's state keeps its mtime)."""
        raw = data.encode("utf-8") if isinstance(data, str) else data
        path = self.root / rel
        if path.is_file() and path.stat().st_size == len(raw) and path.read_bytes() == raw:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.chmod(0o644)
        path.write_bytes(raw)
        self._hashes[rel] = (hashlib.md5(raw).hexdigest(), len(raw))

    def write_params(self, rel: str, data: dict[str, Any]) -> None:
        self.params[rel] = data
        self.write(rel, _dump_yaml(data))

    def file_hash(self, rel: str) -> tuple[str, int]:
        if rel not in self._hashes:
            md5 = hashlib.md5()
            with open(self.root / rel, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    md5.update(chunk)
            self._hashes[rel] = (md5.hexdigest(), (self.root / rel).stat().st_size)
        return self._hashes[rel]

    def files_under(self, rel: str) -> list[str]:
        found: list[str] = []
        for dirpath, _, filenames in os.walk(self.root / rel):
            base = Path(dirpath).relative_to(self.root).as_posix()
            found.extend(f"{base}/{name}" for name in filenames)
        return sorted(found)

    def dir_hash(self, rel: str) -> tuple[str, int, int, bytes]:
        """(md5 with `.dir`, total size, number of files, manifest) like dvc-data's Tree."""
        entries, size = [], 0
        for path in self.files_under(rel):
            md5, length = self.file_hash(path)
            entries.append({"md5": md5, "relpath": path[len(rel) + 1 :]})
            size += length
        entries.sort(key=lambda entry: entry["relpath"])
        manifest = json.dumps(entries, sort_keys=True).encode("utf-8")
        return hashlib.md5(manifest).hexdigest() + ".dir", size, len(entries), manifest

    # -- the DVC cache ---------------------------------------------------------------------
    def _cache_object(self, md5: str) -> Path:
        return self.cache / md5[:2] / md5[2:]

    def cache_file(self, rel: str, *, link: bool = False) -> None:
        """Put a file in the cache (a hard link for large data, as `cache.type hardlink`)."""
        target = self._cache_object(self.file_hash(rel)[0])
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if link:
            os.link(self.root / rel, target)
        else:
            shutil.copyfile(self.root / rel, target)
        target.chmod(CACHE_MODE)

    def cache_dir(self, rel: str) -> tuple[str, int, int]:
        md5, size, nfiles, manifest = self.dir_hash(rel)
        for path in self.files_under(rel):
            self.cache_file(path)
        target = self._cache_object(md5)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(manifest)
            target.chmod(CACHE_MODE)
        return md5, size, nfiles

    def ignore(self, rel: str) -> None:
        """`/name` in the .gitignore beside a DVC-managed path, as DVC adds it."""
        folder, _, name = rel.rpartition("/")
        path = f"{folder}/.gitignore" if folder else ".gitignore"
        if path not in self._ignores:
            existing = self.root / path
            lines = existing.read_text().splitlines() if existing.exists() else []
            self._ignores[path] = dict.fromkeys(lines)
        if f"/{name}" not in self._ignores[path]:
            self._ignores[path][f"/{name}"] = None
            self._dirty.add(path)

    def flush_ignores(self) -> None:
        for path in sorted(self._dirty):
            self.write(path, "".join(f"{line}\n" for line in self._ignores[path]))
        self._dirty.clear()

    # -- what `dvc add` and `dvc repro` record ---------------------------------------------
    def dvc_add(self, rel: str, *, link: bool = False) -> None:
        """`dvc add rel`: the .dvc file, the cache objects, the .gitignore entry."""
        if (self.root / rel).is_dir():
            md5, size, nfiles = self.cache_dir(rel)
            out: dict[str, Any] = {"md5": md5, "size": size, "nfiles": nfiles}
        else:
            self.cache_file(rel, link=link)
            md5, size = self.file_hash(rel)
            out = {"md5": md5, "size": size}
        out.update({"hash": "md5", "path": rel.rpartition("/")[2]})
        self.write(f"{rel}.dvc", _dump_yaml({"outs": [out]}))
        self.ignore(rel)
        self.flush_ignores()

    def _entry(self, folder: str, path: str) -> dict[str, Any]:
        rel = f"{folder}/{path}" if folder else path
        if (self.root / rel).is_dir():
            md5, size, nfiles, _ = self.dir_hash(rel)
            return {"path": path, "hash": "md5", "md5": md5, "size": size, "nfiles": nfiles}
        md5, size = self.file_hash(rel)
        return {"path": path, "hash": "md5", "md5": md5, "size": size}

    def repro(self, folder: str, stages: list[StageRun]) -> None:
        """Write every stage's outputs, cache them, and write dvc.lock as `dvc repro` does."""
        prefix = f"{folder}/" if folder else ""
        params_file = f"{prefix}params.yaml"
        locked: dict[str, Any] = {}
        for stage in stages:
            for path, content in stage.outs.items():
                self.write(prefix + path, content)
                self.cache_file(prefix + path)
                self.ignore(prefix + path)
            body: dict[str, Any] = {"cmd": stage.cmd}
            if stage.deps:
                body["deps"] = [self._entry(folder, d) for d in sorted(stage.deps)]
            if stage.params:
                data = self.params[params_file]
                body["params"] = {
                    "params.yaml": {k: _lookup(data, k) for k in sorted(stage.params)}
                }
            body["outs"] = [self._entry(folder, o) for o in stage.outs]
            locked[stage.name] = body
        self.write(f"{prefix}dvc.lock", _dump_yaml({"schema": "2.0", "stages": locked}))
        self.flush_ignores()


# --------------------------------------------------------------------------- repositories

CONCAT = '''\
"""Write this script's caller followed by its inputs: what every generated stage does."""

import sys
from pathlib import Path


def run(script: str) -> None:
    *inputs, output = sys.argv[1:]
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(b"".join(Path(p).read_bytes() for p in [script, *inputs]))
'''


def stage_script(doc: str, imports: Iterable[str], runner: str = "common") -> str:
    lines = [f'"""{doc}"""', "", *imports, "", f"{runner}.run(__file__)", ""]
    return "\n".join(lines)


def concat(ws: Workspace, folder: str, script: str, inputs: Iterable[str]) -> bytes:
    prefix = f"{folder}/" if folder else ""
    return b"".join((ws.root / (prefix + p)).read_bytes() for p in [script, *inputs])


def requirements() -> str:
    return f"dvc=={importlib.metadata.version('dvc')}\npyyaml==6.0.2\n"


@dataclass
class Generated:
    """A repository built and committed, and how to stage its typical change."""

    kind: str
    root: Path
    description: str
    change: Callable[[], str] = field(repr=False)  # stages the change, returns what it did


def init_repo(root: Path) -> Workspace:
    root.mkdir(parents=True)
    must(["git", "init", "-q", "-b", "main"], root)
    must([tool("dvc"), "init", "-q"], root)
    return Workspace(root)


def commit_all(root: Path, message: str) -> None:
    must(["git", "add", "-A"], root)
    must(["git", "commit", "-q", "--no-verify", "--no-gpg-sign", "-m", message], root)


def stage_all(root: Path) -> None:
    must(["git", "add", "-A"], root)


# -- demo
