"""Benchmark: the DVF1 rules vs `dvc status` on a generated 500-stage repository.

    python bench/bench_deps.py [--stages 500] [--modules 200] [--runs 3] [--keep DIR]

Generates a Git + DVC repository with 200 Python modules in packages under src/lib (each
importing a few others), 100 stage scripts importing them, and 500 stages whose deps list
their script, the library folder and an input file (so the DVF1 rules find nothing and do
all their work). Both commands run as a user runs them, in fresh processes; the best of
`--runs` is reported, `dvc status` after one warm-up run (its state database is filled).
Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else name


def generate(root: Path, stages: int, modules: int) -> None:
    def write(rel: str, text: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    packages = max(modules // 20, 1)
    for p in range(packages):
        write(f"src/lib/pkg{p}/__init__.py", f'"""Package {p}."""\n')
    for i in range(modules):
        imports = [
            f"from lib.pkg{(i + k) % packages} import mod{(i + k * 7) % modules}" for k in (1, 2, 3)
        ]
        body = "\n".join(["import os", "import json", *imports, "", f"VALUE = {i}", ""])
        write(f"src/lib/pkg{i % packages}/mod{i}.py", body)
    scripts = 100
    for s in range(scripts):
        write(
            f"src/stages/s{s}.py",
            "import sys\nimport numpy\n"
            f"from lib.pkg{s % packages} import mod{s % modules}\n"
            f"from lib.pkg{(s + 1) % packages}.mod{(s * 3) % modules} import VALUE\n",
        )
    for d in range(10):
        write(f"data/in{d}.csv", "a,b\n1,2\n")
    write("params.yaml", "".join(f"p{j}: {j}\n" for j in range(stages)))
    lines = ["stages:"]
    for j in range(stages):
        s = j % scripts
        lines += [
            f"  stage{j}:",
            f"    cmd: PYTHONPATH=src python src/stages/s{s}.py data/in{j % 10}.csv out/{j}.txt",
            "    deps:",
            f"    - src/stages/s{s}.py",
            "    - src/lib",
            f"    - data/in{j % 10}.csv",
            "    params:",
            f"    - p{j}",
            "    outs:",
            f"    - out/{j}.txt",
        ]
    write("dvc.yaml", "\n".join(lines) + "\n")


def run(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, default=500)
    parser.add_argument("--modules", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate here and keep the repository")
    args = parser.parse_args()

    root = args.keep or Path(tempfile.mkdtemp(prefix="dvcflow-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    env_keys = {
        "DVC_NO_ANALYTICS": "1",
        "GIT_AUTHOR_NAME": "bench",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@invalid",
        "GIT_COMMITTER_EMAIL": "bench@invalid",
    }
    os.environ.update(env_keys)
    try:
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run([_tool("dvc"), "init", "-q"], cwd=root, check=True)
        generate(root, args.stages, args.modules)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)

        check = [_tool("dvcflow-check"), "--all", "--select", "DVF1"]
        proc = subprocess.run(check, cwd=root, capture_output=True, text=True, check=False)
        print(
            f"dvcflow-check --all --select DVF1 -> exit {proc.returncode}: "
            f"{proc.stdout.strip().splitlines()[-1]}"
        )
        status = [_tool("dvc"), "status", "-q"]
        run(status, root)  # warm-up: DVC's state database, Python's bytecode caches
        dvf1 = min(run(check, root) for _ in range(args.runs))
        dvc = min(run(status, root) for _ in range(args.runs))
        print(f"repository: {args.stages} stages, {args.modules} modules, 100 stage scripts")
        print(f"DVF1 rules (dvcflow-check --all --select DVF1): {dvf1:7.3f} s")
        print(f"dvc status:                                    {dvc:7.3f} s")
        print(f"ratio: {dvf1 / dvc:.1%} of dvc status (target < 10%)")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
