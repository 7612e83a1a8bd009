"""Repositories for the benchmarks, generated reproducibly from a seed.

    python bench/generate.py KIND DIR [--scale 1] [--seed 0] [--change]
    (KIND: demo, pipeline, monorepo, imports, imports-large, data)

Every generator builds a real Git + DVC repository that `dvc status` reports up to date, with
its history committed. Running hundreds of stages with `dvc repro` takes tens of minutes (500
stages: 30 minutes), so the generators run each stage's command here instead and write its
outputs, the DVC cache (objects read-only, as DVC leaves them), `.gitignore` entries and
dvc.lock the way DVC writes them: dvc.lock is dumped with ruamel's round-trip dumper and
DVC's settings, entries in DVC's key order. Each stage script does exactly what the generator
emulates (write its own source followed by its inputs), so `dvc repro -f` reproduces the same
dvc.lock; the demo alone is reproduced by DVC itself. `Generated.change()` then makes the
typical commit: edit a script and a param, re-run what that makes stale, `git add -A`.

Kinds and what they stress:

- `demo`: examples/demo (prepare -> train -> evaluate), reproduced by `dvc repro`.
- `pipeline`: 500 stages per scale unit in chains of 10, each with its own Python script,
  a shared library folder, the previous stage's output and two params.
- `monorepo`: 40 dvc.yaml files per scale unit, each with a plain stage, a `foreach` of 24
  and a `matrix` of 5 x 5 (50 stages each: 2,000 stages), its own params, scripts and data.
- `imports` (`imports-large`): 100 stages whose scripts import a library of 200 (2,000)
  modules per scale unit in 10 layers, each module importing three of the layer below, the
  library folder a dep of every stage.
- `data`: a `dvc add`ed folder of 10,000 files per scale unit and a 1 GiB file per scale unit
  (sparse: a random first MiB, then a hole, so it costs no disk), each a dep of one stage.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import io
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent
CHAIN = 10  # stages per chain in the `pipeline` repository
GROUPS = 20  # params sections shared by the stages of the `pipeline` repository
LAYERS = 10  # the `imports` library: 10 layers, each module importing from the layer below
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


def _script(doc: str, imports: Iterable[str], runner: str = "common") -> str:
    lines = [f'"""{doc}"""', "", *imports, "", f"{runner}.run(__file__)", ""]
    return "\n".join(lines)


def _concat(ws: Workspace, folder: str, script: str, inputs: Iterable[str]) -> bytes:
    prefix = f"{folder}/" if folder else ""
    return b"".join((ws.root / (prefix + p)).read_bytes() for p in [script, *inputs])


def _requirements() -> str:
    return f"dvc=={importlib.metadata.version('dvc')}\npyyaml==6.0.2\n"


@dataclass
class Generated:
    """A repository built and committed, and how to stage its typical change."""

    kind: str
    root: Path
    description: str
    change: Callable[[], str] = field(repr=False)  # stages the change, returns what it did


def _init(root: Path) -> Workspace:
    root.mkdir(parents=True)
    must(["git", "init", "-q", "-b", "main"], root)
    must([tool("dvc"), "init", "-q"], root)
    return Workspace(root)


def _commit(root: Path, message: str) -> None:
    must(["git", "add", "-A"], root)
    must(["git", "commit", "-q", "--no-verify", "--no-gpg-sign", "-m", message], root)


def _stage_all(root: Path) -> None:
    must(["git", "add", "-A"], root)


# -- demo


def demo(root: Path, scale: int = 1, seed: int = 0) -> Generated:
    """examples/demo (without its deliberately invalid reports/), reproduced by DVC."""
    del scale, seed  # the demo is what it is
    ignore = shutil.ignore_patterns("*.pyc", "__pycache__", "reports")
    shutil.copytree(REPO / "examples" / "demo", root, ignore=ignore)
    must(["git", "init", "-q", "-b", "main"], root)  # its .dvc/ is copied along
    must([tool("dvc"), "repro", "-q"], root)
    _commit(root, "demo")

    def change() -> str:
        params = root / "params.yaml"
        params.write_text(params.read_text().replace("lr: 0.05", "lr: 0.06", 1))
        must([tool("dvc"), "repro", "-q"], root)
        _stage_all(root)
        return "train.lr changed, `dvc repro`, `git add -A`"

    return Generated("demo", root, "examples/demo: 3 stages", change)


# -- pipeline


def _pipeline_files(ws: Workspace, stages: int, rng: random.Random, variant: int) -> None:
    ws.write("src/lib/__init__.py", '"""Shared stage code."""\n')
    ws.write("src/lib/common.py", CONCAT)
    for k in range(GROUPS):
        imported = f"\nfrom lib import mod{rng.randrange(k)}\n" if k else ""  # acyclic
        text = f'"""Helpers {k}."""\n\nimport json\n{imported}\nVALUE = {k}\n'
        ws.write(f"src/lib/mod{k}.py", text)
    for i in range(stages):
        doc = f"Stage {i}." + (" Tuned." if variant and i == 0 else "")
        ws.write(f"src/s{i}.py", _script(doc, [f"from lib import common, mod{i % GROUPS}"]))
    groups = {f"g{k}": {"lr": 0.1, "epochs": k + 1} for k in range(GROUPS)}
    if variant:
        groups["g0"]["lr"] = 0.2
    ws.write_params("params.yaml", groups)
    ws.write("requirements.txt", _requirements())


def _pipeline_runs(ws: Workspace, stages: int) -> tuple[str, list[StageRun]]:
    lines, runs = ["stages:"], []
    for i in range(stages):
        upstream = [f"out/s{i - 1}.txt"] if i % CHAIN else []
        group = f"g{i % GROUPS}"
        cmd = " ".join(["python", f"src/s{i}.py", *upstream, f"out/s{i}.txt"])
        deps = [f"src/s{i}.py", "src/lib", *upstream]
        params = [f"{group}.lr", f"{group}.epochs"]
        lines += [f"  s{i}:", f"    cmd: {cmd}", "    deps:"]
        lines += [f"    - {d}" for d in deps]
        lines += ["    params:", *(f"    - {p}" for p in params)]
        lines += ["    outs:", f"    - out/s{i}.txt"]
        # Run in order: each output exists before the next stage reads it.
        out = _concat(ws, "", f"src/s{i}.py", upstream)
        ws.write(f"out/s{i}.txt", out)
        runs.append(StageRun(f"s{i}", cmd, deps, params, {f"out/s{i}.txt": out}))
    return "\n".join(lines) + "\n", runs


def pipeline(root: Path, scale: int = 1, seed: int = 0) -> Generated:
    """500 stages per scale unit in chains of 10 (see the module docstring)."""
    stages = 500 * scale
    ws = _init(root)

    def build(variant: int) -> None:
        _pipeline_files(ws, stages, random.Random(seed), variant)
        text, runs = _pipeline_runs(ws, stages)
        ws.write("dvc.yaml", text)
        ws.repro("", runs)

    build(0)
    _commit(root, "pipeline")

    def change() -> str:
        build(1)
        _stage_all(root)
        return "src/s0.py and g0.lr changed, chain s0-s9 re-run, `git add -A`"

    return Generated("pipeline", root, f"{stages} stages, one dvc.yaml", change)


# -- monorepo

SHARDS = 24
MODELS = ["a", "b", "c", "d", "e"]
FOLDS = ["s00", "s01", "s02", "s03", "s04"]  # the shards each model trains on

MONO_DVC_YAML = """\
stages:
  prepare:
    cmd: python src/prepare.py data/raw.csv prepared.csv
    deps:
    - src/prepare.py
    - src/utils.py
    - data/raw.csv
    params:
    - prepare.split
    outs:
    - prepared.csv
  featurize:
    foreach: ${shards}
    do:
      cmd: python src/featurize.py prepared.csv features/${item}.csv
      deps:
      - src/featurize.py
      - src/utils.py
      - prepared.csv
      params:
      - featurize.window
      outs:
      - features/${item}.csv
  train:
    matrix:
      model: ${models}
      fold: ${folds}
    cmd: python src/train.py features/${item.fold}.csv models/${item.model}-${item.fold}.json
    deps:
    - src/train.py
    - src/utils.py
    - features/${item.fold}.csv
    params:
    - train.lr
    - train.epochs
    outs:
    - models/${item.model}-${item.fold}.json
"""


def _mono_project(ws: Workspace, k: int, rng: random.Random, variant: int) -> None:
    folder = f"projects/p{k:03d}"
    ws.write(f"{folder}/src/utils.py", CONCAT)
    for name in ("prepare", "featurize", "train"):
        doc = f"{name} for project {k}." + (" Tuned." if variant and name == "train" else "")
        ws.write(f"{folder}/src/{name}.py", _script(doc, ["import utils"], "utils"))
    rows = "".join(f"{rng.randrange(1000)},{rng.random():.6f}\n" for _ in range(50))
    ws.write(f"{folder}/data/raw.csv", "id,value\n" + rows)
    params: dict[str, Any] = {
        "prepare": {"split": 0.2},
        "featurize": {"window": k % 7 + 1},
        "train": {"lr": 0.02 if variant else 0.01, "epochs": 10},
        "shards": [f"s{j:02d}" for j in range(SHARDS)],
        "models": MODELS,
        "folds": FOLDS,
    }
    ws.write_params(f"{folder}/params.yaml", params)
    ws.write(f"{folder}/dvc.yaml", MONO_DVC_YAML)
    runs = [
        StageRun(
            "prepare",
            "python src/prepare.py data/raw.csv prepared.csv",
            ["src/prepare.py", "src/utils.py", "data/raw.csv"],
            ["prepare.split"],
            {"prepared.csv": _concat(ws, folder, "src/prepare.py", ["data/raw.csv"])},
        )
    ]
    ws.write(f"{folder}/prepared.csv", runs[0].outs["prepared.csv"])
    for shard in params["shards"]:
        out = f"features/{shard}.csv"
        content = _concat(ws, folder, "src/featurize.py", ["prepared.csv"])
        ws.write(f"{folder}/{out}", content)
        runs.append(
            StageRun(
                f"featurize@{shard}",
                f"python src/featurize.py prepared.csv {out}",
                ["src/featurize.py", "src/utils.py", "prepared.csv"],
                ["featurize.window"],
                {out: content},
            )
        )
    for model in MODELS:
        for fold in FOLDS:
            features = f"features/{fold}.csv"
            out = f"models/{model}-{fold}.json"
            runs.append(
                StageRun(
                    f"train@{model}-{fold}",
                    f"python src/train.py {features} {out}",
                    ["src/train.py", "src/utils.py", features],
                    ["train.epochs", "train.lr"],
                    {out: _concat(ws, folder, "src/train.py", [features])},
                )
            )
    ws.repro(folder, runs)


def monorepo(root: Path, scale: int = 1, seed: int = 0) -> Generated:
    """40 dvc.yaml files of 50 stages per scale unit, with foreach and matrix."""
    projects = 40 * scale
    ws = _init(root)

    def build(variant: int) -> None:
        rng = random.Random(seed)
        for k in range(projects):
            _mono_project(ws, k, rng, variant if k == 0 else 0)
        ws.write("requirements.txt", _requirements())

    build(0)
    _commit(root, "monorepo")

    def change() -> str:
        build(1)
        _stage_all(root)
        return "projects/p000: src/train.py and train.lr changed, its 25 train stages re-run"

    description = f"{projects * 50} stages in {projects} dvc.yaml (foreach, matrix)"
    return Generated("monorepo", root, description, change)


# -- imports


def _imports_files(ws: Workspace, modules: int, stages: int, seed: int, variant: int) -> None:
    rng = random.Random(seed)
    packages = max(modules // 20, 1)
    ws.write("src/lib/__init__.py", '"""The project library."""\n')
    ws.write("src/lib/common.py", CONCAT)
    for p in range(packages):
        ws.write(f"src/lib/pkg{p}/__init__.py", f'"""Package {p}."""\n')
    width = max(modules // LAYERS, 1)  # module i imports three of the layer below its own
    for i in range(modules):
        imports = []
        below = range((i // width - 1) * width, i // width * width) if i >= width else range(0)
        for _ in range(3 if below else 0):
            j = rng.choice(below)
            imports.append(f"from lib.pkg{j % packages} import mod{j}")
        note = "  # tuned" if variant and i == 0 else ""
        body = ["import json", "import os", *sorted(set(imports)), "", f"VALUE = {i}{note}", ""]
        ws.write(f"src/lib/pkg{i % packages}/mod{i}.py", f'"""Module {i}."""\n\n' + "\n".join(body))
    for s in range(stages):
        j, k = rng.randrange(modules), rng.randrange(modules)
        imports = [
            "from lib import common",
            f"from lib.pkg{j % packages} import mod{j}",
            f"from lib.pkg{k % packages}.mod{k} import VALUE",
        ]
        ws.write(f"src/s{s}.py", _script(f"Stage {s}.", imports))
    ws.write_params("params.yaml", {"train": {"seed": seed, "lr": 0.1}})
    ws.write("requirements.txt", _requirements())


def imports(
    root: Path, scale: int = 1, seed: int = 0, per_unit: int = 200, stages: int = 100
) -> Generated:
    """`stages` stages importing from a library of `per_unit` modules per scale unit."""
    modules = per_unit * scale
    ws = _init(root)

    def build(variant: int) -> None:
        _imports_files(ws, modules, stages, seed, variant)
        lines, runs = ["stages:"], []
        for s in range(stages):
            cmd = f"python src/s{s}.py out/s{s}.txt"
            deps = [f"src/s{s}.py", "src/lib"]
            lines += [f"  s{s}:", f"    cmd: {cmd}", "    deps:", *(f"    - {d}" for d in deps)]
            lines += ["    params:", "    - train.seed", "    outs:", f"    - out/s{s}.txt"]
            out = _concat(ws, "", f"src/s{s}.py", [])
            runs.append(StageRun(f"s{s}", cmd, deps, ["train.seed"], {f"out/s{s}.txt": out}))
        ws.write("dvc.yaml", "\n".join(lines) + "\n")
        ws.repro("", runs)

    build(0)
    _commit(root, "imports")

    def change() -> str:
        build(1)
        _stage_all(root)
        return "one library module edited, dvc.lock updated (src/lib hash of 100 stages)"

    return Generated("imports", root, f"{modules} modules, {stages} stages", change)


def imports_large(root: Path, scale: int = 1, seed: int = 0) -> Generated:
    return imports(root, scale, seed, per_unit=2000)


# -- data

INDEX = '''\
"""Count the files and bytes of a data folder."""

import json
import os
import sys

folder, output = sys.argv[1:]
sizes = [os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs]
with open(output, "w") as out:
    json.dump({"files": len(sizes), "bytes": sum(sizes)}, out)
'''

CHECKSUM = '''\
"""Record the size of a large file."""

import json
import os
import sys

path, output = sys.argv[1:]
with open(output, "w") as out:
    json.dump({"bytes": os.path.getsize(path)}, out)
'''


def _data_file(rng: random.Random, pool: bytes, i: int, variant: int) -> bytes:
    start = rng.randrange(len(pool) - 4096)
    block = pool[start : start + 512 + rng.randrange(3584)]
    return block + (b"edited\n" if variant and i == 0 else b"")


def data(root: Path, scale: int = 1, seed: int = 0) -> Generated:
    """A 10,000-file folder and a 1 GiB file per scale unit, `dvc add`ed, each a stage dep."""
    files, big = 10_000 * scale, 2**30 * scale
    ws = _init(root)
    pool = random.Random(seed).randbytes(1 << 16)

    def build(variant: int) -> None:
        rng = random.Random(seed)
        for i in range(files):
            ws.write(f"data/files/d{i // 100:03d}/f{i:06d}.bin", _data_file(rng, pool, i, variant))
        ws.dvc_add("data/files")
        ws.write("src/index.py", INDEX)
        ws.write("src/checksum.py", CHECKSUM)
        ws.write("requirements.txt", _requirements())
        ws.write_params("params.yaml", {"index": {"threshold": 0.5}})
        index = {"files": files, "bytes": ws.dir_hash("data/files")[1]}
        runs = [
            StageRun(
                "index",
                "python src/index.py data/files index.json",
                ["src/index.py", "data/files"],
                ["index.threshold"],
                {"index.json": json.dumps(index).encode()},
            ),
            StageRun(
                "checksum",
                "python src/checksum.py data/big.bin big.json",
                ["src/checksum.py", "data/big.bin"],
                [],
                {"big.json": json.dumps({"bytes": big}).encode()},
            ),
        ]
        ws.write(
            "dvc.yaml",
            "stages:\n"
            "  index:\n    cmd: python src/index.py data/files index.json\n"
            "    deps:\n    - src/index.py\n    - data/files\n"
            "    params:\n    - index.threshold\n    outs:\n    - index.json\n"
            "  checksum:\n    cmd: python src/checksum.py data/big.bin big.json\n"
            "    deps:\n    - src/checksum.py\n    - data/big.bin\n    outs:\n    - big.json\n",
        )
        ws.repro("", runs)

    big_path = root / "data" / "big.bin"
    big_path.parent.mkdir(parents=True, exist_ok=True)
    with open(big_path, "wb") as handle:
        handle.write(random.Random(seed + 1).randbytes(1 << 20))
        handle.truncate(big)  # the rest is a hole: no disk used, read back as zeros
    ws.dvc_add("data/big.bin", link=True)
    build(0)
    _commit(root, "data")

    def change() -> str:
        build(1)
        _stage_all(root)
        return "one data file edited, `dvc add data/files`, index stage re-run, `git add -A`"

    description = f"{files:,}-file data folder and a {big // 2**30} GiB file, dvc-tracked"
    return Generated("data", root, description, change)


GENERATORS: dict[str, Callable[[Path, int, int], Generated]] = {
    "demo": demo,
    "pipeline": pipeline,
    "monorepo": monorepo,
    "imports": imports,
    "imports-large": imports_large,
    "data": data,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("kind", choices=sorted(GENERATORS))
    parser.add_argument("root", type=Path)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--change", action="store_true", help="also stage the typical change")
    args = parser.parse_args(argv)
    generated = GENERATORS[args.kind](args.root, args.scale, args.seed)
    print(f"{generated.kind}: {generated.description} in {generated.root}")
    if args.change:
        print(f"staged: {generated.change()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
