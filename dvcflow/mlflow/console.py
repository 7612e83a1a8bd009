"""What the MLflow hooks print: `dvcflow: …` lines, every one through the one sanitizer."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import click

from dvcflow.mlflow.redact import redact


def one_line(exc: BaseException) -> str:
    """An exception's message (MLflow's `.message` when it has one), first line only."""
    lines = str(getattr(exc, "message", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


_TOO_MANY = re.compile(r"too many (\d{3}) error responses")


def client_failure(exc: BaseException) -> str:
    """The mlflow client's exception in a few words (its text is a page of urllib3 retries)."""
    text = str(getattr(exc, "message", None) or exc)
    if "Read timed out" in text or "ReadTimeout" in text:
        timeout = re.search(r"read timeout=(\d+(?:\.\d+)?)", text)
        return f"slow (no answer in {timeout[1] if timeout else '?'} s)"
    if "RemoteDisconnected" in text or "Connection aborted" in text:
        return "unreachable (the connection was closed without an answer)"
    if "Connection refused" in text or "NewConnectionError" in text:
        return "unreachable (connection refused)"
    if too_many := _TOO_MANY.search(text):
        return f"HTTP {too_many[1]} on every attempt"
    return one_line(exc)[:300]


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
