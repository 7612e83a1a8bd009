"""The fast path against DVC itself: the state checksum, and a differential test that drives a
generated repository through many states and compares both engines entry for entry."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dvcflow.dvc.status.fast import state_checksum

from .conftest import Repo, _build, report

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # from inside DVC


# ------------------------------------------------------------------------------------ the state
def test_state_checksum_matches_dvc(tmp_path: Path) -> None:
    from dvc_data.hashfile import state
    from dvc_objects.fs import local

    path = tmp_path / "f"
    path.write_text("x")
    dvc_fs: Any = local.LocalFileSystem
    dvc_checksum: Any = state._checksum
    assert state_checksum(os.stat(path)) == dvc_checksum(dvc_fs().info(str(path)))


# ------------------------------------------------------------------------------------ differential
DIFF_PARAMS = (
    "prepare:\n  split: 0.25\ntrain:\n  lr: 0.1\n  layers: [8, 4]\nmodels: [a, b]\nseed: 1\n"
)
DIFF_PIPELINE = """\
stages:
  prepare:
    cmd: python src/prepare.py
    deps: [src/prepare.py, data/raw.csv, data/images]
    params: [prepare.split]
    outs: [data/prepared]
  train:
    foreach: ${models}
    do:
      cmd: python src/train.py ${item}
      deps: [src/train.py, src/notes.txt, data/prepared]
      params: [train.lr, train.layers]
      outs:
        - models/${item}.txt
  evaluate:
    cmd: python src/evaluate.py
    deps: [src/evaluate.py, models]
    metrics:
      - metrics.json:
          cache: false
  pinned:
    cmd: python -c "open('pinned.txt', 'w').write('x')"
    deps: [metrics.json]
    outs: [pinned.txt]
"""
DIFF_SUB = """\
stages:
  echo:
    cmd: python -c "import shutil; shutil.copy('in.txt', 'out.txt')"
    deps: [in.txt]
    params:
      - ../params.yaml:
          - seed
    outs: [out.txt]
"""
DIFF_PREPARE = """\
from pathlib import Path
out = Path("data/prepared"); out.mkdir(parents=True, exist_ok=True)
raw = Path("data/raw.csv").read_bytes() if Path("data/raw.csv").exists() else b""
(out / "rows.csv").write_bytes(raw)
(out / "count.txt").write_text(str(len(list(Path("data/images").glob("*.png")))))
"""
DIFF_TRAIN = """\
import sys
from pathlib import Path
Path("models").mkdir(exist_ok=True)
Path(f"models/{sys.argv[1]}.txt").write_text(Path("data/prepared/rows.csv").read_text()[:20])
"""
DIFF_EVALUATE = """\
import json
from pathlib import Path
Path("metrics.json").write_text(json.dumps(sorted(p.name for p in Path("models").iterdir())))
"""
DIFF_FILES: dict[str, str | bytes] = {
    "params.yaml": DIFF_PARAMS,
    "dvc.yaml": DIFF_PIPELINE,
    ".dvcignore": "*.tmp\n",
    "data/raw.csv": "a,b\r\n1,2\r\n",
    "data/images/1.png": bytes(range(256)) * 8,
    "data/images/2.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 300,
    "data/images/sub/3.png": b"three\r\n",
    "src/prepare.py": DIFF_PREPARE,
    "src/train.py": DIFF_TRAIN,
    "src/evaluate.py": DIFF_EVALUATE,
    "src/notes.txt": "line one\r\nline two\r\n",
    "sub/dvc.yaml": DIFF_SUB,
    "sub/in.txt": "sub input\n",
}


@pytest.fixture(scope="module")
def differential_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("stale-diff")
    _build(base / "repo", base / "home", DIFF_FILES, ["data/raw.csv", "data/images"])
    return base / "repo"


class StateGenerator:
    """Random, seeded edits to a repository: the states the differential test compares."""

    TEXT_FILES = (
        "src/prepare.py",
        "src/train.py",
        "src/evaluate.py",
        "src/notes.txt",
        "sub/in.txt",
        "data/raw.csv",
        "metrics.json",
        "models/a.txt",
        "data/prepared/rows.csv",
        "sub/out.txt",
        "data/images/sub/3.png",
    )

    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self.log: list[str] = []

    def mutate(self) -> None:
        """One new state: a few random edits, or a reset to clean plus a harmless edit."""
        self.log.clear()
        if self.rng.random() < 0.3:
            self.reset()
            if self.rng.random() < 0.6:
                self.rng.choice([self.touch, self.add_ignored, self.unrelated_param])()
            return
        actions: list[Callable[[], None]] = [
            self.edit,
            self.edit,
            self.touch,
            self.delete,
            self.add_file,
            self.crlf,
            self.param,
            self.param,
            self.cmd,
            self.dvc_add,
            self.legacy_lock,
            self.drop_cache_object,
            self.repro,
        ]
        for _ in range(self.rng.randint(1, 3)):
            self.rng.choice(actions)()

    def reset(self) -> None:
        """Committed files back, `dvc checkout`, `dvc repro`: a clean state again."""
        self.log.append("reset")
        subprocess.run(["git", "checkout", "-q", "--", "."], cwd=self.root, check=True)
        for stray in ("data/images/new.png", "data/images/d", "data/images/skip.tmp"):
            path = self.root / stray
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        self._dvc(lambda dvc: dvc.checkout(force=True))
        self.repro()

    def add_ignored(self) -> None:
        self.log.append("add .dvcignored file")
        (self.root / "data/images/skip.tmp").write_bytes(b"ignored\n")

    def unrelated_param(self) -> None:
        self.log.append("unrelated param")
        path = self.root / "params.yaml"
        path.write_text(path.read_text() + "unused: 1\n")

    def _pick(self) -> Path:
        return self.root / self.rng.choice(self.TEXT_FILES)

    def edit(self) -> None:
        path = self._pick()
        self.log.append(f"edit {path.name}")
        if path.exists():
            path.write_bytes(path.read_bytes() + b"more\n")

    def touch(self) -> None:
        path = self._pick()
        self.log.append(f"touch {path.name}")
        if path.exists():
            path.write_bytes(path.read_bytes())

    def delete(self) -> None:
        rel = self.rng.choice([*self.TEXT_FILES, "data/images/1.png", "data/prepared", "models"])
        path = self.root / rel
        self.log.append(f"delete {rel}")
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()

    def add_file(self) -> None:
        rel = self.rng.choice(
            [
                "data/images/new.png",
                "data/images/skip.tmp",
                "data/prepared/extra.txt",
                "models/c.txt",
                "data/images/d/x.png",
            ]
        )
        self.log.append(f"add {rel}")
        path = self.root / rel
        if path.parent.exists() or rel.startswith("data/images/d"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"new\n")

    def crlf(self) -> None:
        path = self._pick()
        self.log.append(f"crlf {path.name}")
        if path.exists():
            data = path.read_bytes()
            if b"\r\n" in data:
                path.write_bytes(data.replace(b"\r\n", b"\n"))
            else:
                path.write_bytes(data.replace(b"\n", b"\r\n"))

    def param(self) -> None:
        text = (self.root / "params.yaml").read_text()
        old, new = self.rng.choice(
            [
                ("lr: 0.1", "lr: 0.2"),
                ("lr: 0.2", "lr: 0.1"),
                ("layers: [8, 4]", "layers: [8, 5]"),
                ("seed: 1", "seed: 2"),
                ("split: 0.25", "split: 0.3"),
                ("seed: 2", "seed: 1"),
                ("  lr: 0.1\n", ""),
                ("models: [a, b]", "models: [a, b, c]"),
                ("models: [a, b, c]", "models: [a, b]"),
            ]
        )
        self.log.append(f"param {old!r}->{new!r}")
        (self.root / "params.yaml").write_text(text.replace(old, new))

    def cmd(self) -> None:
        text = (self.root / "dvc.yaml").read_text()
        old, new = self.rng.choice(
            [
                ("python src/evaluate.py\n", "python src/evaluate.py --v2\n"),
                ("python src/evaluate.py --v2\n", "python src/evaluate.py\n"),
                ("train.py ${item}", "train.py ${item} --seed 1"),
                ("    outs: [pinned.txt]\n", "    outs: [pinned.txt]\n    frozen: true\n"),
                ("    frozen: true\n", ""),
            ]
        )
        self.log.append(f"cmd {old!r}")
        (self.root / "dvc.yaml").write_text(text.replace(old, new))

    def _dvc(self, action: Callable[[Any], None]) -> None:
        from dvc.exceptions import DvcException  # type: ignore[import-untyped]
        from dvc.repo import Repo as DvcRepo  # type: ignore[import-untyped]

        old = os.getcwd()
        os.chdir(self.root)
        try:
            with DvcRepo(str(self.root)) as dvc:
                action(dvc)
        except DvcException as exc:
            self.log.append(f"  dvc refused: {str(exc)[:60]}")
        finally:
            os.chdir(old)

    def dvc_add(self) -> None:
        target = self.rng.choice(["data/raw.csv", "data/images"])
        self.log.append(f"dvc add {target}")
        if (self.root / target).exists():
            self._dvc(lambda dvc: dvc.add(target))

    def repro(self) -> None:
        self.log.append("dvc repro -P")
        self._dvc(lambda dvc: dvc.reproduce(all_pipelines=True))

    def legacy_lock(self) -> None:
        lock = self.root / "dvc.lock"
        self.log.append("legacy lock")
        if lock.exists():
            lock.write_text(lock.read_text().replace("      hash: md5\n", ""))

    def drop_cache_object(self) -> None:
        objects = sorted((self.root / ".dvc/cache/files/md5").rglob("*"))
        files = [p for p in objects if p.is_file()]
        if files:
            victim = self.rng.choice(files)
            self.log.append(f"drop cache {victim.name[:6]}")
            victim.chmod(0o644)
            victim.unlink()


def repro_would_run(root: Path) -> set[str]:
    """Stages DVC's `dvc repro --allow-missing` would re-run: `Stage.changed(allow_missing=True,
    upstream=...)` on DVC's active graph (frozen, always-changed and cmd-only stages left out,
    as DVF2 leaves them out)."""
    from dvc.repo import Repo as DvcRepo  # type: ignore[import-untyped,unused-ignore]
    from dvc.repo import lock_repo
    from dvc.repo.reproduce import get_active_graph  # type: ignore[import-untyped]

    old = os.getcwd()
    os.chdir(root)
    try:
        with DvcRepo(str(root)) as dvc, lock_repo(dvc):
            graph = get_active_graph(dvc.index.graph)
            return {
                stage.addressing
                for stage in graph
                if not (stage.frozen or stage.is_callback or stage.always_changed)
                and stage.changed(allow_missing=True, upstream=list(graph.successors(stage)))
            }
    finally:
        os.chdir(old)


def _compare(repo: Repo, generator: StateGenerator, step: int) -> dict[str, Any]:
    fast = report(repo, "fast")
    slow = report(repo, "dvc")
    assert not slow.problems, slow.problems
    where = f"state {step} after {generator.log}"
    assert fast.raw == slow.raw, where
    stale = {v.address for v in fast.verdicts if v.stale and not v.skipped}
    assert stale == {v.address for v in slow.verdicts if v.stale and not v.skipped}, where
    assert stale == repro_would_run(repo.root), where
    return fast.raw


@pytest.mark.slow
def test_fast_path_agrees_with_dvc_status_on_generated_states(
    differential_template: Path, tmp_path: Path
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(differential_template, root, symlinks=True)
    repo = Repo(root)
    assert _compare(repo, StateGenerator(root, 0), 0) == {"": {}}
    generator = StateGenerator(root, seed=20240607)
    seen: set[str] = set()
    for step in range(1, 31):
        generator.mutate()
        raw = _compare(repo, generator, step)
        seen.update(_kinds(raw))
    # The generated states covered every kind of change DVC reports.
    assert {"modified", "deleted", "not in cache", "changed command", "params", "clean"} <= seen, (
        seen
    )


def _kinds(raw: dict[str, Any]) -> Iterator[str]:
    status = raw.get("", {})
    if not status:
        yield "clean"
    for entries in status.values():
        for entry in entries:
            if isinstance(entry, str):
                yield entry
                continue
            for items in entry.values():
                for value in items.values():
                    yield "params" if isinstance(value, dict) else value
