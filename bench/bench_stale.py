"""Benchmark: DVF2 (dvcflow-stale) against `dvc status`, side by side on the same repositories.

    python bench/bench_stale.py [--repeat 3] [--stages 500] [--data-mb 1024] [--keep DIR]
    (building the 500-stage repository runs `dvc repro` of 500 stages: 10-20 minutes; `--keep`
    keeps it, and a later run with the same `--keep DIR` reuses it)
    python bench/bench_stale.py --differential 300 [--seed 1]

Two real repositories, built with `git`, `dvc add` and `dvc repro`:

- the 3-stage demo of examples/demo (prepare -> train -> evaluate);
- a generated 500-stage pipeline: an `index` stage reading a `dvc add`ed data folder of
  `--data-mb` MiB (64 files), a `foreach` of 498 `shard` stages reading its output, and a
  `report` stage reading all shards.

On each, with nothing changed and then with one param changed (the `index` stage's, so the
whole pipeline is stale), it times in fresh processes, best of `--repeat`:

- `dvc status` (what DVC's own pre-commit hook runs),
- `dvcflow-check --all --select DVF2` (the hook's command),
- the DVF2 verdict alone (`build_report` in a warm process), fast path and DVC path,

and prints the ratios. Python byte code is cached under the temporary folder for every
command alike (`PYTHONPYCACHEPREFIX`), as an installed package would have it.

`--differential N` instead drives the generated repository of
tests/rules/stale/test_dvf20x_fast_path_vs_dvc.py through N seeded random states and checks
that the fast path and DVC's `Stage.status()` agree on every one (the larger version of the
test suite's differential test).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent
FILES = 64


def _tool(name: str) -> str:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else name


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def must(args: list[str], cwd: Path) -> None:
    proc = run(args, cwd)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def commit(root: Path) -> None:
    must(["git", "add", "-A"], root)
    must(["git", "commit", "-q", "--no-verify", "--no-gpg-sign", "-m", "bench"], root)


def init(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    must(["git", "init", "-q", "-b", "main"], root)
    if not (root / ".dvc").exists():
        must([_tool("dvc"), "init", "-q"], root)
    must([_tool("dvc"), "config", "core.autostage", "false"], root)


# --------------------------------------------------------------------------- repositories


def build_demo(root: Path) -> Path:
    """examples/demo (without its deliberately invalid reports/dvc.yaml), reproduced."""
    ignore = shutil.ignore_patterns("*.pyc", "__pycache__", "reports")
    shutil.copytree(REPO / "examples" / "demo", root, ignore=ignore)
    init(root)
    must([_tool("dvc"), "repro", "-q"], root)
    commit(root)
    return root / "params.yaml"


INDEX = """\
import json, sys
from pathlib import Path
threshold = 0.5
sizes = sorted(p.stat().st_size for p in Path("data/big").iterdir())
Path("index.json").write_text(json.dumps({"files": len(sizes), "threshold": threshold}))
"""
SHARD = """\
import sys
from pathlib import Path
Path("shards").mkdir(exist_ok=True)
Path(f"shards/{sys.argv[1]}.txt").write_text(Path("index.json").read_text() + sys.argv[1])
"""
REPORT = """\
from pathlib import Path
Path("report.txt").write_text(str(len(list(Path("shards").iterdir()))))
"""


def build_large(root: Path, stages: int, data_mb: int) -> Path:
    """A `stages`-stage pipeline over a `data_mb` MiB data folder, reproduced and committed."""
    init(root)
    must([_tool("dvc"), "config", "cache.type", "hardlink"], root)  # no second GB on disk
    big = root / "data" / "big"
    big.mkdir(parents=True)
    chunk = max(1, data_mb * 2**20 // FILES)
    seed = os.urandom(2**16)
    for i in range(FILES):
        with open(big / f"part-{i:03d}.bin", "wb") as out:
            block = seed + i.to_bytes(4, "big")
            for _ in range(chunk // len(block)):
                out.write(block)
            out.write(block[: chunk % len(block)])
    (root / "src").mkdir()
    (root / "src" / "index.py").write_text(INDEX)
    (root / "src" / "shard.py").write_text(SHARD)
    (root / "src" / "report.py").write_text(REPORT)
    shards = stages - 2
    (root / "params.yaml").write_text(
        f"index:\n  threshold: 0.5\nshard:\n  scale: 2\nshards: {list(range(shards))}\n"
    )
    (root / "dvc.yaml").write_text(
        "stages:\n"
        "  index:\n    cmd: python src/index.py\n"
        "    deps: [src/index.py, data/big]\n    params: [index.threshold]\n"
        "    outs: [index.json]\n"
        "  shard:\n    foreach: ${shards}\n    do:\n"
        "      cmd: python src/shard.py ${item}\n"
        "      deps: [src/shard.py, index.json]\n      params: [shard.scale]\n"
        "      outs:\n        - shards/${item}.txt\n"
        "  report:\n    cmd: python src/report.py\n    deps: [src/report.py, shards]\n"
        "    outs: [report.txt]\n"
    )
    must([_tool("dvc"), "add", "-q", "data/big"], root)
    must([_tool("dvc"), "repro", "-q"], root)
    commit(root)
    return root / "params.yaml"


# --------------------------------------------------------------------------- timing


def best_of(args: list[str], cwd: Path, repeat: int) -> tuple[float, int]:
    times: list[float] = []
    code = 0
    for _ in range(repeat):
        start = time.perf_counter()
        code = run(args, cwd).returncode
        times.append(time.perf_counter() - start)
    return min(times), code


VERDICT = """\
import sys, time
from dvcflow.context import Context
from dvcflow.dvc.status import build_report
engine = sys.argv[1]
best = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    ctx = Context.from_cwd(".", all_files=True)
    report = build_report(ctx, engine=engine)
    ctx.close()
    best.append(time.perf_counter() - start)
    assert set(report.engines.values()) <= {"fast"} or engine == "dvc", report.engines
print(min(best))
"""


def verdict_time(root: Path, engine: str, repeat: int) -> float:
    """The DVF2 verdict in a warm process (imports done once, as in a long-running hook)."""
    proc = run([sys.executable, "-c", VERDICT, engine, str(repeat + 1)], root)
    if proc.returncode != 0:
        raise SystemExit(proc.stdout + proc.stderr)
    return float(proc.stdout.strip().splitlines()[-1])


def measure(name: str, root: Path, params: Path, old: str, new: str, repeat: int) -> None:
    check = [_tool("dvcflow-check"), "--all", "--select", "DVF2"]
    rows: list[tuple[str, float, float]] = []
    for label in ("nothing changed", "one param changed"):
        if label == "one param changed":
            params.write_text(params.read_text().replace(old, new, 1))
        status, status_code = best_of([_tool("dvc"), "status"], root, repeat)
        cli, cli_code = best_of(check, root, repeat)
        expected = 0 if label == "nothing changed" else 1
        assert (status_code, cli_code) == (0, expected), (status_code, cli_code)
        fast = verdict_time(root, "fast", repeat)
        slow = verdict_time(root, "dvc", repeat)
        rows.append((f"{label}: dvc status", status, 1.0))
        rows.append((f"{label}: dvcflow-check --select DVF2", cli, cli / status))
        rows.append((f"{label}: DVF2 verdict, fast path (warm)", fast, fast / status))
        rows.append((f"{label}: DVF2 verdict, DVC path (warm)", slow, slow / status))
    params.write_text(params.read_text().replace(new, old, 1))
    print(f"\n{name}")
    width = max(len(r[0]) for r in rows)
    for label, took, ratio in rows:
        print(f"  {label:<{width}}  {took * 1000:8.0f} ms  {ratio:7.1%} of dvc status")


# --------------------------------------------------------------------------- differential


def differential(states: int, seed: int, workdir: Path) -> int:
    sys.path.insert(0, str(REPO))
    from tests.conftest import Repo
    from tests.rules.stale import conftest as c
    from tests.rules.stale import test_dvf20x_fast_path_vs_dvc as t

    os.environ.update(c._tool_env(workdir / "home"))
    root = workdir / "repo"
    c._build(root, workdir / "home", t.DIFF_FILES, ["data/raw.csv", "data/images"])
    repo = Repo(root)
    generator = t.StateGenerator(root, seed)
    kinds: dict[str, int] = {}
    start = time.perf_counter()
    for step in range(1, states + 1):
        generator.mutate()
        fast = c.report(repo, "fast")
        slow = c.report(repo, "dvc")
        stale = {v.address for v in fast.verdicts if v.stale and not v.skipped}
        would_run = t.repro_would_run(root)
        if stale != would_run:
            print(
                f"state {step}: DVF201/202 {sorted(stale)} but DVC would re-run "
                f"{sorted(would_run)} after {generator.log}"
            )
            return 1
        if fast.raw != slow.raw:
            print(f"state {step} disagrees after {generator.log}:")
            print(f"fast path: {fast.raw}\nDVC:       {slow.raw}")
            return 1
        for kind in t._kinds(fast.raw):
            kinds[kind] = kinds.get(kind, 0) + 1
    took = time.perf_counter() - start
    print(f"{states} states (seed {seed}) agree in {took:.0f} s; entries seen: {kinds}")
    return 0


def _reuse(root: Path) -> Path | None:
    """A repository built by an earlier `--keep` run, reset to its committed state."""
    if not (root / ".git").is_dir():
        return None
    must(["git", "checkout", "-q", "--", "."], root)
    return root / "params.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stages", type=int, default=500)
    parser.add_argument("--data-mb", type=int, default=1024)
    parser.add_argument(
        "--keep", type=Path, help="build the repositories here and keep them (or reuse them)"
    )
    parser.add_argument("--differential", type=int, metavar="STATES", default=0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="dvcflow-bench-stale-"))
    work = args.keep or tmp
    os.environ.setdefault("DVC_NO_ANALYTICS", "1")
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ['PATH']}"
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        if args.differential:
            return differential(args.differential, args.seed, work)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, in {work}", flush=True)
        start = time.perf_counter()
        demo = _reuse(work / "demo") or build_demo(work / "demo")
        print(f"demo built in {time.perf_counter() - start:.0f} s", flush=True)
        measure(
            "3-stage demo (examples/demo)", work / "demo", demo, "lr: 0.05", "lr: 0.06", args.repeat
        )
        start = time.perf_counter()
        large = _reuse(work / "large") or build_large(work / "large", args.stages, args.data_mb)
        print(
            f"\n{args.stages}-stage repository with {args.data_mb} MiB of data built in "
            f"{time.perf_counter() - start:.0f} s",
            flush=True,
        )
        measure(
            f"{args.stages} stages, {args.data_mb} MiB data folder",
            work / "large",
            large,
            "threshold: 0.5",
            "threshold: 0.6",
            args.repeat,
        )
        print(f"\n(timings: median load {statistics.mean(os.getloadavg()):.1f})")
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
