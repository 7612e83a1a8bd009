"""Benchmark: what finding positions (line, column) add to a run, per 10,000 findings.

    python bench/bench_positions.py [--findings 10000] [--files 33] [--runs 3] [--roundtrip]

Writes `--files` dvc.lock-like documents (as `dvc repro` writes them: cmd, deps and outs with
md5, size and hash) holding `--findings` stages in all, then times, best of `--runs`:
parsing them (`load_yaml`, what a clean run pays: the C parser's marks are kept in that one
parse), and then the positions of every stage (`position(child(tree, "stages"), name)`, what
a run adds when each stage is a finding, e.g. DVF304 orphan lock entries). `--roundtrip`
also times the same positions from ruamel's pure-Python round-trip tree, as dvcflow found
them before. Not a test: timings depend on the machine (CPU time of this process, best of
runs: steadier than wall time on a busy machine); the target (issue 17) is <= 0.2 s added
per 10,000 findings.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from dvcflow.dvc.yamlio import YamlDocument, child, load_yaml, position


def lock_text(first: int, count: int) -> str:
    lines = ["schema: '2.0'", "stages:"]
    for n in range(first, first + count):
        lines += [
            f"  stage_{n}:",
            f"    cmd: python src/stage_{n}.py --seed {n}",
            "    deps:",
            f"    - path: src/stage_{n}.py",
            "      hash: md5",
            f"      md5: {n:032x}",
            f"      size: {1000 + n}",
            "    - path: data/raw",
            "      hash: md5",
            f"      md5: {n * 7:032x}.dir",
            "      size: 123456",
            "      nfiles: 12",
            "    outs:",
            f"    - path: out/stage_{n}.pkl",
            "      hash: md5",
            f"      md5: {n * 3:032x}",
            "      size: 42",
        ]
    return "\n".join(lines) + "\n"


def best(runs: int, work: Callable[[], int]) -> tuple[float, int]:
    times, result = [], 0
    for _ in range(runs):
        start = time.process_time()
        result = work()
        times.append(time.process_time() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=33)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--roundtrip", action="store_true")
    args = parser.parse_args()
    per_file = -(-args.findings // args.files)
    texts = [lock_text(i * per_file, per_file) for i in range(args.files)]
    lines = sum(t.count("\n") for t in texts)
    print(f"{args.files} files, {per_file * args.files:,} stages, {lines:,} lines")

    documents: list[YamlDocument] = []

    def parse() -> int:
        documents[:] = [load_yaml(t) for t in texts]
        return len(documents)

    def positions(tree_of: Callable[[YamlDocument], Any]) -> Callable[[], int]:
        def work() -> int:
            found = 0
            for document in documents:
                stages = child(tree_of(document), "stages")
                for name in document.data["stages"]:
                    found += position(stages, name)[0] > 0
            return found

        return work

    base, _ = best(args.runs, parse)
    print(f"parse (what a clean run pays, marks included): {base:.3f} s")
    added, found = best(args.runs, positions(lambda d: d.tree))
    per_10k = added / max(found, 1) * 10_000
    print(
        f"{found:,} positions from the marks: {added:.3f} s = {per_10k:.3f} s per 10,000 findings"
    )
    if args.roundtrip:
        rt, found = best(1, positions(lambda d: d.roundtrip))
        print(f"{found:,} positions from ruamel's round-trip tree: {rt:.3f} s")


if __name__ == "__main__":
    main()
