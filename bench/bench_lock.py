"""Benchmark: DVF3 (dvcflow-lock) against `dvc status` on a generated N-stage repository.

    python bench/bench_lock.py [--stages 500] [--repeat 3] [--seed 0] [--keep DIR] [--repro]

Builds, with bench/generate.py's `pipeline` generator, a real repository: N stages in chains
of 10, each with its own Python script, a shared library folder, the previous stage's output
and two params. Running 500 stages with `dvc repro` takes about 30 minutes, so the generator
runs each stage's command itself and writes dvc.lock, the cache and `.gitignore` entries the
way DVC writes them; `dvc status` reporting the result up to date (checked here) proves they
match. `--repro` also re-runs every stage with `dvc repro --force` and checks DVC writes the
same dvc.lock (slow). Then it times, as a user runs them:

- `dvc status` (what DVC's own pre-commit hook runs),
- `dvcflow-check --all --select DVF3` (CI mode, every stage),
- `dvcflow-check --select DVF3` after staging a one-param change without `dvc repro`
  (pre-commit mode; DVF301 must report it).

Each command runs `--repeat` times in a fresh process; the best wall time is reported.
bench/run.py runs this and every other family on more repositories.
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


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def best_of(
    args: list[str], cwd: Path, repeat: int
) -> tuple[float, subprocess.CompletedProcess[str]]:
    times: list[float] = []
    proc = None
    for _ in range(repeat):
        start = time.perf_counter()
        proc = run(args, cwd)
        times.append(time.perf_counter() - start)
    assert proc is not None
    return min(times), proc


def verify_with_dvc(root: Path) -> None:
    """`dvc repro --force` must write the dvc.lock the generator wrote."""
    before = (root / "dvc.lock").read_text()
    start = time.perf_counter()
    proc = run([emulate.tool("dvc"), "repro", "--force", "-q"], root)
    if proc.returncode != 0:
        raise SystemExit(f"dvc repro failed:\n{proc.stdout}\n{proc.stderr}")
    same = (root / "dvc.lock").read_text() == before
    print(f"dvc repro --force in {time.perf_counter() - start:.0f} s: dvc.lock identical: {same}")
    assert same, "the generator's dvc.lock differs from DVC's"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stages", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    parser.add_argument("--repro", action="store_true", help="check dvc.lock with `dvc repro`")
    args = parser.parse_args(argv)
    if args.stages % 500:
        parser.error("--stages must be a multiple of 500")
    tmp = Path(tempfile.mkdtemp(prefix="dvcflow-bench-"))
    emulate.use_bench_env(tmp)
    root = args.keep or tmp / "repo"
    try:
        print(f"building {args.stages} stages in {root} ...", flush=True)
        start = time.perf_counter()
        generate.pipeline(root, args.stages // 500, args.seed)
        print(f"built in {time.perf_counter() - start:.1f} s")
        if args.repro:
            verify_with_dvc(root)
        check = [emulate.tool("dvcflow-check"), "--select", "DVF3"]
        status_t, status = best_of([emulate.tool("dvc"), "status"], root, args.repeat)
        assert "up to date" in status.stdout, status.stdout[:2000]
        all_t, all_run = best_of([*check, "--all"], root, args.repeat)
        assert all_run.returncode == 0, all_run.stdout + all_run.stderr
        params = root / "params.yaml"
        params.write_text(params.read_text().replace("lr: 0.1", "lr: 0.2", 1))
        run(["git", "add", "params.yaml"], root)
        pre_t, pre_run = best_of(check, root, args.repeat)
        assert pre_run.returncode == 1 and "DVF301" in pre_run.stdout, pre_run.stdout
        status_changed_t, _ = best_of([emulate.tool("dvc"), "status"], root, args.repeat)
        rows = [
            ("dvc status (clean)", status_t),
            ("dvc status (one param changed)", status_changed_t),
            ("dvcflow-check --all --select DVF3", all_t),
            ("dvcflow-check --select DVF3 (pre-commit)", pre_t),
        ]
        width = max(len(name) for name, _ in rows)
        for name, took in rows:
            print(f"{name:<{width}}  {took * 1000:8.0f} ms")
        print(f"ratio --all / dvc status:       {all_t / status_t:.1%}")
        print(f"ratio pre-commit / dvc status:  {pre_t / status_changed_t:.1%}")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
