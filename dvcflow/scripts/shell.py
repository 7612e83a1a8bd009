"""Shell splitting: a command line into simple commands, as a POSIX shell would (never run).

DVC runs each line of a string `cmd` (and each item of a list `cmd`) in its own shell, so a
`cd` or `export` lasts until the end of its line. Each line is split into simple commands on
`&&`, `||`, `;`, `|`, `&` and parentheses; comments are dropped, `$(pwd)`-like substitutions
become `.`, and the folder is tracked through `cd`, `pushd`/`popd` and subshells. The
helpers at the end skip options the way the wrappers and runners need.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable
from typing import Any

REPO = "//repo/"  # marks a token already resolved to a repo-relative path
_OPERATOR_CHARS = ";&|()<>"
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_UNKNOWN = ("$", "*", "?", "~", "{", "`")
_PWD_VAR = re.compile(r"\$\{PWD\}|\$PWD(?!\w)")
_SHELL_SPECIAL = re.compile(r"[#$`'\"\\]")  # what preprocess acts on
_TOKEN_SPECIAL = re.compile(r"[;&|()<>'\"\\]")  # what makes shlex do more than split words
_SHLEX_BLANKS = re.compile(r"[ \t\r\n]+")  # shlex's whitespace
_PWD_SUBST = re.compile(r"^\s*pwd\s*$")
_DIRNAME_SUBST = re.compile(r'^\s*dirname\s+"?(\$0|\$\{0\}|\$\{?BASH_SOURCE(\[0\])?\}?)"?\s*$')
KEYWORDS = frozenset({"!", "{", "}", "then", "do", "else", "elif", "if", "while", "until"})
SKIPPED_COMPOUNDS = frozenset({"for", "case", "select", "function", "esac", "done", "fi", "in"})


class Shell:
    """What lasts between the simple commands of one shell: folder and exported variables."""

    def __init__(self, cwd: str | None, env: dict[str, str] | None = None) -> None:
        self.cwd = cwd  # None once a `cd` goes somewhere that cannot be known statically
        self.env: dict[str, str] = {} if env is None else env
        self.dirs: list[str | None] = []  # pushd stack


class Command:
    """One simple command: its words, its stdin redirection, and its environment."""

    def __init__(
        self, words: list[str], stdin: str | None, env: dict[str, str], cwd: str | None
    ) -> None:
        self.words = words
        self.stdin = stdin
        self.env = env
        self.cwd = cwd

    def replace(self, **changes: Any) -> Command:
        """A copy with some fields changed (dataclasses.replace's contract)."""
        return Command(**{**vars(self), **changes})


# -- tokenizing --------------------------------------------------------------------------------
def logical_lines(text: str) -> list[str]:
    """A script's lines with backslash-newline continuations joined."""
    return re.sub(r"\\\r?\n", " ", text).splitlines()


def preprocess(line: str, script_dir: str | None) -> str:
    """Drop comments; replace `$(pwd)`-like substitutions by `.`, others by `$_`."""
    if not _SHELL_SPECIAL.search(line):
        return line  # no comment, quote, escape or substitution: nothing to do
    out: list[str] = []
    i, quote, n = 0, "", len(line)
    while i < n:
        char = line[i]
        if quote == "'":
            quote = "" if char == "'" else quote
            out.append(char)
            i += 1
            continue
        if char == "\\" and i + 1 < n:
            out.append(line[i : i + 2])
            i += 2
            continue
        if char == "#" and not quote and (i == 0 or line[i - 1] in " \t;&|()<>"):
            break
        if line.startswith("$(", i) or char == "`":
            end = _substitution_end(line, i)
            out.append(_substitute(line[i + (1 if char == "`" else 2) : end], script_dir))
            i = end + 1
            continue
        pwd = _PWD_VAR.match(line, i)
        if pwd:
            out.append(".")
            i = pwd.end()
        else:
            if char in "'\"":
                quote = "" if quote == char else (quote or char)
            out.append(char)
            i += 1
    return "".join(out)


def _substitution_end(line: str, start: int) -> int:
    """Index of the `)` or backtick closing the substitution at `start` (or the line's end)."""
    if line[start] == "`":
        end = line.find("`", start + 1)
        return end if end != -1 else len(line)
    depth = 0
    for index in range(start + 1, len(line)):
        if line[index] == "(":
            depth += 1
        elif line[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return len(line)


def _substitute(inner: str, script_dir: str | None) -> str:
    if _PWD_SUBST.match(inner):
        return "."
    if script_dir is not None and _DIRNAME_SUBST.match(inner):
        return REPO + (script_dir or ".")
    return "$_"


def _tokens(line: str) -> list[str]:
    if not _TOKEN_SPECIAL.search(line):  # plain words: what shlex returns, without its cost
        return [word for word in _SHLEX_BLANKS.split(line) if word]
    lexer = shlex.shlex(line, posix=True, punctuation_chars=_OPERATOR_CHARS)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes: fall back to whitespace words
        return line.split()


def _is_operator(token: str) -> bool:
    return bool(token) and all(c in _OPERATOR_CHARS for c in token)


def simple_commands(line: str, shell: Shell) -> Iterable[Command]:
    """Split a line into simple commands; the shell's folder is tracked through subshells."""
    tokens = _tokens(line)
    words: list[str] = []
    stdin: str | None = None
    saved: list[tuple[str | None, dict[str, str]]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not _is_operator(token):
            words.append(token)
            i += 1
            continue
        if "<" in token or ">" in token:
            if words and words[-1].isdigit():
                words.pop()  # the file descriptor of `2>`
            target = tokens[i + 1] if i + 1 < len(tokens) else None
            if token == "<" and target is not None:
                stdin = target
            i += 2 if target is not None and not _is_operator(target) else 1
            continue
        if words:
            yield Command(words, stdin, dict(shell.env), shell.cwd)
        words, stdin = [], None
        if token == "(":
            saved.append((shell.cwd, dict(shell.env)))
        elif token == ")" and saved:
            shell.cwd, shell.env = saved.pop()
        i += 1
    if words:
        yield Command(words, stdin, dict(shell.env), shell.cwd)


def strip_keywords(words: list[str]) -> list[str]:
    while words and words[0] in KEYWORDS:
        words = words[1:]
    return words


# -- paths -------------------------------------------------------------------------------------
def normalize(path: str) -> str:
    norm = posixpath.normpath(path)
    return "" if norm == "." else norm


def join(cwd: str | None, token: str) -> str | None:
    """A folder or file token joined to the current folder; None if unknown or outside."""
    if cwd is None or not token or token.startswith(_UNKNOWN) or "$" in token:
        return None
    if token.startswith(REPO):
        return normalize(token[len(REPO) :])
    if token.startswith("/"):
        return None
    joined = normalize(posixpath.join(cwd, token))
    return None if joined == ".." or joined.startswith("../") else joined


# -- option skipping ---------------------------------------------------------------------------
def skip_options(
    words: list[str], start: int, with_arg: frozenset[str], *, plus: bool = False
) -> tuple[int, dict[str, str]]:
    """Index of the first operand after options; the options that took a value."""
    values: dict[str, str] = {}
    i = start
    while i < len(words):
        word = words[i]
        if word == "--":
            return i + 1, values
        if not (word.startswith("-") or (plus and word.startswith("+"))) or word == "-":
            break
        if word in with_arg and i + 1 < len(words):
            values[word] = words[i + 1]
            i += 2
            continue
        if word.startswith("--") and "=" in word:
            key, value = word.split("=", 1)
            values[key] = value
        i += 1
    return i, values


def rest(command: Command, start: int) -> Command:
    """The command after its wrapper's words."""
    return command.replace(words=command.words[start:])


def operands(words: list[str], start: int, with_arg: frozenset[str]) -> list[str]:
    """Every word that is neither an option nor an option's value."""
    found: list[str] = []
    i = start
    while i < len(words):
        word = words[i]
        if word in with_arg:
            i += 2
            continue
        if not word.startswith("-"):
            found.append(word)
        i += 1
    return found
