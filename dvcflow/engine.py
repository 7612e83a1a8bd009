"""Runs the selected rules over a context: selection, inline suppression, ordering, fixes."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic
from dvcflow.errors import DvcflowError
from dvcflow.fixing import Edit, apply_edits
from dvcflow.rules import CODES, Rule, load

_SUPPRESSION = re.compile(r"#\s*dvcflow:\s*ignore(?:\[(?P<codes>[A-Za-z0-9,\s]+)\])?")


def _matches(code: str, patterns: Iterable[str]) -> bool:
    return any(code.startswith(p.strip().upper()) for p in patterns if p.strip())


def validate_patterns(patterns: Iterable[str], option: str) -> None:
    """Every code or prefix must name at least one rule (`DVF1`, `DVF105`, `ALL`): the codes
    come from the rule registry, so a new family is known as soon as its rules exist."""
    for pattern in patterns:
        wanted = pattern.strip().upper()
        if wanted in ("ALL", "DVF"):
            continue
        if not any(code.startswith(wanted) for code in CODES):
            raise DvcflowError(f"{option}: unknown rule code or prefix '{pattern}'")


def select_rules(select: list[str] | None, ignore: list[str]) -> list[Rule]:
    """The rules to run, in code order; only their modules are imported (and their families')."""
    chosen: list[Rule] = []
    named = {p.strip().upper() for p in select or []}
    every = select is None or bool(named & {"ALL", "DVF"})
    for code in CODES:
        if _matches(code, ignore) or not (every or code in named or _matches(code, named)):
            continue
        rule = load(code)
        # A rule that is off by default is only turned on by its full code.
        if rule.DEFAULT_ENABLED or (select is not None and code in named):
            chosen.append(rule)
    return chosen


def run_rules(ctx: Context, rules: list[Rule]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for rule in rules:
        found.extend(rule.check(ctx))
    return sorted(set(d for d in found if not _suppressed(ctx, d)))


def _suppressed(ctx: Context, diagnostic: Diagnostic) -> bool:
    lines = [diagnostic.line]
    if diagnostic.stage is not None:
        lines.extend(_stage_lines(ctx, diagnostic.path, diagnostic.stage))
    comments = _suppressions(ctx, diagnostic.path)
    for line in lines:
        if line not in comments:
            continue
        codes = comments[line]
        if codes is None or _matches(diagnostic.code, codes):
            return True
    return False


def _suppressions(ctx: Context, path: str) -> dict[int, list[str] | None]:
    """{line: the codes its `# dvcflow: ignore[...]` comment names, None for every code}; each
    file is read and split once per run (on the context), not once per finding."""
    return ctx.memo((_suppressions, path), lambda: _scan_suppressions(_file_text(ctx, path)))


def _scan_suppressions(text: str) -> dict[int, list[str] | None]:
    if "dvcflow" not in text:
        return {}
    found: dict[int, list[str] | None] = {}
    for number, line in enumerate(text.splitlines(), 1):
        match = _SUPPRESSION.search(line)
        if match:
            found[number] = match["codes"].split(",") if match["codes"] else None
    return found


def _stage_lines(ctx: Context, path: str, address: str) -> Iterator[int]:
    """The line of the stage's definition key (`train:` for `train@us` or `sub/dvc.yaml:train`)."""
    definition = address.rsplit(":", 1)[-1].split("@", 1)[0]
    for pipeline in ctx.pipelines("staged"):
        if pipeline.path == path:
            yield pipeline.position(("stages", definition))[0]


def _file_text(ctx: Context, path: str) -> str:
    """The file as the commit has it (the work tree's if not staged); "" if unreadable."""
    for snapshot in (ctx.staged, ctx.workspace):
        if snapshot.is_file(path):
            try:
                return snapshot.read_text(path)
            except DvcflowError:
                return ""
    return ""


def apply_fixes(make_context: Callable[[], Context], rules: list[Rule]) -> list[Edit]:
    """Let each rule fix its findings in the work tree, one rule at a time.

    Every rule computes its edits from a fresh context, so two rules editing the same file
    each start from the other's result instead of overwriting it.
    """
    applied: list[Edit] = []
    for rule in rules:
        fixer = getattr(rule, "fix", None)
        if fixer is None:
            continue
        ctx = make_context()
        try:
            diagnostics = run_rules(ctx, [rule])
            edits = list(fixer(ctx, diagnostics)) if diagnostics else []
            applied.extend(apply_edits(ctx.root, edits))
        finally:
            ctx.close()
    return applied


class RuleCrashed(Exception):
    """A rule (its check or its fix) raised something other than a DvcflowError."""

    def __init__(self, code: str, error: Exception) -> None:
        super().__init__(code)
        self.code = code
        self.error = error


@contextmanager
def guard(code: str) -> Iterator[None]:
    """Name the rule an unexpected exception escaped from; DvcflowErrors pass as they are."""
    try:
        yield
    except DvcflowError:
        raise
    except Exception as exc:
        raise RuleCrashed(code, exc) from exc


def refuse_unmerged(ctx: Context) -> None:
    """Mid-merge the index holds the conflicting versions, not a commit: nothing to judge."""
    unmerged = sorted(ctx.repo.conflicted())
    if unmerged:
        more = f" (and {len(unmerged) - 1} more files)" if len(unmerged) > 1 else ""
        raise DvcflowError(
            f"unmerged: a merge conflict is in progress{more}; resolve it and `git add` "
            "the files, then run dvcflow again",
            unmerged[0],
        )


def findings(ctx: Context, rules: list[Rule]) -> list[Diagnostic]:
    """Every rule's findings, sorted; a rule that crashes is named (RuleCrashed)."""
    found: list[Diagnostic] = []
    for rule in rules:
        with guard(rule.CODE):
            found.extend(run_rules(ctx, [rule]))
    return sorted(set(found))


class Fixes:
    """What `fix` wrote (`edits`, refusals included) and which fixed files it left unstaged."""

    edits: list[Edit]
    held: frozenset[str]  # with staging: fixed files that also held unstaged changes

    __slots__ = ("edits", "held")

    def __init__(self, edits: list[Edit], held: frozenset[str]) -> None:
        self.edits = edits
        self.held = held

    @property
    def written(self) -> list[str]:
        return list(dict.fromkeys(edit.path for edit in self.edits if edit.refused is None))


def fix(ctx: Context, rules: list[Rule], *, stage: bool) -> Fixes:
    """Each rule's fixes, from a fresh context per rule; a rule that crashes is named.

    With `stage`, the fixed files that had no unstaged changes are staged; the others stay
    in the work tree only (held), since `git add` would sweep the unrelated edits in too.
    """
    dirty = ctx.repo.unstaged_paths() if stage else set()
    edits: list[Edit] = []
    for rule in rules:
        with guard(rule.CODE):
            edits.extend(apply_fixes(ctx.fresh, [rule]))
    written = dict.fromkeys(edit.path for edit in edits if edit.refused is None)
    held = frozenset(path for path in written if path in dirty)
    if stage:
        ctx.repo.add([path for path in written if path not in held])
    return Fixes(edits, held)


def findings_after_fix(ctx: Context, rules: list[Rule], written: list[str]) -> list[Diagnostic]:
    """The findings that remain after the fix: judged as if the fixed files were staged (in a
    copy of the index; the real index is left to the user, who gets the `git add` line)."""
    import subprocess
    import tempfile

    from dvcflow.git.repo import run_git

    index = Path(run_git(["rev-parse", "--git-path", "index"], ctx.root).decode().strip())
    index = index if index.is_absolute() else ctx.root / index
    with tempfile.TemporaryDirectory(prefix="dvcflow-fix-") as tmp:
        copy = Path(tmp) / "index"
        if index.exists():
            copy.write_bytes(index.read_bytes())
        old = os.environ.get("GIT_INDEX_FILE")
        os.environ["GIT_INDEX_FILE"] = str(copy)
        try:
            subprocess.run(["git", "add", "--", *written], cwd=ctx.root, capture_output=True)
            after = ctx.fresh()
            try:
                return findings(after, rules)
            finally:
                after.close()
        finally:
            if old is None:
                os.environ.pop("GIT_INDEX_FILE", None)
            else:
                os.environ["GIT_INDEX_FILE"] = old
