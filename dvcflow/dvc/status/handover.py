"""The hand-over: `dvc status` of the stages the fast path does not model, from DVC's own API.

DVC is imported here, lazily, only when a stage is handed over.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from typing import Any

from dvcflow.dvc.status.model import RawStatus, StatusEntry
from dvcflow.dvc.status.report import DvcBusy, DvcFailed, DvcNotInstalled


@contextlib.contextmanager
def _cwd(path: str) -> Iterator[None]:
    """DVC prints paths relative to the working folder: run it from the project root."""
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def _quiet_dvc_logs() -> None:
    import logging  # (here: DVC imports it anyway; a run that never hands over does not)

    logger = logging.getLogger("dvc")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def dvc_status(project_dir: str, targets: Sequence[str] | None = None) -> RawStatus:
    """`Repo.status()` of one project from DVC's Python API, keyed as DVC prints it.

    Stages are asked one by one (`Stage.status()`), like `dvc status` does, except that
    imports report their outputs only: their sources are `dvc update`'s business and may be
    remote. DVC's repo lock is taken as `dvc status` takes it; a held lock is DvcBusy.
    `targets` (stage addresses, `.dvc` files) limits it to those, as `dvc status TARGET...`.
    """
    try:
        from dvc.exceptions import DvcException  # type: ignore[import-untyped]
        from dvc.lock import LockError  # type: ignore[import-untyped]
        from dvc.repo import Repo, lock_repo  # type: ignore[import-untyped]
    except ImportError as exc:
        raise DvcNotInstalled(str(exc)) from exc
    _quiet_dvc_logs()
    with _cwd(project_dir):
        try:
            repo = Repo(project_dir)
        except DvcException as exc:
            raise DvcFailed(_dvc_message(exc)) from exc
        except Exception as exc:  # DVC's own crash on input it does not expect
            raise DvcFailed(_dvc_crash(exc)) from exc
        try:
            with lock_repo(repo):
                status: RawStatus = {}
                for stage in _stages(repo, targets):
                    status.update(_stage_status(stage))
                return status
        except LockError as exc:
            raise DvcBusy(str(exc)) from exc
        except DvcException as exc:
            raise DvcFailed(_dvc_message(exc)) from exc
        except Exception as exc:  # a symlink loop, a path outside the repo, a wrongly typed field
            raise DvcFailed(_dvc_crash(exc)) from exc
        finally:
            repo.close()


def _stages(repo: Any, targets: Sequence[str] | None) -> list[Any]:
    if targets is None:
        return list(repo.index.stages)
    return [stage for target in targets for stage in repo.stage.collect(target)]


def _stage_status(stage: Any) -> RawStatus:
    if stage.is_import or stage.is_repo_import:
        entries: list[StatusEntry] = []
        stage._status_outs(entries, filter_info=None)
        return {stage.addressing: entries} if entries else {}
    result: RawStatus = stage.status(check_updates=False)
    return result


def _dvc_crash(exc: Exception) -> str:
    """An exception DVC raised without explaining it (`dvc status` fails the same way)."""
    detail = str(exc).splitlines()[0] if str(exc).strip() else ""
    return f"DVC failed with {type(exc).__name__}{': ' + detail if detail else ''}"


def _dvc_message(exc: BaseException) -> str:
    parts = [str(exc)]
    cause = exc.__cause__
    while cause is not None and len(parts) < 3:
        parts.append(str(cause))
        cause = cause.__cause__
    return ": ".join(p for p in parts if p)
