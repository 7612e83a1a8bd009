"""DVF501 data-not-pushed: a pushed commit names data that is not on its DVC remote.

Why: the most common DVC accident in a team is "forgot `dvc push`": the Git commit reaches
the server, the data its dvc.lock and `.dvc` files name does not, and a teammate's
`dvc pull` fails days later. DVC's own pre-push hook runs a whole `dvc push`; this check asks
the remote only for what the pushed commits name and an earlier run has not seen there.

What is checked: for every commit being pushed (pre-commit's pre-push stage passes them; a
plain Git hook or CI passes `--push-range`), every cached, pushable output its dvc.lock and
`.dvc` files record, on the remote it belongs to: the out's `remote:`, else `core.remote` as
the pusher configured it (`.dvc/config.local` included). A directory is pushed when its `.dir`
manifest is on the remote (DVC uploads the files first); when it is not, the finding names
the directory's files the remote lacks. Imports from other Git repositories, `cache: false`
and `push: false` outputs are not pushed by DVC and are not checked. Cloud-versioned remotes
(`version_aware`, `worktree`) keep no objects by hash and are reported as not checkable.

Wrong (the commit is pushed, `dvc push` was not run):

    $ dvc add data/images && git add data/images.dvc && git commit -m "more images"
    $ git push
    data/images.dvc:1:1: DVF501 data/images (commit 1a2b3c4d) is not on DVC remote 'storage'

Right: `dvc push` before `git push` (or both: `dvc push && git push`).

Fix: the printed command, e.g. `dvc push -r storage data/images`. For a version of the
output that only an older pushed commit names, `dvc push -r storage --all-commits
data/images` (DVC's push has no `--rev`). Data that is not in the local cache either cannot be
pushed from this clone: push it from the machine that produced it.

A remote that cannot be asked (no network, missing credentials, no answer within
`[tool.dvcflow.data] remote-timeout`, 30 s by default) is one finding naming the remote and the
error. It blocks the push by default (`unreachable = "error"`): a check that passes when it
could not look would let through exactly the accident it exists to stop. Teams that push code
from machines without remote access set `unreachable = "warning"`; a single push can skip the
hook with `SKIP=dvcflow-pushed git push`. Turn the rule off with `ignore = ["DVF501"]`.

Objects seen on a remote are remembered in `.git/dvcflow/remote-objects/` (DVC never deletes
from a remote except by `dvc gc --cloud`; after one, delete that folder).
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity

if TYPE_CHECKING:  # the pre-push engine loads only when this rule runs, not when it is listed
    from dvcflow.rules.data.pushed import Missing, Unreachable

CODE = "DVF501"
HOOK_ID = "dvcflow-pushed"  # pre-push, apart from its pre-commit family (dvcflow-data)
NAME = "data-not-pushed"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = False  # needs the network: the `dvcflow-pushed` hook selects it
RULE = RuleId(CODE, NAME, SEVERITY)


def check(ctx: Context) -> Iterator[Diagnostic]:
    from dvcflow.rules.data.pushed import report

    result = report(ctx)
    for missing in result.missing:
        yield _finding(missing)
    severity: Severity = "warning" if ctx.option("data", "unreachable") == "warning" else "error"
    for problem in result.unreachable:
        yield _unreachable(problem, severity)


def _command(project: str, shell: str) -> str:
    return f"cd {shlex.quote(project)} && {shell}" if project else shell


def _finding(missing: Missing) -> Diagnostic:
    from dvcflow.rules.data.pushed import described, short

    obj = missing.obj
    what = f"{obj.out} (commit {short(missing.commit)})"
    message = f"{what} is not on DVC remote '{missing.remote}'"
    if missing.missing_entries:
        message += (
            f": its manifest and {len(missing.missing_entries)} of its {missing.entries} files "
            f"are missing ({described(missing.missing_entries)})"
        )
    elif obj.is_dir and not missing.manifest_unknown and missing.entries:
        message += f": its manifest is missing (its {missing.entries} files are there)"
    fix: str | None
    if missing.not_local:
        message += (
            "; it is not in the local cache either, so it cannot be pushed from here: push it "
            "from the machine that produced it"
        )
        fix = None
    elif missing.define_url is not None and "@" in missing.define_url:
        message += (
            f" and DVC cannot push it: commit {short(missing.commit)}'s .dvc/config does not "
            f"define remote '{missing.remote}'; define it in .dvc/config.local "
            f"(`dvc remote modify --local {missing.remote} url URL`), then "
            f"`dvc push -r {missing.remote} --all-commits {obj.target}`"
        )
        fix = None
    else:
        remote = shlex.quote(missing.remote)
        every = "" if missing.in_workspace else " --all-commits"
        command = f"dvc push -r {remote}{every} {shlex.quote(obj.target)}"
        if missing.define_url is not None:  # DVC reads that commit's config: it lacks the remote
            define = shlex.quote(missing.define_url)
            command = f"dvc remote modify --local {remote} url {define} && {command}"
        fix = _command(obj.project, command)
        if not missing.in_workspace:
            message += " (the work tree's DVC files name another version)"
    return RULE.at(
        obj.source,
        obj.line,
        1,
        message,
        fix=fix,
        stage=obj.stage,
        target=obj.out,
    )


def _unreachable(problem: Unreachable, severity: Severity) -> Diagnostic:
    from dvcflow.rules.data.pushed import described

    config = posixpath.join(problem.project, ".dvc", "config")
    outs = described(problem.outs)
    if problem.remote is None:
        return _no_remote(problem, config, outs, severity)
    where = f" ({problem.url})" if problem.url else ""
    return RULE.at(
        config,
        0,
        0,
        f"cannot check DVC remote '{problem.remote}'{where}: {problem.error}; the data of "
        f"{outs} was not checked",
        fix=(
            "check the network and the remote's credentials, then push again; to push without "
            "this check: SKIP=dvcflow-pushed git push"
        ),
        target=problem.remote,
        severity=severity,
    )


def _no_remote(problem: Unreachable, config: str, outs: str, severity: Severity) -> Diagnostic:
    """No out names a remote and `core.remote` is not set (`problem.url`: the defined ones)."""
    defined = problem.url.split(",") if problem.url else []
    if len(defined) == 1:
        remote = shlex.quote(defined[0])
        why = f"no default DVC remote is set (the one defined is '{defined[0]}')"
        fix = f"dvc remote default --local {remote} && dvc push -r {remote}"
    elif defined:
        why = f"no default DVC remote is set (defined: {', '.join(defined)})"
        fix = "dvc remote default --local NAME && dvc push"
    else:
        why = "no DVC remote is configured"
        fix = "dvc remote add --local -d NAME URL && dvc push"
    return RULE.at(
        config,
        0,
        0,
        f"the pushed commits name DVC data ({outs}) but {why}, so it cannot have been pushed",
        fix=_command(problem.project, fix),
        target=problem.outs[0] if problem.outs else None,
        severity=severity,
    )
