"""`dvcflow-mlflow-tag`: tag the MLflow run(s) behind a commit with that commit.

MLflow records `mlflow.source.git.commit` when a run starts: the commit checked out before the
params were edited and `dvc repro` ran. This post-commit hook links the run tree (the pipeline's
parent run and its nested stage runs) to the commit that captures its code, params and
dvc.lock, with the tags `dvcflow.git.commit`, `dvcflow.git.branch` and
`dvcflow.git.commit_time`. Which runs: see dvcflow.mlflow.matching.

Install (with the `dvcflow-mlflow-tag` and `dvcflow-mlflow-tag-rewrite` hook ids in
.pre-commit-config.yaml):

    pre-commit install --hook-type post-commit --hook-type post-rewrite

Configure in pyproject.toml (else MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME/_ID apply):

    [tool.dvcflow.mlflow]
    tracking-uri = "http://mlflow.internal:5000"   # or "sqlite:///mlflow.db", "./mlruns"
    experiments = ["churn-model"]                   # default: every active experiment
    match = "parent-commit"                         # or "since-parent"
    timeout = 2.0                                   # seconds the hook may spend on MLflow

The commit already exists when the hook runs, so it never fails it and never hangs it:
unreachable server, timeout, 5xx, bad credentials print one warning line, the tagging stays
queued in `.git/dvcflow/mlflow-queue.jsonl`, and the hook exits 0 within the timeout. The next
run (or `dvcflow-mlflow-tag --retry`) delivers the queue first. `--post-rewrite` (after
`git commit --amend` or `git rebase`) moves the tags from the rewritten commits to their new
SHAs. Local stores (SQLite, ./mlruns, databricks) need `pip install 'dvcflow[mlflow]'` and
pay the mlflow client's import (2-3 s); http(s) servers are reached with the standard library.
Usage errors exit 2; everything else exits 0.
"""

from __future__ import annotations

import os
import select
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from dvcflow import __version__
from dvcflow.cli import run_command
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
from dvcflow.mlflow.matching import (
    LOCAL_STORE_ALLOWANCE,
    Delivery,
    Outcome,
    Settings,
    apply_entry,
    deliver,
    load_settings,
    move_entry,
    needs_client,
    tag_entry,
)
from dvcflow.mlflow.queue import QueueError, TagQueue
from dvcflow.mlflow.rest import Run

PROG = "dvcflow-mlflow-tag"
EXIT_OK, EXIT_USAGE = 0, 2
JOIN_GRACE = 0.25  # seconds past the deadline for a worker to hand over its results
_abandoned: list[threading.Thread] = []  # workers left running at the deadline


@dataclass(frozen=True)
class Options:
    commit: str | None
    experiments: tuple[str, ...]
    tracking_uri: str | None
    dry_run: bool
    retry: bool
    post_rewrite: bool
    rewrite_command: str | None


def _say(message: str) -> None:
    click.echo(f"dvcflow: {message}")


def _warn(message: str) -> None:
    click.echo(f"dvcflow: warning: {message}", err=True)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--commit", metavar="SHA", help="The commit to link (default: HEAD).")
@click.option(
    "--experiment",
    "experiments",
    multiple=True,
    metavar="NAME",
    help="Experiment to search (repeatable; default: [tool.dvcflow.mlflow] "
    "experiments, MLFLOW_EXPERIMENT_NAME/_ID, else every active experiment).",
)
@click.option(
    "--tracking-uri",
    metavar="URI",
    help="Default: [tool.dvcflow.mlflow] tracking-uri, else MLFLOW_TRACKING_URI.",
)
@click.option("--dry-run", is_flag=True, help="Show which runs would be tagged; change nothing.")
@click.option("--retry", is_flag=True, help="Only deliver the queued taggings.")
@click.option(
    "--post-rewrite",
    is_flag=True,
    help="Move tags from commits an amend or rebase rewrote ('old new' lines on "
    "stdin, else found from the reflog or the rebase state).",
)
@click.version_option(__version__, prog_name=PROG)
@click.argument("hook_args", nargs=-1, type=click.UNPROCESSED)
def cli(
    commit: str | None,
    experiments: tuple[str, ...],
    tracking_uri: str | None,
    dry_run: bool,
    retry: bool,
    post_rewrite: bool,
    hook_args: tuple[str, ...],
) -> int:
    """Tag the MLflow run(s) behind a commit with dvcflow.git.commit/branch/commit_time.

    Meant as a post-commit hook (and, with --post-rewrite, a post-rewrite hook). It never fails:
    problems print one warning line and exit 0; queued taggings are delivered on the next run.
    HOOK_ARGS: the rewrite command git passes a post-rewrite hook ('amend' or 'rebase').
    """
    started = time.monotonic()
    command = hook_args[0] if hook_args else os.environ.get("PRE_COMMIT_REWRITE_COMMAND")
    options = Options(commit, experiments, tracking_uri, dry_run, retry, post_rewrite, command)
    try:
        return _main(options, started)
    except KeyboardInterrupt:
        _warn("interrupted; queued taggings are delivered on the next commit or with --retry")
    except Exception as exc:  # a post-commit hook must never fail the commit
        _warn(_one_line(exc))
    return EXIT_OK


def _main(options: Options, started: float) -> int:
    dirs = git_dirs(Path.cwd())
    settings = load_settings(
        load_config(dirs.root),
        dirs.root,
        cli_uri=options.tracking_uri,
        cli_experiments=options.experiments,
    )
    if not settings.enabled:
        _say("MLflow tagging is disabled ([tool.dvcflow.mlflow] enabled = false)")
        return EXIT_OK
    queue = TagQueue.for_git_dir(dirs.common_dir)
    entry = None if options.retry else _new_entry(options, dirs, settings)
    if options.dry_run:
        return _dry_run(entry, queue, settings, started)
    if entry is None and not options.retry and (rebase_in_progress(dirs) or not _pending(queue)):
        return EXIT_OK
    return _deliver(entry, queue, settings, started)


def _new_entry(options: Options, dirs: GitDirs, settings: Settings) -> dict[str, Any] | None:
    """The tagging this run adds to the queue, or None (after saying why) when there is none."""
    if settings.tracking_uri is None:
        _say(
            "no MLflow tracking URI ([tool.dvcflow.mlflow] tracking-uri or "
            "MLFLOW_TRACKING_URI) and no local store; nothing to tag"
        )
        return None
    if options.post_rewrite:
        return _move_entry(options, dirs, settings)
    if options.commit is None and rebase_in_progress(dirs):
        _say("rebase in progress: MLflow tags move when it finishes (post-rewrite hook)")
        return None
    return tag_entry(commit_facts(dirs.root, options.commit or "HEAD"), settings)


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


def _move_entry(options: Options, dirs: GitDirs, settings: Settings) -> dict[str, Any] | None:
    pairs, source = _stdin_pairs(), "stdin"
    if not pairs:
        pairs, source = rewritten_pairs(dirs, options.rewrite_command)
    pairs = [(old, new) for old, new in pairs if old != new]
    if not pairs:
        what = options.rewrite_command or "amend or rebase"
        _say(f"no rewritten commits found for this {what}; no MLflow tag to move")
        return None
    times = commit_times(dirs.root, sorted({new for _, new in pairs}))
    entry = move_entry(pairs, times, current_branch(dirs.root), settings)
    entry["rewrite"] = options.rewrite_command or source
    return entry


def _deadline(started: float, settings: Settings, entries: Sequence[dict[str, Any]]) -> float:
    allowance = LOCAL_STORE_ALLOWANCE if needs_client(entries) else 0.0
    return started + settings.timeout + allowance


def _run_worker(target: Any, deadline: float) -> bool:
    """Run `target` in a daemon thread until the deadline; return whether it finished.

    A worker still waiting on the network (or importing mlflow) at the deadline is abandoned:
    its entries stay queued, and `main` ends the process without waiting for it.
    """
    worker = threading.Thread(target=target, name="dvcflow-mlflow", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()) + JOIN_GRACE)
    if worker.is_alive():
        _abandoned.append(worker)
        return False
    return True


def _deliver(
    entry: dict[str, Any] | None, queue: TagQueue, settings: Settings, started: float
) -> int:
    unqueued: list[dict[str, Any]] = []
    if entry is not None:
        try:
            entry["id"] = queue.append(entry)
        except QueueError as exc:
            _warn(f"{exc}; tagging without the queue")
            unqueued.append(entry)
    pending = _pending(queue)
    if not pending and not unqueued:
        _say("no queued MLflow tagging to deliver")
        return EXIT_OK
    progress = Delivery()
    deadline = _deadline(started, settings, [*pending, *unqueued])

    def work() -> None:
        try:
            with queue.delivering() as held:
                if not held:
                    progress.busy = True
                    return
                deliver(queue, _pending(queue), settings, deadline, progress)
            if unqueued:
                deliver(None, unqueued, settings, deadline, progress)
        except Exception as exc:  # reported by the main thread, never a traceback
            progress.error = _one_line(exc)

    finished = _run_worker(work, deadline)
    _report(entry, progress, finished, queue, settings)
    return EXIT_OK


def _pending(queue: TagQueue) -> list[dict[str, Any]]:
    try:
        return queue.pending()
    except OSError as exc:
        _warn(f"cannot read {queue.path}: {exc.strerror or exc}")
        return []


def _dry_run(
    entry: dict[str, Any] | None, queue: TagQueue, settings: Settings, started: float
) -> int:
    queued = len(_pending(queue))
    note = f" ({queued} tagging(s) queued, not delivered in a dry run)" if queued else ""
    if entry is None:
        if note:
            _say(note.strip(" ()"))
        return EXIT_OK
    from dvcflow.mlflow.store import open_store

    result: list[Outcome] = []
    errors: list[str] = []
    deadline = _deadline(started, settings, [entry])

    def work() -> None:
        assert settings.tracking_uri is not None
        try:
            store = open_store(settings.tracking_uri, timeout=settings.timeout, deadline=deadline)
            try:
                result.append(apply_entry(store, entry, dry_run=True))
            finally:
                store.close()
        except Exception as exc:
            errors.append(_one_line(exc))

    if not _run_worker(work, deadline):
        errors.append(f"MLflow at {entry['uri']} did not answer within {settings.timeout:g} s")
    if errors:
        _warn(f"dry run: {errors[0]}")
    elif result:
        where = f"{entry['uri']} ({settings.uri_source})"
        _say(f"dry run against {where}: {describe(result[0], dry=True)}{note}")
    return EXIT_OK


# -- reporting -------------------------------------------------------------------------------


def _short(sha: str) -> str:
    return sha[:7]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _run_label(run: Run) -> str:
    short = run.run_id[:8]
    return short if run.name == short else f"'{run.name}' ({short})"


def _experiments_label(outcome: Outcome) -> str:
    names = outcome.entry.get("experiments") or []
    ids = outcome.entry.get("experiment_ids") or []
    if not names and not ids:
        return "any experiment"
    labels = [f"'{n}'" for n in names] + [f"id {i}" for i in ids]
    return f"experiment{'s' if len(labels) > 1 else ''} {', '.join(labels)}"


def describe(outcome: Outcome, *, dry: bool = False) -> str:
    """One clause saying what delivering the entry did (or, `dry`, would do)."""
    entry = outcome.entry
    if entry.get("op") == "move":
        return _describe_move(outcome, dry)
    commit = _short(entry["commit"])
    if outcome.no_store:
        return f"found no MLflow store at {entry['uri']}: nothing to tag for commit {commit}"
    if outcome.roots:
        runs = ", ".join(_run_label(r) for r in outcome.roots)
        nested = f" and {_plural(len(outcome.nested), 'nested run')}" if outcome.nested else ""
        branch = f" on {entry['branch']}" if entry.get("branch") else ""
        label = "MLflow run" if len(outcome.roots) == 1 else "MLflow runs"
        verb = "would tag" if dry else "tagged"
        return f"{verb} {label} {runs}{nested} with commit {commit}{branch}"
    return _describe_none(outcome, commit)


def _describe_none(outcome: Outcome, commit: str) -> str:
    entry = outcome.entry
    where = _experiments_label(outcome)
    if outcome.missing_experiments and not outcome.experiment_ids:
        missing = ", ".join(f"'{n}'" for n in outcome.missing_experiments)
        return f"found no MLflow experiment {missing}: nothing to tag for commit {commit}"
    parents = ", ".join(_short(p) for p in entry.get("parents", [])) or "none"
    if entry.get("match") == "since-parent":
        return (
            f"found no untagged FINISHED MLflow run in {where} started since parent "
            f"{parents}: nothing to tag for commit {commit}"
        )
    return (
        f"found no untagged FINISHED MLflow run in {where} started from parent {parents} "
        f"(or carrying the committed dvc.lock md5): nothing to tag for commit {commit}"
    )


def _describe_move(outcome: Outcome, dry: bool) -> str:
    entry = outcome.entry
    pairs = entry["pairs"]
    how = f" ({entry['rewrite']})" if entry.get("rewrite") else ""
    if not outcome.moved:
        return f"found no MLflow run tagged with the {_plural(len(pairs), 'rewritten commit')}{how}"
    runs = _plural(outcome.moved, "MLflow run")
    verb = "would move" if dry else "moved"
    if len(pairs) == 1:
        old, new = pairs[0]
        return f"{verb} the tags of {runs} from {_short(old)} to {_short(new)}{how}"
    return f"{verb} the tags of {runs} to {_plural(len(pairs), 'rewritten commit')}{how}"


def _report(
    entry: dict[str, Any] | None,
    progress: Delivery,
    finished: bool,
    queue: TagQueue,
    settings: Settings,
) -> None:
    new_id = entry.get("id") if entry else None
    mine = [o for o in progress.outcomes if new_id is not None and o.entry.get("id") == new_id]
    older = [o for o in progress.outcomes if not mine or o is not mine[0]]
    suffix = f"; delivered {_plural(len(older), 'queued tagging')}" if older else ""
    if mine:
        _say(describe(mine[0]) + suffix)
    elif entry is None and older:
        _say(suffix.lstrip("; "))
    problem = _problem(entry, progress, finished, settings)
    if problem:
        left = len(_pending(queue))
        where = queue.path.relative_to(queue.path.parents[2]) if left else ""
        kept = (
            (
                f"; {_plural(left, 'tagging')} queued in {where}, delivered on the next commit "
                f"or with `{PROG} --retry`"
            )
            if left
            else ""
        )
        _warn(problem + kept)


def _problem(
    entry: dict[str, Any] | None, progress: Delivery, finished: bool, settings: Settings
) -> str | None:
    if progress.busy:
        return "another dvcflow-mlflow-tag is delivering the queue"
    if progress.error:
        return progress.error
    if progress.stopped:
        mine = entry.get("uri") if entry else None
        return progress.stopped.get(str(mine)) or next(iter(progress.stopped.values()))
    if progress.failed:
        failed, reason = progress.failed[0]
        commit = failed.get("commit") or "rewritten commits"
        return f"could not tag the runs of {_short(commit)}: {reason}"
    if not finished:
        uri = entry["uri"] if entry else (settings.tracking_uri or "the tracking server")
        return f"MLflow at {uri} did not answer within {settings.timeout:g} s"
    return None


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command and return its exit status (tests call this; `main` exits with it)."""
    return run_command(cli, argv, PROG, usage=EXIT_USAGE, aborted=EXIT_OK, default=EXIT_OK)


def main(argv: Sequence[str] | None = None) -> int:
    code = run(argv)
    if _abandoned:  # never wait for (or tear down under) a worker stuck past the deadline
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    main()
