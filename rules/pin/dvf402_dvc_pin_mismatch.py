"""DVF402 dvc-pin-mismatch: the pinned DVC version is not the one installed here.

Why: the pin says which DVC the project runs with; a different installed DVC (an upgrade
that never reached the pin, or a stale environment) writes dvc.lock files and hashes the rest
of the team will not reproduce, while the pin makes everyone believe they match.

The installed version is read from package metadata of the environment running the check
(`importlib.metadata`; dvc is never imported). When dvc is not installed there, nothing is
reported. Under pre-commit this is the hook's own environment, so add `dvc==<pin>` to the
hook's `additional_dependencies` to compare against the version the team pins.
`[tool.dvcflow.pin] packages` extends the check to more packages.

Wrong (requirements.txt, with dvc 3.67.1 installed):

    dvc==3.50.0

Right:

    dvc==3.67.1

Fix: install the pinned version (`pip install dvc==3.50.0`), or, if the upgrade is meant,
change the pin to the installed version.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dvcflow.diagnostics import Diagnostic, RuleId, Severity

if TYPE_CHECKING:
    from dvcflow.context import Context

CODE = "DVF402"
NAME = "dvc-pin-mismatch"
SEVERITY: Severity = "warning"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    from dvcflow.rules.pin.scope import (
        checked_packages,
        conflicts,
        declarations,
        in_scope,
        installed_version,
        status,
        uses_dvc,
    )

    if not in_scope(ctx):
        return
    from dvcflow.requirements.model import newest, same_version  # `packaging`: only when in scope

    decls = declarations(ctx)
    dvc_used = uses_dvc(ctx)
    for package in checked_packages(ctx):
        if package == "dvc" and not dvc_used:
            continue
        state = status(decls, package)
        installed = installed_version(package)
        if installed is None or not state.pins or conflicts(state):
            continue
        if any(same_version(version, installed) for version in state.versions):
            continue
        pinned = newest(state.versions)
        pin = next(
            p
            for p in sorted(state.pins, key=lambda p: p.is_lock)
            if same_version(p.version or "", pinned)
        )
        yield RULE.at(
            pin.path,
            pin.line,
            pin.column,
            f"{package} is pinned to {pinned} but {installed} is installed where this check runs",
            fix=(
                f"`pip install {package}=={pinned}`, or pin `{package}=={installed}` "
                "if the upgrade is meant"
            ),
            target=package,
        )
