"""`dvcflow-mlflow-tag`: tag the MLflow run(s) behind a commit with that commit.

MLflow records `mlflow.source.git.commit` when a run starts: the commit checked out before the
params were edited and `dvc repro` ran. This post-commit hook links the run tree (the pipeline's
parent run and its nested stage runs) to the commit that captures its code, params and
dvc.lock, with the tags `dvcflow.git.commit`, `dvcflow.git.branch` and
`dvcflow.git.commit_time`. Which runs: see dvcflow.mlflow.matching; the run itself:
dvcflow.mlflow.tagging.

Install (with the `dvcflow-mlflow-tag` and `dvcflow-mlflow-tag-rewrite` hook ids in
.pre-commit-config.yaml; `dvcflow-mlflow-retry` is the manual retry):

    pre-commit install --hook-type post-commit --hook-type post-rewrite

Configure in pyproject.toml (else MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME/_ID apply):

    [tool.dvcflow.mlflow]
    tracking-uri = "http://mlflow.internal:5000"   # or "sqlite:///mlflow.db", "./mlruns"
    experiments = ["churn-model"]                   # default: every active experiment
    match = "parent-commit"                         # or "since-parent"
    timeout = 2.0                                   # seconds the hook may spend on MLflow

The commit already exists when the hook runs, so it never fails it and never hangs it: an
unreachable or slow server, a 5xx, bad credentials, or anything that is not MLflow's own JSON
answer (a proxy's HTML page, `{}`) print one warning line, the tagging stays queued in
`.git/dvcflow/mlflow-queue.jsonl`, and the hook exits 0 within the timeout. The next run
delivers the queue first; `dvcflow-mlflow-tag --retry` (or `pre-commit run --hook-stage manual
dvcflow-mlflow-retry`) delivers it by hand, allowing 30 s (`--timeout`). `--post-rewrite`
(after `git commit --amend` or `git rebase`) moves the tags from the rewritten commits to their
new SHAs. Local stores (SQLite, ./mlruns, databricks) need `pip install 'dvcflow[mlflow]'` and
pay the mlflow client's import (2-3 s); http(s) servers are reached with the standard library.
Usage errors exit 2; everything else exits 0.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence

import click

from dvcflow import __version__
from dvcflow.cli import run_command
from dvcflow.mlflow.console import Console, one_line
from dvcflow.mlflow.report import PROG
from dvcflow.mlflow.tagging import Options, TagRun, worker_left_running

EXIT_OK, EXIT_USAGE = 0, 2


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
    "--timeout",
    type=click.FloatRange(min=0.1),
    metavar="SECONDS",
    help="Time allowed for MLflow (default: [tool.dvcflow.mlflow] timeout, 2 s; 30 s with "
    "--retry).",
)
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
    timeout: float | None,
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
    options = Options(
        commit, experiments, tracking_uri, dry_run, retry, post_rewrite, command, timeout
    )
    console = Console([tracking_uri])
    try:
        return TagRun(options, console, started).run()
    except KeyboardInterrupt:
        console.warn(
            "interrupted; queued taggings are delivered on the next commit or with --retry"
        )
    except Exception as exc:  # a post-commit hook must never fail the commit
        console.warn(one_line(exc))
    return EXIT_OK


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command and return its exit status (tests call this; `main` exits with it)."""
    return run_command(cli, argv, PROG, usage=EXIT_USAGE, aborted=EXIT_OK, default=EXIT_OK)


def main(argv: Sequence[str] | None = None) -> int:
    code = run(argv)
    if worker_left_running():  # never wait for (or tear down under) a worker past the deadline
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    main()
