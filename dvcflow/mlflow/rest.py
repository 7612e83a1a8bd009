"""A small MLflow REST client on the standard library, for `http(s)://` tracking URIs.

Importing the `mlflow` client costs 1-5 s; a post-commit hook needs four endpoints. This
module speaks them directly over one kept-alive connection: `runs/search` (filter strings,
pagination), `runs/get`, `runs/set-tag`, `runs/log-batch` (tags only: one request per run),
`experiments/get-by-name` and `experiments/search`.

Authentication follows MLflow's client: basic auth from `MLFLOW_TRACKING_USERNAME` and
`MLFLOW_TRACKING_PASSWORD`, else a bearer `MLFLOW_TRACKING_TOKEN`;
`MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_SERVER_CERT_PATH` and
`MLFLOW_TRACKING_CLIENT_CERT_PATH` for TLS. Every request has a short timeout and the client
an overall deadline. Error messages name the server without its credentials.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import SplitResult, quote, unquote, urlencode, urlsplit, urlunsplit

from dvcflow import __version__

API = "/api/2.0/mlflow"
PAGE_SIZE = 1000
EXPERIMENT_CHUNK = 100  # experiment ids per runs/search request
TRANSIENT_STATUS = frozenset({401, 403, 408, 425, 429})
PARENT_RUN_TAG = "mlflow.parentRunId"
RUN_NAME_TAG = "mlflow.runName"
ACTIVE_ONLY = "ACTIVE_ONLY"


class StoreError(Exception):
    """The tracking store did not do what was asked.

    `transient` errors (unreachable, timeout, 5xx, bad credentials) keep queued work for a
    later attempt; `not_found` means the experiment or run does not exist.
    """

    def __init__(self, message: str, *, transient: bool, not_found: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.not_found = not_found


@dataclass(frozen=True)
class Run:
    """The part of an MLflow run the hook reads."""

    run_id: str
    experiment_id: str
    status: str
    start_time: int  # milliseconds since the epoch
    end_time: int | None
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def parent_id(self) -> str | None:
        return self.tags.get(PARENT_RUN_TAG)

    @property
    def name(self) -> str:
        return self.tags.get(RUN_NAME_TAG) or self.run_id[:8]


def sanitize_uri(uri: str) -> str:
    """The URI without user, password, query or fragment: safe to print and to store."""
    parts = urlsplit(uri)
    if not parts.netloc or "@" not in parts.netloc:
        if parts.scheme in ("http", "https") and (parts.query or parts.fragment):
            return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        return uri
    host = parts.netloc.rpartition("@")[2]
    if parts.scheme in ("http", "https"):
        return urlunsplit((parts.scheme, host, parts.path, "", ""))
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _env_flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _auth_header(parts: SplitResult, env: Mapping[str, str]) -> str | None:
    user, password = env.get("MLFLOW_TRACKING_USERNAME"), env.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        pair = f"{user}:{password}"
    elif env.get("MLFLOW_TRACKING_TOKEN"):
        return f"Bearer {env['MLFLOW_TRACKING_TOKEN']}"
    elif parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    else:
        return None
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def _run_from_json(data: Mapping[str, Any]) -> Run:
    info = data.get("info", {})
    tags = {t["key"]: t.get("value", "") for t in data.get("data", {}).get("tags", [])}
    run_id = str(info.get("run_id") or info.get("run_uuid"))
    if info.get("run_name") and RUN_NAME_TAG not in tags:
        tags[RUN_NAME_TAG] = str(info["run_name"])
    end = info.get("end_time")
    return Run(
        run_id=run_id,
        experiment_id=str(info.get("experiment_id", "")),
        status=str(info.get("status", "")),
        start_time=int(info.get("start_time") or 0),
        end_time=int(end) if end not in (None, "") else None,
        tags=tags,
    )


class RestStore:
    """MLflow's tracking REST API over one kept-alive HTTP(S) connection.

    `timeout` bounds each request; `deadline` (a `time.monotonic()` value) bounds them all.
    """

    def __init__(
        self,
        uri: str,
        *,
        timeout: float = 2.0,
        deadline: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        parts = urlsplit(uri)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StoreError(f"not an http(s) tracking URI: {sanitize_uri(uri)}", transient=False)
        self.display_uri = sanitize_uri(uri)
        self._parts = parts
        self._env = dict(os.environ if env is None else env)
        self._timeout = timeout
        self._deadline = deadline
        self._auth = _auth_header(parts, self._env)
        self._base = parts.path.rstrip("/") + API
        self._conn: http.client.HTTPConnection | None = None

    # -- transport -------------------------------------------------------------------------

    def _remaining(self) -> float:
        if self._deadline is None:
            return self._timeout
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise StoreError(f"MLflow at {self.display_uri} did not answer in time", transient=True)
        return min(self._timeout, left)

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self._conn is None:
            host, port = self._parts.hostname or "", self._parts.port
            if self._parts.scheme == "https":
                self._conn = http.client.HTTPSConnection(
                    host, port, timeout=timeout, context=self._tls_context()
                )
            else:
                self._conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self._conn.timeout = timeout
        if self._conn.sock is not None:
            self._conn.sock.settimeout(timeout)
        return self._conn

    def _tls_context(self) -> Any:
        import ssl

        if _env_flag(self._env, "MLFLOW_TRACKING_INSECURE_TLS"):
            context = ssl._create_unverified_context()
        else:
            context = ssl.create_default_context(
                cafile=self._env.get("MLFLOW_TRACKING_SERVER_CERT_PATH") or None
            )
        client_cert = self._env.get("MLFLOW_TRACKING_CLIENT_CERT_PATH")
        if client_cert:
            context.load_cert_chain(client_cert)
        return context

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _request(self, method: str, endpoint: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        path = f"{self._base}/{endpoint}"
        body: bytes | None = None
        if method == "GET":
            path += "?" + urlencode(payload, quote_via=quote)
        else:
            body = json.dumps(payload).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": f"dvcflow/{__version__}",
        }
        if self._auth:
            headers["Authorization"] = self._auth
        status, raw = self._send(method, path, body, headers)
        return self._decode(endpoint, status, raw)

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            conn = self._connection(self._remaining())
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.close()  # a kept-alive connection the server closed: reconnect once
                if attempt == 2:
                    raise self._unreachable(exc) from None
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                raise self._unreachable(exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _unreachable(self, exc: BaseException) -> StoreError:
        if isinstance(exc, TimeoutError):
            reason = "timed out"
        elif isinstance(exc, ConnectionRefusedError):
            reason = "connection refused"
        else:
            reason = (getattr(exc, "strerror", None) or type(exc).__name__).lower()
        return StoreError(f"MLflow at {self.display_uri} unreachable ({reason})", transient=True)

    def _decode(self, endpoint: str, status: int, raw: bytes) -> dict[str, Any]:
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if 200 <= status < 300:
            return data
        code = str(data.get("error_code", ""))
        detail = str(data.get("message", "")).splitlines()[0][:200] if data.get("message") else ""
        words = f"HTTP {status}" + (f" {code}" if code else "") + (f": {detail}" if detail else "")
        if status in (401, 403):
            words = f"HTTP {status}: check MLFLOW_TRACKING_USERNAME/PASSWORD or _TOKEN"
        self._raise(endpoint, status, code, words)

    def _raise(self, endpoint: str, status: int, code: str, words: str) -> NoReturn:
        transient = status >= 500 or status in TRANSIENT_STATUS
        raise StoreError(
            f"MLflow at {self.display_uri} refused {endpoint} ({words})",
            transient=transient,
            not_found=status == 404 or code == "RESOURCE_DOES_NOT_EXIST",
        )

    # -- endpoints -------------------------------------------------------------------------

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] = ("attributes.start_time DESC",),
    ) -> Iterator[Run]:
        """Every active run matching the filter, page by page (newest first per chunk)."""
        ids = list(experiment_ids)
        for start in range(0, len(ids), EXPERIMENT_CHUNK):
            payload: dict[str, Any] = {
                "experiment_ids": ids[start : start + EXPERIMENT_CHUNK],
                "filter": filter_string,
                "run_view_type": ACTIVE_ONLY,
                "max_results": PAGE_SIZE,
                "order_by": list(order_by),
            }
            while True:
                data = self._request("POST", "runs/search", payload)
                yield from (_run_from_json(run) for run in data.get("runs", []))
                token = data.get("next_page_token")
                if not token:
                    break
                payload["page_token"] = token

    def get_run(self, run_id: str) -> Run:
        return _run_from_json(self._request("GET", "runs/get", {"run_id": run_id})["run"])

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self._request("POST", "runs/set-tag", {"run_id": run_id, "key": key, "value": value})

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        """All tags in one `runs/log-batch` request (atomic on SQL stores)."""
        batch = [{"key": k, "value": v} for k, v in tags.items()]
        self._request("POST", "runs/log-batch", {"run_id": run_id, "tags": batch})

    def experiment_id(self, name: str) -> str | None:
        """The id of the active experiment with this name, or None if there is none."""
        try:
            data = self._request("GET", "experiments/get-by-name", {"experiment_name": name})
        except StoreError as exc:
            if exc.not_found:
                return None
            raise
        experiment = data.get("experiment", {})
        if experiment.get("lifecycle_stage", "active") != "active":
            return None
        return str(experiment["experiment_id"])

    def all_experiment_ids(self) -> list[str]:
        """Every active experiment's id."""
        ids: list[str] = []
        payload: dict[str, Any] = {"max_results": PAGE_SIZE, "view_type": ACTIVE_ONLY}
        while True:
            data = self._request("POST", "experiments/search", payload)
            ids.extend(str(e["experiment_id"]) for e in data.get("experiments", []))
            token = data.get("next_page_token")
            if not token:
                return ids
            payload["page_token"] = token
