"""DVF502 output-tracked-by-git: a DVC output, or a file in a DVC-tracked folder, is also in Git.

Why: DVC keeps an output's content in its cache and on the remote, and tells Git to ignore it
(`dvc add` and `dvc repro` write a `/name` line into the folder's `.gitignore`). When the file
is in Git as well (`git add -f`, a `git add` from before `dvc add`, a `.gitignore` edited by
hand), every version goes into Git's history too, the repository grows by the data's size,
and `dvc checkout` and `git checkout` fight over the file. DVC only checks this when `dvc add`
runs. Outputs with `cache: false` (metrics kept in Git, for example) are meant for Git and
are not reported.

Wrong (data/train.csv is tracked by data/train.csv.dvc and was staged with `git add -f`):

    $ git ls-files data
    data/train.csv
    data/train.csv.dvc

Right: only the `.dvc` file (and the `.gitignore` listing `/train.csv`) is in Git.

Fix: `git rm -r --cached data/train.csv` (the file stays in the work tree and in DVC's cache),
and the `.gitignore` line DVC expects: `echo /train.csv >> data/.gitignore && git add
data/.gitignore`. Before `--all`, only outputs the commit touches are reported. Turn the rule
off with `ignore = ["DVF502"]` in `[tool.dvcflow]`.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.rules.data.gitdata import gitignore_fix, indexed_under, tracked_outputs

CODE = "DVF502"
NAME = "output-tracked-by-git"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    for output in tracked_outputs(ctx):
        files = indexed_under(ctx, output.out)
        if not files or not ctx.touches(output.declared_in, *files):
            continue
        if files == [output.out]:
            message = (
                f"{output.out} is a DVC output ({output.declared_in}) and is also committed to Git"
            )
        else:
            listed = ", ".join(files[:3]) + (
                f" and {len(files) - 3} more" if len(files) > 3 else ""
            )
            message = (
                f"{output.out} is tracked by DVC ({output.declared_in}) and Git holds "
                f"{len(files)} of its files ({listed})"
            )
        steps = [f"git rm -r -q --cached {shlex.quote(output.out)}"]
        ignore = gitignore_fix(ctx, output.out)
        if ignore:
            steps.append(ignore)
        yield RULE.at(files[0], 0, 0, message, fix=" && ".join(steps), target=output.out)
