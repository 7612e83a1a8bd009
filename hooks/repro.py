"""`dvcflow-repro`: `dvc repro` inside one MLflow parent run, with the stages' runs nested in it.

    dvcflow-repro [--run-name NAME] [--experiment NAME] [DVC REPRO ARGS...]

1. Opens a parent run in the experiment from `--experiment`, `[tool.dvcflow.mlflow]
   experiments` (the first) or MLflow's `MLFLOW_EXPERIMENT_NAME`/`_ID` (else `Default`), in
   the store from `[tool.dvcflow.mlflow] tracking-uri`, `MLFLOW_TRACKING_URI`, or MLflow's
   default `sqlite:///mlflow.db` in the repository root. It logs the params the stages
   declare (flattened, within MLflow's limits) and MLflow's source tags.
2. Runs the real `dvc repro` with the other arguments as a child process, its output passed
   through unchanged, with `DVCFLOW_PARENT_RUN_ID`, `DVCFLOW_EXPERIMENT_ID`,
   `MLFLOW_TRACKING_URI` and `MLFLOW_EXPERIMENT_NAME`/`_ID` exported (and `MLFLOW_RUN_ID`
   removed), so that `dvcflow.mlflow.stage_run` in a stage script opens a nested run.
3. Logs on the parent: dvc.yaml, dvc.lock (after the repro), the params and vars files,
   requirements*.txt / pyproject.toml (and other dependency declarations of the repository's
   and the DVC project's root) and `dvcflow-repro.json` (a summary) as artifacts; the data
   version of every stage output and `.dvc`-tracked input as `dvcflow.data.<path>` tags; the
   stages that ran, were skipped, restored from the run cache or failed as
   `dvcflow.repro.ran`/`skipped`/`cached`/`failed` (JSON lists); and, when the repro
   reproduced something, `dvcflow.dvc_lock.md5`: the md5 of dvc.lock that the post-commit
   hook (`dvcflow-mlflow-tag`) matches against the committed dvc.lock.
4. Ends the parent FINISHED or FAILED as `dvc repro` exited, and returns its exit code.

Ctrl-C or SIGTERM ends the parent KILLED. When stdin is a terminal, `dvc repro` shares the
terminal's process group, exactly as when run by hand: Ctrl-C reaches it (and the stage
commands) directly, and SIGTERM is forwarded to it. Otherwise (CI, scripts) it runs in its own
session and SIGINT/SIGTERM are forwarded to its whole process group, stage commands included.
Stage runs a killed stage left RUNNING are ended KILLED (FAILED after a failure).

Exit status: `dvc repro`'s; 2 if dvcflow cannot start (no Git repository, bad configuration,
MLflow unreachable or not installed, `dvc` not found): then `dvc repro` is not run.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import click

from dvcflow import __version__
from dvcflow.cli import run_command
from dvcflow.config import load_config
from dvcflow.context import Context
from dvcflow.dvc.dvcfiles import load_dvc_files
from dvcflow.dvc.pipeline import Pipeline
from dvcflow.errors import DvcflowError, MissingExtra
from dvcflow.git.commits import current_branch, lock_md5
from dvcflow.git.repo import GitRepo, run_git
from dvcflow.git.snapshot import normalize
from dvcflow.mlflow.matching import LOCK_MD5_TAG, Settings, load_settings
from dvcflow.mlflow.rest import RestStore, StoreError, sanitize_uri
from dvcflow.mlflow.runrecord import (
    CWD_ENV,
    DATA_TAG_PREFIX,
    EXPERIMENT_ENV,
    MAX_PARAM_VALUE_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    PARENT_ENV,
    SUMMARY_ARTIFACT,
    KeyBook,
    StageLog,
    batches,
    clip,
    data_versions,
    input_files,
    lock_paths,
    pipeline_params,
    project_pipelines,
)
from dvcflow.mlflow.store import is_rest_uri, local_store_path

PROG = "dvcflow-repro"
EXIT_USAGE = 2
PASS_THROUGH = frozenset({"--dry", "-h", "--help"})  # dvc repro runs nothing: no MLflow run
INTERACTIVE = frozenset({"-i", "--interactive"})
PUMP_GRACE = 5.0  # seconds to drain output after `dvc repro` exits
READ_SIZE = 65536
PROBE_TIMEOUT = 10.0  # seconds for the tracking server to answer before the repro starts


def _say(message: str) -> None:
    click.echo(f"dvcflow: {message}", err=True)


def _warn(message: str) -> None:
    click.echo(f"dvcflow: warning: {message}", err=True)


def _one_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "message", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


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
    try:
        return _main(run_name, experiment, list(dvc_args))
    except DvcflowError as exc:
        click.echo(f"dvcflow: error: {exc}", err=True)
        return EXIT_USAGE


def _main(run_name: str | None, experiment: str | None, dvc_args: list[str]) -> int:
    dvc = dvc_command()
    argv = [*dvc, "repro", *dvc_args]
    if PASS_THROUGH.intersection(dvc_args):
        return subprocess.run(argv, check=False).returncode
    cwd = Path.cwd()
    root = GitRepo.discover(cwd).root
    settings = load_settings(
        load_config(root), root, cli_experiments=(experiment,) if experiment else ()
    )
    if not settings.enabled:
        _say("MLflow tracking is disabled ([tool.dvcflow.mlflow] enabled = false): dvc repro only")
        return subprocess.run(argv, check=False).returncode
    uri = settings.tracking_uri or f"sqlite:///{root / 'mlflow.db'}"
    with tempfile.TemporaryDirectory(prefix="dvcflow-repro-") as staging:
        before = Before.read(cwd, Path(staging))
        command = shlex.join(["dvc", "repro", *dvc_args])
        parent = ParentRun.open(uri, settings, run_name, before, command)
        try:
            outcome = run_dvc(argv, child_env(parent, cwd), interactive=_interactive(dvc_args))
        except BaseException as exc:
            parent.end("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
            raise
        return finish(parent, before, outcome)


def dvc_command() -> list[str]:
    """`dvc` next to this Python (the same environment), else on PATH."""
    beside = Path(sys.executable).with_name("dvc")
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("dvc")
    if found:
        return [found]
    raise DvcflowError("dvc is not installed or not on PATH: pip install dvc")


def _interactive(dvc_args: Sequence[str]) -> bool:
    return bool(INTERACTIVE.intersection(dvc_args)) or any(
        a.startswith("-") and not a.startswith("--") and "i" in a for a in dvc_args
    )


# -- before the repro ------------------------------------------------------------------------


@dataclass
class Before:
    """What the run records from the workspace before `dvc repro` starts."""

    root: Path
    cwd: str  # repo-relative folder `dvc repro` runs in
    staging: Path  # artifacts to log, laid out as in the repository
    params: dict[str, str] = field(default_factory=dict)
    locks: dict[str, str | None] = field(default_factory=dict)  # dvc.lock -> md5 (None: absent)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, cwd: Path, staging: Path) -> Before:
        ctx = Context.from_cwd(cwd)
        try:
            rel = normalize(cwd.resolve().relative_to(ctx.root.resolve()).as_posix())
            before = cls(root=ctx.root, cwd=rel, staging=staging)
            try:
                before._read(ctx)
            except Exception as exc:  # never keep the user from running dvc repro
                before.problems.append(f"cannot read the pipelines: {_one_line(exc)}")
            return before
        finally:
            ctx.close()

    def _read(self, ctx: Context) -> None:
        pipelines = repro_pipelines(ctx, self.cwd)
        params = pipeline_params(pipelines, ctx.workspace)
        self.params, self.problems = params.values, params.problems
        self.locks = {p: _file_md5(ctx.root / p) for p in lock_paths(pipelines)}
        project = ctx.projects("workspace").owner(self.cwd)
        for path in input_files(pipelines, ctx.workspace, project.root if project else self.cwd):
            _stage_copy(ctx.root / path, self.staging / path)


def repro_pipelines(ctx: Context, cwd: str) -> list[Pipeline]:
    """The pipelines of the DVC project that `dvc repro` run in `cwd` works on."""
    return project_pipelines(ctx.pipelines("workspace"), ctx.projects("workspace").owner(cwd))


def _file_md5(path: Path) -> str | None:
    try:
        return lock_md5(path.read_bytes())
    except OSError:
        return None


def _stage_copy(source: Path, target: Path) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    except OSError as exc:
        _warn(f"cannot log {source.name}: {exc.strerror or exc}")


# -- the parent run --------------------------------------------------------------------------


def _probe(uri: str) -> None:
    """Whether the server answers (and accepts the credentials), with the stdlib client."""
    store = RestStore(uri, timeout=PROBE_TIMEOUT)
    try:
        store.experiment_id("Default")
    except StoreError as exc:
        raise DvcflowError(f"{exc.message}; dvc repro was not run") from exc
    finally:
        store.close()


def _mlflow_client(uri: str) -> Any:
    path = local_store_path(uri)
    if path is not None and path.is_dir():
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3: an ./mlruns store
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise MissingExtra("mlflow", "mlflow", "dvcflow-repro") from exc
    return MlflowClient(tracking_uri=uri)


@dataclass
class ParentRun:
    client: Any
    uri: str
    run_id: str
    name: str
    experiment_id: str
    experiment_name: str
    artifact_uri: str

    @classmethod
    def open(
        cls,
        uri: str,
        settings: Settings,
        run_name: str | None,
        before: Before,
        command: str,
    ) -> ParentRun:
        where = sanitize_uri(uri)
        if is_rest_uri(uri):
            _probe(uri)  # fail in seconds, not after the mlflow client's retries
        client = _mlflow_client(uri)
        try:
            experiment_id, experiment_name = _experiment(client, settings)
            run = client.create_run(
                experiment_id, tags=_start_tags(before, command), run_name=run_name
            )
        except Exception as exc:
            raise DvcflowError(f"cannot open an MLflow run at {where}: {_one_line(exc)}") from exc
        parent = cls(
            client,
            uri,
            run.info.run_id,
            run.info.run_name,
            experiment_id,
            experiment_name,
            str(run.info.artifact_uri or ""),
        )
        try:
            parent.log_params(before.params)
        except BaseException as exc:
            parent.end("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
            if isinstance(exc, Exception):
                raise DvcflowError(f"cannot log params at {where}: {_one_line(exc)}") from exc
            raise
        _say(
            f"MLflow run '{parent.name}' ({parent.run_id[:8]}) in experiment "
            f"'{experiment_name}' at {where}"
        )
        for problem in before.problems:
            _warn(f"not logged: {problem}")
        return parent

    def log_params(self, params: Mapping[str, str]) -> None:
        from mlflow.entities import Param

        book = KeyBook()
        items = [Param(book.key(k), clip(v, MAX_PARAM_VALUE_LENGTH)) for k, v in params.items()]
        for batch in batches(items):
            self.client.log_batch(self.run_id, params=list(batch))

    def set_tags(self, tags: Mapping[str, str]) -> None:
        from mlflow.entities import RunTag

        items = [RunTag(k, clip(v, MAX_TAG_VALUE_LENGTH)) for k, v in tags.items()]
        for batch in batches(items):
            self.client.log_batch(self.run_id, tags=list(batch))

    def end_orphans(self, status: str) -> int:
        """End nested runs still RUNNING (a stage killed before it could end its run)."""
        query = f"tags.`mlflow.parentRunId` = '{self.run_id}' AND attributes.status = 'RUNNING'"
        runs = self.client.search_runs([self.experiment_id], query, max_results=1000)
        for run in runs:
            self.client.set_terminated(run.info.run_id, status)
        return len(runs)

    def end(self, status: str) -> None:
        try:
            self.client.set_terminated(self.run_id, status)
        except Exception as exc:
            _warn(f"cannot end MLflow run {self.run_id[:8]} as {status}: {_one_line(exc)}")


def _experiment(client: Any, settings: Settings) -> tuple[str, str]:
    """(id, name) of the run's experiment, created when it is named and does not exist."""
    if settings.experiments:
        name = settings.experiments[0]
        if len(settings.experiments) > 1:
            _say(
                f"[tool.dvcflow.mlflow] lists {len(settings.experiments)} experiments: "
                f"runs go to the first, '{name}'"
            )
        found = client.get_experiment_by_name(name)
        if found is None:
            try:
                return str(client.create_experiment(name)), name
            except Exception:  # created meanwhile by another process
                found = client.get_experiment_by_name(name)
                if found is None:
                    raise
    elif settings.experiment_ids:
        found = client.get_experiment(settings.experiment_ids[0])
    else:
        found = client.get_experiment_by_name("Default") or client.get_experiment("0")
    if found.lifecycle_stage != "active":
        raise DvcflowError(
            f"MLflow experiment '{found.name}' is deleted: restore it or choose another"
        )
    return str(found.experiment_id), str(found.name)


def _start_tags(before: Before, command: str) -> dict[str, str]:
    """MLflow's source tags (as its own `start_run` would set them) and the repro command."""
    tags = {
        "mlflow.source.name": "dvc repro",
        "mlflow.source.type": "LOCAL",
        "dvcflow.repro.command": command,
    }
    with contextlib.suppress(KeyError, OSError):
        tags["mlflow.user"] = getpass.getuser()
    head = run_git(["rev-parse", "-q", "--verify", "HEAD^{commit}"], before.root, check=False)
    if head.strip():
        tags["mlflow.source.git.commit"] = head.decode("ascii").strip()
    branch = current_branch(before.root)
    if branch:
        tags["mlflow.source.git.branch"] = branch
    return tags


def child_env(parent: ParentRun, cwd: Path) -> dict[str, str]:
    """`dvc repro`'s environment: the parent run exported, MLflow's own resume variable not."""
    env = dict(os.environ)
    env.pop("MLFLOW_RUN_ID", None)  # a stage must not resume some other run (nor the parent)
    env.update(
        {
            PARENT_ENV: parent.run_id,
            EXPERIMENT_ENV: parent.experiment_id,
            CWD_ENV: str(cwd),
            "MLFLOW_TRACKING_URI": parent.uri,
            "MLFLOW_EXPERIMENT_ID": parent.experiment_id,
            "MLFLOW_EXPERIMENT_NAME": parent.experiment_name,
        }
    )
    return env


# -- running dvc repro -----------------------------------------------------------------------


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


# -- after the repro -------------------------------------------------------------------------


def _status(outcome: Outcome) -> str:
    if outcome.signals:
        return "KILLED"
    return "FINISHED" if outcome.code == 0 else "FAILED"


def _primary_lock(changed: list[str], existing: list[str], cwd: str) -> str | None:
    """The dvc.lock whose md5 the parent carries: the one DVC ran on, preferring cwd's."""
    candidates = changed or existing
    here = normalize(f"{cwd}/dvc.lock") if cwd else "dvc.lock"
    return here if here in candidates else (candidates[0] if candidates else None)


def finish(parent: ParentRun, before: Before, outcome: Outcome) -> int:
    """Log what the repro produced and end the parent as the repro ended; dvc's exit code."""
    status = _status(outcome)
    try:
        with _ignoring_signals():
            _record(parent, before, outcome, status)
    except Exception as exc:
        _warn(f"MLflow run {parent.run_id[:8]} is incomplete: {_one_line(exc)}")
    parent.end(status)
    stages = outcome.log
    _say(
        f"MLflow run '{parent.name}' ({parent.run_id[:8]}) {status}: "
        f"{_count(stages.having('ran'), 'stage')} ran, {len(stages.having('skipped'))} "
        f"skipped, {len(stages.having('cached'))} restored from the run cache, "
        f"{len(stages.having('failed'))} failed"
    )
    return outcome.code


@contextlib.contextmanager
def _ignoring_signals() -> Iterator[None]:
    """A second Ctrl-C while the run is being completed is noted, not obeyed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _count(items: Sequence[str], word: str) -> str:
    return f"{len(items)} {word}{'' if len(items) == 1 else 's'}"


def _record(parent: ParentRun, before: Before, outcome: Outcome, status: str) -> None:
    ctx = Context.from_cwd(before.root / before.cwd)
    try:
        pipelines = repro_pipelines(ctx, before.cwd)
        versions = data_versions(pipelines, load_dvc_files(ctx.workspace))
    finally:
        ctx.close()
    locks_after = {p: _file_md5(before.root / p) for p in lock_paths(pipelines)}
    existing = sorted(p for p, md5 in locks_after.items() if md5)
    changed = [p for p in existing if locks_after[p] != before.locks.get(p)]
    for path in existing:
        _stage_copy(before.root / path, before.staging / path)
    log = outcome.log
    summary = _summary(parent, before, outcome, status, versions, locks_after)
    (before.staging / SUMMARY_ARTIFACT).write_text(
        json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    tags = {
        "dvcflow.repro.exit_code": str(outcome.code),
        "dvcflow.repro.ran": json.dumps(log.having("ran")),
        "dvcflow.repro.skipped": json.dumps(log.having("skipped")),
    }
    for extra in ("cached", "failed"):
        if log.having(extra):
            tags[f"dvcflow.repro.{extra}"] = json.dumps(log.having(extra))
    reproduced = bool(log.having("ran") or log.having("failed") or changed)
    primary = _primary_lock(changed, existing, before.cwd)
    if reproduced and primary is not None:
        tags[LOCK_MD5_TAG] = str(locks_after[primary])
    book = KeyBook()
    tags.update({book.key(DATA_TAG_PREFIX + path): md5 for path, md5 in versions.items()})
    parent.set_tags(tags)
    _guard_local_artifacts(parent.artifact_uri, before)
    parent.client.log_artifacts(parent.run_id, str(before.staging))
    orphans = parent.end_orphans("KILLED" if status == "KILLED" else "FAILED")
    if orphans:
        _warn(f"ended {_count(['x'] * orphans, 'stage run')} left RUNNING as {status}")


DVCIGNORE_NOTE = """\
# Logged by dvcflow-repro: this run's artifacts are stored inside the repository, and DVC must
# not read the copies of dvc.yaml and dvc.lock below this folder as pipelines of the project.
*
"""


def _guard_local_artifacts(artifact_uri: str, before: Before) -> None:
    """Artifacts landing in the work tree, not ignored: add a `.dvcignore` to them, and warn.

    MLflow's local stores put artifacts in `./mlruns` by default; a dvc.yaml copy there that
    Git does not ignore is a pipeline to DVC (`dvc stage list --all`, `dvc status`).
    """
    parts = urlsplit(artifact_uri)
    if parts.scheme not in ("", "file"):
        return
    try:
        rel = Path(unquote(parts.path)).resolve().relative_to(before.root.resolve()).as_posix()
    except (OSError, ValueError):
        return
    ignored = run_git(["check-ignore", "--no-index", "--", rel], before.root, check=False)
    if ignored.strip():
        return
    (before.staging / ".dvcignore").write_text(DVCIGNORE_NOTE, encoding="utf-8")
    top = rel.split("/", 1)[0]
    _warn(f"MLflow stores artifacts inside the repository ({top}/): add it to .gitignore")


def _summary(
    parent: ParentRun,
    before: Before,
    outcome: Outcome,
    status: str,
    versions: Mapping[str, str],
    locks: Mapping[str, str | None],
) -> dict[str, Any]:
    return {
        "run_id": parent.run_id,
        "status": status,
        "exit_code": outcome.code,
        "seconds": round(outcome.seconds, 3),
        "signals": [signal.Signals(s).name for s in outcome.signals],
        "stages": outcome.log.stages,
        "data": dict(versions),
        "dvc_lock_md5": {p: md5 for p, md5 in locks.items() if md5},
        "params": before.params,
        "params_problems": before.problems,
    }


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command and return its exit status (tests call this; `main` exits with it)."""
    interrupted = 128 + int(signal.SIGINT)  # Ctrl-C before dvc repro started
    return run_command(cli, argv, PROG, usage=EXIT_USAGE, aborted=interrupted, default=0)


def main(argv: Sequence[str] | None = None) -> int:
    sys.exit(run(argv))


if __name__ == "__main__":
    main()
