"""`dvcflow-repro`: `dvc repro` inside one MLflow parent run, with the stages' runs nested in it.

1. Opens a parent run (dvcflow.mlflow.parent_run) in the experiment from `--experiment`,
   `[tool.dvcflow.mlflow] experiments` (the first) or MLflow's `MLFLOW_EXPERIMENT_NAME`/`_ID`
   (else `Default`), in the store from `[tool.dvcflow.mlflow] tracking-uri`,
   `MLFLOW_TRACKING_URI`, or MLflow's default `sqlite:///mlflow.db` in the repository root. It
   logs the params the stages declare (flattened, within MLflow's limits) and MLflow's source
   tags.
2. Runs the real `dvc repro` (dvcflow.mlflow.process) with `DVCFLOW_PARENT_RUN_ID`,
   `DVCFLOW_EXPERIMENT_ID`, `MLFLOW_TRACKING_URI` and `MLFLOW_EXPERIMENT_NAME`/`_ID` exported
   (and `MLFLOW_RUN_ID` removed), so that `dvcflow.mlflow.stage_run` in a stage script opens a
   nested run.
3. Logs on the parent: dvc.yaml, dvc.lock (after the repro), the params and vars files, the
   dependency declarations and `dvcflow-repro.json` (a summary) as artifacts; the data version
   of every stage output and `.dvc`-tracked input as `dvcflow.data.<path>` tags; the stages
   that ran, were skipped, restored from the run cache or failed as `dvcflow.repro.ran`/
   `skipped`/`cached`/`failed`; and, when the repro reproduced something,
   `dvcflow.dvc_lock.md5`, which the post-commit hook matches against the committed dvc.lock.
4. Ends the parent FINISHED, FAILED or KILLED as `dvc repro` ended, and returns its exit code.

When MLflow fails after `dvc repro` started (the server gone, slow, answering 5xx), the stages
run on and their results stay in the workspace; dvcflow stops talking to MLflow at the first
failed request (each bounded by the capped client: at most 2 x 10 s), keeps the run's record
(tags, artifacts, summary) in `.git/dvcflow/unlogged/<run id>/` and says so; the exit code is
still `dvc repro`'s.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from dvcflow.config import load_config
from dvcflow.context import Context
from dvcflow.dvc.dvcfiles import load_dvc_files
from dvcflow.dvc.pipeline import Pipeline
from dvcflow.git.commits import git_dirs, lock_md5
from dvcflow.git.repo import GitRepo, run_git
from dvcflow.git.snapshot import normalize
from dvcflow.mlflow.console import Console, client_failure, one_line, shown_path
from dvcflow.mlflow.matching import LOCK_MD5_TAG, load_settings
from dvcflow.mlflow.parent_run import ParentRun, child_env
from dvcflow.mlflow.process import Outcome, dvc_command, interactive, run_dvc
from dvcflow.mlflow.redact import sanitize_uri
from dvcflow.mlflow.runrecord import (
    DATA_TAG_PREFIX,
    SUMMARY_ARTIFACT,
    KeyBook,
    data_versions,
    input_files,
    lock_paths,
    pipeline_params,
    project_pipelines,
)

PASS_THROUGH = frozenset({"--dry", "-h", "--help"})  # dvc repro runs nothing: no MLflow run
UNLOGGED = "unlogged"  # folder in <git common dir>/dvcflow for records MLflow did not take
TAGS_FILE = "dvcflow-tags.json"


def reproduce(
    run_name: str | None, experiment: str | None, dvc_args: list[str], console: Console
) -> int:
    """The whole command: dvc repro's exit code (DvcflowError when dvcflow cannot start)."""
    argv = [*dvc_command(), "repro", *dvc_args]
    if PASS_THROUGH.intersection(dvc_args):
        return subprocess.run(argv, check=False).returncode
    cwd = Path.cwd()
    root = GitRepo.discover(cwd).root
    settings = load_settings(
        load_config(root), root, cli_experiments=(experiment,) if experiment else ()
    )
    console.add_uri(settings.tracking_uri)
    if not settings.enabled:
        console.say(
            "MLflow tracking is disabled ([tool.dvcflow.mlflow] enabled = false): dvc repro only"
        )
        return subprocess.run(argv, check=False).returncode
    uri = settings.tracking_uri or f"sqlite:///{root / 'mlflow.db'}"
    with tempfile.TemporaryDirectory(prefix="dvcflow-repro-") as staging:
        before = Before.read(cwd, Path(staging))
        command = shlex.join(["dvc", "repro", *dvc_args])
        parent = ParentRun.open(
            uri, settings, run_name, (before.root, before.params, command), console
        )
        for problem in before.problems:
            console.warn(f"not logged: {problem}")
        try:
            outcome = run_dvc(argv, child_env(parent, cwd), interactive=interactive(dvc_args))
        except BaseException as exc:
            parent.end("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
            raise
        return finish(parent, before, outcome)


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
                before.problems.append(f"cannot read the pipelines: {one_line(exc)}")
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
            _stage_copy(ctx.root / path, self.staging / path, self.problems)


def repro_pipelines(ctx: Context, cwd: str) -> list[Pipeline]:
    """The pipelines of the DVC project that `dvc repro` run in `cwd` works on."""
    return project_pipelines(ctx.pipelines("workspace"), ctx.projects("workspace").owner(cwd))


def _file_md5(path: Path) -> str | None:
    try:
        return lock_md5(path.read_bytes())
    except OSError:
        return None


def _stage_copy(source: Path, target: Path, problems: list[str]) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    except OSError as exc:
        problems.append(f"cannot log {source.name}: {exc.strerror or exc}")


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
    console = parent.console
    record = Record()
    try:
        with _ignoring_signals():
            _record(parent, before, outcome, status, record)
    except Exception as exc:
        parent.failure = client_failure(exc)
    if parent.failure is not None:
        kept = _keep_record(before, parent, record)
        console.warn(
            f"MLflow run {parent.run_id[:8]} is incomplete: MLflow at {sanitize_uri(parent.uri)} "
            f"is {parent.failure}; the stages' results are in the workspace{kept}"
        )
    ended = parent.end(status)
    stages = outcome.log
    state = status if ended else f"{status} (not recorded in MLflow)"
    console.say(
        f"MLflow run '{parent.name}' ({parent.run_id[:8]}) {state}: "
        f"{_count(stages.having('ran'), 'stage')} ran, {len(stages.having('skipped'))} "
        f"skipped, {len(stages.having('cached'))} restored from the run cache, "
        f"{len(stages.having('failed'))} failed"
    )
    return outcome.code


@dataclass
class Record:
    """What the parent run should carry once `dvc repro` ended (kept if MLflow fails)."""

    tags: dict[str, str] = field(default_factory=dict)
    status: str = ""


def _keep_record(before: Before, parent: ParentRun, record: Record) -> str:
    """Copy the run's record out of the temporary folder; ` …: kept in <folder>` or ''."""
    try:
        common = git_dirs(before.root).common_dir
        target = common / "dvcflow" / UNLOGGED / parent.run_id
        shutil.copytree(before.staging, target, dirs_exist_ok=True)
        payload = {"run_id": parent.run_id, "status": record.status, "tags": record.tags}
        (target / TAGS_FILE).write_text(
            json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    except Exception as exc:
        return f"; the run's record could not be kept: {one_line(exc)}"
    return f"; the run's record (tags, artifacts) is kept in {shown_path(target, before.root)}/"


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


def _record(
    parent: ParentRun, before: Before, outcome: Outcome, status: str, record: Record
) -> None:
    ctx = Context.from_cwd(before.root / before.cwd)
    try:
        pipelines = repro_pipelines(ctx, before.cwd)
        versions = data_versions(
            pipelines, load_dvc_files(ctx.workspace, ctx.projects("workspace"))
        )
    finally:
        ctx.close()
    locks_after = {p: _file_md5(before.root / p) for p in lock_paths(pipelines)}
    existing = sorted(p for p, md5 in locks_after.items() if md5)
    changed = [p for p in existing if locks_after[p] != before.locks.get(p)]
    problems: list[str] = []
    for path in existing:
        _stage_copy(before.root / path, before.staging / path, problems)
    for problem in problems:
        parent.console.warn(problem)
    summary = _summary(parent, before, outcome, status, versions, locks_after)
    (before.staging / SUMMARY_ARTIFACT).write_text(
        json.dumps(summary, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    record.status = status
    record.tags = _tags(
        outcome, versions, locks_after, _primary_lock(changed, existing, before.cwd), bool(changed)
    )
    parent.set_tags(record.tags)
    _guard_local_artifacts(parent, before)
    parent.client.log_artifacts(parent.run_id, str(before.staging))
    orphans = parent.end_orphans("KILLED" if status == "KILLED" else "FAILED")
    if orphans:
        parent.console.warn(
            f"ended {_count(['x'] * orphans, 'stage run')} left RUNNING as {status}"
        )


def _tags(
    outcome: Outcome,
    versions: Mapping[str, str],
    locks_after: Mapping[str, str | None],
    primary: str | None,
    changed: bool,
) -> dict[str, str]:
    log = outcome.log
    tags = {
        "dvcflow.repro.exit_code": str(outcome.code),
        "dvcflow.repro.ran": json.dumps(log.having("ran")),
        "dvcflow.repro.skipped": json.dumps(log.having("skipped")),
    }
    for extra in ("cached", "failed"):
        if log.having(extra):
            tags[f"dvcflow.repro.{extra}"] = json.dumps(log.having(extra))
    reproduced = bool(log.having("ran") or log.having("failed") or changed)
    if reproduced and primary is not None:
        tags[LOCK_MD5_TAG] = str(locks_after[primary])
    book = KeyBook()
    tags.update({book.key(DATA_TAG_PREFIX + path): md5 for path, md5 in versions.items()})
    return tags


DVCIGNORE_NOTE = """\
# Logged by dvcflow-repro: this run's artifacts are stored inside the repository, and DVC must
# not read the copies of dvc.yaml and dvc.lock below this folder as pipelines of the project.
*
"""


def _guard_local_artifacts(parent: ParentRun, before: Before) -> None:
    """Artifacts landing in the work tree, not ignored: add a `.dvcignore` to them, and warn.

    MLflow's local stores put artifacts in `./mlruns` by default; a dvc.yaml copy there that
    Git does not ignore is a pipeline to DVC (`dvc stage list --all`, `dvc status`).
    """
    parts = urlsplit(parent.artifact_uri)
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
    parent.console.warn(
        f"MLflow stores artifacts inside the repository ({top}/): add it to .gitignore"
    )


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
