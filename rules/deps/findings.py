"""The finding DVF101 and DVF102 share: a file missing from a stage's deps, at the stage's line.

Its fix, run verbatim, is one shell line: the fix command (`dvcflow-check --fix-only
--stage-fixes`, or the manual pre-commit hook under pre-commit) inserts the dep into dvc.yaml
and stages it, then the stage runs again (its deps changed, so DVC would call it stale) and its
results are staged (`rules.reprofix`). A dep that only a hand edit can add (deps built by
`${...}`) gets the line to add in words, then the same repro.
"""

from __future__ import annotations

import shlex

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId
from dvcflow.rules.deps.analysis import Unlisted, definition_address, remember_insertion
from dvcflow.rules.reprofix import repro_fix


def missing_dep_finding(ctx: Context, rule: RuleId, unlisted: Unlisted, message: str) -> Diagnostic:
    """`rule`'s finding for `unlisted`, remembered for the rule's `fix`."""
    first = unlisted.group[0]
    insertion = unlisted.insertion
    repro = repro_fix(ctx, unlisted.group)
    if insertion.fixable:
        fix = f"{ctx.fix_command} && {repro}"
    else:
        stage_it = f"git add {shlex.quote(ctx.shell_path(first.pipeline.path))}"
        fix = f"add `{insertion.line}` under {insertion.keypath}, then: {stage_it} && {repro}"
    diagnostic = rule.at(
        first.pipeline.path,
        first.line,
        first.column,
        message,
        fix=fix,
        stage=definition_address(first),
        target=unlisted.path,
    )
    remember_insertion(ctx, diagnostic, insertion)
    return diagnostic
