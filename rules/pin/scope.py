"""Whether a package's version is pinned, across every dependency file, and how to pin it.

Shared by the DVF4xx rules: `status()` gathers one package's declarations, `conflicts()` finds
pins that disagree (or a range that excludes the pin), `suggest()` picks the version a fix
should write (the installed one, when every declared range allows it), `main_file()` picks
where a missing pin goes. The `--fix` edits are in `dvcflow.rules.pin.fix`.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal

from dvcflow.dvc.projects import discover_projects
from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot, View, is_within
from dvcflow.requirements.discover import Declarations, collect, file_kind, is_dependency_file
from dvcflow.requirements.encoding import read_requirements
from dvcflow.requirements.templates import is_template

if TYPE_CHECKING:
    from dvcflow.context import Context
    from dvcflow.diagnostics import Diagnostic
    from dvcflow.requirements.model import Constraint, Declaration
    from dvcflow.rules.pin.findings import Finding

_HEAD = re.compile(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*(?:\s*\[[^\]]*\])?")
ARRAY_SOURCES = {"pep621", "pep735", "uv", "pdm"}  # arrays of PEP 508 strings in TOML
_QUOTED_SOURCES = {*ARRAY_SOURCES, "setup.py"}
_INCLUDERS = {"requirements", "setup.cfg", "environment"}
# What an include needs: a `-r`/`-c` option (or `--requirement`, `--constraint`, abbreviated),
# or setup.cfg's `file:`. A file without any cannot include another.
_INCLUDE_HINT = re.compile(r"(?:^|\s)--?[rc]|file:")


# `packaging` (and dvcflow.requirements.model, built on it) loads on first use, not with this
# module: the pre-commit hook on a commit that touches no dependency file never needs it.
def canonicalize_name(name: str) -> str:
    from packaging.utils import canonicalize_name as canonical

    return canonical(name)


def allows(constraint: Constraint, version: str) -> bool | None:
    from dvcflow.requirements.model import allows as allows_

    return allows_(constraint, version)


def newest(versions: list[str]) -> str:
    from dvcflow.requirements.model import newest as newest_

    return newest_(versions)


def same_version(a: str, b: str) -> bool:
    from dvcflow.requirements.model import same_version as same_version_

    return same_version_(a, b)


def declarations(ctx: Context, view: View = "staged") -> Declarations:
    """The view's declarations, read once per run and shared by the DVF4xx rules."""
    return ctx.memo(
        (declarations, view),
        lambda: collect(ctx.snapshot(view), declaration_scope(ctx, view)[1]),
    )


def declaration_scope(ctx: Context, view: View = "staged") -> tuple[str, list[str] | None]:
    """(folder a new pin goes in, the dependency files to read; None: the whole repository).

    A DVC project made with `dvc init --subdir` declares its dependencies in its own folder:
    a sub-project's pin is judged by the files inside it, not by an unrelated package at the
    Git root. When those folders declare nothing, the whole repository counts.
    """
    return ctx.memo((declaration_scope, view), lambda: _declaration_scope(ctx.snapshot(view)))


def _declaration_scope(snapshot: Snapshot) -> tuple[str, list[str] | None]:
    roots = [project.root for project in discover_projects(snapshot).projects]
    files = [
        path
        for path in snapshot.files()
        if file_kind(path) is not None and any(is_within(path, root) for root in roots)
    ]
    if not roots or "" in roots or not files:
        return "", None
    return roots[0] if len(roots) == 1 else "", files


def checked_packages(ctx: Context) -> list[str]:
    """`dvc` plus `[tool.dvcflow.pin] packages`, canonical names, in order."""
    configured = ctx.config.option("pin", "packages")
    names = ["dvc", *(configured if isinstance(configured, list) else [])]
    return list(dict.fromkeys(canonicalize_name(str(n)) for n in names))


def is_plugin(package: str) -> bool:
    """A `dvc-*` distribution (dvc-s3, dvc-gs, dvc-azure, dvc-ssh, dvc-data, ...)."""
    return canonicalize_name(package).startswith("dvc-")


def in_scope(ctx: Context) -> bool:
    """Under --all, on the first commit, or when the commit touches a dependency file."""
    return ctx.memo(in_scope, lambda: _in_scope(ctx))


def check_findings(
    ctx: Context, findings: Callable[[Context, View], list[Finding]]
) -> Iterator[Diagnostic]:
    """A rule's `check()`: its findings on the staged view, when the commit is in scope.

    Here rather than in dvcflow.rules.pin.findings so that a commit out of scope never loads
    `packaging` (pinfindings builds on it).
    """
    if not in_scope(ctx):
        return
    for finding in findings(ctx, "staged"):
        yield finding.diagnostic


def _in_scope(ctx: Context) -> bool:
    if ctx.all_files or not ctx.repo.has_head:
        return True
    if any(is_dependency_file(p) for p in ctx.changed):
        return True
    if not ctx.changed:
        return False
    # A changed file may still be one that a requirements file, setup.cfg `file:` or a conda
    # `pip:` section includes; lock files and pyproject.toml include nothing, so skip them.
    includers = [
        p for p in ctx.staged.files() if file_kind(p) in _INCLUDERS and _may_include(ctx.staged, p)
    ]
    return bool(includers) and bool(ctx.changed & set(collect(ctx.staged, includers).files))


def _may_include(snapshot: Snapshot, path: str) -> bool:
    """False if the file cannot include another (then it need not be parsed to know): no
    include option in its text, read as pip reads it (a UTF-16 requirements.txt), or no text
    at all (a dangling symlink, a binary file: collect() would read nothing from it either)."""
    try:
        if file_kind(path) == "requirements":
            text = read_requirements(snapshot, path).text
        else:
            text = snapshot.read_text(path)
    except (DvcflowError, FileNotFoundError):
        return False
    return bool(_INCLUDE_HINT.search(text.removeprefix("\ufeff")))


def uses_dvc(ctx: Context) -> bool:
    """Whether the repository holds a DVC project (a `.dvc/` folder), or a dvc.yaml or
    dvc.lock that needs one.

    `.dvc` files alone do not count: DVC reads none outside a project, and some repositories
    keep data descriptions in that format for their own tools (owid/etl: 8,000 of them, no
    `.dvc/` folder, no dvc dependency). Files inside a project template
    (`{{cookiecutter.repo_name}}/dvc.yaml`) belong to the projects it generates.
    """
    if any(not is_template(p.root) for p in ctx.projects("staged").projects):
        return True
    return any(
        posixpath.basename(p) in ("dvc.yaml", "dvc.lock") and not is_template(p)
        for p in ctx.staged.files()
    )


def installed_version(package: str) -> str | None:
    """The version installed where the check runs, else beside the `dvc` on PATH (package
    metadata; nothing is imported or run)."""
    from dvcflow.requirements.dists import installed_version as from_metadata
    from dvcflow.requirements.dists import version_beside_command

    return from_metadata(package) or version_beside_command("dvc", package)


# -- status ------------------------------------------------------------------------------------


class PinStatus:
    package: str
    declarations: tuple[Declaration, ...]

    __slots__ = ("declarations", "package")

    def __init__(self, package: str, declarations: tuple[Declaration, ...]) -> None:
        self.package = package
        self.declarations = declarations

    @property
    def declared(self) -> list[Declaration]:
        """Declarations outside lock files."""
        return [d for d in self.declarations if not d.is_lock]

    @property
    def pins(self) -> list[Declaration]:
        return [d for d in self.declarations if d.pinned and d.version]

    @property
    def loosest(self) -> Declaration | None:
        """The loosest declaration outside lock files (first in file order on a tie)."""
        loose = [d for d in self.declared if not d.pinned]
        return min(loose, key=lambda d: d.constraint.looseness) if loose else None

    @property
    def versions(self) -> list[str]:
        """Distinct pinned versions, declarations before lock files."""
        found: list[str] = []
        for pin in sorted(self.pins, key=lambda d: d.is_lock):
            assert pin.version is not None
            if not any(same_version(pin.version, v) for v in found):
                found.append(pin.version)
        return found


def status(decls: Declarations, package: str) -> PinStatus:
    return PinStatus(canonicalize_name(package), tuple(decls.of(package)))


class Conflict:
    """`declaration` disagrees with the pin `other`."""

    declaration: Declaration
    other: Declaration
    kind: Literal["pin", "lock", "range"]

    __slots__ = ("declaration", "kind", "other")

    def __init__(
        self, declaration: Declaration, other: Declaration, kind: Literal["pin", "lock", "range"]
    ) -> None:
        self.declaration = declaration
        self.other = other
        self.kind = kind


def _compatible(a: Declaration, b: Declaration) -> bool:
    """Both apply to some environment: no marker on either, or the same marker."""
    return a.marker is None or b.marker is None or a.marker == b.marker


def _forked_locks(pins: list[Declaration]) -> set[str]:
    """Lock files holding several versions of the package (resolutions split by marker)."""
    versions: dict[str, list[str]] = {}
    for pin in pins:
        if pin.is_lock and pin.version:
            seen = versions.setdefault(pin.path, [])
            if not any(same_version(pin.version, v) for v in seen):
                seen.append(pin.version)
    return {path for path, found in versions.items() if len(found) > 1}


def conflicts(state: PinStatus) -> list[Conflict]:
    """Pins of different versions, lock entries out of date, ranges that exclude the pin.

    Declarations that say the same thing are judged once (a file repeating one line 20,000
    times is read in linear time): a pin's verdict depends only on its version, marker, kind
    and file; a range's on its constraint and marker.
    """
    forked = _forked_locks(state.pins)
    pins = [p for p in state.pins if p.path not in forked]
    found: list[Conflict] = []
    verdicts: dict[tuple[Any, ...], tuple[Declaration, Literal["pin", "lock"]] | None] = {}
    for pin in pins:
        key = (pin.version, pin.marker, pin.is_lock, pin.path)
        if key not in verdicts:
            verdicts[key] = _pin_verdict(pin, _distinct(pins, key))
        verdict = verdicts[key]
        if verdict is not None:
            found.append(Conflict(pin, *verdict))
    reported = {id(c.declaration) for c in found}
    declared_pins = _first_of_each(p for p in pins if not p.is_lock)
    unpinned = [d for d in state.declared if not d.pinned]
    excluding: dict[tuple[Any, ...], Declaration | None] = {}
    for decl in unpinned:
        spec = (decl.constraint, decl.marker)
        if spec not in excluding:
            excluding[spec] = next((p for p in declared_pins if _excludes(decl, p)), None)
        pin_found = excluding[spec]
        if pin_found is not None and id(decl) not in reported:
            found.append(Conflict(decl, pin_found, "range"))
    firsts: dict[tuple[Any, ...], Declaration] = {}
    for decl in unpinned:
        firsts.setdefault((decl.constraint, decl.marker), decl)
    ranges = list(firsts.values())
    stale: dict[tuple[Any, ...], Declaration | None] = {}
    for pin in (p for p in pins if p.is_lock and id(p) not in reported):
        locked = (pin.version, pin.marker)
        if locked not in stale:
            stale[locked] = next((d for d in ranges if _excludes(d, pin)), None)
        decl_found = stale[locked]
        if decl_found is not None:
            found.append(Conflict(pin, decl_found, "lock"))
    return sorted(found, key=lambda c: (c.declaration.path, c.declaration.line))


def _pin_verdict(
    pin: Declaration, pins: list[Declaration]
) -> tuple[Declaration, Literal["pin", "lock"]] | None:
    """The pin `pin` disagrees with (and how), or None."""
    partners = [o for o in pins if _disagree(pin, o)]
    declared = [o for o in partners if not o.is_lock]
    if pin.is_lock:
        # A lock entry must match a pin written for its environments, if there is one.
        written = [o for o in pins if not o.is_lock and _compatible(pin, o)]
        if written and all(_disagree(pin, o) for o in written):
            return _newest(written), "lock"
        if not written and partners and not _is_newest(pin, partners):
            return _newest(partners), "lock"
    elif declared and not _is_newest(pin, declared):
        return _newest(declared), "pin"
    return None


def _distinct(pins: list[Declaration], same_as: tuple[Any, ...]) -> list[Declaration]:
    """The pins, each (version, marker, kind, file) once, in order; `same_as` left out.

    A pin never disagrees with one that says the same thing, so dropping repeats changes no
    verdict and no choice of the first, newest partner.
    """
    return _first_of_each(p for p in pins if (p.version, p.marker, p.is_lock, p.path) != same_as)


def _first_of_each(pins: Iterable[Declaration]) -> list[Declaration]:
    seen: dict[tuple[Any, ...], Declaration] = {}
    for pin in pins:
        seen.setdefault((pin.version, pin.marker, pin.is_lock, pin.path), pin)
    return list(seen.values())


def _excludes(decl: Declaration, pin: Declaration) -> bool:
    """A range declared for the pin's environments does not allow the pinned version."""
    return _compatible(decl, pin) and allows(decl.constraint, pin.version or "") is False


def _disagree(pin: Declaration, other: Declaration) -> bool:
    """Two pins for the same environments with different versions (one lock file excepted)."""
    if other is pin or not _compatible(pin, other) or (other.is_lock and other.path == pin.path):
        return False
    return not same_version(pin.version or "", other.version or "")


def _newest(decls: list[Declaration]) -> Declaration:
    best = newest([d.version or "" for d in decls])
    return next(d for d in decls if same_version(d.version or "", best))


def _is_newest(pin: Declaration, others: list[Declaration]) -> bool:
    best = newest([pin.version or "", *(o.version or "" for o in others)])
    return same_version(pin.version or "", best)


class Suggestion:
    version: str
    reason: str  # "the installed version", "the newest version pinned in the repository"

    __slots__ = ("reason", "version")

    def __init__(self, version: str, reason: str) -> None:
        self.version = version
        self.reason = reason


def suggest(state: PinStatus) -> Suggestion | None:
    """The version a fix should pin: the newest pinned one, else the installed one if allowed."""
    declared_pins = [p.version for p in state.pins if not p.is_lock and p.version]
    if declared_pins:
        return Suggestion(newest(declared_pins), "the newest version pinned in the repository")
    installed = installed_version(state.package)
    if installed is None:
        return None
    if any(allows(d.constraint, installed) is False for d in state.declared):
        return None
    return Suggestion(installed, "the installed version")


# -- what to write -----------------------------------------------------------------------------


def pinned_requirement(decl: Declaration, version: str) -> str:
    """The declaration rewritten to pin `version`, in its own format's syntax."""
    extras = f"[{','.join(decl.extras)}]" if decl.extras else ""
    if decl.source == "poetry":
        return f'{decl.name} = "{version}"'
    if decl.source in ("pipfile", "pixi"):
        return f'{decl.name} = "=={version}"'
    if decl.source == "conda":
        head = decl.raw[: decl.raw.find(decl.name) + len(decl.name)]
        return f"{head}=={version}"
    if decl.url is None and decl.source != "lock":
        rewritten = rewrite_requirement(decl.raw, version)
        if rewritten is not None:
            return rewritten
    marker = f"; {decl.marker}" if decl.marker else ""
    return f"{decl.name}{extras}=={version}{marker}"


def _is_table(decl: Declaration) -> bool:
    """A Poetry/Pipfile entry written as an inline table (`dvc = {version = ...}`)."""
    value = decl.raw.partition("=")[2].strip()
    return decl.source in ("poetry", "pipfile", "pixi") and value.startswith(("{", "["))


def rewrite_requirement(raw: str, version: str) -> str | None:
    """`dvc[s3] >= 3 ; m` -> `dvc[s3]==V ; m`: only the specifier changes; None if unsure."""
    head = _HEAD.match(raw)
    if head is None:
        return None
    rest = raw[head.end() :]
    spec, semicolon, marker = rest.partition(";")
    if "@" in spec:
        return None
    gap = spec[len(spec.rstrip()) :]
    new = f"{head.group(0)}=={version}{gap}{semicolon}{marker}"
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        old_req, new_req = Requirement(raw), Requirement(new)
    except InvalidRequirement:
        return None
    same = (old_req.name, old_req.extras, str(old_req.marker)) == (
        new_req.name,
        new_req.extras,
        str(new_req.marker),
    )
    return new if same and str(new_req.specifier) == f"=={version}" else None


def format_line(decl: Declaration, version: str) -> str:
    """The fix text: change line 12 to `"dvc==3.67.1"`."""
    if _is_table(decl):
        value = version if decl.source == "poetry" else f"=={version}"
        return f'set `version = "{value}"` in the {decl.name} entry on line {decl.line}'
    text = pinned_requirement(decl, version)
    if decl.source in _QUOTED_SOURCES:
        text = f'"{text}"'
    return f"change line {decl.line} to `{text}`" if decl.line else f"write `{text}`"


# -- where a missing pin goes ------------------------------------------------------------------


class MainFile:
    path: str
    line: int
    kind: Literal[
        "requirements", "pep621", "poetry", "pipfile", "pixi", "conda", "setup.cfg", "new"
    ]

    __slots__ = ("kind", "line", "path")

    def __init__(
        self,
        path: str,
        line: int,
        kind: Literal[
            "requirements", "pep621", "poetry", "pipfile", "pixi", "conda", "setup.cfg", "new"
        ],
    ) -> None:
        self.path = path
        self.line = line
        self.kind = kind

    def entry(self, package: str, version: str) -> tuple[str, str]:
        """(the exact text to add for `package==version`, where it goes) in this file."""
        pin = f"{package}=={version}"
        where = {
            "requirements": f"to {self.path}",
            "new": "",
            "pep621": f"to [project].dependencies in {self.path}",
            "poetry": f"under [tool.poetry.dependencies] in {self.path}",
            "pipfile": f"under [packages] in {self.path}",
            "pixi": f"under [dependencies] in {self.path}",
            "conda": f"under dependencies: in {self.path}",
            "setup.cfg": f"to [options] install_requires in {self.path}",
        }[self.kind]
        text = {
            "pep621": f'"{pin}",',
            "poetry": f'{package} = "{version}"',
            "pipfile": f'{package} = "=={version}"',
            "pixi": f'{package} = "=={version}"',
            "conda": f"- {pin}",
        }.get(self.kind, pin)
        return text, where


def main_file(ctx: Context, view: View, decls: Declarations) -> MainFile:
    """Where the project keeps its main dependency list (its top folder's files first)."""
    base = declaration_scope(ctx, view)[0]
    snapshot = ctx.snapshot(view)

    def at(name: str) -> str:
        return posixpath.join(base, name) if base else name

    for name in ("requirements.in", "requirements.txt"):
        if snapshot.is_file(at(name)):
            return MainFile(at(name), 0, "requirements")
    pyproject = _root_toml(snapshot, at("pyproject.toml"))
    if isinstance(_get(pyproject, "project", "dependencies"), list):
        line = _key_line(snapshot, at("pyproject.toml"), "dependencies")
        return MainFile(at("pyproject.toml"), line, "pep621")
    if isinstance(_get(pyproject, "tool", "poetry", "dependencies"), dict):
        return MainFile(at("pyproject.toml"), 0, "poetry")
    if snapshot.is_file(at("Pipfile")):
        return MainFile(at("Pipfile"), 0, "pipfile")
    if snapshot.is_file(at("pixi.toml")):
        return MainFile(at("pixi.toml"), 0, "pixi")
    for name in ("environment.yml", "environment.yaml"):
        if snapshot.is_file(at(name)):
            return MainFile(at(name), 0, "conda")
    if snapshot.is_file(at("setup.cfg")) and any(d.path == at("setup.cfg") for d in decls.items):
        return MainFile(at("setup.cfg"), 0, "setup.cfg")
    requirement_files = [p for p in decls.files if file_kind(p) == "requirements"]
    if requirement_files:
        best = min(requirement_files, key=lambda p: (p.count("/"), "constraints" in p, p))
        return MainFile(best, 0, "requirements")
    return MainFile(at("requirements.txt"), 0, "new")


def _root_toml(snapshot: Snapshot, path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):  # (imported on use, like every TOML reader here)
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(snapshot.read_text(path))
    except (FileNotFoundError, DvcflowError, tomllib.TOMLDecodeError):
        return {}
    return data


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _key_line(snapshot: Snapshot, path: str, key: str) -> int:
    from dvcflow.requirements.tomltext import TomlText

    return TomlText(snapshot.read_text(path)).key_line(("project", key))
