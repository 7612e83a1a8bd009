"""Which MLflow tracking store a URI names, and the `mlflow`-client store for non-HTTP URIs.

`http(s)://` URIs use dvcflow.mlflow.rest (standard library only). Every other store
(`sqlite:///…`, a `./mlruns` file store, `databricks`, SQL databases) goes through the
`mlflow` client, imported only here and only when needed, with telemetry off, no HTTP retries,
and nothing written to the user's home folder.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from dvcflow.errors import MissingExtra
from dvcflow.mlflow.redact import redact, sanitize_uri
from dvcflow.mlflow.rest import PAGE_SIZE, RestStore, Run, StoreError

__all__ = ["Run", "StoreError", "TrackingStore", "default_tracking_uri", "open_store"]

DEFAULT_FILE_STORE = "mlruns"
DEFAULT_SQLITE_FILE = "mlflow.db"
PROFILE_URIS = frozenset({"databricks", "databricks-uc", "uc"})  # URIs without a scheme
NEEDED_FOR = "tagging MLflow runs in a local (non-HTTP) tracking store"


class TrackingStore(Protocol):
    """What the hook needs from an MLflow tracking store (REST or the `mlflow` client)."""

    display_uri: str

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] = ("attributes.start_time DESC",),
    ) -> Iterator[Run]: ...

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None: ...

    def experiment_id(self, name: str) -> str | None: ...

    def has_experiment(self, experiment_id: str) -> bool: ...

    def all_experiment_ids(self) -> list[str]: ...

    def close(self) -> None: ...


def is_rest_uri(uri: str) -> bool:
    return urlsplit(uri).scheme in ("http", "https")


def default_tracking_uri(root: Path) -> str | None:
    """MLflow's default store when nothing is configured, if it exists in the repository root.

    MLflow uses `./mlruns` when it holds experiments, else `sqlite:///mlflow.db`; a hook must not
    create either, so a store that does not exist means there is nothing to tag.
    """
    mlruns = root / DEFAULT_FILE_STORE
    if any((mlruns / entry / "meta.yaml").exists() for entry in _digit_dirs(mlruns)):
        return str(mlruns)
    if (root / DEFAULT_SQLITE_FILE).is_file():
        return f"sqlite:///{root / DEFAULT_SQLITE_FILE}"
    return None


def _digit_dirs(folder: Path) -> list[str]:
    try:
        return [entry.name for entry in os.scandir(folder) if entry.name.isdigit()]
    except OSError:
        return []


def local_store_path(uri: str) -> Path | None:
    """The file or folder a local store URI points at (None for databricks, SQL servers)."""
    parts = urlsplit(uri)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)[1:]  # sqlite:///rel.db -> rel.db, sqlite:////abs -> /abs
        return Path(path) if path not in ("", ":memory:") else None
    if parts.scheme == "file":
        return Path(unquote(parts.path))
    return Path(uri) if is_plain_path(uri) else None


def is_plain_path(uri: str) -> bool:
    """A file store written as a path (`./mlruns`, `C:\\mlruns`), not a URI nor `databricks`."""
    if uri in PROFILE_URIS:
        return False
    scheme = urlsplit(uri).scheme
    return scheme == "" or (len(scheme) == 1 and os.name == "nt")


def open_store(uri: str, *, timeout: float, deadline: float | None) -> TrackingStore:
    """A store for this URI; raises StoreError(not_found) if a local store does not exist."""
    if is_rest_uri(uri):
        return RestStore(uri, timeout=timeout, deadline=deadline)
    path = local_store_path(uri)
    if path is not None and not path.exists():
        raise StoreError(f"no MLflow store at {sanitize_uri(uri)}", transient=False, not_found=True)
    if path is not None and path.is_dir():
        # MLflow 3 refuses file stores unless asked; the hook only tags runs that exist there.
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return ClientStore(uri, timeout=timeout)


def cap_client_http(
    timeout: float, retries: int, env: MutableMapping[str, str] | None = None
) -> None:
    """Before `import mlflow`: at most `retries` HTTP retries and `timeout` s per request.

    The mlflow client retries a failed request 7 times with exponential backoff and waits
    120 s for each answer (minutes when a server is gone); values the user set lower are kept.
    Also: no telemetry, little logging.
    """
    env = os.environ if env is None else env
    _cap(env, "MLFLOW_HTTP_REQUEST_MAX_RETRIES", retries)
    _cap(env, "MLFLOW_HTTP_REQUEST_TIMEOUT", max(1, round(timeout)))
    _cap(env, "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", 1)
    _cap(env, "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", 0)
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    env.setdefault("GIT_PYTHON_REFRESH", "quiet")


def _cap(env: MutableMapping[str, str], name: str, cap: int) -> None:
    try:
        if 0 <= float(env.get(name, "")) <= cap:
            return
    except ValueError:
        pass
    env[name] = str(cap)


class ClientStore:
    """The same operations through `mlflow.tracking.MlflowClient` (imported lazily)."""

    def __init__(self, uri: str, *, timeout: float) -> None:
        self.display_uri = sanitize_uri(uri)
        self._uri = uri
        cap_client_http(timeout, retries=0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from mlflow.tracking import MlflowClient
        except ImportError as exc:
            raise MissingExtra("mlflow", "mlflow", NEEDED_FOR) from exc
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        logging.getLogger("alembic").setLevel(logging.ERROR)
        self._client: Any = self._call(MlflowClient, tracking_uri=uri)

    def _call(self, action: Any, *args: Any, **kwargs: Any) -> Any:
        """`action(*args, **kwargs)` with MLflow's errors turned into StoreError."""
        from mlflow.exceptions import MlflowException

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return action(*args, **kwargs)
        except MlflowException as exc:
            code = str(getattr(exc, "error_code", ""))
            message = str(exc.message).splitlines()[0][:200] if exc.message else code
            raise StoreError(
                redact(f"MLflow store {self.display_uri}: {message}", [self._uri]),
                transient=code not in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST"),
                not_found=code == "RESOURCE_DOES_NOT_EXIST",
            ) from None
        except Exception as exc:  # the database, the file system, the network
            text = f"MLflow store {self.display_uri}: {type(exc).__name__}: {exc}"
            raise StoreError(redact(text, [self._uri]), transient=True) from None

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] = ("attributes.start_time DESC",),
    ) -> Iterator[Run]:
        from mlflow.entities import ViewType

        token: str | None = None
        while True:
            page = self._call(
                self._client.search_runs,
                experiment_ids=list(experiment_ids),
                filter_string=filter_string,
                run_view_type=ViewType.ACTIVE_ONLY,
                max_results=PAGE_SIZE,
                order_by=list(order_by),
                page_token=token,
            )
            yield from (_run(run) for run in page)
            token = page.token
            if not token:
                return

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        batch = [RunTag(key, value) for key, value in tags.items()]
        self._call(self._client.log_batch, run_id, tags=batch)

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self._call(self._client.set_tag, run_id, key, value)

    def get_run(self, run_id: str) -> Run:
        return _run(self._call(self._client.get_run, run_id))

    def experiment_id(self, name: str) -> str | None:
        experiment = self._call(self._client.get_experiment_by_name, name)
        if experiment is None or experiment.lifecycle_stage != "active":
            return None
        return str(experiment.experiment_id)

    def has_experiment(self, experiment_id: str) -> bool:
        try:
            experiment = self._call(self._client.get_experiment, experiment_id)
        except StoreError as exc:
            if exc.not_found:
                return False
            raise
        return experiment is not None and experiment.lifecycle_stage == "active"

    def all_experiment_ids(self) -> list[str]:
        from mlflow.entities import ViewType

        ids: list[str] = []
        token: str | None = None
        while True:
            page = self._call(
                self._client.search_experiments,
                view_type=ViewType.ACTIVE_ONLY,
                max_results=PAGE_SIZE,
                page_token=token,
            )
            ids.extend(str(e.experiment_id) for e in page)
            token = page.token
            if not token:
                return ids

    def close(self) -> None:
        """Nothing to release: the client holds no connection the hook must close."""


def _run(run: Any) -> Run:
    info, tags = run.info, dict(run.data.tags)
    if info.run_name and "mlflow.runName" not in tags:
        tags["mlflow.runName"] = info.run_name
    return Run(
        run_id=str(info.run_id),
        experiment_id=str(info.experiment_id),
        status=str(info.status),
        start_time=int(info.start_time or 0),
        end_time=int(info.end_time) if info.end_time is not None else None,
        tags=tags,
    )
