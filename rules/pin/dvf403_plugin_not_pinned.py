"""DVF403 plugin-not-pinned: a DVC plugin is declared without an exact version.

Why: DVC plugins (`dvc-s3`, `dvc-gs`, `dvc-azure`, `dvc-ssh`, `dvc-webdav`, ... and DVC's own
`dvc-*` libraries such as `dvc-data`) ship the remote filesystems and the hashing code DVC
runs. Pinning `dvc` but not the plugin still lets two machines push, pull and hash with
different code. Every `dvc-*` distribution a dependency file declares must be pinned exactly
somewhere (a lock-file entry counts), and all its pins must agree.

Wrong (requirements.txt):

    dvc==3.67.1
    dvc-s3>=3.0

Right:

    dvc==3.67.1
    dvc-s3==3.2.0

Fix: when the version is known (pinned elsewhere in the repository, or installed: where dvcflow
runs or beside the `dvc` on PATH) and the file is a requirements file or a PEP 621/735 array,
the message says what the fix writes and the help line runs it (`dvcflow-check --fix-only
--stage-fixes`, or under pre-commit `pre-commit run --hook-stage manual dvcflow-fix
--all-files`), staging the file; otherwise the help line says what to write, then `git add`
the file.

Scope: repositories that use DVC; like DVF401, the commit must touch a dependency file (or
use `--all`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dvcflow.diagnostics import Diagnostic, RuleId, Severity

if TYPE_CHECKING:
    from dvcflow.context import Context
    from dvcflow.fixing import Edit
    from dvcflow.git.snapshot import View
    from dvcflow.rules.pin.findings import Finding

CODE = "DVF403"
NAME = "plugin-not-pinned"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    from dvcflow.rules.pin.scope import check_findings

    yield from check_findings(ctx, findings)


def findings(ctx: Context, view: View) -> list[Finding]:
    from dvcflow.rules.pin.findings import package_findings
    from dvcflow.rules.pin.scope import checked_packages, declarations, is_plugin, uses_dvc

    if not uses_dvc(ctx):
        return []
    decls = declarations(ctx, view)
    checked = set(checked_packages(ctx))
    plugins = sorted(
        {d.package for d in decls.items if not d.is_lock and is_plugin(d.package)} - checked
    )
    found: list[Finding] = []
    for plugin in plugins:
        found.extend(
            package_findings(
                RULE, ctx, view, decls, plugin, label=f"DVC plugin {plugin}", report_missing=False
            )
        )
    return found


def fix(ctx: Context, diagnostics: list[Diagnostic]) -> Iterator[Edit]:
    from dvcflow.rules.pin.findings import fix_findings

    yield from fix_findings(ctx, diagnostics, findings)
