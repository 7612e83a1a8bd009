"""dvcflow's benchmark suite: every rule family against `dvc status`, on generated repositories.

    python bench/run.py [--quick] [--sizes 1,2,4] [--seed N] [--runs N] [--repos a,b]
                        [--keep DIR] [--output bench/results.md] [--no-mlflow]

For each repository (bench/generate.py builds them, reproducibly from `--seed`, with a
committed history and a typical change staged: a script and a param edited, what they make
stale re-run, `git add -A`), it measures, each command in a fresh process as a hook runs it:

- `dvc status` (what DVC's own pre-commit hook runs; it must say the repository is up to date),
- `dvcflow-check` in pre-commit mode (the staged change) and `dvcflow-check --all` (CI),
- each rule family alone in pre-commit mode (`--select DVF1` ... `DVF4`), and the static
  families together (`--select DVF1,DVF3,DVF4`), also with `DVCFLOW_NO_CACHE=1` ("cold": the
  first commit after a clone, without dvcflow's blob cache),

one warm-up run each (DVC's hash cache and dvcflow's blob cache filled, as the previous
commit's hook run leaves them; Python byte code compiled into a private
`PYTHONPYCACHEPREFIX` as an installed package has it), then `--runs` rounds in which the
commands take turns; it reports the median wall time, the peak memory (maximum resident set
of the command's own process, from GNU time; git subprocesses not included) and the ratio to
`dvc status`. Repositories marked for growth are measured at each of `--sizes` (1x, 2x, 4x
their stages, modules or files). The post-commit MLflow hook is compared with the mlflow
client by bench/bench_mlflow_tag.py (a local `mlflow server`), unless `--no-mlflow`.

The tables are printed and written with a description of the machine to `--output`; the
`## ` sections of an existing output that this run does not write (bench/real.py's) are kept.
`--quick` (1x only, 3 runs, no 2,000-module repository, no MLflow) takes a few minutes;
the full run about half an hour on 2 cores. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import itertools
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import emulate  # bench/ is not a package: imported from beside this file
import generate

HERE = Path(__file__).resolve().parent
BUDGET_S = 90.0  # per command and repository: long commands get fewer timed runs


@dataclass(frozen=True)
class RepoSpec:
    name: str
    build: Callable[[Path, int, int], emulate.Generated]
    grows: bool  # measured at every --sizes scale
    unit: str  # what a scale multiplies


REPOS = [
    RepoSpec("demo", generate.demo, False, ""),
    RepoSpec("pipeline", generate.pipeline, True, "500 stages"),
    RepoSpec("monorepo", generate.monorepo, False, "40 dvc.yaml x 50 stages"),
    RepoSpec("imports", generate.imports, True, "200 modules"),
    RepoSpec("imports-large", generate.imports_large, False, "2,000 modules"),
    RepoSpec("data", generate.data, True, "10,000 files + 1 GiB"),
]

CHECK = [emulate.tool("dvcflow-check")]
STATUS = "dvc status"
COMMANDS: list[tuple[str, list[str]]] = [
    (STATUS, [emulate.tool("dvc"), "status"]),
    ("check", CHECK),
    ("check --all", [*CHECK, "--all"]),
    ("DVF1", [*CHECK, "--select", "DVF1"]),
    ("DVF2", [*CHECK, "--select", "DVF2"]),
    ("DVF3", [*CHECK, "--select", "DVF3"]),
    ("DVF4", [*CHECK, "--select", "DVF4"]),
    ("DVF1,3,4", [*CHECK, "--select", "DVF1,DVF3,DVF4"]),
    # The same without dvcflow's blob cache: what the first commit after a clone costs.
    ("DVF1,3,4 cold", ["env", "DVCFLOW_NO_CACHE=1", *CHECK, "--select", "DVF1,DVF3,DVF4"]),
]


# --------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    seconds: float
    rss: int  # bytes
    code: int
    output: str


@dataclass
class Measured:
    """All samples of one command on one repository (the warm-up first, not counted)."""

    warmup: Sample
    samples: list[Sample] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def rss(self) -> int:
        return max(s.rss for s in [self.warmup, *self.samples])

    @property
    def summary(self) -> str:
        """The last line a command printed (dvcflow's `Found 3 findings ...`)."""
        lines = [line for line in self.warmup.output.splitlines() if line.strip()]
        return lines[-1] if lines else ""


TIME = Path("/usr/bin/time")  # GNU time: reports its child's peak RSS


def run_once(args: list[str], cwd: Path) -> Sample:
    """Run a command in a fresh process; its wall time and its own peak RSS.

    The peak RSS comes from GNU time when installed: a process started directly from this
    (large) one would report this process's RSS too, since exec records the high-water mark
    of the memory the child shared with its parent until then. Without it, `wait4`'s figure
    is an upper bound.
    """
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss:
        wrapped = [str(TIME), "-f", "%M", "-o", rss.name, *args] if TIME.exists() else args
        start = time.perf_counter()
        proc = subprocess.Popen(wrapped, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
        reported = rss.read().strip().splitlines()
    kilobytes = int(reported[-1]) if reported and reported[-1].isdigit() else usage.ru_maxrss
    return Sample(elapsed, kilobytes * 1024, proc.returncode, text)


def measure(root: Path, runs: int) -> dict[str, Measured]:
    """Warm up every command, then `runs` rounds of the commands taking turns."""
    results: dict[str, Measured] = {}
    for name, args in COMMANDS:
        results[name] = Measured(run_once(args, root))
    status = results[STATUS].warmup
    if status.code != 0 or "up to date" not in status.output:
        raise SystemExit(f"`dvc status` does not agree the repository is up to date:\n{status}")
    wanted = {name: _runs_for(m.warmup.seconds, runs) for name, m in results.items()}
    for round_ in range(runs):
        for name, args in COMMANDS:
            if round_ < wanted[name]:
                results[name].samples.append(run_once(args, root))
    return results


def _runs_for(warmup: float, runs: int) -> int:
    return max(1, min(runs, int(BUDGET_S // max(warmup, 1e-3))))


# --------------------------------------------------------------------------- reporting


@dataclass
class Row:
    repo: str
    scale: int
    description: str
    change: str
    built: float
    results: dict[str, Measured]

    @property
    def label(self) -> str:
        return self.repo if self.scale == 1 else f"{self.repo} {self.scale}x"

    def ratio(self, command: str) -> float:
        return self.results[command].median / self.results[STATUS].median


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB RAM"
    except (ValueError, OSError):
        pass
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}" for name in ("dvcflow", "dvc", "ruamel.yaml")
    )
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}, {versions}, {git}",
    ]


def load() -> str:
    """The 1-minute load average: other work on the machine skews every timing."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:  # pragma: no cover - not on every platform
        return "unknown"


def tables(rows: list[Row], runs: int) -> list[str]:
    names = [name for name, _ in COMMANDS]
    header = "| repository | " + " | ".join(f"`{n}`" if n == STATUS else n for n in names) + " |"
    rule = "|---|" + "---:|" * len(names)
    out = [
        f"Median wall time in ms over {runs} runs after a warm-up (fewer for commands slower "
        f"than {BUDGET_S / runs:.0f} s), and in brackets the share of `dvc status`'s time. "
        "dvcflow commands run in pre-commit mode on the staged change unless `--all`; "
        'DVF1,3,4 are the static families together; "cold" is without dvcflow\'s blob cache '
        "(`DVCFLOW_NO_CACHE=1`, as on the first commit after a clone).",
        "",
        header,
        rule,
    ]
    for row in rows:
        cells = [_ms(row.results[STATUS].median)]
        cells += [f"{_ms(row.results[n].median)} ({row.ratio(n):.0%})" for n in names[1:]]
        out.append(f"| {row.label} | " + " | ".join(cells) + " |")
    out += ["", "Peak memory (MB, maximum resident set of the command's process):", ""]
    out += [header, rule]
    for row in rows:
        cells = [f"{row.results[n].rss / 2**20:.0f}" for n in names]
        out.append(f"| {row.label} | " + " | ".join(cells) + " |")
    out += ["", "| repository | contents | staged change | `dvcflow-check --all` says |"]
    out += ["|---|---|---|---|"]
    for row in rows:
        said = row.results["check --all"].summary.replace("|", "/")
        out.append(f"| {row.label} | {row.description} | {row.change} | {said} |")
    return out


def growth(rows: list[Row]) -> list[str]:
    by_repo: dict[str, list[Row]] = {}
    for row in rows:
        by_repo.setdefault(row.repo, []).append(row)
    grown = {repo: sorted(rs, key=lambda r: r.scale) for repo, rs in by_repo.items() if len(rs) > 1}
    if not grown:
        return []
    names = [name for name, _ in COMMANDS]
    out = [
        "Growth: time at each size divided by the time at the size before it (doubling the "
        "repository should cost at most 2.2x):",
        "",
        "| repository | sizes | " + " | ".join(names) + " |",
        "|---|---|" + "---:|" * len(names),
    ]
    for repo, series in grown.items():
        for before, after in itertools.pairwise(series):
            cells = [f"{after.results[n].median / before.results[n].median:.2f}x" for n in names]
            sizes = f"{before.scale}x -> {after.scale}x"
            out.append(f"| {repo} | {sizes} | " + " | ".join(cells) + " |")
    return out


@dataclass
class Target:
    text: str
    holds: bool
    detail: str


def targets(rows: list[Row]) -> list[Target]:
    found: list[Target] = []
    static = [(r.label, r.ratio("DVF1,3,4")) for r in rows]
    worst = max(static, key=lambda item: item[1])
    found.append(
        Target(
            "static rules (DVF1,3,4) in pre-commit mode under 10% of `dvc status`",
            worst[1] < 0.10,
            ", ".join(f"{label} {ratio:.0%}" for label, ratio in static),
        )
    )
    for row in rows:
        if row.repo == "demo":
            took = row.results["DVF1,3,4"].median
            found.append(
                Target("static rules under 150 ms on the demo", took < 0.150, f"{_ms(took)} ms")
            )
    stale = [(r.label, r.ratio("DVF2")) for r in rows]
    found.append(
        Target(
            "DVF2 (up to date) under 20% of `dvc status`",
            max(ratio for _, ratio in stale) < 0.20,
            ", ".join(f"{label} {ratio:.0%}" for label, ratio in stale),
        )
    )
    doubling: list[tuple[str, float]] = []
    by_repo: dict[str, list[Row]] = {}
    for row in rows:
        by_repo.setdefault(row.repo, []).append(row)
    for repo, series in by_repo.items():
        series.sort(key=lambda r: r.scale)
        for before, after in itertools.pairwise(series):
            doublings = math.log2(after.scale / before.scale)
            for name, _ in COMMANDS[1:]:
                factor = after.results[name].median / before.results[name].median
                doubling.append((f"{repo} {name}", factor ** (1 / doublings)))
    if doubling:
        worst_double = max(doubling, key=lambda item: item[1])
        found.append(
            Target(
                "doubling the repository costs at most 2.2x (dvcflow commands)",
                worst_double[1] <= 2.2,
                f"worst: {worst_double[0]} {worst_double[1]:.2f}x",
            )
        )
    for row in rows:
        if row.repo == "monorepo" and row.scale == 1:
            peak = max(row.results[n].rss for n, _ in COMMANDS[1:])
            found.append(
                Target(
                    "peak memory under 200 MB on the 2,000-stage monorepo",
                    peak < 200 * 2**20,
                    f"{peak / 2**20:.0f} MB",
                )
            )
    return found


# --------------------------------------------------------------------------- main


def mlflow_section(work: Path) -> list[str]:
    print("\nmlflow: post-commit tagging, REST vs the mlflow client ...", flush=True)
    proc = subprocess.run(
        [sys.executable, str(HERE / "bench_mlflow_tag.py"), "--repeat", "5"],
        capture_output=True,
        text=True,
        check=False,
        cwd=work,
    )
    text = (proc.stdout + ("" if proc.returncode == 0 else proc.stderr)).strip()
    print(text)
    return ["## MLflow post-commit hook (bench/bench_mlflow_tag.py)", "", "```", text, "```"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1x only, 3 runs, no large repos")
    parser.add_argument("--sizes", default=None, help="scales for growth, e.g. 1,2,4")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=None, help="timed runs per command")
    parser.add_argument("--repos", default=None, help=f"subset of {[r.name for r in REPOS]}")
    parser.add_argument("--keep", type=Path, help="build the repositories here and keep them")
    parser.add_argument("--output", type=Path, default=HERE / "results.md")
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow benchmark")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("1" if args.quick else "1,2,4")).split(",")]
    runs = args.runs or (3 if args.quick else 5)
    chosen = [r for r in REPOS if args.repos is None or r.name in args.repos.split(",")]
    if args.quick and args.repos is None:
        chosen = [r for r in chosen if r.name != "imports-large"]
    work = args.keep or Path(tempfile.mkdtemp(prefix="dvcflow-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    emulate.use_bench_env(work)
    started, load_before = time.perf_counter(), load()
    rows: list[Row] = []
    try:
        for spec in chosen:
            for scale in sizes if spec.grows else [1]:
                rows.append(_one(spec, scale, args.seed, runs, work, keep=args.keep is not None))
        took = time.perf_counter() - started
        lines = _report(rows, runs, args, took, (load_before, load()))
        if not (args.quick or args.no_mlflow):
            lines += ["", *mlflow_section(work)]
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    args.output.write_text("\n".join([*lines, *kept_sections(args.output, lines)]) + "\n")
    print(f"\nwritten to {args.output}")
    return 0


def kept_sections(output: Path, lines: list[str]) -> list[str]:
    """The `## ` sections of the existing output that this run did not write (bench/real.py's
    results; the MLflow section under `--quick` or `--no-mlflow`), in their order."""
    if not output.exists():
        return []
    written = {line for line in lines if line.startswith("## ")}
    kept: list[str] = []
    keeping = False
    for line in output.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            keeping = line not in written
            if keeping:
                kept.append("")
        if keeping:
            kept.append(line)
    return kept


def _one(spec: RepoSpec, scale: int, seed: int, runs: int, work: Path, *, keep: bool) -> Row:
    root = work / f"{spec.name}-{scale}x"
    if root.exists():
        shutil.rmtree(root)
    print(f"\n{spec.name} {scale}x: generating ...", flush=True)
    start = time.perf_counter()
    generated = spec.build(root, scale, seed)
    change = generated.change()
    built = time.perf_counter() - start
    print(f"  {generated.description}; built in {built:.0f} s; staged: {change}", flush=True)
    results = measure(root, runs)
    row = Row(spec.name, scale, generated.description, change, built, results)
    for name, measured in results.items():
        ratio = "" if name == STATUS else f"  {row.ratio(name):6.1%} of dvc status"
        print(
            f"  {name:12s} {_ms(measured.median):>8s} ms  {measured.rss / 2**20:5.0f} MB"
            f"{ratio}  [{measured.summary[:60]}]",
            flush=True,
        )
    if not keep:
        shutil.rmtree(root, ignore_errors=True)
    return row


def _report(
    rows: list[Row], runs: int, args: argparse.Namespace, took: float, loads: tuple[str, str]
) -> list[str]:
    today = datetime.date.today().isoformat()
    command = "python bench/run.py" + (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")
    lines = [
        "# dvcflow benchmarks",
        "",
        f"`{command}` (seed {args.seed}) on {today}, {took / 60:.0f} min:",
        "",
        *machine(),
        f"- load average {loads[0]} at the start, {loads[1]} at the end",
        "",
        *tables(rows, runs),
    ]
    grown = growth(rows)
    if grown:
        lines += ["", *grown]
    lines += ["", "Targets:", ""]
    for target in targets(rows):
        mark = "holds" if target.holds else "**does not hold**"
        lines.append(f"- {target.text}: {mark} ({target.detail})")
    print("\n" + "\n".join(lines))
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
