"""DVF504's analysis: credentials in a committed DVC config file, located by line.

A DVC config file is configobj syntax: `[core]`, `['remote "name"']` (or unquoted), and
`key = value` lines. Values are never kept beyond what a finding needs to say where a secret
is (its remote, key and line); the secret itself is never part of a finding.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from dvcflow.git.snapshot import normalize

# Options DVC's config schema holds secrets in (dvc/config_schema.py).
SECRET_KEYS = frozenset(
    {
        "access_key_id",
        "secret_access_key",
        "session_token",
        "password",
        "token",
        "account_key",
        "sas_token",
        "connection_string",
        "client_secret",
        "gdrive_client_secret",
        "oss_key_id",
        "oss_key_secret",
        "passphrase",
        "sse_customer_key",
    }
)
# Options naming a file whose contents are credentials (resolved from the `.dvc` folder).
CREDENTIAL_FILES = frozenset(
    {
        "credentialpath",
        "keyfile",
        "key_path",
        "gdrive_service_account_json_file_path",
        "gdrive_user_credentials_file",
    }
)
_USERINFO_PASSWORD = re.compile(r"^[A-Za-z][\w+.-]*://[^/@:]*:[^/@]+@")
_KEY_LINE = re.compile(r"^\s*(?P<key>[A-Za-z0-9_.-]+)\s*=\s*(?P<value>.*?)\s*$")


class Secret:
    line: int
    remote: str  # the remote's name ("" outside a remote section)
    key: str
    kind: str  # "value" | "url" | "file"
    file: str | None  # for "file": the repo-relative path the option names

    __slots__ = ("file", "key", "kind", "line", "remote")

    def __init__(
        self, line: int, remote: str, key: str, kind: str, file: str | None = None
    ) -> None:
        self.line = line
        self.remote = remote
        self.key = key
        self.kind = kind
        self.file = file


def _value(raw: str) -> str:
    value = raw.split(" #", 1)[0].strip() if not raw.startswith(("'", '"')) else raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def scan(config_path: str, text: str) -> Iterator[Secret]:
    """The secrets one DVC config file holds, in line order."""
    from dvcflow.dvc.remotes import section_name  # (configparser: only when a config is read)

    section = ""
    dvc_dir = posixpath.dirname(config_path)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = section_name(line[1:-1])
            continue
        match = _KEY_LINE.match(raw)
        if match is None:
            continue
        key, value = match["key"], _value(match["value"])
        remote = section[8:-1] if section.startswith('remote "') and section.endswith('"') else ""
        if not value:
            continue
        if key in SECRET_KEYS:
            yield Secret(number, remote, key, "value")
        elif key == "url" and _USERINFO_PASSWORD.match(value):
            yield Secret(number, remote, key, "url")
        elif key in CREDENTIAL_FILES and not re.match(r"\w+://|[/~]", value):
            yield Secret(number, remote, key, "file", normalize(posixpath.join(dvc_dir, value)))


def url_without_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    userinfo, _, host = rest.partition("@")
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}@{host}" if user else f"{scheme}://{host}"
