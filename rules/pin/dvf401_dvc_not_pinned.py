"""DVF401 dvc-not-pinned: no dependency file pins an exact DVC version.

Why: DVC's releases change how dvc.lock records hashes, which stages count as changed and how
the hooks behave (2.x and 3.x write different lock files). A team whose members install
different DVC versions gets spurious "changed" stages, rewritten dvc.lock files and broken
hooks. Only an exact pin (`==`, `===`, with or without extras such as `dvc[s3]`) gives every
machine and CI the same DVC; a range (`>=`, `~=`, Poetry `^`, `==3.*`) does not.

Where: every file that declares dependencies is read: `*requirements*.txt` and
requirements/*.txt anywhere (following `-r`/`-c` includes), pyproject.toml (PEP 621, PEP 735,
Poetry, uv, PDM, pixi), setup.cfg (interpolated as setuptools does), setup.py (literal lists,
never run), Pipfile, environment.yml (conda and its `pip:` list), pixi.toml, and lock files
(poetry.lock, uv.lock, pdm.lock, pylock.toml, Pipfile.lock, conda-lock.yml, pixi.lock), whose
entries pin by construction. One exact pin anywhere is enough; ranges elsewhere are fine as
long as they allow the pinned version. Project templates (cookiecutter, copier: Jinja markers
in the path or the text) are not this repository's dependencies and are skipped.

Reported:
- dvc declared only with ranges (at the loosest declaration) or not declared at all (at the
  main requirements file);
- two files pinning different versions, a lock file out of date with a pin, or a range that
  excludes the pinned version;
- as warnings, dependency files or lines that cannot be read and may hold a pin (they name
  dvc, a plugin or a configured package; a missing `-r` file; an include cycle), since a pin
  inside them cannot be seen. A line that cannot be read and names none of them (another
  tool's syntax, a template line) is none of this rule's business.

dvc is checked in repositories that use DVC (a `.dvc` folder, a dvc.yaml or a `.dvc` file);
a library that only depends on DVC keeps its ranges. `[tool.dvcflow.pin] packages =
["mlflow"]` applies the same checks to more packages, in any repository.

Wrong (requirements.txt):

    dvc[s3]>=3.0

Right:

    dvc[s3]==3.67.1

Fix: when the version is known (the newest pinned in the repository, else the installed one:
where dvcflow runs or beside the `dvc` on PATH, if every declared range allows it) and the file
is a requirements file or a PEP 621/735 array, the message says what the fix writes and the help
line runs it: `dvcflow-check --fix-only --stage-fixes` (under pre-commit, `pre-commit run
--hook-stage manual dvcflow-fix --all-files`) rewrites the range into an exact pin, or appends
the pin to the main requirements file or `[project].dependencies`, and stages the file.
Otherwise the help line says what to write, then `git add` the file (pre-commit leaves unstaged
edits out of the commit).

Scope: without `--all`, the rule runs when the commit touches a dependency file (or is the
first commit); with `--all`, always.
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

# dvcflow.rules.pin.scope and friends import `packaging`; they load only when a DVF4xx rule runs.

CODE = "DVF401"
NAME = "dvc-not-pinned"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    from dvcflow.rules.pin.scope import check_findings

    yield from check_findings(ctx, findings)


def findings(ctx: Context, view: View) -> list[Finding]:
    from dvcflow.rules.pin.findings import (
        Finding,
        package_findings,
        problem_findings,
        relevant_problems,
    )
    from dvcflow.rules.pin.scope import checked_packages, declarations, uses_dvc

    packages = checked_packages(ctx)
    if not uses_dvc(ctx):  # a library or a repository without pipelines: only configured ones
        packages = [p for p in packages if p != "dvc"]
    if not packages:
        return []
    decls = declarations(ctx, view)
    found = [Finding(d) for d in problem_findings(RULE, ctx, view, decls, packages)]
    # An unreadable file or line that may name a package, a template, or a setup.py computing
    # its list may hold the pin.
    hidden = relevant_problems(ctx.snapshot(view), decls, packages)
    report_missing = not hidden and not decls.opaque
    for package in packages:
        found.extend(
            package_findings(
                RULE, ctx, view, decls, package, label=package, report_missing=report_missing
            )
        )
    return found


def fix(ctx: Context, diagnostics: list[Diagnostic]) -> Iterator[Edit]:
    from dvcflow.rules.pin.findings import fix_findings

    yield from fix_findings(ctx, diagnostics, findings)
