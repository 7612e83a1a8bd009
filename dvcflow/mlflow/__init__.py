"""MLflow: the public `stage_run`, the REST and client stores, run matching, the tag queue.

`from dvcflow.mlflow import stage_run` is the public API; it is loaded on first use so that the
post-commit hook, which imports `dvcflow.mlflow.rest`, never imports the mlflow client.
"""

from __future__ import annotations

from typing import Any

__all__ = ["stage_run"]


def __getattr__(name: str) -> Any:
    if name == "stage_run":
        from dvcflow.mlflow.stages import stage_run

        return stage_run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
