"""dvcflow beside `dvc status` on public DVC projects, in fresh clones, as a new user meets it.

    python bench/real.py --clones DIR [--repos bench/real-repos.txt] [--only a,b]
                         [--rounds 3] [--runs 3] [--output FILE]

`DIR` (or the environment variable DVCFLOW_REAL_REPOS) holds one Git repository per line of
`bench/real-repos.txt` (`owner/name commit`), as `DIR/owner+name/repo` (a bare mirror, the
layout of /work/.mirror) or `DIR/owner+name` (any clone). The benchmark never downloads: to
populate DIR, clone each repository once (`git clone --mirror https://github.com/OWNER/NAME
DIR/OWNER+NAME/repo`) or point it at an existing mirror folder.

Per repository and round, a fresh `git clone` checked out at the pinned commit (no `dvc pull`:
a fresh clone, as a new contributor has it), then each command in a fresh process, one warm-up
run each, then `--runs` rounds taking turns:

- `dvc status` (what DVC's own pre-commit hook runs),
- the default hook in pre-commit mode (`dvcflow-check`, no options) with one staged one-line
  edit to a script a stage lists in its deps,
- `dvcflow-check --all` (CI).

It prints per repository the medians (the range over `--rounds` rounds), the ratios to
`dvc status`, and which engine judged the DVF2 stages (`dvcflow-check --all --select DVF2
--statistics`): `fast`, `fast+dvc(N)` (N stages handed over), or `dvc` (the whole project).
Run it with the Python of a regular install, as pre-commit builds the hook's environment
(`python3 -m venv V && V/bin/pip install '.[dvc]' dvc==3.67.1 && V/bin/python bench/real.py
...`): the commands timed are those beside that Python. An editable install (`pip install -e`)
adds its import hook to every start (~10 ms), which no user's hook pays.

Not a test: timings depend on the machine. Targets (issue 17): pre-commit median <= 0.15x
`dvc status` and worst <= 0.25x; `--all` median <= 0.20x and worst <= 0.50x; the fast path
judges >= 95% of the projects without handing a stage to DVC.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
SCRIPT_SUFFIXES = (".py", ".R", ".r", ".sh", ".jl", ".ipynb")
ENGINE_LINE = re.compile(r"staleness: (\d+) stages .* fast path, (\d+) by DVC")


def tool(name: str) -> str:
    candidate = BIN / name
    return str(candidate) if candidate.exists() else name


@dataclass(frozen=True)
class RealRepo:
    name: str  # owner/name
    commit: str
    script: str | None = None  # the script to edit; else the first one a stage lists in deps

    @property
    def key(self) -> str:
        return self.name.replace("/", "+")


def read_list(path: Path) -> list[RealRepo]:
    repos: list[RealRepo] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) >= 2:
            repos.append(RealRepo(parts[0], parts[1], parts[2] if len(parts) > 2 else None))
    return repos


def source_of(clones: Path, repo: RealRepo) -> Path:
    for candidate in (clones / repo.key / "repo", clones / repo.key):
        if candidate.is_dir():
            return candidate
    raise SystemExit(f"{repo.name}: not in {clones} (see the docstring: the bench never downloads)")


def env_for(work: Path) -> dict[str, str]:
    """Byte code is cached for every command alike (as an installed package has it): a
    PYTHONDONTWRITEBYTECODE inherited from the caller would, with the prefix, make every run of
    dvc and of dvcflow compile all its modules from source."""
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {
        **inherited,
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": str(work / "dvc-site-cache"),
        "PYTHONPYCACHEPREFIX": str(work / "pycache"),
        "GIT_TERMINAL_PROMPT": "0",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def sh(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def fresh_clone(source: Path, repo: RealRepo, into: Path, env: dict[str, str]) -> Path:
    target = into / repo.key
    shutil.rmtree(target, ignore_errors=True)
    for args in (
        ["git", "clone", "-q", "--no-checkout", str(source), str(target)],
        ["git", "-C", str(target), "checkout", "-q", repo.commit],
    ):
        proc = sh(args, into, env)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)}: {proc.stderr.strip()}")
    return target


def script_to_edit(root: Path, repo: RealRepo) -> str | None:
    """The pinned script, else the first script file a stage of a dvc.yaml lists in deps."""
    if repo.script:
        return repo.script
    from ruamel.yaml import YAML

    for path in sorted(root.rglob("dvc.yaml"), key=lambda p: (len(p.parts), str(p))):
        try:
            data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
        except Exception:
            continue
        for stage in (data.get("stages") or {}).values():
            for dep in stage.get("deps") or [] if isinstance(stage, dict) else []:
                if not isinstance(dep, str) or not dep.endswith(SCRIPT_SUFFIXES):
                    continue
                file = (path.parent / dep).resolve()
                if file.is_file() and root.resolve() in file.parents:
                    return str(file.relative_to(root.resolve()))
    return None


def stage_edit(root: Path, script: str, env: dict[str, str]) -> None:
    """A one-line edit to the script, staged, as a contributor's commit has it."""
    path = root / script
    text = path.read_text(encoding="utf-8", errors="replace")
    comment = "// dvcflow bench\n" if script.endswith(".jl") else "# dvcflow bench\n"
    if script.endswith(".ipynb"):
        path.write_text(text.replace('"source": [', '"source": [\n    "# dvcflow bench\\n",', 1))
    else:
        path.write_text(text + ("" if text.endswith("\n") else "\n") + comment)
    sh(["git", "add", "--", script], root, env)


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = sh(args, cwd, env)
    return time.perf_counter() - start, proc.stdout + proc.stderr


@dataclass
class Round:
    status: float
    hook: float
    all: float
    engine: str


@dataclass
class Result:
    repo: RealRepo
    stages: int = 0
    rounds: list[Round] = field(default_factory=list)
    note: str = ""


COMMANDS = ("status", "hook", "all")


def measure(root: Path, env: dict[str, str], runs: int) -> dict[str, float]:
    argv = {
        "status": [tool("dvc"), "status", "-q"],
        "hook": [tool("dvcflow-check")],
        "all": [tool("dvcflow-check"), "--all"],
    }
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for name in COMMANDS:  # warm-up: DVC's hash cache, byte code, dvcflow's blob cache
        timed(argv[name], root, env)
    for _ in range(runs):
        for name in COMMANDS:
            samples[name].append(timed(argv[name], root, env)[0])
    return {name: statistics.median(values) for name, values in samples.items()}


def engine_of(root: Path, env: dict[str, str]) -> tuple[str, int]:
    """(`fast` | `fast+dvc(N)` | `dvc` | `-`, stages judged) from `--statistics`."""
    args = [tool("dvcflow-check"), "--all", "--select", "DVF2", "--statistics"]
    _, out = timed(args, root, env)
    match = ENGINE_LINE.search(out)
    if match is None:
        return "-", 0
    fast, dvc = int(match.group(1)), int(match.group(2))
    whole = "(the whole project)" in out
    engine = "dvc" if whole else ("fast" if dvc == 0 else f"fast+dvc({dvc})")
    if fast + dvc == 0:
        engine = "none (no DVC project)" if "not judged" not in out else "not judged"
    return engine, fast + dvc


def bench_one(repo: RealRepo, source: Path, work: Path, rounds: int, runs: int) -> Result:
    env = env_for(work)
    result = Result(repo)
    for _ in range(rounds):
        try:
            root = fresh_clone(source, repo, work / "clones", env)
        except RuntimeError as exc:
            result.note = str(exc)
            return result
        script = script_to_edit(root, repo)
        if script is None:
            result.note = "no script in any stage's deps: pre-commit mode with no edit"
        else:
            stage_edit(root, script, env)
        times = measure(root, env, runs)
        engine, result.stages = engine_of(root, env)
        result.rounds.append(Round(times["status"], times["hook"], times["all"], engine))
        shutil.rmtree(root, ignore_errors=True)
    return result


def span(values: list[float], fmt: str) -> str:
    low, high = min(values), max(values)
    return (
        format(low, fmt)
        if format(low, fmt) == format(high, fmt)
        else (f"{format(low, fmt)}-{format(high, fmt)}")
    )


def table(results: list[Result]) -> list[str]:
    lines = [
        "| repository | stages | `dvc status` s | pre-commit s | ratio | `--all` s | ratio "
        "| engine |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if not r.rounds:
            lines.append(f"| {r.repo.name} | - | - | - | - | - | - | not measured: {r.note} |")
            continue
        status = [x.status for x in r.rounds]
        hook = [x.hook for x in r.rounds]
        all_ = [x.all for x in r.rounds]
        lines.append(
            f"| {r.repo.name} | {r.stages} | {span(status, '.2f')} | {span(hook, '.2f')} "
            f"| {span([x.hook / x.status for x in r.rounds], '.2f')} | {span(all_, '.2f')} "
            f"| {span([x.all / x.status for x in r.rounds], '.2f')} | {r.rounds[-1].engine} |"
        )
    return lines


def summary(results: list[Result]) -> list[str]:
    measured = [r for r in results if r.rounds]
    if not measured:
        return ["nothing measured"]

    def ratios(attr: str) -> list[float]:
        return [statistics.median(getattr(x, attr) / x.status for x in r.rounds) for r in measured]

    hook, all_ = ratios("hook"), ratios("all")
    judged = [r for r in measured if r.stages]
    fast = sum(r.rounds[-1].engine == "fast" for r in judged)
    return [
        f"- pre-commit mode: median {statistics.median(hook):.2f}x `dvc status`, "
        f"worst {max(hook):.2f}x (targets 0.15x, 0.25x)",
        f"- `--all`: median {statistics.median(all_):.2f}x, worst {max(all_):.2f}x "
        "(targets 0.20x, 0.50x)",
        f"- judged by the fast path alone: {fast} of {len(judged)} projects with stages "
        f"({100 * fast / max(len(judged), 1):.0f}%; target 95%)",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clones", default=os.environ.get("DVCFLOW_REAL_REPOS"))
    parser.add_argument("--repos", default=str(HERE / "real-repos.txt"))
    parser.add_argument("--only", default="", help="comma-separated owner/name to run")
    parser.add_argument("--rounds", type=int, default=3, help="fresh clones per repository")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command and clone")
    parser.add_argument("--output", help="also write the markdown table here")
    args = parser.parse_args(argv)
    if not args.clones:
        parser.error("give --clones DIR or set DVCFLOW_REAL_REPOS (the bench never downloads)")
    wanted = {n for n in args.only.split(",") if n}
    repos = [r for r in read_list(Path(args.repos)) if not wanted or r.name in wanted]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="dvcflow-real-") as tmp:
        work = Path(tmp)
        (work / "clones").mkdir()
        for repo in repos:
            result = bench_one(
                repo, source_of(Path(args.clones), repo), work, args.rounds, args.runs
            )
            results.append(result)
            print(table([result])[-1], flush=True)
    lines = [*table(results), "", *summary(results)]
    print("\n".join(lines))
    if args.output:
        Path(args.output).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
