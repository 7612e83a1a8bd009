"""Benchmark: what 10,000 findings add to a whole `dvcflow-check --all` run, end to end.

    python bench/bench_findings.py [--findings 10000] [--files 33] [--runs 5]

Builds a real repository (`git init`, `dvc init`) of `--files` sub-folder pipelines, each a
one-stage dvc.yaml beside a dvc.lock that also records `--findings` stages in all which
dvc.yaml no longer declares (DVF304: orphan lock entries, the finding real repositories have by
the thousand), commits it, then times, median of `--runs` fresh processes each:

- `dvcflow-check --all --ignore DVF304`: the same parse and analysis, no finding made;
- `dvcflow-check --all`: every orphan found, located (line, column), grouped and printed;
- the same with `--output-format json`.

The difference is what the findings add. Not a test: timings depend on the machine; the target
(issue 17) is <= 0.2 s per 10,000 findings.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_positions import lock_text

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else name


def build(root: Path, findings: int, files: int) -> None:
    def run(*args: str) -> None:
        subprocess.run(args, cwd=root, check=True, capture_output=True)

    run("git", "init", "-q", "-b", "main")
    run(tool("dvc"), "init", "-q")
    per_file = -(-findings // files)
    for index in range(files):
        folder = root / f"p{index:02d}"
        folder.mkdir()
        (folder / "dvc.yaml").write_text("stages:\n  kept:\n    cmd: echo kept\n")
        locked = lock_text(index * per_file, per_file)
        (folder / "dvc.lock").write_text(locked + "  kept:\n    cmd: echo kept\n")
    run("git", "add", "-A")
    run("git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "pipelines")


def timed(args: list[str], cwd: Path, runs: int) -> tuple[float, str]:
    times, out = [], ""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for _ in range(runs + 1):  # the first run warms byte code and caches
        start = time.perf_counter()
        proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        out = next((line for line in proc.stdout.splitlines() if line.startswith("Found")), "")
        if proc.stdout.startswith("["):
            out = f"{len(json.loads(proc.stdout))} findings in the JSON"
    return statistics.median(times[1:]), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=33)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    check = tool("dvcflow-check")
    with tempfile.TemporaryDirectory(prefix="dvcflow-findings-") as tmp:
        root = Path(tmp)
        build(root, args.findings, args.files)
        base, base_out = timed([check, "--all", "--ignore", "DVF304"], root, args.runs)
        print(f"no finding made:        {base:6.3f} s  ({base_out})")
        for label, extra in (("text", []), ("json", ["--output-format", "json"])):
            took, out = timed([check, "--all", *extra], root, args.runs)
            print(f"every finding, {label}: {took:6.3f} s  (+{took - base:.3f} s; {out})")


if __name__ == "__main__":
    main()
