"""pip requirements files, read the way `pip install -r` reads them.

Lines are joined on a trailing backslash and stripped of `#` comments exactly like pip's
`req_file.preprocess`; each logical line keeps the number of its first physical line. Options
(`-r`/`-c` includes, `-e`, `--hash`, index options) are split from the requirement like pip's
`break_args_options`. Includes are followed relative to the including file; a missing file,
a cycle (pip refuses it: "recursively references itself") or a bad line become problems
with their line, never exceptions.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterator

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from dvcflow.errors import DvcflowError
from dvcflow.git.snapshot import Snapshot, normalize
from dvcflow.requirements.encoding import read_requirements
from dvcflow.requirements.model import (
    Constraint,
    Declaration,
    DeclProblem,
    Source,
    exact_constraint,
    from_requirement,
    named_declaration,
    requirement_or_error,
)
from dvcflow.requirements.templates import is_template

_COMMENT = re.compile(r"(^|\s+)#.*$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_EGG = re.compile(r"[#&]egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")

# pip's SUPPORTED_OPTIONS and SUPPORTED_OPTIONS_REQ (pip/_internal/req/req_file.py).
_WITH_VALUE = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--pypi-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-c": "--constraint",
    "--constraint": "--constraint",
    "-r": "--requirement",
    "--requirement": "--requirement",
    "-e": "--editable",
    "--editable": "--editable",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--no-binary": "--no-binary",
    "--only-binary": "--only-binary",
    "--all-releases": "--all-releases",
    "--only-final": "--only-final",
    "--trusted-host": "--trusted-host",
    "--use-feature": "--use-feature",
    "--hash": "--hash",
    "-C": "--config-settings",
    "--config-settings": "--config-settings",
}
_FLAGS = {"--no-index", "--prefer-binary", "--require-hashes", "--no-require-hashes", "--pre"}
_LONG = sorted({*(k for k in _WITH_VALUE if k.startswith("--")), *_FLAGS})


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """pip's join_lines + ignore_comments: (first physical line number, stripped text)."""
    primary = 0
    parts: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.endswith("\\") or _COMMENT.match(line):
            if _COMMENT.match(line):
                line = " " + line
            if parts:
                parts.append(line)
                yield from _strip(primary, "".join(parts))
                parts = []
            else:
                yield from _strip(number, line)
        else:
            if not parts:
                primary = number
            parts.append(line.strip("\\"))
    if parts:
        yield from _strip(primary, "".join(parts))


def _strip(number: int, line: str) -> Iterator[tuple[int, str]]:
    line = _COMMENT.sub("", line).strip()
    if line:
        yield number, line


def break_args_options(line: str) -> tuple[str, str]:
    """pip's split: the requirement is every space-separated token before the first `-...`."""
    tokens = line.split(" ")
    args: list[str] = []
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(args), " ".join(tokens[index:])
        args.append(token)
    return " ".join(args), ""


class Include:
    line: int
    target: str  # as written
    constraint: bool  # -c rather than -r

    __slots__ = ("constraint", "line", "target")

    def __init__(self, line: int, target: str, constraint: bool) -> None:
        self.line = line
        self.target = target
        self.constraint = constraint


class ParsedFile:
    """One requirements file's own lines (includes are not followed here)."""

    def __init__(self) -> None:
        self.declarations: list[Declaration] = []
        self.includes: list[Include] = []
        self.problems: list[DeclProblem] = []


def parse_options(options: str) -> tuple[list[tuple[str, str | None]], str | None]:
    """pip's optparse over the options part: [(long option, value)], or an error message."""
    try:
        tokens = shlex.split(options)
    except ValueError:
        return [], f"cannot split options `{options}` (unbalanced quotes?)"
    found: list[tuple[str, str | None]] = []
    pos = 0
    while pos < len(tokens):
        token = tokens[pos]
        name, value = _option_name(token)
        if name is None:
            return found, f"pip does not accept `{token}` in a requirements file"
        if name in _FLAGS:
            found.append((name, None))
        elif value is None:
            if pos + 1 >= len(tokens):
                return found, f"`{token}` needs a value"
            pos += 1
            value = tokens[pos]
            rest = tokens[pos + 1 : pos + 3]
            if name == "--editable" and len(rest) == 2 and rest[0] == "@":
                value, pos = f"{value} @ {rest[1]}", pos + 2  # uv's `-e name @ path`
            found.append((name, value))
        else:
            found.append((name, value))
        pos += 1
    return found, None


def _option_name(token: str) -> tuple[str | None, str | None]:
    """(canonical long option, attached value) like optparse, abbreviations included."""
    if token.startswith("--"):
        name, eq, value = token.partition("=")
        matches = [o for o in _LONG if o == name] or [o for o in _LONG if o.startswith(name)]
        if len(matches) != 1:
            return None, None
        canonical = _WITH_VALUE.get(matches[0], matches[0])
        return canonical, (value if eq else None)
    if token.startswith("-") and len(token) >= 2 and token[:2] in _WITH_VALUE:
        return _WITH_VALUE[token[:2]], (token[2:] or None)
    return None, None


def parse_lines(
    text: str,
    path: str,
    *,
    source: Source = "requirements",
    section: str = "line",
    line_map: list[int] | None = None,
) -> ParsedFile:
    """Every logical line of one requirements text; `line_map` maps its lines to the file's."""
    result = ParsedFile()
    for number, line in logical_lines(text):
        real = line_map[number - 1] if line_map else number
        _parse_line(line, path, real, source, section, result)
    return result


def _parse_line(
    line: str, path: str, number: int, source: Source, section: str, result: ParsedFile
) -> None:
    args, options = break_args_options(line)
    args = args.strip()
    parsed_options, error = parse_options(options)
    if error:
        result.problems.append(DeclProblem(path, number, 1, error))
        return
    if args:
        _requirement(args, path, number, source, section, result)
        return
    for name, value in parsed_options:
        if name in ("--requirement", "--constraint") and value:
            result.includes.append(Include(number, value, name == "--constraint"))
            return
        if name == "--editable" and value:
            declaration = _editable(value, path, number, source, section)
            if declaration is not None:
                result.declarations.append(declaration)
            return


def _requirement(
    args: str, path: str, number: int, source: Source, section: str, result: ParsedFile
) -> None:
    parsed = requirement_or_error(args)
    if not isinstance(parsed, str):
        result.declarations.append(
            from_requirement(
                parsed, path=path, line=number, column=1, raw=args, source=source, section=section
            )
        )
        return
    if "${" in args:
        declaration = _templated(args, path, number, source, section)
        if declaration is not None:
            result.declarations.append(declaration)
            return
    if _looks_like_link(args):
        declaration = _link(args, path, number, source, section, editable=False)
        if declaration is not None:
            result.declarations.append(declaration)
        return
    shown = args if args.isprintable() else args.encode("unicode_escape").decode("ascii")
    if args.startswith("\ufeff"):  # pip removes one byte-order mark, not a second
        parsed = f"the file starts with a second byte-order mark, which pip keeps; {parsed}"
    result.problems.append(DeclProblem(path, number, 1, f"invalid requirement `{shown}`: {parsed}"))


def _editable(
    value: str, path: str, number: int, source: Source, section: str
) -> Declaration | None:
    """`-e ./path`, `-e git+url#egg=name`, or uv's `-e name @ ./path` (a PEP 508 direct URL)."""
    if " @ " in value:
        parsed = requirement_or_error(value)
        if not isinstance(parsed, str):
            return from_requirement(
                parsed, path=path, line=number, column=1, raw=value, source=source, section=section
            )
    return _link(value, path, number, source, section, editable=True)


def _looks_like_link(text: str) -> bool:
    head = text.split(";", 1)[0].strip()
    return bool(_SCHEME.match(head)) or "/" in head or "\\" in head or head.startswith(".")


def _link(
    text: str, path: str, number: int, source: Source, section: str, *, editable: bool
) -> Declaration | None:
    """A URL or path install: named by `#egg=` or a wheel/sdist file name, else unknown."""
    url = text.split("; ", 1)[0].strip()
    marker = text.split("; ", 1)[1].strip() if "; " in text else None
    egg = _EGG.search(url)
    base = posixpath.basename(url.split("#", 1)[0].split("?", 1)[0])
    name: str | None = egg[1] if egg else None
    constraint = Constraint("", False, None, None)
    if not editable and egg is None:
        try:
            wheel_name, wheel_version, _, _ = parse_wheel_filename(base)
            name, constraint = str(wheel_name), exact_constraint(str(wheel_version))
        except InvalidWheelFilename:
            try:
                sdist_name, sdist_version = parse_sdist_filename(base)
                name, constraint = str(sdist_name), exact_constraint(str(sdist_version))
            except InvalidSdistFilename:
                pass
    if name is None:
        return None
    return _line_declaration(text, path, number, source, section, name, constraint, marker, url)


def _templated(
    text: str, path: str, number: int, source: Source, section: str
) -> Declaration | None:
    """`dvc==${DVC_VERSION}`: pip fills it from the environment, so the repo pins nothing."""
    match = _NAME.match(text)
    if match is None or "${" in match[1]:
        return None
    constraint = Constraint(text[match.end() :].strip(), False, None, None)
    return _line_declaration(text, path, number, source, section, match[1], constraint)


def _line_declaration(
    text: str,
    path: str,
    number: int,
    source: Source,
    section: str,
    name: str,
    constraint: Constraint,
    marker: str | None = None,
    url: str | None = None,
) -> Declaration:
    """A declaration written as the whole requirements line `text` (at column 1)."""
    return named_declaration(
        name,
        constraint,
        path=path,
        line=number,
        column=1,
        raw=text,
        source=source,
        section=section,
        marker=marker,
        url=url,
    )


# -- include graph -----------------------------------------------------------------------------


class RequirementsGraph:
    """Requirements files reached from some roots through `-r`/`-c`, each parsed once."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.parsed: dict[str, ParsedFile] = {}
        self.problems: list[DeclProblem] = []
        self.templates: list[str] = []  # files holding template markers
        self._seen_problems: set[tuple[str, int, str]] = set()
        self._done: set[str] = set()

    def walk(self, root: str) -> None:
        """Parse a requirements file and, recursively, every file it includes."""
        self._visit(normalize(root), [])

    def follow(self, path: str, include: Include) -> None:
        """Follow an include written in another kind of file (setup.cfg `file:`, conda pip:)."""
        self._follow(path, include, [path])

    def add_problem(self, problem: DeclProblem) -> None:
        key = (problem.path, problem.line, problem.message)
        if key not in self._seen_problems:
            self._seen_problems.add(key)
            self.problems.append(problem)

    def _visit(self, path: str, stack: list[str]) -> None:
        parsed = self._parse(path)
        if parsed is None or path in self._done:
            return
        for include in parsed.includes:
            self._follow(path, include, [*stack, path])
        self._done.add(path)

    def _follow(self, path: str, include: Include, stack: list[str]) -> None:
        target = include.target
        flag = "-c" if include.constraint else "-r"
        if _SCHEME.match(target) or target.startswith("/"):
            return  # a URL or an absolute path: outside what the repository can show
        resolved = normalize(posixpath.join(posixpath.dirname(path), target))
        if resolved == ".." or resolved.startswith("../"):
            return
        if resolved in stack:
            chain = " -> ".join([*stack[stack.index(resolved) :], resolved])
            self.add_problem(
                DeclProblem(
                    path,
                    include.line,
                    1,
                    f"`{flag} {target}` includes a file that includes this one again ({chain}); "
                    "pip stops with 'recursively references itself'",
                )
            )
            return
        if not self.snapshot.is_file(resolved):
            self.add_problem(
                DeclProblem(
                    path,
                    include.line,
                    1,
                    f"`{flag} {target}` names {resolved}, which does not exist, so "
                    "`pip install -r` fails",
                )
            )
            return
        self._visit(resolved, stack)

    def _parse(self, path: str) -> ParsedFile | None:
        if path not in self.parsed:
            try:
                text = read_requirements(self.snapshot, path).text
            except FileNotFoundError:
                return None
            except DvcflowError as exc:
                self.add_problem(
                    DeclProblem(
                        path, exc.line, 1, f"{path} cannot be read: {exc.message}", whole_file=True
                    )
                )
                self.parsed[path] = ParsedFile()
                return None
            if is_template(text):
                self.templates.append(path)
                self.parsed[path] = ParsedFile()  # a template: nothing declared yet
                return self.parsed[path]
            parsed = parse_lines(text, path)  # pip's decoding removed one byte-order mark
            self.parsed[path] = parsed
            for problem in parsed.problems:
                self.add_problem(problem)
        return self.parsed[path]

    def declarations(self) -> list[Declaration]:
        return [d for path in sorted(self.parsed) for d in self.parsed[path].declarations]
