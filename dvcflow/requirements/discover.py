"""Every dependency declaration in a snapshot of the repository, in every format projects use.

Files read (anywhere in the repository):

- `*requirements*.txt|in` (`requirements-dev.txt`, `test-requirements.txt`),
  `requirements/*.txt|in`, `constraints*.txt`, rye's `requirements*.lock`, and every file
  they include with `-r`/`-c` (pip's syntax, see `dvcflow.requirements.requirements_txt`);
- `pyproject.toml`: PEP 621 dependencies and optional-dependencies, PEP 735
  `[dependency-groups]`, Poetry dependencies and groups, `[tool.uv]` and `[tool.pdm]`
  dev-dependencies;
- `setup.cfg` `install_requires`/`extras_require` (including `file:`), `setup.py` literal
  `install_requires`/`extras_require` (read with `ast`, never run), `Pipfile`,
  `environment*.yml` (conda specs and the `pip:` section), `pixi.toml` and `[tool.pixi]`;
- lock files, which pin by construction: `poetry.lock`, `uv.lock`, `pdm.lock`, PEP 751
  `pylock.toml`, `Pipfile.lock`, `conda-lock.yml`, `pixi.lock`.

Template files (Jinja / cookiecutter markers in the path or the text) are skipped: they are not
this repository's dependencies. `collect(snapshot)` reads them once and returns a
`Declarations`: one `Declaration` per place a package is named, and a `DeclProblem` (file, line,
message) for anything that cannot be read.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot
from dvcflow.requirements.templates import is_template

if TYPE_CHECKING:  # the parsers (and `packaging`) load when a file is read, not to name one
    from dvcflow.requirements.model import Declaration, DeclProblem
    from dvcflow.requirements.result import FileResult

_REQUIREMENTS = re.compile(
    r"^(.*requirements.*\.(txt|in)|requirements.*\.lock|constraints.*\.txt)$", re.IGNORECASE
)
_PYLOCK = re.compile(r"^pylock\.([^./]+\.)?toml$")
_ENVIRONMENT = re.compile(r"^environment([-_.][^/]*)?\.ya?ml$")
_CONDA_LOCK = re.compile(r"^(.*\.)?conda-lock\.ya?ml$")
_TOML_LOCKS = {"poetry.lock", "uv.lock", "pdm.lock"}
_FIXED_NAMES = {
    "pyproject.toml": "pyproject",
    "Pipfile": "pipfile",
    "Pipfile.lock": "pipfile-lock",
    "setup.cfg": "setup.cfg",
    "setup.py": "setup.py",
    "pixi.toml": "pixi",
    "pixi.lock": "pixi-lock",
}
_SKIPPED_DIRS = {"node_modules", "site-packages", ".venv", "venv", ".tox", ".nox", ".git"}

LOCK_COMMANDS = {
    "poetry.lock": "poetry lock",
    "uv.lock": "uv lock",
    "pdm.lock": "pdm lock",
    "Pipfile.lock": "pipenv lock",
    "pixi.lock": "pixi lock",
}


def file_kind(path: str) -> str | None:
    """Which parser reads this repo-relative path, or None for a file that declares nothing.

    Files in template folders (`{{cookiecutter.repo_name}}/...`) declare nothing: they are
    the text a generator fills in, not this repository's dependencies.
    """
    parts = path.split("/")
    if any(part in _SKIPPED_DIRS for part in parts[:-1]) or is_template(path):
        return None
    base = parts[-1]
    parent = parts[-2] if len(parts) > 1 else ""
    if base in _FIXED_NAMES:
        return _FIXED_NAMES[base]
    if base in _TOML_LOCKS or _PYLOCK.match(base):
        return "toml-lock"
    if _CONDA_LOCK.match(base):
        return "conda-lock"
    if _ENVIRONMENT.match(base):
        return "environment"
    if _REQUIREMENTS.match(base) or (
        parent == "requirements" and base.lower().endswith((".txt", ".in"))
    ):
        return "requirements"
    return None


def is_dependency_file(path: str) -> bool:
    return file_kind(path) is not None


def lock_command(path: str) -> str:
    """The command that regenerates a lock file (`poetry lock`, `conda-lock`, ...)."""
    base = posixpath.basename(path)
    if _PYLOCK.match(base):
        return f"pip lock -o {base} <requirements>"
    return LOCK_COMMANDS.get(base, "conda-lock")


class Declarations:
    """What a snapshot declares: every declaration, every problem, every file read."""

    def __init__(self) -> None:
        self.items: list[Declaration] = []
        self.problems: list[DeclProblem] = []
        self.files: list[str] = []
        # Files whose dependencies are not known until run or generated: a setup.py computing its
        # list, a template (`dvc=={{ cookiecutter.dvc_version }}`).
        self.opaque: list[str] = []

    def of(self, package: str) -> list[Declaration]:
        from packaging.utils import canonicalize_name

        wanted = canonicalize_name(package)
        return [d for d in self.items if d.package == wanted]

    @property
    def unreadable(self) -> list[str]:
        """Files nothing could be read from (bad TOML/YAML/JSON/INI, binary, too large)."""
        return sorted({p.path for p in self.problems if p.whole_file})


def collect(snapshot: Snapshot, paths: Iterable[str] | None = None) -> Declarations:
    """Read every dependency file of the snapshot (or of `paths`) and what they include."""
    from dvcflow.requirements.requirements_txt import RequirementsGraph

    graph = RequirementsGraph(snapshot)
    result = Declarations()
    candidates = snapshot.files() if paths is None else sorted(paths)
    for path in candidates:
        kind = file_kind(path)
        if kind is None:
            continue
        if kind == "requirements":
            graph.walk(path)
            continue
        parsed = _parse(snapshot, path, kind)
        if parsed is None:
            continue
        result.files.append(path)
        result.items.extend(parsed.declarations)
        result.problems.extend(parsed.problems)
        if parsed.opaque:
            result.opaque.append(path)
        for include in parsed.includes:
            graph.follow(path, include)
    result.files = sorted({*result.files, *graph.parsed})
    result.opaque = sorted({*result.opaque, *graph.templates})
    result.items = sorted([*result.items, *graph.declarations()], key=_order)
    result.problems = sorted(
        [*result.problems, *graph.problems], key=lambda p: (p.path, p.line, p.message)
    )
    return result


def _order(declaration: Declaration) -> tuple[str, int, int, str]:
    return (declaration.path, declaration.line, declaration.column, declaration.package)


def _parse(snapshot: Snapshot, path: str, kind: str) -> FileResult | None:
    from dvcflow.requirements.parsers import PARSERS, TOML_PARSERS
    from dvcflow.requirements.result import FileResult, toml_loads

    try:
        text = snapshot.read_text(path)
    except FileNotFoundError:
        return None
    except DvcflowError as exc:
        result = FileResult()
        result.problem(path, exc.line, f"{path} cannot be read: {exc.message}", whole_file=True)
        return result
    if is_template(text):
        return FileResult(opaque=True)  # a template: what it will declare is not known yet
    text = text.removeprefix("\ufeff")
    try:
        if kind in TOML_PARSERS:  # parsed once per run: dvcflow's config reads pyproject.toml too
            return TOML_PARSERS[kind](text, path, lambda t: snapshot.parsed_text(t, toml_loads))
        return PARSERS[kind](text, path)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        # A shape no parser expected: a finding naming the file beats a traceback.
        result = FileResult()
        result.problem(
            path, 0, f"{path} cannot be read: unexpected content ({exc!r})", whole_file=True
        )
        return result
