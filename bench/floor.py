"""What a dvcflow run costs before its own code runs, beside `dvc status`, on public projects.

    python bench/floor.py --clones DIR [--repos bench/real-repos.txt] [--only a,b] [--runs 5]

Same clones, pinned commits and staged one-line script edit as bench/real.py (see its
docstring; run it with the Python of a regular install). Per repository, each in a fresh
process, one warm-up each, then `--runs` rounds taking turns:

- `dvc status`;
- `start`: the hook's Python doing nothing (`python -c pass`);
- `libraries`: that Python importing every module outside dvcflow that the default hook
  imports in this clone (the standard library's and ruamel.yaml's, ...), in the same order;
- `+ dvcflow`: the same plus dvcflow's own modules the hook imports, without running a rule;
- the default hook in pre-commit mode (`dvcflow-check`).

The `libraries` ratio is a floor for this design: whatever dvcflow's own code does, a hook
that starts Python and reads DVC's files with the libraries DVC reads them with cannot take
less. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from real import (
    HERE,
    env_for,
    fresh_clone,
    read_list,
    script_to_edit,
    sh,
    source_of,
    stage_edit,
    timed,
    tool,
)

COLUMNS = ("status", "start", "libraries", "dvcflow", "hook")

# Runs the hook in-process and writes the modules it imported, in import order, to argv[1].
_LIST_MODULES = """
import sys
out = sys.argv[1]
sys.argv = ["dvcflow-check"]
before = set(sys.modules)
from dvcflow.hooks.check import main
try:
    main()
except SystemExit:
    pass
with open(out, "w") as f:
    f.write("\\n".join(
        name for name, module in sys.modules.items()
        if name not in before and getattr(module, "__spec__", None) is not None
    ))
"""


def imported_modules(root: Path, env: dict[str, str], into: Path) -> list[str]:
    """What a warm hook imports: the first run after a clone fills dvcflow's caches and
    imports more (`packaging`, to read the pins), as the timed runs after the warm-up do not."""
    listing = into / "modules.txt"
    timed([tool("dvcflow-check")], root, env)
    timed([sys.executable, "-c", _LIST_MODULES, str(listing)], root, env)
    return listing.read_text(encoding="utf-8").split()


def importer(modules: list[str]) -> list[str]:
    """A Python importing `modules` in order; a name that is no importable module (entries
    extension modules add to sys.modules, such as `cython_runtime` or a Cython module's dotted
    alias) came with the module that imported it."""
    names = ",".join(repr(m) for m in modules)
    code = (
        "import importlib\n"
        f"for m in ({names},):\n"
        "    try: importlib.import_module(m)\n"
        "    except ModuleNotFoundError as e:\n"
        "        if not (m + '.').startswith(f'{e.name}.'): raise\n"
    )
    return [sys.executable, "-c", code]


def measure(root: Path, env: dict[str, str], modules: list[str], runs: int) -> dict[str, float]:
    libraries = [m for m in modules if m.split(".", 1)[0] != "dvcflow"]
    argv = {
        "status": [tool("dvc"), "status", "-q"],
        "start": [sys.executable, "-c", "pass"],
        "libraries": importer(libraries),
        "dvcflow": importer(modules),
        "hook": [tool("dvcflow-check")],
    }
    samples: dict[str, list[float]] = {name: [] for name in COLUMNS}
    for name in COLUMNS:  # warm-up; an import that fails would make the floor look low
        proc = sh(argv[name], root, env)
        if name in ("start", "libraries", "dvcflow") and proc.returncode != 0:
            raise SystemExit(f"{root.name}: {name} failed: {proc.stderr.strip()[-300:]}")
    for _ in range(runs):
        for name in COLUMNS:
            samples[name].append(timed(argv[name], root, env)[0])
    return {name: statistics.median(values) for name, values in samples.items()}


def row(name: str, t: dict[str, float], own: int, others: int) -> str:
    ms = {k: f"{1000 * v:.0f}" for k, v in t.items()}
    ratio = {k: f"{v / t['status']:.2f}" for k, v in t.items()}
    return (
        f"| {name} | {ms['status']} | {ms['start']} ({ratio['start']}) "
        f"| {ms['libraries']} ({ratio['libraries']}) | {others} "
        f"| {ms['dvcflow']} ({ratio['dvcflow']}) | {own} | {ms['hook']} ({ratio['hook']}) |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clones", default=os.environ.get("DVCFLOW_REAL_REPOS"))
    parser.add_argument("--repos", default=str(HERE / "real-repos.txt"))
    parser.add_argument("--only", default="", help="comma-separated owner/name to run")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    args = parser.parse_args(argv)
    if not args.clones:
        parser.error("give --clones DIR or set DVCFLOW_REAL_REPOS (the bench never downloads)")
    wanted = {n for n in args.only.split(",") if n}
    print(
        "| repository | `dvc status` ms | start ms (ratio) | libraries ms (ratio) | modules "
        "| + dvcflow ms (ratio) | dvcflow modules | hook ms (ratio) |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    ratios: dict[str, list[float]] = {"libraries": [], "dvcflow": [], "hook": []}
    with tempfile.TemporaryDirectory(prefix="dvcflow-floor-") as tmp:
        work = Path(tmp)
        (work / "clones").mkdir()
        env = env_for(work)
        for repo in read_list(Path(args.repos)):
            if wanted and repo.name not in wanted:
                continue
            root = fresh_clone(source_of(Path(args.clones), repo), repo, work / "clones", env)
            script = script_to_edit(root, repo)
            if script is not None:
                stage_edit(root, script, env)
            modules = imported_modules(root, env, work)
            own = sum(m.split(".", 1)[0] == "dvcflow" for m in modules)
            times = measure(root, env, modules, args.runs)
            for name, values in ratios.items():
                values.append(times[name] / times["status"])
            print(row(repo.name, times, own, len(modules) - own), flush=True)
    if ratios["hook"]:
        print(
            "\nmedian (worst) over the projects, as a share of `dvc status`: "
            + ", ".join(
                f"{label} {statistics.median(ratios[name]):.2f}x ({max(ratios[name]):.2f}x)"
                for name, label in (
                    ("libraries", "start + libraries"),
                    ("dvcflow", "+ dvcflow's modules"),
                    ("hook", "the hook"),
                )
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
