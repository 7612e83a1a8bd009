"""`dvcflow-check`: run the rules on the commit being made (or the whole repository with --all)."""

from __future__ import annotations

import argparse
import gc
import os
import shlex
import sys
from collections.abc import Sequence

from dvcflow import __version__
from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic
from dvcflow.engine import (
    Fixes,
    RuleCrashed,
    findings,
    findings_after_fix,
    fix,
    refuse_unmerged,
    select_rules,
    validate_patterns,
)
from dvcflow.errors import DvcflowError
from dvcflow.reporters import FORMATS, collect, printable, report
from dvcflow.rules import Rule, by_code, family

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def _split(values: Sequence[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    # argparse, not click as the other hooks: this command runs on every commit, and click's
    # import alone costs it about 20 ms.
    parser = argparse.ArgumentParser(
        prog="dvcflow-check",
        description="Check that DVC pipelines, dvc.lock, params and pins are consistent.",
        epilog="Exit status: 0 no errors, 1 findings, 2 usage, configuration or unreadable "
        "input. FILENAMES (as pre-commit passes them) are accepted and ignored: the commit is "
        "read from the Git index.",
    )
    add = parser.add_argument
    add(
        "--all",
        dest="all_files",
        action="store_true",
        help="Check the whole repository (CI), not only what the commit touches.",
    )
    add(
        "--select",
        action="append",
        default=[],
        metavar="CODES",
        help="Comma-separated rule codes or prefixes to run (e.g. DVF1,DVF301).",
    )
    add(
        "--ignore",
        action="append",
        default=[],
        metavar="CODES",
        help="Comma-separated rule codes or prefixes to skip.",
    )
    add("--output-format", choices=FORMATS, default="text", help="(default: text)")
    add(
        "--fix", action="store_true", help="Apply the safe fixes rules offer, then report the rest."
    )
    add(
        "--fix-only",
        action="store_true",
        help="Apply the safe fixes and report only what changed (exit 1 if one could not be "
        "applied or staged).",
    )
    add(
        "--stage-fixes",
        action="store_true",
        help="With --fix or --fix-only: `git add` each fixed file that had no unstaged changes.",
    )
    add("--explain", metavar="CODE", help="Print a rule's documentation and exit.")
    add(
        "--verbose",
        action="store_true",
        help="List every finding (text groups repeated ones by cause).",
    )
    add(
        "--push-range",
        metavar="A..B",
        help="DVF501: the commits being pushed (A..B, one commit, or - for git's pre-push input).",
    )
    add(
        "--statistics",
        action="store_true",
        help="Print counts per rule code and which engine judged the DVF2 stages, not the "
        "findings.",
    )
    add("--version", action="version", version=f"dvcflow-check, version {__version__}")
    add("filenames", nargs="*", metavar="FILENAMES")
    return parser


def cli(argv: Sequence[str] | None) -> int:
    """Parse the options (argparse exits 0 for --help/--version, 2 for a usage error) and run."""
    parser = _parser()
    options = parser.parse_intermixed_args(argv)
    if options.explain:
        return _explain(options.explain)
    if options.stage_fixes and not (options.fix or options.fix_only):
        parser.error("--stage-fixes applies to --fix or --fix-only")
    select, ignore = _split(options.select) or None, _split(options.ignore)
    try:
        if options.fix_only:
            return _fix_only(options.all_files, select, ignore, options.stage_fixes)
        filenames = options.filenames
        return _check(
            options.all_files,
            select,
            ignore,
            options.output_format,
            (options.fix, options.stage_fixes),
            options.verbose,
            (options.push_range, filenames[0] if filenames else None),
            options.statistics,
        )
    except DvcflowError as exc:
        _err(f"dvcflow: error: {printable(str(exc))}")
        return EXIT_ERROR
    except Exception as exc:  # the last resort: a bug in dvcflow never prints a traceback
        return _internal_error(exc)


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _internal_error(exc: Exception) -> int:
    """One line on stderr, exit 2; the traceback only with DVCFLOW_DEBUG=1."""
    error = exc.error if isinstance(exc, RuleCrashed) else exc
    where = f" in {exc.code}" if isinstance(exc, RuleCrashed) else ""
    lines = str(error).strip().splitlines()
    detail = f": {printable(lines[0][:300])}" if lines else ""
    if os.environ.get("DVCFLOW_DEBUG") == "1":
        import traceback  # (only here: its imports cost every run a few ms)

        traceback.print_exception(error, file=sys.stderr)
    _err(
        f"dvcflow: internal error{where}: {type(error).__name__}{detail} (please report; "
        "DVCFLOW_DEBUG=1 shows the traceback)",
    )
    return EXIT_ERROR


def _explain(code: str) -> int:
    rule = by_code(code)
    if rule is None:
        _err(f"dvcflow: error: unknown rule code '{code}'")
        return EXIT_ERROR
    print((rule.__doc__ or "").strip())
    return EXIT_CLEAN


def _rules(ctx: Context, select: list[str] | None, ignore: list[str]) -> list[Rule]:
    validate_patterns(select or [], "--select")
    validate_patterns(ignore, "--ignore")
    validate_patterns(ctx.config.select or [], "tool.dvcflow.select")
    validate_patterns(ctx.config.ignore, "tool.dvcflow.ignore")
    return select_rules(
        select if select is not None else ctx.config.select, [*ctx.config.ignore, *ignore]
    )


def _check(
    all_files: bool,
    select: list[str] | None,
    ignore: list[str],
    output_format: str,
    fixing: tuple[bool, bool] = (False, False),  # --fix, --stage-fixes
    verbose: bool = False,
    pushing: tuple[str | None, str | None] = (None, None),
    statistics: bool = False,
) -> int:
    ctx = Context.from_cwd(all_files=all_files)
    fixes = Fixes([], frozenset())
    try:
        _prefetch(ctx, all_files, select)
        if pushing[0]:  # DVF501's commits
            from dvcflow.git import pushrange

            pushrange.remember(ctx, pushrange.from_option(ctx.root, pushing[0], pushing[1]))
        rules = _rules(ctx, select, ignore)
        refuse_unmerged(ctx)
        if fixing[0]:
            fixes = fix(ctx, rules, stage=fixing[1])
        written = fixes.written
        diagnostics = findings_after_fix(ctx, rules, written) if written else findings(ctx, rules)
        stats = _statistics(ctx, rules, diagnostics) if statistics else None
        empty = None if diagnostics or output_format != "text" else _nothing_to_check(ctx)
        dag = collect(ctx, output_format)  # what the format shows beside the findings
    finally:
        ctx.close()
    if fixes.edits:
        _report_fixes(ctx, fixes, staging=fixing[1])
    if stats is not None:
        print(stats)
    elif empty is not None:
        print(f"Nothing to check: {empty}.")
    else:
        checked = [rule.CODE for rule in rules]
        report(diagnostics, output_format, sys.stdout, verbose=verbose, dag=dag, checked=checked)
        if all_files and output_format == "text" and diagnostics:
            print(_judged_views(rules))
    return EXIT_FINDINGS if any(d.severity == "error" for d in diagnostics) else EXIT_CLEAN


def _statistics(ctx: Context, rules: list[Rule], diagnostics: list[Diagnostic]) -> str:
    """`--statistics`: findings counted per code (as ruff), then the staleness engines' account."""
    counts: dict[tuple[str, str], int] = {}
    for found in diagnostics:
        counts[(found.code, found.name)] = counts.get((found.code, found.name), 0) + 1
    lines = [f"{n:5}  {code}  {name}" for (code, name), n in sorted(counts.items())]
    if any(family(rule.CODE) == "stale" for rule in rules):
        from dvcflow.dvc.status import stale_report  # (memoized: the stale rules computed it)

        lines += stale_report(ctx).engine_lines()
    return "\n".join(lines or ["no findings"])


def _nothing_to_check(ctx: Context) -> str | None:
    """Why there was nothing to check (no DVC project, dvc.yaml or .dvc file in the commit or
    the work tree), so that a clean run never claims checks that did not happen."""
    from dvcflow.dvc.dvcfiles import is_dvc_file

    for view in ("staged", "workspace"):
        snapshot = ctx.snapshot(view)
        if ctx.projects(view).projects or any(is_dvc_file(p) for p in snapshot.files()):
            return None
    return "this repository has no DVC project (.dvc/config), no dvc.yaml and no .dvc file"


def _fix_only(all_files: bool, select: list[str] | None, ignore: list[str], stage: bool) -> int:
    """--fix-only: apply the fixes, say what changed; 1 if one was refused or left unstaged."""
    ctx = Context.from_cwd(all_files=all_files)
    try:
        rules = _rules(ctx, select, ignore)
        refuse_unmerged(ctx)
        fixes = fix(ctx, rules, stage=stage)
    finally:
        ctx.close()
    if not fixes.edits:
        _err("dvcflow: nothing to fix")
        return EXIT_CLEAN
    _report_fixes(ctx, fixes, staging=stage)
    refused = any(edit.refused for edit in fixes.edits)
    return EXIT_FINDINGS if fixes.held or refused else EXIT_CLEAN


def _report_fixes(ctx: Context, fixes: Fixes, *, staging: bool) -> None:
    """What the fix wrote (and what it refused to write, with why) on stderr, then what
    --stage-fixes staged and held back, or the `git add` line that puts the fixes in the
    commit."""
    for edit in fixes.edits:
        where = f"{edit.path}: {edit.refused or edit.summary}"
        _err(f"dvcflow: {'not fixed' if edit.refused else 'fixed'} {printable(where)}")
    applied = fixes.written
    if staging:
        staged = [p for p in applied if p not in fixes.held]
        if staged:
            _err(f"dvcflow: staged {printable(' '.join(staged))}")
        applied = [p for p in applied if p in fixes.held]
        if applied:
            _err(
                "dvcflow: fixed in the work tree but not staged: these files also hold changes "
                "that are not staged, which `git add` would put in the commit too; review them, "
                "stage what belongs to the commit, then run the rest of the help line:",
            )
    if applied:
        paths = " ".join(shlex.quote(ctx.shell_path(p)) for p in applied)
        if not staging:
            where = "" if ctx.all_files else " (the commit being made does not include them yet)"
            _err(f"dvcflow: the fixes are in the work tree{where}")
        _err(f"  help: git add {printable(paths)}")


def _judged_views(rules: list[Rule]) -> str:
    """Which view of the repository --all judged, by family (staleness reads the work tree)."""
    stale = {r.CODE[:4] for r in rules if family(r.CODE) == "stale"}
    staged = sorted({r.CODE[:4] for r in rules} - stale)
    parts = []
    if staged:
        parts.append(f"the Git index (what is staged) for {', '.join(staged)}")
    if stale:
        parts.append(f"the working tree for {', '.join(sorted(stale))}")
    return f"Judged {' and '.join(parts)}." if parts else "Judged nothing: no rule selected."


def _prefetch(ctx: Context, all_files: bool, select: list[str] | None) -> None:
    """Start the git listings the run reads, so that git works while the rules load; the work
    tree's files only when staleness or lock rules may run (DVF1/4/5 alone do not list it)."""
    wide = select is None or any(
        p.upper() in ("ALL", "DVF") or p.upper().startswith(("DVF2", "DVF3")) for p in select
    )
    ctx.repo.prefetch(staged=not all_files, workspace=wide)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command and return its exit status (tests call this; `main` exits with it).

    Python's cyclic garbage collector is paused meanwhile: a run builds tens of thousands of
    objects (YAML, stages, lock entries) and frees few before it ends, so each collection
    pass is pure cost (a fifth of the time at 2,000 stages; peak memory is unchanged).
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run_cli(argv)
    finally:
        if collecting:
            gc.enable()


def _run_cli(argv: Sequence[str] | None) -> int:
    try:
        return cli(argv)
    except SystemExit as exc:  # argparse: --help and --version (0), a usage error (2)
        return exc.code if isinstance(exc.code, int) else EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    sys.exit(run(argv))


if __name__ == "__main__":
    main()
