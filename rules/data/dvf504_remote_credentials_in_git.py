"""DVF504 remote-credentials-in-git: the commit puts a DVC remote's credentials into Git.

Why: `.dvc/config` is committed and shared; `.dvc/config.local` is not (DVC's own
`.dvc/.gitignore` lists it). `dvc remote modify storage secret_access_key ...` without
`--local` writes the key into the committed file, and from the next push on everyone who can
read the repository (and its history, forever) can use it. Reported: the options DVC keeps
secrets in (`access_key_id`, `secret_access_key`, `session_token`, `password`, `token`,
`account_key`, `sas_token`, `connection_string`, `client_secret`, `gdrive_client_secret`,
`oss_key_id`, `oss_key_secret`, `passphrase`, `sse_customer_key`), a remote URL with
`user:password@`, a credentials file an option names (`credentialpath`, `keyfile`,
`key_path`, `gdrive_*` files) that is itself in Git, and a `.dvc/config.local` added with
`git add -f`. The finding names the remote and the option, never the secret.

Wrong:

    ['remote "storage"']
        url = s3://bucket/dvc
        secret_access_key = ...

Right: the secret in `.dvc/config.local` (`dvc remote modify --local storage
secret_access_key ...`), or in the environment (AWS_SECRET_ACCESS_KEY).

Fix: move it to the local config without printing it, and drop it from the committed one:
`dvc remote modify --local storage secret_access_key "$(dvc config --project
remote.storage.secret_access_key)" && dvc remote modify --project storage --unset
secret_access_key && git add .dvc/config`. If the secret was ever pushed, rotate it: Git's
history keeps it. Before `--all`, only a commit that changes the file is checked. Turn the rule
off with `ignore = ["DVF504"]`.
"""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Iterator

from dvcflow.context import Context
from dvcflow.diagnostics import Diagnostic, RuleId, Severity
from dvcflow.errors import DvcflowError
from dvcflow.rules.data.gitdata import gitignore_fix
from dvcflow.rules.data.secrets import Secret, scan, url_without_password

CODE = "DVF504"
NAME = "remote-credentials-in-git"
SEVERITY: Severity = "error"
DEFAULT_ENABLED = True
RULE = RuleId(CODE, NAME, SEVERITY)
ROTATE = "if it was ever pushed, rotate it: Git's history keeps it"


def check(ctx: Context) -> Iterator[Diagnostic]:
    for project in ctx.projects("staged").projects:
        dvc_dir = posixpath.join(project.root, ".dvc")
        config = posixpath.join(dvc_dir, "config")
        local = posixpath.join(dvc_dir, "config.local")
        if ctx.staged.is_file(local) and ctx.touches(local):
            yield RULE.at(
                local,
                0,
                0,
                f"{local} is committed: it holds this clone's remote settings and credentials",
                fix=f"git rm -q --cached {shlex.quote(local)}",
                target=local,
            )
        if not ctx.staged.is_file(config):
            continue
        try:
            text = ctx.staged.read_text(config)
        except DvcflowError:
            continue
        for secret in scan(config, text):
            finding = _finding(ctx, project.root, config, secret)
            if finding is not None:
                yield finding


def _dvc(project: str, shell: str) -> str:
    return f"cd {shlex.quote(project)} && {shell}" if project else shell


def _move_to_local(project: str, config: str, secret: Secret, new_value: str | None) -> str:
    remote, key = shlex.quote(secret.remote), secret.key
    current = f'"$(dvc config --project remote.{secret.remote}.{key})"'
    then = (
        f"dvc remote modify --project {remote} {key} {shlex.quote(new_value)}"
        if new_value is not None
        else f"dvc remote modify --project {remote} --unset {key}"
    )
    steps = _dvc(project, f"dvc remote modify --local {remote} {key} {current} && {then}")
    return f"{steps} && git add {shlex.quote(posixpath.relpath(config, project or '.'))}"


def _finding(ctx: Context, project: str, config: str, secret: Secret) -> Diagnostic | None:
    def ignore(path: str) -> str | None:
        return gitignore_fix(ctx, path)

    where = f"remote '{secret.remote}'" if secret.remote else "a section that is not a remote"
    if secret.kind == "file":
        assert secret.file is not None
        if not ctx.staged.is_file(secret.file) or not ctx.touches(config, secret.file):
            return None
        return RULE.at(
            secret.file,
            0,
            0,
            f"{secret.file} holds credentials ({where} names it as {secret.key} in {config}) "
            f"and is committed; {ROTATE}",
            fix=" && ".join(
                step
                for step in (f"git rm -q --cached {shlex.quote(secret.file)}", ignore(secret.file))
                if step
            ),
            target=secret.remote or secret.key,
        )
    if not ctx.touches(config):
        return None
    fix = None
    if secret.remote:
        new = None
        if secret.kind == "url":
            new = url_without_password(_url(ctx, config, secret.line))
        fix = _move_to_local(project, config, secret, new)
    what = "a URL with a password" if secret.kind == "url" else f"its {secret.key}"
    return RULE.at(
        config,
        secret.line,
        1,
        f"{where} has {what} in the committed {config}; {ROTATE}",
        fix=fix,
        target=secret.remote or secret.key,
    )


def _url(ctx: Context, config: str, line: int) -> str:
    raw = ctx.staged.read_text(config).splitlines()[line - 1]
    return raw.split("=", 1)[1].strip().strip("'\"")
