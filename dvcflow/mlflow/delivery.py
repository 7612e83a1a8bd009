"""Delivering queued taggings to their tracking stores, in order, acknowledging each one.

An entry is acknowledged (its `done` line written) only after the store confirmed every
request of it with a well-formed MLflow answer. A transient failure (unreachable, slow, 5xx,
bad credentials, an answer that is not MLflow's JSON) stops delivery to that URI and keeps the
entry and every later one queued, in order. An entry the store refuses for good stays queued
and is reported. A malformed entry (a field missing) is set aside to a file of its own and
never blocks the entries after it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dvcflow.errors import DvcflowError
from dvcflow.mlflow.matching import Outcome, Settings, apply_entry, entry_problem
from dvcflow.mlflow.queue import QueueError, TagQueue
from dvcflow.mlflow.redact import sanitize_uri
from dvcflow.mlflow.rest import StoreError
from dvcflow.mlflow.store import TrackingStore, is_rest_uri, open_store


@dataclass
class Delivery:
    """Progress of delivering the queue; filled in while it runs, read when it ends or times out.

    `outcomes` holds acknowledged entries; `failed` the entries a store refused for good (they
    stay queued); `stopped` the transient error that halted delivery to a URI; `set_aside` the
    malformed entries moved out of the queue (entry, reason).
    """

    outcomes: list[Outcome] = field(default_factory=list)
    failed: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    stopped: dict[str, str] = field(default_factory=dict)  # uri -> reason
    set_aside: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    busy: bool = False
    finished: bool = False
    error: str | None = None  # an unexpected failure, as one line


def live_uri(entry_uri: str, settings: Settings) -> str:
    """The configured URI (with its credentials) when it is the one the entry was queued for."""
    live = settings.tracking_uri
    return live if live and sanitize_uri(live) == entry_uri else entry_uri


def needs_client(entries: Iterable[Mapping[str, Any]]) -> bool:
    """Whether any entry goes to a store only the (slow to import) mlflow client reaches."""
    return any(not is_rest_uri(str(e.get("uri", ""))) for e in entries)


def deliver(
    queue: TagQueue | None,
    entries: Sequence[dict[str, Any]],
    settings: Settings,
    deadline: float | None,
    progress: Delivery,
) -> Delivery:
    """Deliver entries in order; acknowledge each in the queue once the store confirmed it.

    `queue` None: the entries are not queued (the queue cannot be written); nothing is acked.
    """
    stores: dict[str, TrackingStore] = {}
    live = sanitize_uri(settings.tracking_uri) if settings.tracking_uri else None
    try:  # the configured store's entries first; each store's entries keep their order
        for entry in sorted(entries, key=lambda e: e.get("uri") != live):
            _deliver_entry(queue, entry, stores, settings, deadline, progress)
    finally:
        for store in stores.values():
            store.close()
        if queue is not None:
            queue.compact()
        progress.finished = True
    return progress


def _deliver_entry(
    queue: TagQueue | None,
    entry: dict[str, Any],
    stores: dict[str, TrackingStore],
    settings: Settings,
    deadline: float | None,
    progress: Delivery,
) -> None:
    problem = entry_problem(entry)
    if problem is not None:
        _set_aside(queue, entry, problem, progress)
        return
    uri = str(entry["uri"])
    if uri in progress.stopped:
        return
    try:
        outcome = _deliver_one(stores, uri, entry, settings, deadline)
    except StoreError as exc:
        if exc.transient:
            progress.stopped[uri] = exc.message
        else:
            progress.failed.append((entry, exc.message))
        return
    except DvcflowError as exc:  # e.g. the mlflow extra is missing
        progress.stopped[uri] = str(exc)
        return
    if queue is not None and "id" in entry:
        queue.ack(str(entry["id"]))
    progress.outcomes.append(outcome)


def _set_aside(
    queue: TagQueue | None, entry: dict[str, Any], problem: str, progress: Delivery
) -> None:
    if queue is not None and "id" in entry:
        try:
            queue.set_aside(entry, problem)
        except QueueError as exc:
            problem = f"{problem}; {exc}"
    progress.set_aside.append((entry, problem))


def _deliver_one(
    stores: dict[str, TrackingStore],
    uri: str,
    entry: dict[str, Any],
    settings: Settings,
    deadline: float | None,
) -> Outcome:
    if uri not in stores:
        try:
            stores[uri] = open_store(
                live_uri(uri, settings), timeout=settings.timeout, deadline=deadline
            )
        except StoreError as exc:
            if exc.not_found:  # a local store that does not exist holds no run to tag
                return Outcome(entry, no_store=True)
            raise
    return apply_entry(stores[uri], entry)
