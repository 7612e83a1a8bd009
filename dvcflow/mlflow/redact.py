"""The one sanitizer: no credential is printed, logged or stored by dvcflow's MLflow hooks.

- `sanitize_uri(uri)`: a tracking URI without its userinfo (any character in it, an unencoded
  `/`, `@`, `:` or `?` included: everything between `//` and the LAST `@` is userinfo), and,
  for http(s), without query and fragment (`?token=…`).
- `redact(text, uris)`: any text (an exception's message from the mlflow client, an OS error,
  a server's answer) with URIs' userinfo, token-like query values, `Bearer`/`Basic`
  credentials and the literal values of the credential variables (`MLFLOW_TRACKING_PASSWORD`,
  `MLFLOW_TRACKING_TOKEN`, …, and the userinfo of `MLFLOW_TRACKING_URI` and of `uris`)
  replaced by `***`.

Every message the hooks print goes through `redact`; every URI they store goes through
`sanitize_uri`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote, unquote, urlsplit, urlunsplit

MASK = "***"
SECRET_VARIABLES = (
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_CLIENT_CERT_PATH",
    "DATABRICKS_TOKEN",
    "DATABRICKS_CLIENT_SECRET",
    "DATABRICKS_PASSWORD",
)
URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
MIN_SECRET = 4  # shorter values would mask ordinary words
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):(?P<rest>//.*)$", re.DOTALL)
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%-]*)(:\d*)?(?=$|[/?#])")
# scheme://userinfo@ inside free text: userinfo runs to the last `@` of the whitespace-free word
_URI_USERINFO = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>\S*)@(?=\S)")
_TOKEN_QUERY = re.compile(
    r"(?P<key>[?&;](?:[A-Za-z0-9_.-]*(?:token|key|secret|password|passwd|pwd|sig|signature|"
    r"auth|credential)[A-Za-z0-9_.-]*))=(?P<value>[^&#\s'\"]*)",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(r"\b(?P<kind>Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)


def _split_userinfo(rest: str) -> tuple[str | None, str]:
    """`//userinfo@host/path` -> (userinfo, `//host/path`); userinfo ends at the last `@`."""
    body = rest[2:]
    at = body.rfind("@")
    while at >= 0:
        if _HOST.match(body[at + 1 :]):
            return body[:at], "//" + body[at + 1 :]
        at = body.rfind("@", 0, at)
    at = body.rfind("@")
    if at >= 0:  # no valid host after any `@`: still never keep what may be a password
        return body[:at], "//" + body[at + 1 :]
    return None, rest


def split_userinfo(uri: str) -> tuple[str | None, str]:
    """(userinfo or None, the URI without it), with the same rule as `sanitize_uri`: a client
    must read a URI exactly as the sanitizer does, or a password with a `/` becomes a port."""
    matched = _SCHEME.match(uri)
    if not matched:
        return None, uri
    userinfo, rest = _split_userinfo(matched["rest"])
    return userinfo, f"{matched['scheme']}:{rest}"


def sanitize_uri(uri: str) -> str:
    """The URI without user, password (whatever they hold), and for http(s) query and fragment."""
    matched = _SCHEME.match(uri)
    if not matched:
        return uri
    scheme = matched["scheme"]
    _, rest = _split_userinfo(matched["rest"])
    clean = f"{scheme}:{rest}"
    if scheme.lower() in ("http", "https"):
        try:
            parts = urlsplit(clean)
            return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        except ValueError:  # e.g. a malformed IPv6 host: keep scheme and host only
            return f"{scheme}:{rest.split('?', 1)[0].split('#', 1)[0]}"
    return _TOKEN_QUERY.sub(lambda m: f"{m['key']}={MASK}", clean)


def userinfo_secrets(uri: str) -> list[str]:
    """The userinfo of a URI and its password, as written and decoded (to mask in any text)."""
    matched = _SCHEME.match(uri)
    if not matched:
        return []
    userinfo, _ = _split_userinfo(matched["rest"])
    if not userinfo:
        return []
    found = {userinfo, unquote(userinfo)}
    _, colon, password = userinfo.partition(":")
    if colon and password:
        found.update({password, unquote(password), quote(unquote(password), safe="")})
    return [s for s in found if len(s) >= MIN_SECRET]


def secrets(uris: Iterable[str | None] = (), env: Mapping[str, str] | None = None) -> list[str]:
    """Every literal value that must never appear in output: longest first."""
    env = os.environ if env is None else env
    found: set[str] = set()
    for name in SECRET_VARIABLES:
        value = env.get(name, "")
        if len(value) >= MIN_SECRET:
            found.update({value, quote(value, safe="")})
    for uri in [*(env.get(name) for name in URI_VARIABLES), *uris]:
        if uri:
            found.update(userinfo_secrets(uri))
    return sorted(found, key=len, reverse=True)


def redact(text: str, uris: Iterable[str | None] = (), env: Mapping[str, str] | None = None) -> str:
    """The text with every credential it may carry replaced by `***`."""
    for secret in secrets(uris, env):
        text = text.replace(secret, MASK)
    text = _URI_USERINFO.sub(lambda m: f"{m['head']}{MASK}@", text)
    text = _TOKEN_QUERY.sub(lambda m: f"{m['key']}={MASK}", text)
    return _AUTH_HEADER.sub(lambda m: f"{m['kind']} {MASK}", text)
