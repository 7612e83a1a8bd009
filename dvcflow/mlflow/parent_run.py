"""The MLflow parent run of one `dvcflow-repro`: opened before `dvc repro`, ended after it.

It goes through the mlflow client, whose HTTP requests are capped before it is imported
(`MLFLOW_HTTP_REQUEST_TIMEOUT` 10 s, `MLFLOW_HTTP_REQUEST_MAX_RETRIES` 1, backoff factor 1,
unless set lower): the client's defaults (120 s, 7 retries with exponential backoff) kept a
repro waiting minutes on a server that was gone. The caps are exported to `dvc repro` too, so
that `stage_run` in the stage scripts gives up as soon. An http(s) server is probed with the
standard library first, so that an unreachable one stops the repro before it starts.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dvcflow.errors import DvcflowError, MissingExtra
from dvcflow.git.commits import current_branch
from dvcflow.git.repo import run_git
from dvcflow.mlflow.console import Console, client_failure
from dvcflow.mlflow.matching import Settings
from dvcflow.mlflow.redact import sanitize_uri
from dvcflow.mlflow.rest import RestStore, StoreError
from dvcflow.mlflow.runrecord import (
    CWD_ENV,
    EXPERIMENT_ENV,
    MAX_PARAM_VALUE_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    PARENT_ENV,
    KeyBook,
    batches,
    clip,
)
from dvcflow.mlflow.store import cap_client_http, is_rest_uri, local_store_path

PROBE_TIMEOUT = 10.0  # seconds for the tracking server to answer before the repro starts
REQUEST_TIMEOUT = 10.0  # seconds per MLflow request (MLFLOW_HTTP_REQUEST_TIMEOUT)
REQUEST_RETRIES = 1  # MLFLOW_HTTP_REQUEST_MAX_RETRIES


def probe(uri: str) -> None:
    """Whether the server answers (and accepts the credentials), with the stdlib client."""
    store = RestStore(uri, timeout=PROBE_TIMEOUT)
    try:
        store.experiment_id("Default")
    except StoreError as exc:
        raise DvcflowError(f"{exc.message}; dvc repro was not run") from exc
    finally:
        store.close()


def mlflow_client(uri: str) -> Any:
    path = local_store_path(uri)
    if path is not None and path.is_dir():
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3: an ./mlruns store
    cap_client_http(REQUEST_TIMEOUT, REQUEST_RETRIES)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise MissingExtra("mlflow", "mlflow", "dvcflow-repro") from exc
    return MlflowClient(tracking_uri=uri)


@dataclass
class ParentRun:
    client: Any
    uri: str
    run_id: str
    name: str
    experiment_id: str
    experiment_name: str
    artifact_uri: str
    console: Console
    failure: str | None = field(default=None)  # the first MLflow failure: no more requests

    @classmethod
    def open(
        cls,
        uri: str,
        settings: Settings,
        run_name: str | None,
        start: tuple[Path, Mapping[str, str], str],
        console: Console,
    ) -> ParentRun:
        """Open the run; `start` is (repository root, params, the `dvc repro` command)."""
        root, params, command = start
        where = sanitize_uri(uri)
        if is_rest_uri(uri):
            probe(uri)  # fail in seconds, not after the mlflow client's retries
        client = mlflow_client(uri)
        try:
            experiment_id, experiment_name = _experiment(client, settings, console)
            run = client.create_run(
                experiment_id, tags=start_tags(root, command), run_name=run_name
            )
        except DvcflowError:
            raise
        except Exception as exc:
            raise DvcflowError(
                f"cannot open an MLflow run at {where}: {client_failure(exc)}; "
                "dvc repro was not run"
            ) from exc
        info = run.info
        parent = cls(
            client,
            uri,
            info.run_id,
            info.run_name,
            experiment_id,
            experiment_name,
            str(info.artifact_uri or ""),
            console,
        )
        try:
            parent.log_params(params)
        except BaseException as exc:
            parent.end("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
            if isinstance(exc, Exception):
                raise DvcflowError(
                    f"cannot log params at {where}: {client_failure(exc)}; dvc repro was not run"
                ) from exc
            raise
        console.say(
            f"MLflow run '{parent.name}' ({parent.run_id[:8]}) in experiment "
            f"'{experiment_name}' at {where}"
        )
        return parent

    def log_params(self, params: Mapping[str, str]) -> None:
        from mlflow.entities import Param

        book = KeyBook()
        items = [Param(book.key(k), clip(v, MAX_PARAM_VALUE_LENGTH)) for k, v in params.items()]
        for batch in batches(items):
            self.client.log_batch(self.run_id, params=list(batch))

    def set_tags(self, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        items = [RunTag(k, clip(v, MAX_TAG_VALUE_LENGTH)) for k, v in tags.items()]
        for batch in batches(items):
            self.client.log_batch(self.run_id, tags=list(batch))

    def end_orphans(self, status: str) -> int:
        """End nested runs still RUNNING (a stage killed before it could end its run)."""
        query = f"tags.`mlflow.parentRunId` = '{self.run_id}' AND attributes.status = 'RUNNING'"
        runs = self.client.search_runs([self.experiment_id], query, max_results=1000)
        for run in runs:
            self.client.set_terminated(run.info.run_id, status)
        return len(runs)

    def end(self, status: str) -> bool:
        """End the run as `status`; whether MLflow confirmed it (a failure is warned about,
        unless an earlier one already was)."""
        try:
            self.client.set_terminated(self.run_id, status)
        except Exception as exc:
            if self.failure is None:
                self.console.warn(
                    f"cannot end MLflow run {self.run_id[:8]} as {status}: MLflow at "
                    f"{sanitize_uri(self.uri)} is {client_failure(exc)}"
                )
            self.failure = self.failure or client_failure(exc)
            return False
        return True


def _experiment(client: Any, settings: Settings, console: Console) -> tuple[str, str]:
    """(id, name) of the run's experiment, created when it is named and does not exist."""
    if settings.experiments:
        name = settings.experiments[0]
        if len(settings.experiments) > 1:
            console.say(
                f"[tool.dvcflow.mlflow] lists {len(settings.experiments)} experiments: "
                f"runs go to the first, '{name}'"
            )
        found = client.get_experiment_by_name(name)
        if found is None:
            try:
                return str(client.create_experiment(name)), name
            except Exception:  # created meanwhile by another process
                found = client.get_experiment_by_name(name)
                if found is None:
                    raise
    elif settings.experiment_ids:
        found = client.get_experiment(settings.experiment_ids[0])
    else:
        found = client.get_experiment_by_name("Default") or client.get_experiment("0")
    if found.lifecycle_stage != "active":
        raise DvcflowError(
            f"MLflow experiment '{found.name}' is deleted: restore it or choose another"
        )
    return str(found.experiment_id), str(found.name)


def start_tags(root: Path, command: str) -> dict[str, str]:
    """MLflow's source tags (as its own `start_run` would set them) and the repro command."""
    tags = {
        "mlflow.source.name": "dvc repro",
        "mlflow.source.type": "LOCAL",
        "dvcflow.repro.command": command,
    }
    with contextlib.suppress(KeyError, OSError):
        tags["mlflow.user"] = getpass.getuser()
    head = run_git(["rev-parse", "-q", "--verify", "HEAD^{commit}"], root, check=False)
    if head.strip():
        tags["mlflow.source.git.commit"] = head.decode("ascii").strip()
    branch = current_branch(root)
    if branch:
        tags["mlflow.source.git.branch"] = branch
    return tags


def child_env(parent: ParentRun, cwd: Path) -> dict[str, str]:
    """`dvc repro`'s environment: the parent run exported, MLflow's own resume variable not;
    the client's HTTP caps (set by `mlflow_client`) included."""
    env = dict(os.environ)
    env.pop("MLFLOW_RUN_ID", None)  # a stage must not resume some other run (nor the parent)
    env.update(
        {
            PARENT_ENV: parent.run_id,
            EXPERIMENT_ENV: parent.experiment_id,
            CWD_ENV: str(cwd),
            "MLFLOW_TRACKING_URI": parent.uri,
            "MLFLOW_EXPERIMENT_ID": parent.experiment_id,
            "MLFLOW_EXPERIMENT_NAME": parent.experiment_name,
        }
    )
    return env
