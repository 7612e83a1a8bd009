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
from urllib.parse import quote, unquote, urlencode, urlsplit

from dvcflow import __version__
from dvcflow.mlflow.redact import sanitize_uri, split_userinfo

API = "/api/2.0/mlflow"
PAGE_SIZE = 1000
EXPERIMENT_CHUNK = 100  # experiment ids per runs/search request
TRANSIENT_STATUS = frozenset({401, 403, 408, 425, 429})
PARENT_RUN_TAG = "mlflow.parentRunId"
RUN_NAME_TAG = "mlflow.runName"
ACTIVE_ONLY = "ACTIVE_ONLY"


class StoreError(Exception):
    """The tracking store did not do what was asked.

    `transient` errors (unreachable, slow, 5xx, bad credentials, anything that is not MLflow's
    JSON answer) keep queued work for a later attempt; `not_found` means MLflow itself said
    the experiment or run does not exist (`RESOURCE_DOES_NOT_EXIST`).
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


def _env_flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _auth_header(userinfo: str | None, env: Mapping[str, str]) -> str | None:
    user, password = env.get("MLFLOW_TRACKING_USERNAME"), env.get("MLFLOW_TRACKING_PASSWORD")
    if user and password:
        pair = f"{user}:{password}"
    elif env.get("MLFLOW_TRACKING_TOKEN"):
        return f"Bearer {env['MLFLOW_TRACKING_TOKEN']}"
    elif userinfo is not None:
        user, _, secret = userinfo.partition(":")
        pair = f"{unquote(user)}:{unquote(secret)}"
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


def _json_object(raw: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


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
        userinfo, bare = split_userinfo(uri)
        try:
            parts = urlsplit(bare)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            raise StoreError(
                f"not a valid tracking URI: {sanitize_uri(uri)}", transient=False
            ) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise StoreError(f"not an http(s) tracking URI: {sanitize_uri(uri)}", transient=False)
        self.display_uri = sanitize_uri(uri)
        self._parts = parts
        self._env = dict(os.environ if env is None else env)
        self._timeout = timeout
        self._deadline = deadline
        self._auth = _auth_header(userinfo, self._env)
        self._base = parts.path.rstrip("/") + API
        self._conn: http.client.HTTPConnection | None = None

    # -- transport -------------------------------------------------------------------------

    def _remaining(self) -> float:
        if self._deadline is None:
            return self._timeout
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise self.slow()
        return min(self._timeout, left)

    def slow(self) -> StoreError:
        """The server is live or not, but gave no answer within the time allowed."""
        return StoreError(
            f"MLflow at {self.display_uri} is slow (no answer in {self._timeout:g} s)",
            transient=True,
        )

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
        status, kind, raw = self._send(method, path, body, headers)
        return self._decode(endpoint, status, kind, raw)

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, str, bytes]:
        for attempt in (1, 2):
            conn = self._connection(self._remaining())
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                kind = (response.getheader("Content-Type") or "no content type").split(";")[0]
                return response.status, kind, response.read()
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
            return self.slow()
        if isinstance(exc, ConnectionRefusedError):
            reason = "connection refused"
        elif isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError)):
            reason = "the connection was closed without an answer"
        else:
            reason = (getattr(exc, "strerror", None) or type(exc).__name__).lower()
        return StoreError(f"MLflow at {self.display_uri} is unreachable ({reason})", transient=True)

    def _decode(self, endpoint: str, status: int, kind: str, raw: bytes) -> dict[str, Any]:
        """MLflow's JSON object; anything else (HTML, an empty body, a proxy's error page) is
        not an answer from MLflow: a transient error, so that queued work is kept."""
        data = _json_object(raw)
        if status in (401, 403):
            words = f"HTTP {status}: check MLFLOW_TRACKING_USERNAME/PASSWORD or _TOKEN"
            raise StoreError(
                f"MLflow at {self.display_uri} refused {endpoint} ({words})", transient=True
            )
        if 200 <= status < 300 and data is not None:
            return data
        code = str(data.get("error_code", "")) if data is not None else ""
        if not code or not (400 <= status < 600):
            raise self.malformed(endpoint, f"HTTP {status}, {kind}")
        message = str(data.get("message", "") if data else "")
        detail = message.splitlines()[0][:200] if message.strip() else ""
        words = f"HTTP {status} {code}" + (f": {detail}" if detail else "")
        self._raise(endpoint, status, code, words)

    def malformed(self, endpoint: str, what: str) -> StoreError:
        return StoreError(
            f"MLflow at {self.display_uri} gave no MLflow answer to {endpoint} ({what}): "
            "a proxy or login page in the way, or not an MLflow server",
            transient=True,
        )

    def _raise(self, endpoint: str, status: int, code: str, words: str) -> NoReturn:
        transient = status >= 500 or status in TRANSIENT_STATUS
        raise StoreError(
            f"MLflow at {self.display_uri} refused {endpoint} ({words})",
            transient=transient,
            not_found=code == "RESOURCE_DOES_NOT_EXIST",
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
        run = self._request("GET", "runs/get", {"run_id": run_id}).get("run")
        if not isinstance(run, dict) or not isinstance(run.get("info"), dict):
            raise self.malformed("runs/get", "no run in the answer")
        return _run_from_json(run)

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
        return self._active_id(data, "experiments/get-by-name")

    def has_experiment(self, experiment_id: str) -> bool:
        """Whether an active experiment has this id."""
        try:
            data = self._request("GET", "experiments/get", {"experiment_id": experiment_id})
        except StoreError as exc:
            if exc.not_found:
                return False
            raise
        return self._active_id(data, "experiments/get") is not None

    def _active_id(self, data: Mapping[str, Any], endpoint: str) -> str | None:
        experiment = data.get("experiment")
        if not isinstance(experiment, dict) or not experiment.get("experiment_id"):
            raise self.malformed(endpoint, "no experiment in the answer")
        if experiment.get("lifecycle_stage", "active") != "active":
            return None
        return str(experiment["experiment_id"])

    def all_experiment_ids(self) -> list[str]:
        """Every active experiment's id.

        An answer listing no experiment at all is taken for a proxy's `{}`: an MLflow server
        has its `Default` experiment, and a tagging is never acknowledged on such an answer.
        """
        ids: list[str] = []
        payload: dict[str, Any] = {"max_results": PAGE_SIZE, "view_type": ACTIVE_ONLY}
        while True:
            data = self._request("POST", "experiments/search", payload)
            if not ids and not isinstance(data.get("experiments"), list):
                raise self.malformed("experiments/search", "no experiment listed")
            ids.extend(str(e["experiment_id"]) for e in data.get("experiments", []))
            token = data.get("next_page_token")
            if not token:
                return ids
            payload["page_token"] = token
