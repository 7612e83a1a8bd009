"""R read statically: the files a script loads with `source()` / `sys.source()`, the documents it
renders (`rmarkdown::render`, `quarto::quarto_render`, `knitr::knit`, piped or not), and the
files an `Rscript -e` expression renders or sources.

R resolves a relative path against its working directory (the stage's `wdir`), not against the
script's folder; `source(f, chdir = TRUE)` runs `f` from its own folder. The path may be a
literal, `file.path(...)` or `here::here(...)` of literals (`here` starts at the project root:
the first folder up from the working directory with a `.here`, an `.Rproj` or a `DESCRIPTION`
file, else the repository root), and `walk(list.files("R", "\\.R$"), source)`-style calls
(`lapply`, `sapply`, `purrr::walk`, `map`, a `for` loop) load every file `list.files` matches.
`library()` of a local package is not followed.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from dvcflow.scripts.python import repo_join

_SOURCE_CALL = re.compile(r"(?<![\w.$@])(?:base::)?(?:sys\.)?source\s*\(")
_LIST_FILES = re.compile(r"(?<![\w.$@])(?:base::)?(?:list\.files|dir)\s*\(")
_SOURCE_AS_VALUE = re.compile(r"(?<![\w.$@])(?:base::)?source\b(?!\s*\()|\bsource\s*\(\s*\w+\s*\)")
_RENDER_CALL = re.compile(
    r"(?<![\w.$@])(?:rmarkdown::|quarto::|knitr::)?(?:render|quarto_render|knit)\s*\("
)
_PIPED = re.compile(
    r"""(?P<expr>(?:here::)?(?:here|file\.path)\s*\([^()]*\)|"[^"\n]*"|'[^'\n]*')"""
    r"\s*(?:%>%|\|>)\s*\Z"
)
_STRING = re.compile(r"""^(?P<q>["'])(?P<value>(?:\\.|(?!(?P=q)).)*)(?P=q)$""", re.DOTALL)
_TRUE = frozenset({"TRUE", "T"})
_SPECIAL = re.compile(r"[\"'`()\[\]{},]")  # what `_call_args` acts on
_MAX_CALL = 1000  # characters read for one call's arguments: longer is not a path we can use
_MAX_LINES = 40  # lines a statement may continue over


class RFiles:
    """What R path expressions need of the snapshot."""

    is_file: Callable[[str], bool]
    files_under: Callable[[str], list[str]]

    __slots__ = ("files_under", "is_file")

    def __init__(
        self, is_file: Callable[[str], bool], files_under: Callable[[str], list[str]]
    ) -> None:
        self.is_file = is_file
        self.files_under = files_under


class Sourced(NamedTuple):
    path: str  # repo-relative
    cwd: str  # the working directory while it runs (its folder under `chdir = TRUE`)


def sourced_files(text: str, cwd: str, files: RFiles) -> Iterator[Sourced]:
    """The files an R source loads with `source()` / `sys.source()` when run from `cwd`."""
    return _sourced(strip_comments(text), cwd, files)


def rendered_files(text: str, cwd: str, files: RFiles) -> Iterator[str]:
    """Documents an R source renders: `rmarkdown::render(x)`, `quarto::quarto_render(x)`,
    `knitr::knit(x)`, with `x` a literal, `file.path()` or `here()`, or piped into the call
    (`here("r.qmd") %>% quarto_render()`)."""
    return _rendered(strip_comments(text), cwd, files)


def loaded_files(text: str, cwd: str, files: RFiles) -> tuple[list[Sourced], list[str]]:
    """`sourced_files` and `rendered_files` of one R source, its comments stripped once."""
    code = strip_comments(text)
    return list(_sourced(code, cwd, files)), list(_rendered(code, cwd, files))


def _sourced(code: str, cwd: str, files: RFiles) -> Iterator[Sourced]:
    for match in _calls(_SOURCE_CALL, code):
        args = _call_args(code, match.end())
        first = _argument(args, 0, "file")
        path = _path(first, cwd, files) if first is not None else None
        if path is not None and files.is_file(path):
            chdir = (_named(args, "chdir") or "").strip() in _TRUE
            yield Sourced(path, posixpath.dirname(path) if chdir else cwd)
    for match in _calls(_LIST_FILES, code):
        statement = _statement(code, match.start())
        if _SOURCE_AS_VALUE.search(statement.replace(match.group(0), "", 1)):
            args = _call_args(code, match.end())
            for path in _listed(args, cwd, files):
                yield Sourced(path, cwd)


def _rendered(code: str, cwd: str, files: RFiles) -> Iterator[str]:
    for match in _calls(_RENDER_CALL, code):
        piped = _PIPED.search(code, max(0, match.start() - 500), match.start())
        if piped is not None:
            expr: str | None = piped["expr"]
        else:
            expr = _argument(_call_args(code, match.end()), 0, "input")
        path = _path(expr, cwd, files) if expr is not None else None
        if path is not None and files.is_file(path):
            yield path


def expression_files(expression: str) -> list[str]:
    """Literal paths an `Rscript -e` expression sources or renders (`rmarkdown::render('x.Rmd')`,
    `quarto::quarto_render("x.qmd")`, `knitr::knit(...)`, `source("x.R")`), relative to cwd."""
    code = strip_comments(expression)
    found: list[str] = []
    for pattern, name in ((_RENDER_CALL, "input"), (_SOURCE_CALL, "file")):
        for match in _calls(pattern, code):
            first = _argument(_call_args(code, match.end()), 0, name)
            literal = _string(first) if first is not None else None
            if literal:
                found.append(literal)
    return found


def strip_comments(text: str) -> str:
    """R code without `#` comments (a `#` inside a string stays)."""
    if "#" not in text:
        return text
    return _STRING_OR_COMMENT.sub(_kept, text)


def _kept(match: re.Match[str]) -> str:
    return match[1] or ""  # code and strings (group 1) stay, a comment goes


def _quoted(q: str) -> str:
    """A string in quote `q` up to its closing quote or the end (a backslash escapes a char)."""
    return rf"{q}[^{q}\\]*(?:\\[\s\S]?[^{q}\\]*)*(?:{q}|\Z)"


# Scanned left to right: runs of code and whole strings are kept (group 1, one match up to the
# next comment), comments (to the line's end) dropped.
_STRING_OR_COMMENT = re.compile(
    "((?:[^\"'`#]+|" + "|".join([_quoted('"'), _quoted("'"), _quoted("`")]) + r")+)|#[^\n]*"
)


# -- finding calls -----------------------------------------------------------------------------
def _calls(pattern: re.Pattern[str], code: str) -> Iterator[re.Match[str]]:
    """`pattern.finditer(code)`, with the regex tried only where a match can start: up to
    `back` characters before one of the pattern's keywords (found with `str.find`; every match
    holds one), left to right, as finditer would."""
    keywords, back = _KEYWORDS[pattern]
    starts: set[int] = set()
    for keyword in keywords:
        at = code.find(keyword)
        while at != -1:
            starts.update(range(max(0, at - back), at + 1))
            at = code.find(keyword, at + 1)
    done = 0
    for start in sorted(starts):
        if start >= done:
            match = pattern.match(code, start)
            if match is not None:
                yield match
                done = match.end()


# pattern -> (words every match holds, how far before one a match may start)
_KEYWORDS: dict[re.Pattern[str], tuple[tuple[str, ...], int]] = {
    _SOURCE_CALL: (("source",), len("base::sys.")),
    _LIST_FILES: (("list.files", "dir"), len("base::")),
    _RENDER_CALL: (("render", "knit"), len("rmarkdown::quarto_")),
}


# -- calls -------------------------------------------------------------------------------------
def _call_args(code: str, start: int) -> list[str]:
    """The top-level arguments of the call whose `(` ends just before `start`."""
    args: list[str] = []
    depth, quote, begin = 0, "", start
    for special in _SPECIAL.finditer(code, start, min(len(code), start + _MAX_CALL)):
        char, at = special.group(), special.start()
        if quote:
            if char == quote and not _escaped(code, at):
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                args.append(code[begin:at].strip())
                return [a for a in args if a]
            depth -= 1
        elif char == "," and depth == 0:
            args.append(code[begin:at].strip())
            begin = at + 1
    return []  # unbalanced: not a call we can read


def _escaped(code: str, at: int) -> bool:
    """An odd number of backslashes before `at`."""
    count = 0
    while at > count and code[at - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _statement(code: str, at: int) -> str:
    """The line holding `at`, with the lines its open brackets continue onto."""
    begin = code.rfind("\n", 0, at) + 1
    end = code.find("\n", at)
    for _ in range(_MAX_LINES):
        if end == -1 or _opened(code, begin, end) <= 0:
            break
        end = code.find("\n", end + 1)
    return code[begin : len(code) if end == -1 else end]


def _opened(code: str, begin: int, end: int) -> int:
    opening = code.count("(", begin, end) + code.count("{", begin, end)
    return opening - code.count(")", begin, end) - code.count("}", begin, end)


def _named(args: list[str], name: str) -> str | None:
    for arg in args:
        key, sep, value = arg.partition("=")
        if sep and key.strip() == name and not value.startswith("="):
            return value.strip()
    return None


def _argument(args: list[str], position: int, name: str) -> str | None:
    """An argument by name, else the `position`-th unnamed one (R's matching, simplified)."""
    named = _named(args, name)
    if named is not None:
        return named
    unnamed = [a for a in args if not re.match(r"^[\w.]+\s*=(?!=)", a)]
    return unnamed[position] if position < len(unnamed) else None


def _string(expr: str) -> str | None:
    match = _STRING.match(expr.strip())
    return match["value"] if match else None


# -- paths -------------------------------------------------------------------------------------
def _path(expr: str, cwd: str, files: RFiles) -> str | None:
    """A repo-relative path for a literal, `file.path()` or `here::here()` expression."""
    expr = expr.strip()
    literal = _string(expr)
    if literal is not None:
        return _inside(cwd, literal)
    call = re.match(r"^(?:here::)?(here|file\.path)\s*\(", expr)
    if call is None:
        return None
    parts = [_string(a) for a in _call_args(expr, call.end())]
    if any(p is None for p in parts) or (not parts and call[1] == "file.path"):
        return None
    joined = "/".join(p for p in parts if p)
    if call[1] == "here":
        return _inside(_here_root(cwd, files), joined or ".")
    return _inside(cwd, joined)


def _inside(folder: str, path: str) -> str | None:
    if not path or path.startswith(("/", "~")) or "$" in path:
        return None
    joined = repo_join(folder, path)
    return None if joined == ".." or joined.startswith("../") else joined


def _here_root(cwd: str, files: RFiles) -> str:
    """The folder `here::here()` starts from: up from `cwd` to a `.here`, `*.Rproj` or
    `DESCRIPTION`; the repository root (a VCS root) otherwise."""
    folder = cwd
    while folder:
        if files.is_file(repo_join(folder, ".here")) or files.is_file(
            repo_join(folder, "DESCRIPTION")
        ):
            return folder
        prefix = f"{folder}/"
        if any(
            "/" not in f[len(prefix) :] and f.endswith(".Rproj") for f in files.files_under(folder)
        ):
            return folder
        folder = posixpath.dirname(folder)
    return ""


def _listed(args: list[str], cwd: str, files: RFiles) -> list[str]:
    """The files `list.files(path, pattern, recursive = ...)` returns from the snapshot."""
    path_expr = _argument(args, 0, "path")
    folder = _path(path_expr, cwd, files) if path_expr is not None else cwd
    if folder is None:
        return []
    pattern_expr = _argument(args, 1, "pattern")
    pattern = _string(pattern_expr) if pattern_expr is not None else None
    if pattern_expr is not None and pattern is None:
        return []
    try:
        regex = re.compile(pattern.replace("\\\\", "\\")) if pattern else None
    except re.error:
        return []
    recursive = (_named(args, "recursive") or "").strip() in _TRUE
    prefix = f"{folder}/" if folder else ""
    found = []
    for path in files.files_under(folder):
        name = path[len(prefix) :]
        if "/" in name and not recursive:
            continue
        if regex is None or regex.search(posixpath.basename(name)):
            found.append(path)
    return found
