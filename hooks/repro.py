"""`dvcflow-repro`: `dvc repro` inside one MLflow parent run, with the stages' runs nested in it.

    dvcflow-repro [--run-name NAME] [--experiment NAME] [DVC REPRO ARGS...]

What it records and how: dvcflow.mlflow.repro (the run), dvcflow.mlflow.parent_run (the
parent run, the mlflow client's capped retries) and dvcflow.mlflow.process (`dvc repro` as a
child process, signals forwarded). Ctrl-C or SIGTERM ends the parent KILLED.

Exit status: `dvc repro`'s; 2 if dvcflow cannot start (no Git repository, bad configuration,
MLflow unreachable, slow or failing, not installed, `dvc` not found): then `dvc repro` is not
run. When MLflow fails after `dvc repro` started, the stages run on, the run's record is kept
in `.git/dvcflow/unlogged/` and the exit status is still `dvc repro`'s.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

import click

from dvcflow import __version__
from dvcflow.cli import run_command
from dvcflow.errors import DvcflowError
from dvcflow.mlflow.console import Console

PROG = "dvcflow-repro"
EXIT_USAGE = 2


@click.command(
    context_settings={
        "help_option_names": ["-h", "--help"],
        "ignore_unknown_options": True,
        "allow_interspersed_args": True,
    }
)
@click.option("--run-name", metavar="NAME", help="Name of the parent run (default: MLflow's).")
@click.option(
    "--experiment",
    metavar="NAME",
    help="Experiment of the runs (default: [tool.dvcflow.mlflow] experiments, the first; "
    "else MLFLOW_EXPERIMENT_NAME/_ID; else Default).",
)
@click.version_option(__version__, prog_name=PROG)
@click.argument("dvc_args", nargs=-1, type=click.UNPROCESSED)
def cli(run_name: str | None, experiment: str | None, dvc_args: tuple[str, ...]) -> int:
    """Run `dvc repro DVC_ARGS...` inside one MLflow parent run.

    Stage scripts using `dvcflow.mlflow.stage_run` open their runs nested in it. Exit status:
    dvc repro's; 2 when dvcflow cannot start (then dvc repro is not run).
    """
    from dvcflow.mlflow.repro import reproduce

    console = Console(info_to_stderr=True)
    try:
        return reproduce(run_name, experiment, list(dvc_args), console)
    except DvcflowError as exc:
        console.error(str(exc))
        return EXIT_USAGE


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command and return its exit status (tests call this; `main` exits with it)."""
    interrupted = 128 + int(signal.SIGINT)  # Ctrl-C before dvc repro started
    return run_command(cli, argv, PROG, usage=EXIT_USAGE, aborted=interrupted, default=0)


def main(argv: Sequence[str] | None = None) -> int:
    sys.exit(run(argv))


if __name__ == "__main__":
    main()
