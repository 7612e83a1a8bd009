"""Benchmark: the DVF1 rules vs `dvc status` on a generated repository with a large import graph.

    python bench/bench_deps.py [--stages 100] [--modules 200] [--runs 3] [--seed 0] [--keep DIR]

Builds, with bench/generate.py's `imports` generator, a Git + DVC repository whose `--stages`
stage scripts import from a library of `--modules` modules in 10 layers (each module imports
three of the layer below), the library folder a dep of every stage, dvc.lock and the cache
written as `dvc repro` writes them (`dvc status` must agree it is up to date), then stages a
library edit. It times, as a user runs them, in fresh processes, best of `--runs` after a
warm-up: `dvcflow-check --all --select DVF1`, the pre-commit `dvcflow-check --select DVF1`,
and `dvc status`. bench/run.py runs this and every other family on more repositories.
Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import emulate  # bench/ is not a package: imported from beside this file
import generate


def run(cmd: list[str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed, proc


def best(cmd: list[str], cwd: Path, runs: int) -> tuple[float, subprocess.CompletedProcess[str]]:
    run(cmd, cwd)  # warm-up: DVC's hash cache, Python's byte code
    results = [run(cmd, cwd) for _ in range(runs)]
    return min(took for took, _ in results), results[-1][1]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stages", type=int, default=100)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="generate here and keep the repository")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dvcflow-bench-"))
    root = args.keep or work / "repo"
    emulate.use_bench_env(work)
    try:
        built = generate.imports(root, 1, args.seed, per_unit=args.modules, stages=args.stages)
        print(f"repository: {built.description}; staged: {built.change()}")
        check = [emulate.tool("dvcflow-check"), "--select", "DVF1"]
        status_t, status = best([emulate.tool("dvc"), "status"], root, args.runs)
        assert "up to date" in status.stdout, status.stdout[:2000]
        all_t, all_run = best([*check, "--all"], root, args.runs)
        pre_t, _ = best(check, root, args.runs)
        print(f"dvcflow-check --all --select DVF1: {all_t:7.3f} s  ({all_t / status_t:.1%})")
        print(f"dvcflow-check --select DVF1:       {pre_t:7.3f} s  ({pre_t / status_t:.1%})")
        print(f"dvc status:                        {status_t:7.3f} s")
        print(f"--all says: {all_run.stdout.strip().splitlines()[-1]}  (target < 10%)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
