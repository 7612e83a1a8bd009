"""Benchmark: DVF501 (the pre-push check) vs `dvc status --cloud` on a range with nothing missing.

    python bench/bench_pushed.py [--dirs 4] [--files 500] [--singles 20] [--commits 10]
                                 [--remote local|s3] [--runs 3] [--keep DIR]

Builds a Git + DVC repository with `--dirs` tracked folders of `--files` files each and
`--singles` tracked files, then `--commits` commits that each change one file of a folder and
one tracked file (`dvc add`, `git commit`), and pushes everything (`dvc push --all-commits`)
to a local folder remote or an S3 remote served by moto's server on 127.0.0.1 (`--remote
s3`). It times, in fresh processes, best of `--runs` after a warm-up:

- `dvcflow-check --select DVF501 --push-range BASE..HEAD`, cold: what was seen on the remote
  forgotten before each run (`.git/dvcflow/` deleted), every object asked of the remote;
- the same, warm: a later push of the same commits, everything known present;
- `dvc status --cloud` (the work tree's objects only, one commit, not ten).

The issue's bound: DVF501 at most half the time of `dvc status --cloud`.
Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # bench/ is not a package: imported from beside this file


def timed(cmd: list[str], cwd: Path, before: list[Path] | None = None) -> float:
    for path in before or []:
        shutil.rmtree(path, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return elapsed


def best(cmd: list[str], cwd: Path, runs: int, before: list[Path] | None = None) -> float:
    timed(cmd, cwd, before)  # warm-up: byte code, DVC's site cache
    return min(timed(cmd, cwd, before) for _ in range(runs))


def build(root: Path, dirs: int, files: int, singles: int, commits: int) -> str:
    """The data and commits (the remote is configured first: DVC reads each commit's own
    .dvc/config for --all-commits); returns the commit before the measured range."""
    for d in range(dirs):
        for f in range(files):
            path = root / "data" / f"set{d}" / f"part{f:05d}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"id,value\n{d},{f}\n")
    for s in range(singles):
        (root / "models").mkdir(exist_ok=True)
        (root / "models" / f"model{s}.bin").write_bytes(os.urandom(2048))
    targets = [f"data/set{d}" for d in range(dirs)] + [
        f"models/model{s}.bin" for s in range(singles)
    ]
    generate.must([generate.tool("dvc"), "add", "-q", *targets], root)
    generate.must(["git", "add", "-A"], root)
    generate.must(["git", "commit", "-q", "--no-gpg-sign", "-m", "data"], root)
    base = generate.must(["git", "rev-parse", "HEAD"], root).strip()
    for c in range(commits):
        d, s = c % max(dirs, 1), c % max(singles, 1)
        (root / "data" / f"set{d}" / "part00000.csv").write_text(f"id,value\n{c},changed\n")
        (root / "models" / f"model{s}.bin").write_bytes(os.urandom(2048))
        generate.must(
            [generate.tool("dvc"), "add", "-q", f"data/set{d}", f"models/model{s}.bin"], root
        )
        generate.must(["git", "add", "-A"], root)
        generate.must(["git", "commit", "-q", "--no-gpg-sign", "-m", f"change {c}"], root)
    return base


def remote(root: Path, kind: str, work: Path) -> object:
    dvc = generate.tool("dvc")
    if kind == "local":
        generate.must([dvc, "remote", "add", "-d", "storage", str(work / "remote")], root)
        return None
    import boto3
    from moto.server import ThreadedMotoServer

    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="bench")
    generate.must([dvc, "remote", "add", "-d", "storage", "s3://bench/store"], root)
    generate.must([dvc, "remote", "modify", "storage", "endpointurl", endpoint], root)
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dirs", type=int, default=4)
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--singles", type=int, default=20)
    parser.add_argument("--commits", type=int, default=10)
    parser.add_argument("--remote", choices=["local", "s3"], default="local")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build here and keep the repository")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="dvcflow-bench-pushed-"))
    root = args.keep or work / "repo"
    generate.use_bench_env(work)
    try:
        root.mkdir(parents=True)
        generate.must(["git", "init", "-q", "-b", "main"], root)
        generate.must([generate.tool("dvc"), "init", "-q"], root)
        server = remote(root, args.remote, work)
        base = build(root, args.dirs, args.files, args.singles, args.commits)
        generate.must([generate.tool("dvc"), "push", "-q", "-r", "storage", "--all-commits"], root)
        objects = (
            args.dirs * args.files
            + args.singles
            + 2 * args.commits
            + args.dirs * (1 + args.commits)
        )
        print(
            f"repository: {args.dirs} folders x {args.files} files, {args.singles} files, "
            f"{args.commits} commits pushed (~{objects} objects), remote: {args.remote}"
        )
        check = [
            generate.tool("dvcflow-check"),
            "--select",
            "DVF501",
            "--push-range",
            f"{base}..HEAD",
        ]
        cold = best(check, root, args.runs, before=[root / ".git" / "dvcflow"])
        warm = best(check, root, args.runs)
        status = best([generate.tool("dvc"), "status", "--cloud", "-q"], root, args.runs)
        print(f"dvcflow DVF501, cold (every object asked): {cold:6.2f} s")
        print(f"dvcflow DVF501, warm (known present):     {warm:6.2f} s")
        print(f"dvc status --cloud:                       {status:6.2f} s")
        print(f"ratio cold / dvc status --cloud: {cold / status:.2f}; warm: {warm / status:.2f}")
        if server is not None:
            server.stop()  # type: ignore[attr-defined]
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
