"""One run of `dvcflow-mlflow-tag`: queue the new tagging, deliver the queue, say what happened.

The commit already exists when the hook runs, so nothing here fails it or hangs it: the network
work runs in a worker thread that is abandoned at the deadline (its entries stay queued), and
every problem is one warning line. The post-commit run after `git commit --amend` stays quiet
when it finds nothing new to tag: the post-rewrite run says what moved.
"""

from __future__ import annotations

import os
import select
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dvcflow.config import load_config
from dvcflow.git.commits import (
    GitDirs,
    commit_facts,
    commit_times,
    current_branch,
    git_dirs,
    parse_pairs,
    rebase_in_progress,
    rewritten_pairs,
)
from dvcflow.git.repo import run_git
from dvcflow.mlflow.console import Console, one_line, shown_path
from dvcflow.mlflow.delivery import Delivery, deliver, needs_client
from dvcflow.mlflow.matching import (
    LOCAL_STORE_ALLOWANCE,
    Outcome,
    Settings,
    apply_entry,
    load_settings,
    move_entry,
    tag_entry,
)
from dvcflow.mlflow.queue import QueueError, TagQueue
from dvcflow.mlflow.redact import sanitize_uri
from dvcflow.mlflow.report import PROG, RETRY_HOOK, describe, plural, short

WORKER_NAME = "dvcflow-mlflow"
JOIN_GRACE = 0.25  # seconds past the deadline for a worker to hand over its results
RETRY_TIMEOUT = 30.0  # seconds a manual --retry allows by default (a post-commit hook: 2 s)


class Options:
    commit: str | None
    experiments: tuple[str, ...]
    tracking_uri: str | None
    dry_run: bool
    retry: bool
    post_rewrite: bool
    rewrite_command: str | None
    timeout: float | None

    __slots__ = (
        "commit",
        "dry_run",
        "experiments",
        "post_rewrite",
        "retry",
        "rewrite_command",
        "timeout",
        "tracking_uri",
    )

    def __init__(
        self,
        commit: str | None = None,
        experiments: tuple[str, ...] = (),
        tracking_uri: str | None = None,
        dry_run: bool = False,
        retry: bool = False,
        post_rewrite: bool = False,
        rewrite_command: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.commit = commit
        self.experiments = experiments
        self.tracking_uri = tracking_uri
        self.dry_run = dry_run
        self.retry = retry
        self.post_rewrite = post_rewrite
        self.rewrite_command = rewrite_command
        self.timeout = timeout


def worker_left_running() -> bool:
    """Whether a worker is still waiting on the network (or importing mlflow) past the deadline."""
    return any(t.name == WORKER_NAME and t.is_alive() for t in threading.enumerate())


def run_worker(target: Callable[[], None], deadline: float) -> bool:
    """Run `target` in a daemon thread until the deadline; return whether it finished."""
    worker = threading.Thread(target=target, name=WORKER_NAME, daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()) + JOIN_GRACE)
    return not worker.is_alive()


def is_amend(dirs: GitDirs) -> bool:
    """Whether HEAD was just written by `git commit --amend` (its reflog entry says so)."""
    subject = run_git(["reflog", "-1", "--format=%gs", "HEAD"], dirs.root, check=False)
    return subject.startswith(b"commit (amend)")


def _stdin_pairs() -> list[tuple[str, str]]:
    """`old new` lines git writes to a post-rewrite hook's stdin (pre-commit passes none)."""
    stream = sys.stdin
    if stream is None or stream.closed or os.name == "nt":
        return []
    try:
        if stream.isatty() or not select.select([stream], [], [], 0.05)[0]:
            return []
        return parse_pairs(stream.read())
    except (OSError, ValueError):
        return []


class TagRun:
    """The hook's work for one invocation; `run()` returns the exit status (always 0)."""

    def __init__(self, options: Options, console: Console, started: float) -> None:
        self.options = options
        self.console = console
        self.started = started
        self.amend = False
        self.queue_problem: str | None = None
        self.root = Path.cwd()

    def run(self) -> int:
        dirs = git_dirs(Path.cwd())
        self.root = dirs.root
        opts = self.options
        settings = load_settings(
            load_config(dirs.root),
            dirs.root,
            cli_uri=opts.tracking_uri,
            cli_experiments=opts.experiments,
        )
        self.console.add_uri(settings.tracking_uri)
        settings = settings._replace(timeout=self._timeout(settings))
        if not settings.enabled:
            self.console.say("MLflow tagging is disabled ([tool.dvcflow.mlflow] enabled = false)")
            return 0
        queue = TagQueue.for_git_dir(dirs.common_dir)
        entry = None if opts.retry else self._new_entry(dirs, settings)
        if opts.dry_run:
            return self._dry_run(entry, queue, settings)
        if (
            entry is None
            and not opts.retry
            and (rebase_in_progress(dirs) or not self._pending(queue))
        ):
            return 0
        return self._deliver(entry, queue, settings)

    def _timeout(self, settings: Settings) -> float:
        if self.options.timeout is not None:
            return self.options.timeout
        return max(settings.timeout, RETRY_TIMEOUT) if self.options.retry else settings.timeout

    # -- the new entry ---------------------------------------------------------------------

    def _new_entry(self, dirs: GitDirs, settings: Settings) -> dict[str, Any] | None:
        """The tagging this run adds to the queue, or None (after saying why) when there is none."""
        opts = self.options
        if settings.tracking_uri is None:
            self.console.say(
                "no MLflow tracking URI ([tool.dvcflow.mlflow] tracking-uri or "
                "MLFLOW_TRACKING_URI) and no local store; nothing to tag"
            )
            return None
        if opts.post_rewrite:
            return self._move_entry(dirs, settings)
        if opts.commit is None and rebase_in_progress(dirs):
            self.console.say(
                "rebase in progress: MLflow tags move when it finishes (post-rewrite hook)"
            )
            return None
        self.amend = opts.commit is None and is_amend(dirs)
        return tag_entry(commit_facts(dirs.root, opts.commit or "HEAD"), settings)

    def _move_entry(self, dirs: GitDirs, settings: Settings) -> dict[str, Any] | None:
        pairs, source = _stdin_pairs(), "stdin"
        if not pairs:
            pairs, source = rewritten_pairs(dirs, self.options.rewrite_command)
        pairs = [(old, new) for old, new in pairs if old != new]
        command = self.options.rewrite_command
        if not pairs:
            self.console.say(
                f"no rewritten commits found for this {command or 'amend or rebase'}; "
                "no MLflow tag to move"
            )
            return None
        times = commit_times(dirs.root, sorted({new for _, new in pairs}))
        entry = move_entry(pairs, times, current_branch(dirs.root), settings)
        entry["rewrite"] = command or source
        return entry

    # -- delivery --------------------------------------------------------------------------

    def _pending(self, queue: TagQueue) -> list[dict[str, Any]]:
        try:
            return queue.pending()
        except OSError as exc:
            self.queue_problem = self.queue_problem or (
                f"cannot read the queue {shown_path(queue.path, self.root)} "
                f"({exc.strerror or type(exc).__name__})"
            )
            return []

    def _deadline(self, settings: Settings, entries: Sequence[dict[str, Any]]) -> float:
        allowance = LOCAL_STORE_ALLOWANCE if needs_client(entries) else 0.0
        return self.started + settings.timeout + allowance

    def _deliver(self, entry: dict[str, Any] | None, queue: TagQueue, settings: Settings) -> int:
        unqueued: list[dict[str, Any]] = []
        if entry is not None:
            try:
                entry["id"] = queue.append(entry)
            except QueueError as exc:
                self.queue_problem = str(exc).replace(str(queue.path), self._queue_shown(queue))
                unqueued.append(entry)
        pending = self._pending(queue)
        if not pending and not unqueued:
            self.console.say("no queued MLflow tagging to deliver")
            return 0
        progress = Delivery()
        deadline = self._deadline(settings, [*pending, *unqueued])

        def work() -> None:
            try:
                if pending:
                    self._deliver_queue(queue, settings, deadline, progress)
                if unqueued:
                    deliver(None, unqueued, settings, deadline, progress)
            except Exception as exc:  # reported by the main thread, never a traceback
                progress.error = one_line(exc)

        finished = run_worker(work, deadline)
        self._report(entry, bool(unqueued), progress, finished, queue, settings)
        return 0

    def _deliver_queue(
        self, queue: TagQueue, settings: Settings, deadline: float, progress: Delivery
    ) -> None:
        try:
            with queue.delivering() as held:
                if not held:
                    progress.busy = True
                    return
                deliver(queue, self._pending(queue), settings, deadline, progress)
        except QueueError as exc:
            self.queue_problem = self.queue_problem or str(exc)

    def _queue_shown(self, queue: TagQueue) -> str:
        return shown_path(queue.path, self.root)

    # -- a dry run -------------------------------------------------------------------------

    def _dry_run(self, entry: dict[str, Any] | None, queue: TagQueue, settings: Settings) -> int:
        queued = len(self._pending(queue))
        note = f" ({queued} tagging(s) queued, not delivered in a dry run)" if queued else ""
        if entry is None:
            if note:
                self.console.say(note.strip(" ()"))
            return 0
        from dvcflow.mlflow.store import open_store

        result: list[Outcome] = []
        errors: list[str] = []
        deadline = self._deadline(settings, [entry])

        def work() -> None:
            assert settings.tracking_uri is not None
            try:
                store = open_store(
                    settings.tracking_uri, timeout=settings.timeout, deadline=deadline
                )
                try:
                    result.append(apply_entry(store, entry, dry_run=True))
                finally:
                    store.close()
            except Exception as exc:
                errors.append(one_line(exc))

        if not run_worker(work, deadline):
            errors.append(f"MLflow at {entry['uri']} is slow (no answer in {settings.timeout:g} s)")
        if errors:
            self.console.warn(f"dry run: {errors[0]}")
        elif result:
            where = f"{entry['uri']} ({settings.uri_source})"
            self.console.say(f"dry run against {where}: {describe(result[0], dry=True)}{note}")
        return 0

    # -- reporting -------------------------------------------------------------------------

    def _report(
        self,
        entry: dict[str, Any] | None,
        unqueued: bool,
        progress: Delivery,
        finished: bool,
        queue: TagQueue,
        settings: Settings,
    ) -> None:
        new_id = entry.get("id") if entry else None
        mine = [
            o
            for o in progress.outcomes
            if o.entry is entry or (new_id is not None and o.entry.get("id") == new_id)
        ]
        older = [o for o in progress.outcomes if not mine or o is not mine[0]]
        suffix = f"; delivered {plural(len(older), 'queued tagging')}" if older else ""
        if mine and not self._quiet(mine[0]):
            self.console.say(describe(mine[0]) + suffix)
        elif older:
            self.console.say(suffix.lstrip("; "))
        if progress.set_aside:
            self._warn_set_aside(progress, queue)
        problem = _problem(entry, progress, finished, settings)
        lost = unqueued and entry is not None and not mine
        if lost and entry is not None:
            self.console.warn(self._lost(entry, problem or "not delivered", queue))
        elif problem:
            self.console.warn(problem + self._kept(queue))
        if self.queue_problem and not lost:
            self.console.warn(
                f"{self.queue_problem}; later taggings cannot be queued until it is fixed "
                f"(the queue belongs at {self._queue_shown(queue)})"
            )

    def _quiet(self, outcome: Outcome) -> bool:
        """After an amend, finding nothing new to tag is no news: post-rewrite moves the tags."""
        return self.amend and outcome.entry.get("op") == "tag" and not outcome.roots

    def _kept(self, queue: TagQueue) -> str:
        left = len(self._pending(queue))
        if not left:
            return ""
        return (
            f"; {plural(left, 'tagging')} queued in {self._queue_shown(queue)}, delivered on "
            f"the next commit or with `{PROG} --retry` (`{RETRY_HOOK}`)"
        )

    def _lost(self, entry: dict[str, Any], problem: str, queue: TagQueue) -> str:
        again = (
            f"`{PROG} --commit {short(entry['commit'])}`"
            if entry.get("op") == "tag"
            else f"`{PROG} --post-rewrite`"
        )
        return (
            f"{self.queue_problem} and the tagging could not be delivered directly: {problem}; "
            f"it is NOT kept: make {self._queue_shown(queue)} writable, then run {again}"
        )

    def _warn_set_aside(self, progress: Delivery, queue: TagQueue) -> None:
        count = len(progress.set_aside)
        reason = progress.set_aside[0][1]
        self.console.warn(
            f"set aside {plural(count, 'malformed queued tagging')} ({reason}) in "
            f"{shown_path(queue.set_aside_path, self.root)}: read it, then delete it; "
            "the other taggings are delivered"
        )


def _problem(
    entry: dict[str, Any] | None, progress: Delivery, finished: bool, settings: Settings
) -> str | None:
    if progress.busy:
        return "another dvcflow-mlflow-tag is delivering the queue"
    if progress.error:
        return progress.error
    mine = str(entry.get("uri")) if entry else None
    refused = [(e, why) for e, why in progress.failed if e.get("uri") == mine] + progress.failed
    if mine in progress.stopped:
        return progress.stopped[mine]
    if refused:
        failed, reason = refused[0]
        commit = failed.get("commit") or "rewritten commits"
        return f"could not tag the runs of {short(commit)}: {reason}"
    if progress.stopped:
        return next(iter(progress.stopped.values()))
    if not finished:
        uri = (
            entry["uri"] if entry else sanitize_uri(settings.tracking_uri or "the tracking server")
        )
        return f"MLflow at {uri} is slow (no answer in {settings.timeout:g} s)"
    return None
