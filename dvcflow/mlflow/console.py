"""What the MLflow hooks print: `dvcflow: …` lines, every one through the one sanitizer."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import click

from dvcflow.mlflow.redact import redact


def one_line(exc: BaseException) -> str:
    """An exception's message (MLflow's `.message` when it has one), first line only."""
    lines = str(getattr(exc, "message", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class Console:
    """`say` (stdout, or stderr with `info_to_stderr`) and `warn` (stderr), redacted.

    `uris` are the tracking URIs in play: their userinfo is masked wherever it appears.
    """

    def __init__(self, uris: Iterable[str | None] = (), *, info_to_stderr: bool = False) -> None:
        self.uris = [u for u in uris if u]
        self._info_to_stderr = info_to_stderr

    def add_uri(self, uri: str | None) -> None:
        if uri:
            self.uris.append(uri)

    def clean(self, message: str) -> str:
        return redact(message, self.uris)

    def say(self, message: str) -> None:
        click.echo(f"dvcflow: {self.clean(message)}", err=self._info_to_stderr)

    def warn(self, message: str) -> None:
        click.echo(f"dvcflow: warning: {self.clean(message)}", err=True)

    def error(self, message: str) -> None:
        click.echo(f"dvcflow: error: {self.clean(message)}", err=True)


def shown_path(path: Path, root: Path) -> str:
    """A path as the user would type it: relative to the work tree when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except (OSError, ValueError):
        return str(path)
