"""What the staleness engine reports: each stage's changes, its verdict, and what was not judged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

from dvcflow.dvc.projects import DvcProject
from dvcflow.dvc.status.model import RawStatus

ChangeKind = Literal["dep", "params", "out", "command", "checksum", "always"]
MISSING_STATES = frozenset({"deleted", "not in cache"})
MAX_PARAM_DETAILS = 5


# --------------------------------------------------------------------------- the model


class Change(NamedTuple):
    """One thing `dvc status` reports about a stage."""

    kind: ChangeKind
    path: str | None  # as DVC prints it, relative to the project root
    state: str  # modified | deleted | new | not in cache | changed
    keys: tuple[tuple[str, str], ...] = ()  # params: (key, state)

    def describe(self) -> str:
        if self.kind == "command":
            return "cmd changed since dvc.lock"
        if self.kind == "checksum":
            return "the file's md5 changed"
        if self.kind == "always":
            return "always changed"
        if self.keys:
            shown = [f"{key} {state}" for key, state in self.keys[:MAX_PARAM_DETAILS]]
            more = len(self.keys) - MAX_PARAM_DETAILS
            return f"{self.path}: {', '.join(shown)}" + (f" (+{more} more)" if more > 0 else "")
        return f"{self.path} {self.state}"


class Verdict:
    """One stage (or `.dvc` file) as the staleness rules judge it."""

    def __init__(
        self,
        project: DvcProject,
        address: str,
        path: str,
        kind: Literal["stage", "data"],
        changes: tuple[Change, ...] = (),
        stale: tuple[Change, ...] = (),
        missing: tuple[Change, ...] = (),
        skipped: str | None = None,
        locked: bool = True,
        downstream: tuple[str, ...] = (),
        fix: str = "",
        pull_fix: str = "",
        where: Callable[[], tuple[int, int]] = lambda: (0, 0),
    ) -> None:
        self.project = project
        # as DVC addresses it from the project root: `train`, `sub/dvc.yaml:x`, `a.dvc`
        self.address = address
        self.path = path  # repo-relative dvc.yaml or .dvc file
        self.kind = kind
        self.changes = changes  # everything `dvc status` says
        self.stale = stale  # what `dvc repro --allow-missing` would re-run it for
        self.missing = missing  # absent data (deleted, not in cache)
        self.skipped = skipped  # why no finding is made: frozen, always changed, ignored
        self.locked = locked  # a pipeline stage with an entry in dvc.lock
        self.downstream = downstream  # stages `dvc repro` would also re-run
        self.fix = fix
        self.pull_fix = pull_fix
        # (line, column) of the stage or entry, looked up only for a finding: a position costs a
        # parse of the dvc.yaml with marks, and most verdicts (missing data) make no finding
        self.where = where

    @property
    def line(self) -> int:
        return self.where()[0]

    @property
    def column(self) -> int:
        return self.where()[1]

    @property
    def reasons(self) -> str:
        return "; ".join(c.describe() for c in self.stale)

    @property
    def missing_reasons(self) -> str:
        return "; ".join(c.describe() for c in self.missing)


class Problem(NamedTuple):
    """A project whose status could not be computed (DVC busy, or DVC refused it)."""

    path: str  # repo-relative file the finding is shown on
    message: str
    fix: str | None = None
    line: int = 0
    severity: Literal["error", "warning"] = "error"
    needs_dvc: bool = False  # the `dvc` package is missing; the fix names it (`dvc`, unpinned)


class StaleReport:
    def __init__(self) -> None:
        self.verdicts: list[Verdict] = []
        self.problems: list[Problem] = []
        self.engines: dict[str, str] = {}  # project root -> "fast" | "dvc: why"
        self.raw: dict[str, RawStatus] = {}  # project root -> DVC's format
        self.judged: dict[str, int] = {"fast": 0, "dvc": 0}  # stages, .dvc files
        self.handed_over: dict[str, str] = {}  # what DVC judged -> why
        self.not_checked: dict[str, str] = {}  # stage or .dvc file -> what
        # The note findings end with (" (judged with dvc 3.1.0; the project pins dvc==3.67.1)"),
        # computed by `note` when a finding first reads it: finding the pin costs a lookup.
        self.note: Callable[[], str] | None = None
        self._version_note: str = ""

    @property
    def version_note(self) -> str:
        if self.note is not None:
            self._version_note, self.note = self.note(), None
        return self._version_note

    def engine_lines(self) -> list[str]:
        """Which engine judged how many stages and `.dvc` files, why any went to DVC, and
        what neither checked (`dvcflow-check --statistics`)."""
        fast, dvc = self.judged["fast"], self.judged["dvc"]
        lines = [f"staleness: {fast} stages and .dvc files judged by the fast path, {dvc} by DVC"]
        lines += [f"  handed to DVC: {what}: {why}" for what, why in self.handed_over.items()]
        lines += [f"  not checked: {what}: {why}" for what, why in self.not_checked.items()]
        lines += [f"  not judged: {p.path}: {p.message}" for p in self.problems]
        return lines


class DvcBusy(Exception):
    """Another DVC process (a running `dvc repro`) holds the project's lock."""


class DvcFailed(Exception):
    """DVC refused to compute the status; the message is DVC's."""


class DvcNotInstalled(Exception):
    """The `dvc` package cannot be imported where dvcflow runs."""
