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
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulate import (  # bench/ is not a package: imported from beside this file
    CONCAT,
    REPO,
    Generated,
    StageRun,
    Workspace,
    commit_all,
    concat,
    init_repo,
    must,
    requirements,
    stage_all,
    stage_script,
    tool,
)

CHAIN = 10  # stages per chain in the `pipeline` repository
GROUPS = 20  # params sections shared by the stages of the `pipeline` repository
LAYERS = 10  # the `imports` library: 10 layers, each module importing from the layer below


def demo(root: Path, scale: int = 1, seed: int = 0) -> Generated:
    """examples/demo (without its deliberately invalid reports/), reproduced by DVC."""
    del scale, seed  # the demo is what it is
    ignore = shutil.ignore_patterns("*.pyc", "__pycache__", "reports")
    shutil.copytree(REPO / "examples" / "demo", root, ignore=ignore)
    must(["git", "init", "-q", "-b", "main"], root)  # its .dvc/ is copied along
    must([tool("dvc"), "repro", "-q"], root)
    commit_all(root, "demo")

    def change() -> str:
        params = root / "params.yaml"
        params.write_text(params.read_text().replace("lr: 0.05", "lr: 0.06", 1))
        must([tool("dvc"), "repro", "-q"], root)
        stage_all(root)
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
        ws.write(f"src/s{i}.py", stage_script(doc, [f"from lib import common, mod{i % GROUPS}"]))
    groups = {f"g{k}": {"lr": 0.1, "epochs": k + 1} for k in range(GROUPS)}
    if variant:
        groups["g0"]["lr"] = 0.2
    ws.write_params("params.yaml", groups)
    ws.write("requirements.txt", requirements())


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
        out = concat(ws, "", f"src/s{i}.py", upstream)
        ws.write(f"out/s{i}.txt", out)
        runs.append(StageRun(f"s{i}", cmd, deps, params, {f"out/s{i}.txt": out}))
    return "\n".join(lines) + "\n", runs


def pipeline(root: Path, scale: int = 1, seed: int = 0) -> Generated:
    """500 stages per scale unit in chains of 10 (see the module docstring)."""
    stages = 500 * scale
    ws = init_repo(root)

    def build(variant: int) -> None:
        _pipeline_files(ws, stages, random.Random(seed), variant)
        text, runs = _pipeline_runs(ws, stages)
        ws.write("dvc.yaml", text)
        ws.repro("", runs)

    build(0)
    commit_all(root, "pipeline")

    def change() -> str:
        build(1)
        stage_all(root)
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
        ws.write(f"{folder}/src/{name}.py", stage_script(doc, ["import utils"], "utils"))
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
            {"prepared.csv": concat(ws, folder, "src/prepare.py", ["data/raw.csv"])},
        )
    ]
    ws.write(f"{folder}/prepared.csv", runs[0].outs["prepared.csv"])
    for shard in params["shards"]:
        out = f"features/{shard}.csv"
        content = concat(ws, folder, "src/featurize.py", ["prepared.csv"])
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
                    {out: concat(ws, folder, "src/train.py", [features])},
                )
            )
    ws.repro(folder, runs)


def monorepo(root: Path, scale: int = 1, seed: int = 0) -> Generated:
    """40 dvc.yaml files of 50 stages per scale unit, with foreach and matrix."""
    projects = 40 * scale
    ws = init_repo(root)

    def build(variant: int) -> None:
        rng = random.Random(seed)
        for k in range(projects):
            _mono_project(ws, k, rng, variant if k == 0 else 0)
        ws.write("requirements.txt", requirements())

    build(0)
    commit_all(root, "monorepo")

    def change() -> str:
        build(1)
        stage_all(root)
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
        ws.write(f"src/s{s}.py", stage_script(f"Stage {s}.", imports))
    ws.write_params("params.yaml", {"train": {"seed": seed, "lr": 0.1}})
    ws.write("requirements.txt", requirements())


def imports(
    root: Path, scale: int = 1, seed: int = 0, per_unit: int = 200, stages: int = 100
) -> Generated:
    """`stages` stages importing from a library of `per_unit` modules per scale unit."""
    modules = per_unit * scale
    ws = init_repo(root)

    def build(variant: int) -> None:
        _imports_files(ws, modules, stages, seed, variant)
        lines, runs = ["stages:"], []
        for s in range(stages):
            cmd = f"python src/s{s}.py out/s{s}.txt"
            deps = [f"src/s{s}.py", "src/lib"]
            lines += [f"  s{s}:", f"    cmd: {cmd}", "    deps:", *(f"    - {d}" for d in deps)]
            lines += ["    params:", "    - train.seed", "    outs:", f"    - out/s{s}.txt"]
            out = concat(ws, "", f"src/s{s}.py", [])
            runs.append(StageRun(f"s{s}", cmd, deps, ["train.seed"], {f"out/s{s}.txt": out}))
        ws.write("dvc.yaml", "\n".join(lines) + "\n")
        ws.repro("", runs)

    build(0)
    commit_all(root, "imports")

    def change() -> str:
        build(1)
        stage_all(root)
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
    ws = init_repo(root)
    pool = random.Random(seed).randbytes(1 << 16)

    def build(variant: int) -> None:
        rng = random.Random(seed)
        for i in range(files):
            ws.write(f"data/files/d{i // 100:03d}/f{i:06d}.bin", _data_file(rng, pool, i, variant))
        ws.dvc_add("data/files")
        ws.write("src/index.py", INDEX)
        ws.write("src/checksum.py", CHECKSUM)
        ws.write("requirements.txt", requirements())
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
    commit_all(root, "data")

    def change() -> str:
        build(1)
        stage_all(root)
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
