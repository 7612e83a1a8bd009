"""Benchmark: DVF3 (dvcflow-lock) against `dvc status` on a generated N-stage repository.

    python bench/bench_lock.py [--stages 500] [--repeat 3] [--keep DIR]

Builds a real repository (git + `dvc repro` of N stages in chains of 10, each with a
Git-tracked script dep, a params key and an output), then times, as a user runs them:

- `dvc status` (what DVC's own pre-commit hook runs),
- `dvcflow-check --all --select DVF3` (CI mode, every stage),
- `dvcflow-check --select DVF3` after staging a one-key params change (pre-commit mode).

Each command runs `--repeat` times in a fresh process; the best wall time is reported.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
CHAIN = 10


def _tool(name: str) -> str:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else name


def inputs(i: int) -> list[str]:
    """Stage i reads its script and, inside a chain of CHAIN stages, the previous output."""
    return [f"src/s{i}.py", *([f"out/s{i - 1}.txt"] if i % CHAIN else [])]


def command(i: int) -> str:
    return f"mkdir -p out && cat {' '.join(inputs(i))} > out/s{i}.txt"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def build(root: Path, stages: int, repro: bool) -> float:
    """Write the pipeline and its outputs; return how long building the dvc.lock took.

    With `repro`, `dvc repro` runs every stage (slow: DVC rewrites dvc.lock after each stage).
    Otherwise the commands run here and dvc.lock and the cache are written the way DVC writes
    them (byte-identical to what `dvc repro` wrote for 500 stages in 30 minutes); `dvc status`
    reporting the result up to date (checked by main) proves they match.
    """
    root.mkdir(parents=True)
    run(["git", "init", "-q", "-b", "main"], root)
    run([_tool("dvc"), "init", "-q"], root)
    run([_tool("dvc"), "config", "core.autostage", "false"], root)
    (root / "src").mkdir()
    params, body = ["stages:"], []
    for i in range(stages):
        (root / "src" / f"s{i}.py").write_text(f"# stage {i}\nVALUE = {i}\n")
        params.append(f"s{i}:\n  lr: 0.1\n  epochs: {i % 7}")
        deps = inputs(i)
        body.append(
            f"  s{i}:\n    cmd: {command(i)}\n"
            f"    deps: [{', '.join(deps)}]\n    params: [s{i}.lr, s{i}.epochs]\n"
            f"    outs: [out/s{i}.txt]"
        )
    (root / "params.yaml").write_text("\n".join(params[1:]) + "\n")
    (root / "dvc.yaml").write_text("\n".join([params[0], *body]) + "\n")
    start = time.perf_counter()
    if repro:
        proc = run([_tool("dvc"), "repro", "-q"], root)
        if proc.returncode != 0:
            raise SystemExit(f"dvc repro failed:\n{proc.stdout}\n{proc.stderr}")
    else:
        write_lock(root, stages)
    took = time.perf_counter() - start
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-q", "--no-verify", "--no-gpg-sign", "-m", "pipeline"], root)
    return took


def _entry(root: Path, path: str) -> str:
    data = (root / path).read_bytes()
    md5 = hashlib.md5(data).hexdigest()
    return f"    - path: {path}\n      hash: md5\n      md5: {md5}\n      size: {len(data)}\n"


def write_lock(root: Path, stages: int) -> None:
    """Run each stage's command and record it as `dvc repro` would (dvc.lock, cache, .gitignore)."""
    (root / "out").mkdir()
    cache = root / ".dvc" / "cache" / "files" / "md5"
    lines = ["schema: '2.0'\n", "stages:\n"]
    for i in range(stages):
        src = (root / "src" / f"s{i}.py").read_bytes()
        upstream = (root / "out" / f"s{i - 1}.txt").read_bytes() if i % CHAIN else b""
        out = f"out/s{i}.txt"
        (root / out).write_bytes(src + upstream)
        md5 = hashlib.md5(src + upstream).hexdigest()
        (cache / md5[:2]).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / out, cache / md5[:2] / md5[2:])
        deps = sorted(inputs(i))
        lines.append(f"  s{i}:\n    cmd: {command(i)}\n    deps:\n")
        lines.extend(_entry(root, d) for d in deps)
        lines.append(
            f"    params:\n      params.yaml:\n        s{i}.epochs: {i % 7}\n"
            f"        s{i}.lr: 0.1\n    outs:\n{_entry(root, out)}"
        )
    (root / "dvc.lock").write_text("".join(lines))
    (root / "out" / ".gitignore").write_text("".join(f"/s{i}.txt\n" for i in range(stages)))


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the repository here and keep it")
    parser.add_argument("--repro", action="store_true", help="build dvc.lock with `dvc repro`")
    args = parser.parse_args(argv)
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    tmp = Path(tempfile.mkdtemp(prefix="dvcflow-bench-"))
    root = args.keep or tmp / "repo"
    try:
        print(f"building {args.stages} stages in {root} ...", flush=True)
        took = build(root, args.stages, args.repro)
        how = "dvc repro" if args.repro else "generated"
        print(f"dvc.lock built ({how}) in {took:.1f} s")
        check = [_tool("dvcflow-check"), "--select", "DVF3"]
        status_t, status = best_of([_tool("dvc"), "status"], root, args.repeat)
        assert "up to date" in status.stdout, status.stdout[:2000]
        all_t, all_run = best_of([*check, "--all"], root, args.repeat)
        assert all_run.returncode == 0, all_run.stdout + all_run.stderr
        params = root / "params.yaml"
        params.write_text(params.read_text().replace("s0:\n  lr: 0.1", "s0:\n  lr: 0.2", 1))
        run(["git", "add", "params.yaml"], root)
        pre_t, pre_run = best_of(check, root, args.repeat)
        assert pre_run.returncode == 1 and "DVF301" in pre_run.stdout, pre_run.stdout
        status_changed_t, _ = best_of([_tool("dvc"), "status"], root, args.repeat)
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
