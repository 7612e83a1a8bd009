"""`stage_run`: one MLflow run per DVC stage, nested in the pipeline's run from `dvcflow-repro`.

    from dvcflow.mlflow import stage_run

    @stage_run()                      # or: with stage_run() as run: ...
    def main() -> None:
        mlflow.log_metric("accuracy", 0.93)

Under `dvcflow-repro` (which exports `DVCFLOW_PARENT_RUN_ID`), the run is nested in the
pipeline's parent run, in its experiment. It is named after the DVC stage (`DVC_STAGE`, which
DVC >= 3 exports to every stage command: `train`, `train@us`, `sub/dvc.yaml:train`) and tagged
`dvcflow.stage` plus `dvcflow.dep.<path>` for each of the stage's deps inside the repository:
the raw md5 (`<md5>.dir` for a folder) of the dep as it is when the command starts. That is the
hash DVC 3 records for it in dvc.lock (`hash: md5`) once the stage succeeds; dvc.lock itself is
only written after the command ends, so it cannot be read from inside. Hashing reads every dep
once: pass `hash_deps=False` for deps too large to read twice.

Run alone (`python train.py`, or a plain `dvc repro`), it opens a plain run with the same name
and tags, in the experiment MLflow's own settings select; inside an active run it nests there.
The run ends FINISHED, FAILED on an exception, KILLED on Ctrl-C or SIGTERM (turned into
`SystemExit(143)` while the block runs, when the script left SIGTERM's default action).
Importing this module imports neither mlflow nor dvcflow's pipeline model: a stage run does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["stage_run", "stage_tags"]

STAGE_ENV = "DVC_STAGE"  # dvc.env.DVC_STAGE, set by dvc/stage/run.py prepare_kwargs
ROOT_ENV = "DVC_ROOT"  # dvc.env.DVC_ROOT: the DVC project's root folder
TERMINATED_EXIT = 128 + int(signal.SIGTERM)


def _repo_relative(folder: str, root: Path) -> str | None:
    try:
        rel = Path(folder).resolve().relative_to(root.resolve()).as_posix()
    except (OSError, ValueError):
        return None
    return "" if rel == "." else rel


def stage_tags(hash_deps: bool = True, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`dvcflow.stage` and, if `hash_deps`, `dvcflow.dep.<path>` for the stage DVC is running.

    Empty outside a DVC stage; the deps are left out when the stage cannot be read.
    """
    from dvcflow.mlflow.runrecord import STAGE_TAG

    env = os.environ if env is None else env
    address = env.get(STAGE_ENV)
    if not address:
        return {}
    tags = {STAGE_TAG: address}
    if hash_deps and env.get(ROOT_ENV):
        with contextlib.suppress(Exception):  # the tags are a record, never a reason to fail
            tags.update(_dep_tags(address, env))
    return tags


def _dep_tags(address: str, env: Mapping[str, str]) -> dict[str, str]:
    from dvcflow.context import Context
    from dvcflow.mlflow.runrecord import CWD_ENV, DEP_TAG_PREFIX, KeyBook, dep_hashes, find_stage

    ctx = Context.from_cwd(env[ROOT_ENV])
    try:
        bases = [
            _repo_relative(env[name], ctx.root) for name in (CWD_ENV, ROOT_ENV) if env.get(name)
        ]
        known = [b for b in bases if b is not None]
        stage = find_stage(ctx.pipelines("workspace"), address, known)
        if stage is None:
            return {}
        hashes = dep_hashes(stage, ctx.workspace, ctx.projects("workspace"))
    finally:
        ctx.close()
    book = KeyBook()
    return {book.key(DEP_TAG_PREFIX + path): md5 for path, md5 in hashes.items()}


def _run_name(name: str | None, env: Mapping[str, str]) -> str | None:
    if name:
        return name
    if env.get(STAGE_ENV):
        return env[STAGE_ENV]
    script = Path(sys.argv[0]).stem if sys.argv and sys.argv[0] else ""
    return script if script and script != "-c" else None


class _Terminated:
    """While a stage run is open: SIGTERM raises SystemExit(143), so the run ends KILLED."""

    def __init__(self) -> None:
        self.received = False
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> _Terminated:
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            self._previous = signal.signal(signal.SIGTERM, self._handle)
            self._installed = True
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = True
        raise SystemExit(TERMINATED_EXIT)

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous)


def _status(exc: BaseException | None, terminated: _Terminated) -> str:
    if exc is None:
        return "FINISHED"
    if isinstance(exc, KeyboardInterrupt) or terminated.received:
        return "KILLED"
    if isinstance(exc, SystemExit) and exc.code in (0, None):
        return "FINISHED"
    return "FAILED"


def _one_line(exc: BaseException) -> str:
    from dvcflow.mlflow.console import client_failure
    from dvcflow.mlflow.redact import redact

    return redact(client_failure(exc))


def _warn(message: str) -> None:
    print(f"dvcflow: warning: {message}", file=sys.stderr, flush=True)


def _end(mlflow: Any, run_id: str, status: str) -> None:
    """End our run (and nested runs the block left open above it) with `status`."""
    active = mlflow.active_run()
    stack_ids: list[str] = []
    with contextlib.suppress(Exception):
        from mlflow.tracking import fluent

        stack: Any = fluent._active_run_stack
        stack_ids = [r.info.run_id for r in stack.get()]
    if active is not None and run_id in stack_ids:
        while (top := mlflow.active_run()) is not None:
            mlflow.end_run(status)
            if top.info.run_id == run_id:
                return
    elif active is not None and active.info.run_id == run_id:
        mlflow.end_run(status)
    else:  # the block ended it, or left the stack in a state we do not know
        client = mlflow.MlflowClient()
        if client.get_run(run_id).info.status == "RUNNING":
            client.set_terminated(run_id, status)


@contextlib.contextmanager
def stage_run(
    name: str | None = None,
    *,
    tags: Mapping[str, str] | None = None,
    hash_deps: bool = True,
) -> Iterator[Any]:
    """A run for the DVC stage being executed, nested in `dvcflow-repro`'s parent run.

    Yields MLflow's `ActiveRun` (None, after a warning on stderr, when MLflow cannot open the
    run: the stage's work runs all the same; a run MLflow cannot end is warned about, never a
    reason to fail the stage). Usable as `with stage_run():` and as `@stage_run()`.
    `name` overrides the run name (default: the stage's address, else the script's name);
    `tags` are added to dvcflow's; `hash_deps=False` skips hashing the stage's deps.
    """
    import mlflow

    from dvcflow.mlflow.runrecord import EXPERIMENT_ENV, MAX_TAG_VALUE_LENGTH, PARENT_ENV, clip

    env = os.environ
    extra = {key: clip(str(value), MAX_TAG_VALUE_LENGTH) for key, value in (tags or {}).items()}
    run_tags = {**stage_tags(hash_deps, env), **extra}
    options: dict[str, Any] = {}
    if mlflow.active_run() is not None:
        options["nested"] = True
    elif env.get(PARENT_ENV):
        options["parent_run_id"] = env[PARENT_ENV]
        if env.get(EXPERIMENT_ENV):
            options["experiment_id"] = env[EXPERIMENT_ENV]
    with _Terminated() as terminated:
        try:
            run = mlflow.start_run(run_name=_run_name(name, env), tags=run_tags, **options)
        except Exception as exc:  # MLflow gone or failing: the stage's work comes first
            _warn(f"no MLflow run for this stage: MLflow is {_one_line(exc)}; it runs all the same")
            yield None
            return
        failure: BaseException | None = None
        try:
            yield run
        except BaseException as exc:
            failure = exc
            raise
        finally:
            try:
                _end(mlflow, run.info.run_id, _status(failure, terminated))
            except Exception as exc:  # never turn the stage's finished work into a failure
                _warn(
                    f"cannot end this stage's MLflow run {run.info.run_id[:8]}: "
                    f"MLflow is {_one_line(exc)}"
                )
