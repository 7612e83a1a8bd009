"""The finding DVF101 and DVF102 share: a file missing from a stage's deps, at the stage's line,
its fix the exact line to add (the rule writes the message)."""

from __future__ import annotations

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId
from dvcflow.rules.deps.analysis import Unlisted, definition_address, remember_insertion

FIX_HINT = " (or run `dvcflow-check --fix`)"


def missing_dep_finding(ctx: Context, rule: RuleId, unlisted: Unlisted, message: str) -> Diagnostic:
    """`rule`'s finding for `unlisted`, remembered for the rule's `fix`."""
    first = unlisted.group[0]
    insertion = unlisted.insertion
    fix = f"add `{insertion.line}` under {insertion.keypath}"
    diagnostic = rule.at(
        first.pipeline.path,
        first.line,
        first.column,
        message,
        fix=fix + (FIX_HINT if insertion.fixable else ""),
        stage=definition_address(first),
        target=unlisted.path,
    )
    remember_insertion(ctx, diagnostic, insertion)
    return diagnostic
