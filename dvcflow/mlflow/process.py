"""`dvc repro` as a child process: its output passed through byte for byte (and read for
DVC's stage lines), SIGINT/SIGTERM forwarded.

When stdin is a terminal, `dvc repro` shares the terminal's process group, exactly as when run
by hand: Ctrl-C reaches it (and the stage commands) directly, and SIGTERM is forwarded to it.
Otherwise (CI, scripts) it runs in its own session and SIGINT/SIGTERM are forwarded to its whole
process group, stage commands included.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

from dvcflow.errors import DvcflowError
from dvcflow.mlflow.runrecord import StageLog

PUMP_GRACE = 5.0  # seconds to drain output after `dvc repro` exits
READ_SIZE = 65536
INTERACTIVE = frozenset({"-i", "--interactive"})


def dvc_command() -> list[str]:
    """`dvc` next to this Python (the same environment), else on PATH."""
    beside = Path(sys.executable).with_name("dvc")
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("dvc")
    if found:
        return [found]
    raise DvcflowError("dvc is not installed or not on PATH: pip install dvc")


def interactive(dvc_args: Sequence[str]) -> bool:
    return bool(INTERACTIVE.intersection(dvc_args)) or any(
        a.startswith("-") and not a.startswith("--") and "i" in a for a in dvc_args
    )


@dataclass
class Outcome:
    code: int
    signals: list[int]
    log: StageLog
    seconds: float


def _binary(stream: IO[str]) -> IO[bytes] | None:
    return getattr(stream, "buffer", None)


def _pump(fd: int, target: IO[str], log: StageLog, name: str) -> None:
    """Copy a child's output to ours byte for byte, feeding DVC's log lines to `log`."""
    sink = _binary(target)
    while True:
        try:
            data = os.read(fd, READ_SIZE)
        except OSError:  # EIO: the pty's other side is closed
            break
        if not data:
            break
        if sink is not None:
            sink.write(data)
            sink.flush()
        else:
            target.write(data.decode("utf-8", "replace"))
            target.flush()
        log.feed(data, name)


def _open_pty() -> tuple[int, int] | None:
    """A pseudo-terminal for the child's output when ours is a terminal (colours, progress)."""
    if os.name != "posix" or not sys.stdout.isatty():
        return None
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()
    with contextlib.suppress(OSError, termios.error):
        size = fcntl.ioctl(sys.stdout.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, size)
        attributes = termios.tcgetattr(slave)
        attributes[1] &= ~termios.OPOST  # bytes through unchanged: our terminal translates
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
    return master, slave


class Child:
    """`dvc repro` with its output streamed through and signals forwarded."""

    def __init__(self, argv: list[str], env: dict[str, str], *, interactive: bool) -> None:
        # A terminal user's Ctrl-C reaches the terminal's process group: share it (prompts
        # work, the signal arrives once). Elsewhere run in a session of our own and forward.
        self.shared_group = os.name != "posix" or interactive or sys.stdin.isatty()
        self.log = StageLog()
        self.threads: list[threading.Thread] = []
        terminal = _open_pty()
        out: int | None = terminal[1] if terminal else subprocess.PIPE
        try:
            self.proc = subprocess.Popen(
                argv,
                env=env,
                stdout=out,
                stderr=out,
                start_new_session=not self.shared_group,
            )
        except BaseException:
            for fd in terminal or ():
                os.close(fd)
            raise
        if terminal:
            os.close(terminal[1])
            self._start(terminal[0], sys.stdout, "out")
        else:
            assert self.proc.stdout is not None and self.proc.stderr is not None
            self._start(self.proc.stdout.fileno(), sys.stdout, "out")
            self._start(self.proc.stderr.fileno(), sys.stderr, "err")
        self._master = terminal[0] if terminal else None

    def _start(self, fd: int, target: IO[str], name: str) -> None:
        thread = threading.Thread(
            target=_pump, args=(fd, target, self.log, name), name=f"dvcflow-{name}", daemon=True
        )
        thread.start()
        self.threads.append(thread)

    def forward(self, signum: int) -> None:
        if self.proc.poll() is not None:
            return
        try:
            if not self.shared_group:
                os.killpg(self.proc.pid, signum)
                os.killpg(self.proc.pid, signal.SIGCONT)  # a stopped group handles it too
            elif signum != signal.SIGINT:  # the terminal already sent SIGINT to the group
                self.proc.send_signal(signum)
        except (ProcessLookupError, PermissionError):
            pass

    def wait(self) -> int:
        code = self.proc.wait()
        end = time.monotonic() + PUMP_GRACE
        for thread in self.threads:
            thread.join(max(0.0, end - time.monotonic()))
        if self._master is not None:
            with contextlib.suppress(OSError):
                os.close(self._master)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self.log.close()
        return 128 - code if code < 0 else code


@contextlib.contextmanager
def _forwarding(children: list[Child], received: list[int]) -> Iterator[None]:
    """SIGINT and SIGTERM noted and forwarded to the child (once started) while it runs."""

    def handler(signum: int, frame: FrameType | None) -> None:
        received.append(signum)
        for child in children:
            child.forward(signum)

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for wanted in (signal.SIGINT, signal.SIGTERM):
            previous[wanted] = signal.signal(wanted, handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def run_dvc(argv: list[str], env: dict[str, str], *, interactive: bool) -> Outcome:
    started = time.monotonic()
    received: list[int] = []
    children: list[Child] = []
    with _forwarding(children, received):
        try:
            children.append(Child(argv, env, interactive=interactive))
        except OSError as exc:
            raise DvcflowError(f"cannot run {argv[0]}: {exc.strerror or exc}") from exc
        for signum in received:  # arrived while it started
            children[0].forward(signum)
        code = children[0].wait()
    return Outcome(code, received, children[0].log, time.monotonic() - started)
