"""What a dependency declaration says about one package, in every format dvcflow reads.

A `Declaration` is one place a project names a package: a requirements line, a PEP 621 array
item, a Poetry key, a conda spec, a lock-file entry. It records whether that place pins an
exact version (`==3.50.0`, `===3.50.0`, Poetry `"3.50.0"`, conda `dvc=3.50.0`, any lock entry)
and, where the constraint can be written as a PEP 440 specifier, which versions it allows.

The helpers here turn each format's constraint syntax into that record; they never guess:
what cannot be read exactly is reported as a `DeclProblem` by the format parsers.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal, NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

Source = Literal[
    "requirements",
    "pep621",
    "pep735",
    "poetry",
    "uv",
    "pdm",
    "setup.cfg",
    "setup.py",
    "conda",
    "pipfile",
    "pixi",
    "lock",
]

# How loose a declaration is; lower is looser.
ANY, LOWER_BOUND, BOUNDED, EXACT = 0, 1, 2, 3


class Constraint(NamedTuple):
    """A version constraint read from any format."""

    text: str  # as written: "==3.50.0", "^3.50", ">=3,<4", "" (any version)
    pinned: bool
    version: str | None  # the exact version when pinned
    allowed: SpecifierSet | None  # the PEP 440 equivalent, None when it has none

    @property
    def looseness(self) -> int:
        """ANY < LOWER_BOUND < BOUNDED < EXACT, for picking the loosest declaration."""
        if self.pinned:
            return EXACT
        if self.allowed is None:
            return ANY if self.text.strip() in ("", "*") else BOUNDED
        return _looseness(self.allowed)


class Declaration(NamedTuple):
    """One place a project declares a package."""

    path: str  # repo-relative posix path of the file
    line: int  # 1-based; 0 when the position is unknown
    column: int  # 1-based; 0 when unknown
    raw: str  # the text as written (requirement string, or the key/value line)
    package: str  # canonical name (PEP 503)
    name: str  # the name as written
    extras: tuple[str, ...]
    constraint: Constraint
    marker: str | None  # environment marker, as written
    source: Source
    section: str  # where in the file: "[project].dependencies", "dependencies", "line"
    url: str | None = None  # direct URL / VCS / path installs
    key: tuple[str | int, ...] | None = None  # where the value sits in a TOML document

    @property
    def pinned(self) -> bool:
        return self.constraint.pinned

    @property
    def version(self) -> str | None:
        return self.constraint.version

    @property
    def is_lock(self) -> bool:
        return self.source == "lock"

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class DeclProblem:
    """A dependency file (or one line of it) that cannot be read."""

    path: str
    line: int
    column: int
    message: str
    whole_file: bool  # nothing in the file could be read

    __slots__ = ("column", "line", "message", "path", "whole_file")

    def __init__(
        self, path: str, line: int, column: int, message: str, whole_file: bool = False
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        self.whole_file = whole_file


# -- PEP 440 (pip, PEP 621, Pipfile, setup.cfg) ------------------------------------------------


def pep440_constraint(specifier: SpecifierSet | str) -> Constraint:
    """Exact when one `==V` (no wildcard) or `===V` clause is present."""
    specs = specifier if isinstance(specifier, SpecifierSet) else SpecifierSet(specifier)
    text = str(specs) if isinstance(specifier, SpecifierSet) else specifier.strip()
    for spec in sorted(specs, key=str):
        exact = _exact_version(spec)
        if exact is not None:
            return Constraint(text, True, exact, specs)
    return Constraint(text, False, None, specs)


def _exact_version(spec: Specifier) -> str | None:
    if spec.operator == "===":
        return spec.version
    if spec.operator == "==" and not spec.version.endswith(".*"):
        return spec.version
    return None


def _looseness(specs: SpecifierSet) -> int:
    operators = {s.operator for s in specs}
    if not operators:
        return ANY
    if operators & {"<", "<=", "~=", "=="}:
        return BOUNDED
    return LOWER_BOUND


def parse_requirement(text: str) -> Requirement:
    """packaging's PEP 508 parser; raises InvalidRequirement with its message."""
    return Requirement(text)


def from_requirement(
    req: Requirement,
    *,
    path: str,
    line: int,
    column: int,
    raw: str,
    source: Source,
    section: str,
    key: tuple[str | int, ...] | None = None,
) -> Declaration:
    return named_declaration(
        req.name,
        pep440_constraint(req.specifier),
        path=path,
        line=line,
        column=column,
        raw=raw,
        source=source,
        section=section,
        extras=tuple(sorted(req.extras)),
        marker=str(req.marker) if req.marker is not None else None,
        url=req.url,
        key=key,
    )


def named_declaration(
    name: str,
    constraint: Constraint,
    *,
    path: str,
    line: int,
    column: int,
    raw: str,
    source: Source,
    section: str,
    extras: tuple[str, ...] = (),
    marker: str | None = None,
    url: str | None = None,
    key: tuple[str | int, ...] | None = None,
) -> Declaration:
    """A declaration of a package by `name` as written (`package` is its PEP 503 name)."""
    return Declaration(
        path=path,
        line=line,
        column=column,
        raw=raw,
        package=canonicalize_name(name),
        name=name,
        extras=extras,
        constraint=constraint,
        marker=marker,
        source=source,
        section=section,
        url=url,
        key=key,
    )


def requirement_or_error(text: str) -> Requirement | str:
    """The parsed requirement, or packaging's one-line error message."""
    try:
        return parse_requirement(text)
    except InvalidRequirement as exc:
        return str(exc).splitlines()[0]


# -- Poetry ------------------------------------------------------------------------------------

_POETRY_PART = re.compile(r"^(?P<op>\^|~(?!=)|~=|===|==|=|!=|>=|<=|>|<)?\s*(?P<version>\S+)$")


def poetry_constraint(text: str) -> Constraint:
    """Poetry's syntax: `3.50.0` and `==3.50.0` are exact; `^`, `~`, `*`, ranges are not."""
    stripped = text.strip()
    if stripped in ("", "*"):
        return Constraint(stripped, False, None, SpecifierSet())
    if "||" in stripped or "|" in stripped:
        return Constraint(stripped, False, None, None)
    parts = [p for p in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", stripped) if p]
    clauses: list[str] = []
    exact: str | None = None
    for part in parts:
        converted = _poetry_clause(part)
        if converted is None:
            return Constraint(stripped, False, None, None)
        clause, pinned = converted
        clauses.extend(clause)
        if pinned is not None:
            exact = pinned
    try:
        allowed = SpecifierSet(",".join(clauses))
    except InvalidSpecifier:
        allowed = None
    return Constraint(stripped, exact is not None, exact, allowed)


def _poetry_clause(part: str) -> tuple[list[str], str | None] | None:
    """PEP 440 clauses for one Poetry clause, and the version when it is exact."""
    match = _POETRY_PART.match(part)
    if not match:
        return None
    op, version = match["op"] or "", match["version"]
    if version == "*":
        return [], None
    if op in ("", "=", "==") and "*" not in version:
        return ([f"=={version}"], version) if _is_version(version) else None
    if op in ("", "=", "==") and version.endswith(".*"):
        return [f"=={version}"], None
    if op == "===":
        return [f"==={version}"], version
    if op in ("^", "~"):
        upper = _caret_upper(version) if op == "^" else _tilde_upper(version)
        return ([f">={version}", f"<{upper}"], None) if upper else None
    return [f"{op}{version}"], None


def _release(version: str) -> list[int] | None:
    parsed = _version(version)
    return None if parsed is None else list(parsed.release)


def _caret_upper(version: str) -> str | None:
    release = _release(version)
    if release is None:
        return None
    for index, number in enumerate(release):
        if number != 0:
            return ".".join(str(n) for n in [*release[:index], number + 1])
    return ".".join(str(n) for n in [*release[:-1], release[-1] + 1])


def _tilde_upper(version: str) -> str | None:
    release = _release(version)
    if release is None:
        return None
    if len(release) == 1:
        return str(release[0] + 1)
    return f"{release[0]}.{release[1] + 1}"


def _is_version(text: str) -> bool:
    return _version(text) is not None


@lru_cache(maxsize=4096)
def _version(text: str) -> Version | None:
    """The PEP 440 version, parsed once per text; None if invalid (or a 5,000-digit number)."""
    try:
        return Version(text)
    except (InvalidVersion, ValueError):
        return None


# -- conda MatchSpec ---------------------------------------------------------------------------

_CONDA_SPEC = re.compile(
    r"^(?:(?P<channel>[^:\s]+)::)?(?P<name>[A-Za-z0-9_][A-Za-z0-9_.\-]*)\s*(?P<rest>.*)$"
)


def parse_conda_spec(text: str) -> tuple[str, Constraint] | None:
    """(name, constraint) of a conda MatchSpec such as `dvc=3.50.0`, `dvc 3.50.0 py_0`.

    `==V`, `V` (space form) and `=V` with a full three-part version are exact; `=3.50`
    (which conda reads as 3.50.*), wildcards and ranges are not.
    """
    match = _CONDA_SPEC.match(text.strip())
    if not match:
        return None
    rest = match["rest"].strip()
    if rest.startswith("["):
        return None  # bracket syntax (`dvc[version='>=3']`): not read
    return match["name"], conda_constraint(rest)


def conda_constraint(rest: str) -> Constraint:
    if not rest or rest == "*":
        return Constraint(rest, False, None, SpecifierSet())
    if rest.startswith("=") and not rest.startswith("=="):
        version = rest[1:].split("=", 1)[0].strip()
        release = _release(version)
        if "*" not in version and release is not None and len(release) >= 3:
            return Constraint(rest, True, version, _specifier(f"=={version}"))
        return Constraint(rest, False, None, _specifier(f"=={version.rstrip('.*')}.*"))
    if rest.startswith("=="):
        version = rest[2:].split("=", 1)[0].strip()
        if "*" not in version and _is_version(version):
            return Constraint(rest, True, version, _specifier(f"=={version}"))
        return Constraint(rest, False, None, None)
    first = rest.split()[0]
    if first[0].isdigit() and "*" not in first and _is_version(first):
        return Constraint(rest, True, first, _specifier(f"=={first}"))
    if first[0].isdigit():
        wildcard = _specifier(f"=={first}") if first.endswith(".*") else None
        return Constraint(rest, False, None, wildcard)
    return Constraint(rest, False, None, None if "|" in first else _specifier(first))


def pipfile_constraint(version: str) -> Constraint | None:
    """Pipfile's (and pixi's PyPI) version strings: PEP 440, `*`, or a bare version (exact)."""
    text = version.strip()
    if text in ("", "*"):
        return Constraint(text, False, None, SpecifierSet())
    if text[0].isdigit():
        text = f"=={text}"
    try:
        constraint = pep440_constraint(SpecifierSet(text))
    except InvalidSpecifier:
        return None
    return Constraint(version.strip(), constraint.pinned, constraint.version, constraint.allowed)


def _specifier(text: str) -> SpecifierSet | None:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def exact_constraint(version: str) -> Constraint:
    """A lock file's version: exact by construction."""
    return Constraint(f"=={version}", True, version, _specifier(f"=={version}"))


def same_version(a: str, b: str) -> bool:
    """PEP 440 equality (`3.50` == `3.50.0`), string equality for non-PEP 440 versions."""
    first, second = _version(a), _version(b)
    if first is None or second is None:
        return a == b
    return first == second


def newest(versions: list[str]) -> str:
    """The highest version (PEP 440 order; plain string order if none is PEP 440)."""
    parsable = [v for v in versions if _is_version(v)]
    return max(parsable, key=Version) if parsable else max(versions)


def allows(constraint: Constraint, version: str) -> bool | None:
    """Whether the constraint admits `version`; None when that cannot be told."""
    if constraint.allowed is None or not _is_version(version):
        return None
    try:
        return constraint.allowed.contains(version, prereleases=True)
    except ValueError:  # a specifier whose version has more digits than Python reads
        return None
