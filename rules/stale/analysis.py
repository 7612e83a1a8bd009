"""The finding loop DVF201-DVF203 share: one diagnostic per judged stage or `.dvc` file.

`dvcflow.dvc.status` judges the workspace once; `stale_report` here adds what only the rules
know (the dvc version the project pins, `version_note`). Each rule only chooses which verdicts
it reports, its message and its fix. This module turns a verdict into a diagnostic the same
way for all three.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterator
from typing import Literal

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId
from dvcflow.dvc.status import Change, StaleReport, Verdict, install_dvc_fix
from dvcflow.dvc.status import stale_report as workspace_report
from dvcflow.errors import DvcflowError


def stale_report(ctx: Context) -> StaleReport:
    """The engine's report of the workspace, with the version note findings show."""
    return ctx.memo(stale_report, lambda: _with_version_note(ctx, workspace_report(ctx)))


def _with_version_note(ctx: Context, report: StaleReport) -> StaleReport:
    if report.problems or any(v.changes or v.missing for v in report.verdicts):
        report.note = lambda: version_note(ctx)  # only findings show it; it costs a lookup
    if any(p.needs_dvc for p in report.problems):
        requirement = _dvc_requirement(ctx)
        report.problems = [
            p._replace(fix=install_dvc_fix(requirement)) if p.needs_dvc else p
            for p in report.problems
        ]
    return report


def _dvc_requirement(ctx: Context) -> str:
    """`dvc==X` when the project pins one version of dvc, else `dvc`."""
    from dvcflow.rules.pin import scope as pins

    try:
        pinned = pins.status(pins.declarations(ctx), "dvc").versions
    except DvcflowError:
        return "dvc"
    return f"dvc=={pinned[0]}" if len(pinned) == 1 else "dvc"


def version_note(ctx: Context) -> str:
    """Say so when the dvc judging the workspace is not the version the project pins."""
    from dvcflow.requirements.dists import installed_version

    installed = installed_version("dvc")
    pinned = pinned_dvc(ctx) if installed is not None else None
    if installed is None or pinned is None or len(pinned) != 1:
        return ""
    if _same_version(pinned[0], installed):
        return ""
    return f" (judged with dvc {installed}; the project pins dvc=={pinned[0]})"


def _same_version(a: str, b: str) -> bool:
    """`packaging`'s version equality, without importing it for plain `1.2.3` releases."""
    plain = [
        v.split(".")
        for v in (a, b)
        if len(v) < 100 and v.replace(".", "").isdecimal() and v.isascii()
    ]
    if len(plain) == 2 and all(all(plain_parts) for plain_parts in plain):
        left, right = ([int(n) for n in parts] for parts in plain)
        while left and left[-1] == 0:
            left.pop()
        while right and right[-1] == 0:
            right.pop()
        return left == right
    from dvcflow.requirements.model import same_version

    return same_version(a, b)


PINS_KIND = "dvc-pins"  # blob cache: the dependency files' blob ids -> dvc's pinned versions


def pinned_dvc(ctx: Context) -> list[str] | None:
    """The versions of dvc the commit's dependency files pin (None: they cannot be read).

    Parsing them (a uv.lock or pixi.lock of a megabyte, `packaging`) costs more than judging a
    small workspace, so the answer is kept in the blob cache under the blob ids of the files
    in scope, and reused while those and every file they include are unchanged.
    """
    from dvcflow.git.blobcache import blob_cache
    from dvcflow.rules.pin import scope as pins

    key, blobs = _dependency_blobs(ctx)
    cache = blob_cache(ctx)
    stored = cache.get(PINS_KIND, key) if key is not None else None
    if isinstance(stored, dict) and _still_valid(ctx, stored):
        return [str(v) for v in stored["versions"]]
    try:
        decls = pins.declarations(ctx)
        versions = pins.status(decls, "dvc").versions
    except DvcflowError:
        return None
    read = {path: blobs.get(path) or _blob(ctx, path) for path in decls.files}
    if key is not None and not decls.problems and all(read.values()):
        cache.put(PINS_KIND, key, {"read": read, "versions": versions})
    return versions


def _dependency_blobs(ctx: Context) -> tuple[str | None, dict[str, str | None]]:
    """(a key naming the staged dependency files in scope by blob id, their blob ids); no
    key when one is not a regular file in the index."""
    import hashlib
    import json

    from dvcflow.requirements.discover import file_kind
    from dvcflow.rules.pin import scope as pins

    paths = pins.declaration_scope(ctx)[1]
    if paths is None:
        paths = [p for p in ctx.staged.files() if file_kind(p) is not None]
    blobs = {path: _blob(ctx, path) for path in sorted(paths)}
    if not all(blobs.values()):
        return None, blobs
    digest = hashlib.sha1(json.dumps(sorted(blobs.items())).encode("utf-8")).hexdigest()
    return digest, blobs


def _still_valid(ctx: Context, stored: dict[str, object]) -> bool:
    """A stored answer whose every file read (included ones too) has the same blob id."""
    read, versions = stored.get("read"), stored.get("versions")
    if not isinstance(read, dict) or not isinstance(versions, list):
        return False
    return all(_blob(ctx, path) == blob for path, blob in read.items())


def _blob(ctx: Context, path: str, hops: int = 0) -> str | None:
    """What names a dependency file's staged content: its blob id; for a symlink (such as
    `python/requirements.txt -> ../requirements.txt`), the link's blob id and what it resolves
    to in the index (`-` for nothing: a dangling link reads as absent). None where no answer
    is kept: a submodule, a link leaving the repository, a loop, an absent path."""
    entry = ctx.repo.index().get(path)
    if entry is None or entry.is_submodule:
        return None
    if not entry.is_symlink:
        return entry.sha
    target = ctx.repo.blobs.read(entry.sha).decode("utf-8", "surrogateescape")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    if target.startswith("/") or resolved == ".." or resolved.startswith("../") or hops > 8:
        return None
    if resolved not in ctx.repo.index():
        return f"{entry.sha}>-"
    at_target = _blob(ctx, resolved, hops + 1)
    return f"{entry.sha}>{at_target}" if at_target is not None else None


def verdict_finding(
    rule: RuleId,
    verdict: Verdict,
    message: str,
    fix: str,
    changes: tuple[Change, ...],
    fallback: str,
) -> Diagnostic:
    """The diagnostic at the verdict's stage or `.dvc` file.

    Its target is the first of `changes` that names a path, else `fallback`.
    """
    return rule.at(
        verdict.path,
        verdict.line,
        verdict.column,
        message,
        fix=fix,
        stage=verdict.address,
        target=next((c.path for c in changes if c.path), fallback),
    )


def stale_findings(
    ctx: Context,
    rule: RuleId,
    kind: Literal["stage", "data"],
    message: Callable[[Verdict], str],
    fallback: Literal["address", "path"],
) -> Iterator[Diagnostic]:
    """One finding per stale verdict of this kind (not skipped), with the dvc version note.

    The target is the first stale path, else the verdict's address or path (`fallback`).
    """
    report = stale_report(ctx)
    for verdict in report.verdicts:
        if verdict.kind == kind and verdict.stale and not verdict.skipped:
            yield verdict_finding(
                rule,
                verdict,
                message(verdict) + report.version_note,
                verdict.fix,
                verdict.stale,
                verdict.address if fallback == "address" else verdict.path,
            )
