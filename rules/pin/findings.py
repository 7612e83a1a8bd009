"""The DVF4xx findings, built once for the rules and their `--fix`.

`package_findings()` judges one package (missing, only ranges, conflicting pins); it returns
each diagnostic with the edit that fixes it, when that edit is safe (see `dvcflow.rules.pin.scope`).
`problem_findings()` turns unreadable dependency files and lines into findings.
`fix_findings()` is the `fix()` of a rule that lists its findings with a `findings(ctx, view)`
function (DVF401, DVF403); its `check()` is `dvcflow.rules.pin.scope.check_findings()`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from shlex import quote
from typing import TYPE_CHECKING

from dvcflow.diagnostics import Diagnostic, RuleId
from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot, View
from dvcflow.requirements.discover import Declarations, lock_command
from dvcflow.requirements.encoding import read_requirements
from dvcflow.requirements.model import DeclProblem
from dvcflow.rules.pin.fix import PlannedEdit, apply_plans, plan_append, plan_pin
from dvcflow.rules.pin.scope import (
    Conflict,
    PinStatus,
    conflicts,
    format_line,
    installed_version,
    main_file,
    status,
    suggest,
)

if TYPE_CHECKING:
    from dvcflow.context import Context
    from dvcflow.fixing import Edit


class Finding:
    diagnostic: Diagnostic
    edit: PlannedEdit | None

    __slots__ = ("diagnostic", "edit")

    def __init__(self, diagnostic: Diagnostic, edit: PlannedEdit | None = None) -> None:
        self.diagnostic = diagnostic
        self.edit = edit


# A rule's findings on one view of the repository: its policy (which packages, how named).
FindingsOf = Callable[["Context", View], list[Finding]]


def fix_findings(
    ctx: Context, diagnostics: list[Diagnostic], findings: FindingsOf
) -> Iterator[Edit]:
    """A rule's `fix()`: the work tree's edits for these diagnostics (see `fix_plans`)."""
    from dvcflow.fixing import Edit  # (the engine loads the rules that load this module)

    plans = fix_plans(diagnostics, findings(ctx, "workspace"))
    for path, content, summary, data in apply_plans(ctx, ctx.workspace, plans):
        yield Edit(path, content, summary, data=data)


def package_findings(
    rule: RuleId,
    ctx: Context,
    view: View,
    decls: Declarations,
    package: str,
    *,
    label: str,
    report_missing: bool,
) -> Iterator[Finding]:
    """Findings for one package: `label` names it in messages ("dvc", "DVC plugin dvc-s3")."""
    state = status(decls, package)
    if not state.declarations:
        if report_missing:
            yield _missing(rule, ctx, view, decls, state, label)
        return
    if not state.pins:
        yield _unpinned(rule, ctx, state, label)
        return
    for conflict in conflicts(state):
        yield Finding(_conflict(rule, ctx, state, conflict, label))


def _unknown_version_hint(package: str) -> str:
    return f"with the version your team uses (`pip show {package}` prints it)"


def _missing(
    rule: RuleId, ctx: Context, view: View, decls: Declarations, state: PinStatus, label: str
) -> Finding:
    target = main_file(ctx, view, decls)
    package = state.package
    suggestion = suggest(state)
    verb = f"create {target.path} with" if target.kind == "new" else "add"
    message = (
        f"{label} is not declared in any dependency file, so each machine installs "
        "whichever version it happens to get"
    )
    if suggestion is None:
        text, where = target.entry(package, "<version>")
        fix = _then_stage(
            f"{verb} `{text}`{_space(where)} {_unknown_version_hint(package)}",
            ctx.shell_path(target.path),
        )
        edit = None
    else:
        text, where = target.entry(package, suggestion.version)
        message = f"{message}; the fix: {verb} `{text}`{_space(where)} ({suggestion.reason})"
        fix = ctx.fix_command
        edit = plan_append(target, package, suggestion.version)
    return Finding(rule.at(target.path, target.line, 1, message, fix=fix, target=package), edit)


def _space(text: str) -> str:
    return f" {text}" if text else ""


def _unpinned(rule: RuleId, ctx: Context, state: PinStatus, label: str) -> Finding:
    loosest = state.loosest
    assert loosest is not None
    others = [d.location for d in state.declared if d is not loosest]
    if len(others) == 1:
        others_text = f" (nor does {others[0]})"
    elif others:
        others_text = f" (nor do its {len(others)} other declarations)"
    else:
        others_text = ""
    message = (
        f"{label} is declared as `{loosest.raw}`, which does not pin an exact version{others_text}"
    )
    suggestion = suggest(state)
    edit: PlannedEdit | None = None
    if suggestion is not None:
        message = f"{message}; the fix: {format_line(loosest, suggestion.version)} "
        message += f"({suggestion.reason})"
        edit = plan_pin(loosest, suggestion.version)
        fix = ctx.fix_command
    else:
        installed = installed_version(state.package)
        ranges = list(dict.fromkeys(d.constraint.text for d in state.declared if d.constraint.text))
        if installed is not None and ranges:
            fix = (
                f"{format_line(loosest, '<version>')} with a version that "
                f"`{'` and `'.join(ranges)}` allow (the installed {installed} is outside)"
            )
        else:
            fix = f"{format_line(loosest, '<version>')} {_unknown_version_hint(state.package)}"
        fix = _then_stage(fix, ctx.shell_path(loosest.path))
    diagnostic = rule.at(
        loosest.path, loosest.line, loosest.column, message, fix=fix, target=state.package
    )
    return Finding(diagnostic, edit)


def _conflict(
    rule: RuleId, ctx: Context, state: PinStatus, conflict: Conflict, label: str
) -> Diagnostic:
    decl, other = conflict.declaration, conflict.other
    if conflict.kind == "lock":
        folder = ctx.shell_path(posixpath.dirname(decl.path) or ".")
        command = lock_command(decl.path)
        command = f"cd {quote(folder)} && {command}" if folder != "." else command
        message = (
            f"{posixpath.basename(decl.path)} locks {label} {decl.version}, but "
            f"{other.location} declares `{other.raw}`"
        )
        fix = f"regenerate the lock file: `{command}`"
    elif conflict.kind == "pin":
        message = (
            f"{label} is pinned to {decl.version} here but to {other.version} in {other.location}"
        )
        fix = f"pin one version everywhere: {format_line(decl, other.version or '')}"
    else:
        message = (
            f"{label} `{decl.constraint.text}` here does not allow {other.version}, "
            f"the version pinned in {other.location}"
        )
        fix = f"allow the pinned version: {format_line(decl, other.version or '')}"
    fix = _then_stage(fix, ctx.shell_path(decl.path))
    return rule.at(decl.path, decl.line, decl.column, message, fix=fix, target=state.package)


def _then_stage(fix: str, path: str) -> str:
    """The fix, then the `git add` that puts it in the commit.

    pre-commit stashes what is not staged before the hooks run, so an edit left unstaged is
    not in the commit and the same finding comes back.
    """
    return f"{fix}, then `git add {quote(path)}`"


_PROBLEM_FIXES = (
    ("does not exist", "create the included file or correct the path"),
    ("includes this one again", "remove one of the includes so each file is read once"),
    ("is not valid", "correct the syntax error at the position shown"),
    ("cannot be read", "correct the file so it can be read as UTF-8 text"),
    ("invalid requirement", "write a valid PEP 508 requirement such as `name==1.2.3`"),
    ("pip does not accept", "remove the option: pip refuses it in a requirements file"),
    ("cannot read conda spec", "write a conda spec such as `name=1.2.3`"),
)
# An include that cannot be followed hides whatever the included file pins.
_HIDES_A_FILE = ("does not exist", "includes this one again")


def problem_findings(
    rule: RuleId, ctx: Context, view: View, decls: Declarations, packages: list[str]
) -> Iterator[Diagnostic]:
    """Warnings for the unreadable files and lines that may declare one of `packages`.

    DVF4 errs only on what it knows: a line it cannot read that names none of the packages
    is none of its business (a template line, another tool's syntax), and one that names
    one is a warning, since the pin it may hold cannot be seen.
    """
    for problem in relevant_problems(ctx.snapshot(view), decls, packages):
        yield rule.at(
            problem.path,
            problem.line,
            problem.column or 1,
            _problem_message(problem, packages),
            fix=_problem_fix(problem),
            target=problem.path,
            severity="warning",
        )


def relevant_problems(
    snapshot: Snapshot, decls: Declarations, packages: list[str]
) -> list[DeclProblem]:
    """The problems that may hide a declaration of one of `packages`."""
    names = _mentions(packages)
    return [p for p in decls.problems if _may_declare(snapshot, p, names)]


def _mentions(packages: list[str]) -> re.Pattern[str]:
    """A package named as a word: `dvc`, `DVC[s3]`, `dvc==3`, `dvc-s3`; not `mydvc`."""
    spelled = [re.sub(r"[-_.]+", "[-_.]+", re.escape(p)).replace("\\", "") for p in packages]
    return re.compile(rf"(?<![\w.-])(?:{'|'.join(spelled)})(?![\w])", re.IGNORECASE)


def _may_declare(snapshot: Snapshot, problem: DeclProblem, names: re.Pattern[str]) -> bool:
    if any(needle in problem.message for needle in _HIDES_A_FILE):
        return True
    try:
        text = _problem_text(snapshot, problem.path)
    except FileNotFoundError:
        return False
    except DvcflowError:
        return True  # binary, too large: what it declares cannot be known
    if not problem.whole_file and problem.line > 0:
        lines = text.splitlines()
        text = lines[problem.line - 1] if problem.line <= len(lines) else ""
    return names.search(text) is not None


def _problem_text(snapshot: Snapshot, path: str) -> str:
    """The file as UTF-8, or else as pip decodes it (a UTF-16 requirements file)."""
    try:
        return snapshot.read_text(path)
    except FileNotFoundError:
        raise
    except DvcflowError:
        return read_requirements(snapshot, path).text


def _problem_message(problem: DeclProblem, packages: list[str]) -> str:
    return f"{problem.message}, so whether it pins {' or '.join(packages)} cannot be checked"


def _problem_fix(problem: DeclProblem) -> str:
    for needle, fix in _PROBLEM_FIXES:
        if needle in problem.message:
            return fix
    return "correct the file at the position shown"


def fix_plans(diagnostics: list[Diagnostic], findings: list[Finding]) -> list[PlannedEdit]:
    """The edits of `findings` (computed on the work tree) that fix these diagnostics.

    A finding matches a diagnostic (computed on the staged view) by file, package and message,
    so a declaration edited since `git add` is left alone rather than fixed at the wrong line.
    """
    wanted = {(d.path, d.target, d.message) for d in diagnostics}
    return [
        f.edit
        for f in findings
        if f.edit is not None
        and (f.diagnostic.path, f.diagnostic.target, f.diagnostic.message) in wanted
    ]
