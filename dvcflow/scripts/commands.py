"""The local files a stage's `cmd` runs, read statically from the command text (never run).

DVC runs each line of a string `cmd` (and each item of a list `cmd`) in its own shell, so a
`cd` or `export` lasts until the end of its line. Each line is split into simple commands on
`&&`, `||`, `;`, `|`, `&` and parentheses; `VAR=value` prefixes and wrappers (`env`, `time`,
`nice`, `xvfb-run`, `uv run`, `poetry run`, `pipenv run`, `pdm run`, `hatch run`,
`conda run -n X`, `pixi run`, ...) are peeled off; then the runner (`python`, `Rscript`, `bash`,
`papermill`, `quarto render`, `./file`, ...) names the file it runs. Only paths that are files
in the snapshot count: a data argument or a third-party CLI yields nothing.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

Language = Literal["python", "notebook", "document", "r", "shell", "other", "data"]
IsFile = Callable[[str], bool]

REPO = "//repo/"  # marks a token already resolved to a repo-relative path
_OPERATOR_CHARS = ";&|()<>"
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)*)?[tmw]?(\.exe)?$")
_UNKNOWN = ("$", "*", "?", "~", "{", "`")
_PWD_VAR = re.compile(r"\$\{PWD\}|\$PWD(?!\w)")
_SHELL_SPECIAL = re.compile(r"[#$`'\"\\]")  # what _preprocess acts on
_TOKEN_SPECIAL = re.compile(r"[;&|()<>'\"\\]")  # what makes shlex do more than split words
_SHLEX_BLANKS = re.compile(r"[ \t\r\n]+")  # shlex's whitespace
_PWD_SUBST = re.compile(r"^\s*pwd\s*$")
_DIRNAME_SUBST = re.compile(r'^\s*dirname\s+"?(\$0|\$\{0\}|\$\{?BASH_SOURCE(\[0\])?\}?)"?\s*$')
_KEYWORDS = frozenset({"!", "{", "}", "then", "do", "else", "elif", "if", "while", "until"})
_SKIPPED_COMPOUNDS = frozenset({"for", "case", "select", "function", "esac", "done", "fi", "in"})
_SUFFIX_LANGUAGE: dict[str, Language] = {
    ".py": "python",
    ".ipynb": "notebook",
    ".qmd": "document",
    ".rmd": "document",
    ".r": "r",
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
}


@dataclass(frozen=True)
class Invocation:
    """One local file a command runs."""

    runner: str  # how it is run: "python", "python -m", "Rscript", "bash", "./file", ...
    script: str  # repo-relative posix path of the file
    cwd: str  # repo-relative folder the command runs in
    language: Language  # how to read its own dependencies (imports, source(), ...)
    pythonpath: tuple[str, ...] = ()  # repo-relative folders from PYTHONPATH in the command
    module: str | None = None  # `python -m <module>`
    module_root: str | None = None  # the folder the module was found in


@dataclass
class _Shell:
    """What lasts between the simple commands of one shell: folder and exported variables."""

    cwd: str | None  # None once a `cd` goes somewhere that cannot be known statically
    env: dict[str, str] = field(default_factory=dict)
    dirs: list[str | None] = field(default_factory=list)  # pushd stack


@dataclass
class _Command:
    """One simple command: its words, its stdin redirection, and its environment."""

    words: list[str]
    stdin: str | None
    env: dict[str, str]
    cwd: str | None


def language_of(path: str, runner_default: Language = "other") -> Language:
    """The language of a file by suffix (`.py`, `.ipynb`, `.R`, `.qmd`, `.sh`, ...)."""
    suffix = posixpath.splitext(path)[1].lower()
    return _SUFFIX_LANGUAGE.get(suffix, runner_default)


def command_lines(cmd: str | list[str] | None) -> list[str]:
    """The commands DVC runs, each in its own shell: the lines of a string, items of a list."""
    if cmd is None:
        return []
    if isinstance(cmd, list):
        return [str(item) for item in cmd]
    return str(cmd).splitlines()


class CommandScanner:
    """Finds the local files shell commands run, relative to a repo-relative folder."""

    def __init__(self, is_file: IsFile, search_roots: Sequence[str] = ()) -> None:
        self.is_file = is_file
        self.search_roots = tuple(search_roots)

    # -- entry points ----------------------------------------------------------------------
    def scan_cmd(self, cmd: str | list[str] | None, wdir: str) -> list[Invocation]:
        """Every local file a stage's `cmd` runs from its wdir, in order, each once."""
        found: list[Invocation] = []
        for line in command_lines(cmd):
            found.extend(self.scan_line(line, _Shell(cwd=wdir)))
        return _unique(found)

    def scan_script(self, text: str, cwd: str | None, script: str) -> list[Invocation]:
        """The local files a shell script runs; its lines share one shell (cd, export)."""
        shell = _Shell(cwd=cwd)
        found: list[Invocation] = []
        for line in _logical_lines(text):
            found.extend(self.scan_line(line, shell, script_dir=posixpath.dirname(script)))
        return _unique(found)

    def scan_line(
        self, line: str, shell: _Shell, script_dir: str | None = None
    ) -> list[Invocation]:
        found: list[Invocation] = []
        for command in _simple_commands(_preprocess(line, script_dir), shell):
            found.extend(self._command(command, shell))
        return found

    # -- one simple command ----------------------------------------------------------------
    def _command(self, command: _Command, shell: _Shell) -> list[Invocation]:
        words = _strip_keywords(command.words)
        while words and _ASSIGNMENT.match(words[0]):
            name, value = words[0].split("=", 1)
            command.env[name] = value
            words = words[1:]
        if not words or words[0] in _SKIPPED_COMPOUNDS:
            return []
        if self._builtin(words, shell):
            return []
        command.words = words
        return self._dispatch(command)

    def _builtin(self, words: list[str], shell: _Shell) -> bool:
        """`cd`, `pushd`, `popd`, `export` change the shell for the commands after them."""
        name, args = words[0], words[1:]
        if name == "cd":
            operands = [a for a in args if not a.startswith("-") or a == "-"]
            shell.cwd = _join(shell.cwd, operands[0]) if operands else None
        elif name == "pushd":
            shell.dirs.append(shell.cwd)
            operands = [a for a in args if not a.startswith("-")]
            shell.cwd = _join(shell.cwd, operands[0]) if operands else None
        elif name == "popd":
            shell.cwd = shell.dirs.pop() if shell.dirs else None
        elif name == "export":
            for arg in args:
                if _ASSIGNMENT.match(arg):
                    key, value = arg.split("=", 1)
                    shell.env[key] = value
        else:
            return False
        return True

    def _dispatch(self, command: _Command) -> list[Invocation]:
        words = command.words
        name = posixpath.basename(words[0])
        wrapper = _WRAPPERS.get(name)
        if wrapper is not None:
            inner = wrapper(command)
            return self._command(inner, _Shell(inner.cwd, dict(inner.env))) if inner else []
        runner = _RUNNERS.get(name) or (_python if _PYTHON.match(name) else None)
        if runner is not None:
            return runner(self, command)
        if "/" in words[0]:
            return self._found("./file", words[0], command, "other")
        return []

    # -- helpers for runners ---------------------------------------------------------------
    def resolve(self, token: str, cwd: str | None) -> str | None:
        """A repo-relative path for a literal path token, if it is a file in the snapshot."""
        if any(c in token for c in "*?["):
            return None
        path = _join(cwd, token)
        return path if path is not None and self.is_file(path) else None

    def _found(
        self, runner: str, token: str | None, command: _Command, default: Language
    ) -> list[Invocation]:
        if token is None:
            return []
        path = self.resolve(token, command.cwd)
        if path is None or command.cwd is None:
            return []
        return [
            Invocation(
                runner=runner,
                script=path,
                cwd=command.cwd,
                language=language_of(path, default),
                pythonpath=self.pythonpath(command),
            )
        ]

    def pythonpath(self, command: _Command) -> tuple[str, ...]:
        value = command.env.get("PYTHONPATH", "")
        folders: list[str] = []
        for entry in value.split(":"):
            if entry.startswith(REPO):
                folders.append(_normalize(entry[len(REPO) :]))
            elif entry and "$" not in entry and not entry.startswith(("/", "~")):
                joined = _join(command.cwd, entry)
                if joined is not None:
                    folders.append(joined)
        return tuple(dict.fromkeys(folders))

    def find_module(self, module: str, command: _Command) -> tuple[str, str] | None:
        """`python -m a.b`: (file, root) for a/b.py or a/b/__main__.py on the search path."""
        if command.cwd is None or not re.fullmatch(r"[A-Za-z_][\w.]*", module):
            return None
        rel = module.replace(".", "/")
        roots = [
            command.cwd,
            *self.pythonpath(command),
            _join(command.cwd, "src") or "",
            *self.search_roots,
        ]
        for root in dict.fromkeys(roots):
            for candidate in (f"{rel}.py", f"{rel}/__main__.py"):
                path = _normalize(posixpath.join(root, candidate))
                if self.is_file(path):
                    return path, root
        return None


# -- tokenizing --------------------------------------------------------------------------------
def _logical_lines(text: str) -> list[str]:
    """A script's lines with backslash-newline continuations joined."""
    return re.sub(r"\\\r?\n", " ", text).splitlines()


def _preprocess(line: str, script_dir: str | None) -> str:
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


def _simple_commands(line: str, shell: _Shell) -> Iterable[_Command]:
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
            yield _Command(words, stdin, dict(shell.env), shell.cwd)
        words, stdin = [], None
        if token == "(":
            saved.append((shell.cwd, dict(shell.env)))
        elif token == ")" and saved:
            shell.cwd, shell.env = saved.pop()
        i += 1
    if words:
        yield _Command(words, stdin, dict(shell.env), shell.cwd)


def _strip_keywords(words: list[str]) -> list[str]:
    while words and words[0] in _KEYWORDS:
        words = words[1:]
    return words


# -- paths -------------------------------------------------------------------------------------
def _normalize(path: str) -> str:
    norm = posixpath.normpath(path)
    return "" if norm == "." else norm


def _join(cwd: str | None, token: str) -> str | None:
    """A folder or file token joined to the current folder; None if unknown or outside."""
    if cwd is None or not token or token.startswith(_UNKNOWN) or "$" in token:
        return None
    if token.startswith(REPO):
        return _normalize(token[len(REPO) :])
    if token.startswith("/"):
        return None
    joined = _normalize(posixpath.join(cwd, token))
    return None if joined == ".." or joined.startswith("../") else joined


def _unique(found: list[Invocation]) -> list[Invocation]:
    seen: dict[str, Invocation] = {}
    for invocation in found:
        seen.setdefault(invocation.script, invocation)
    return list(seen.values())


# -- option skipping ---------------------------------------------------------------------------
def _skip_options(
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


def _rest(command: _Command, start: int) -> _Command:
    """The command after its wrapper's words."""
    return replace(command, words=command.words[start:])


# -- wrappers ----------------------------------------------------------------------------------
Wrapper = Callable[[_Command], "_Command | None"]


def _simple_wrapper(with_arg: Iterable[str], operands: int = 0) -> Wrapper:
    options = frozenset(with_arg)

    def unwrap(command: _Command) -> _Command | None:
        start, _ = _skip_options(command.words, 1, options)
        return _rest(command, start + operands)

    return unwrap


def _env(command: _Command) -> _Command | None:
    start, values = _skip_options(
        command.words, 1, frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"})
    )
    if "-S" in values or "--split-string" in values:
        return None
    cwd = command.cwd
    chdir = values.get("-C") or values.get("--chdir")
    if chdir is not None:
        cwd = _join(cwd, chdir)
    env = dict(command.env)
    words = command.words
    while start < len(words) and _ASSIGNMENT.match(words[start]):
        key, value = words[start].split("=", 1)
        env[key] = value
        start += 1
    return replace(_rest(command, start), env=env, cwd=cwd)


def _subcommand_wrapper(
    subcommand: str,
    global_args: Iterable[str],
    run_args: Iterable[str],
    chdir: Iterable[str] = (),
) -> Wrapper:
    """`tool [global options] run [run options] command...` (uv, poetry, pdm, conda, pixi)."""
    global_options, run_options = frozenset(global_args), frozenset(run_args)
    chdir_options = frozenset(chdir)

    def unwrap(command: _Command) -> _Command | None:
        words = command.words
        start, global_values = _skip_options(words, 1, global_options)
        if start >= len(words) or words[start] != subcommand:
            return None
        start, run_values = _skip_options(words, start + 1, run_options)
        cwd = command.cwd
        for key, value in (*global_values.items(), *run_values.items()):
            if key in chdir_options:
                cwd = _join(cwd, value)
        return replace(_rest(command, start), cwd=cwd)

    return unwrap


_UV_RUN_ARGS = (
    "--with",
    "--with-editable",
    "--with-requirements",
    "--python",
    "-p",
    "--project",
    "--directory",
    "--package",
    "--extra",
    "--group",
    "--only-group",
    "--no-group",
    "--no-extra",
    "--env-file",
    "--index",
    "--default-index",
    "--index-url",
    "-i",
    "--extra-index-url",
    "--find-links",
    "-f",
    "--index-strategy",
    "--keyring-provider",
    "--resolution",
    "--prerelease",
    "--exclude-newer",
    "--link-mode",
    "--config-setting",
    "-C",
    "--refresh-package",
    "--reinstall-package",
    "--upgrade-package",
    "-P",
    "--cache-dir",
    "--python-platform",
    "--no-binary-package",
    "--no-build-package",
    "--config-file",
    "--color",
    "--no-build-isolation-package",
    "--exclude-newer-package",
)
_uv_unwrap = _subcommand_wrapper(
    "run",
    ("--directory", "--project", "--cache-dir", "--config-file", "--color"),
    _UV_RUN_ARGS,
    chdir=("--directory",),
)


def _uv(command: _Command) -> _Command | None:
    """`uv run x.py` runs a Python file; `uv run -m mod` / `--module mod` runs a module."""
    inner = _uv_unwrap(command)
    if inner is None:
        return None
    run_at = command.words.index("run")
    options = command.words[run_at + 1 : len(command.words) - len(inner.words)]
    words = inner.words
    if any(o in ("-m", "--module") for o in options) and words:
        return replace(inner, words=["python", "-m", *words])
    if words and (words[0].endswith(".py") or any(o in ("-s", "--script") for o in options)):
        return replace(inner, words=["python", *words])
    return inner


def _hatch(command: _Command) -> _Command | None:
    inner = _subcommand_wrapper(
        "run", ("-e", "--env", "-p", "--project", "--data-dir", "--cache-dir", "--config"), ()
    )(command)
    if inner is not None and inner.words:
        env_prefix = re.match(r"^[\w.+-]+:(?=.)", inner.words[0])
        if env_prefix and "/" not in inner.words[0][: env_prefix.end()]:
            inner.words[0] = inner.words[0][env_prefix.end() :]
    return inner


_CONDA = _subcommand_wrapper(
    "run", (), ("-n", "--name", "-p", "--prefix", "--cwd"), chdir=("--cwd",)
)

_WRAPPERS: dict[str, Wrapper] = {
    "env": _env,
    "time": _simple_wrapper(("-f", "--format", "-o", "--output")),
    "nice": _simple_wrapper(("-n", "--adjustment")),
    "nohup": _simple_wrapper(()),
    "exec": _simple_wrapper(("-a",)),
    "command": _simple_wrapper(()),
    "builtin": _simple_wrapper(()),
    "stdbuf": _simple_wrapper(("-i", "-o", "-e")),
    "ionice": _simple_wrapper(("-c", "-n", "-p", "-P", "-u")),
    "timeout": _simple_wrapper(("-s", "--signal", "-k", "--kill-after"), operands=1),
    "taskset": _simple_wrapper((), operands=1),
    "xvfb-run": _simple_wrapper(
        (
            "-e",
            "--error-file",
            "-f",
            "--auth-file",
            "-n",
            "--server-num",
            "-p",
            "--xauth-protocol",
            "-s",
            "--server-args",
            "-w",
            "--wait",
        )
    ),
    "uv": _uv,
    "poetry": _subcommand_wrapper(
        "run", ("-C", "--directory", "-P", "--project"), (), chdir=("-C", "--directory")
    ),
    "pipenv": _subcommand_wrapper("run", (), ()),
    "pdm": _subcommand_wrapper(
        "run", ("-p", "--project", "-c", "--config"), ("-p", "--project", "--venv")
    ),
    "hatch": _hatch,
    "conda": _CONDA,
    "mamba": _CONDA,
    "micromamba": _CONDA,
    "pixi": _subcommand_wrapper(
        "run", (), ("-e", "--environment", "--manifest-path", "--color", "--executable")
    ),
}


# -- runners -----------------------------------------------------------------------------------
Runner = Callable[[CommandScanner, _Command], list[Invocation]]


def _first_operand(
    words: list[str], with_arg: Iterable[str], stop: Iterable[str] = ()
) -> str | None:
    """The first word after the options, or None if an option means there is no file."""
    options, stops = frozenset(with_arg), frozenset(stop)
    start, values = _skip_options(words, 1, options | stops)
    if stops & set(values) or any(w in stops for w in words[1:start]):
        return None
    return words[start] if start < len(words) else None


# Python tools that `python -m <tool>` runs like their command.
_MODULE_COMMANDS = {
    "papermill": "papermill",
    "jupytext": "jupytext",
    "nbconvert": "jupyter-nbconvert",
    "jupyter": "jupyter",
}


def _python(scanner: CommandScanner, command: _Command) -> list[Invocation]:
    words = command.words
    i = 1
    while i < len(words):
        word = words[i]
        if word == "--":
            i += 1
            break
        if not word.startswith("-") or word == "-":
            break
        if word.startswith("--"):
            i += 2 if word == "--check-hash-based-pycs" else 1
            continue
        for pos, flag in enumerate(word[1:], start=2):
            attached = word[pos:]
            if flag == "c":
                return []
            if flag == "m":
                module = attached or (words[i + 1] if i + 1 < len(words) else "")
                rest = words[i + (1 if attached else 2) :]
                return _python_module(scanner, command, module, rest)
            if flag in "WX":
                i += 0 if attached else 1
                break
        i += 1
    token = words[i] if i < len(words) and words[i] != "-" else command.stdin
    return scanner._found("python", token, command, "python")


def _python_module(
    scanner: CommandScanner, command: _Command, module: str, rest: list[str]
) -> list[Invocation]:
    found = scanner.find_module(module, command)
    if found is not None and command.cwd is not None:
        path, root = found
        return [
            Invocation(
                runner="python -m",
                script=path,
                cwd=command.cwd,
                language="python",
                pythonpath=scanner.pythonpath(command),
                module=module,
                module_root=root,
            )
        ]
    tool = _MODULE_COMMANDS.get(module)
    if tool is not None:
        return scanner._dispatch(replace(command, words=[tool, *rest]))
    return []


def _operand_runner(
    runner: str, language: Language, with_arg: Iterable[str] = (), stop: Iterable[str] = ()
) -> Runner:
    """Interpreters whose first operand is the file they run (bash, Rscript, node, ...)."""

    def run(scanner: CommandScanner, command: _Command) -> list[Invocation]:
        words = command.words
        token = _first_operand(words, with_arg, stop)
        if token is None and any(w in frozenset(stop) for w in words[1:]):
            return []
        return scanner._found(
            runner, token if token is not None else command.stdin, command, language
        )

    return run


_SHELL_ARGS = ("-o", "+o", "-O", "+O", "--rcfile", "--init-file")


def _shell(scanner: CommandScanner, command: _Command) -> list[Invocation]:
    """`bash [-eux] file` runs the file; `bash -c '...'` runs the string, read recursively."""
    words = command.words
    start, _ = _skip_options(words, 1, frozenset(_SHELL_ARGS), plus=True)
    flags = "".join(w[1:] for w in words[1:start] if w.startswith("-") and not w.startswith("--"))
    if "c" in flags:
        if start >= len(words):
            return []
        shell = _Shell(command.cwd, dict(command.env))
        return scanner.scan_line(words[start], shell)
    if "s" in flags:
        return scanner._found("bash", command.stdin, command, "shell")
    token = words[start] if start < len(words) else command.stdin
    return scanner._found(posixpath.basename(words[0]), token, command, "shell")


def _source(scanner: CommandScanner, command: _Command) -> list[Invocation]:
    token = command.words[1] if len(command.words) > 1 else None
    return scanner._found("source", token, command, "shell")


def _r(scanner: CommandScanner, command: _Command) -> list[Invocation]:
    """`R -f file`, `R --file=file`, `R CMD BATCH file`, `R --vanilla < file`."""
    words = command.words
    if len(words) > 2 and words[1] == "CMD" and words[2] == "BATCH":
        start, _ = _skip_options(words, 3, frozenset())
        return scanner._found(
            "R CMD BATCH", words[start] if start < len(words) else None, command, "r"
        )
    _, values = _skip_options(words, 1, frozenset({"-f", "--file", "-e"}))
    token = values.get("-f") or values.get("--file")
    if token is None and "-e" not in values:
        token = command.stdin
    return scanner._found("R", token, command, "r")


_NBCONVERT_ARGS = frozenset(
    {
        "--to",
        "--output",
        "--output-dir",
        "--template",
        "--config",
        "--log-level",
        "--writer",
        "--post",
        "--reveal-prefix",
        "--nbformat",
        "--template-file",
    }
)


def _nbconvert(scanner: CommandScanner, command: _Command) -> list[Invocation]:
    """`jupyter nbconvert [--execute] nb.ipynb...`: executed notebooks are read for imports."""
    words = command.words
    executed = any(
        w == "--execute" or w.startswith("--ExecutePreprocessor.enabled=T") for w in words
    )
    found: list[Invocation] = []
    for token in _operands(words, 1, _NBCONVERT_ARGS):
        found.extend(
            scanner._found("jupyter nbconvert", token, command, "notebook" if executed else "data")
        )
    if not executed:
        found = [replace(f, language="data") for f in found]
    return found


def _operands(words: list[str], start: int, with_arg: frozenset[str]) -> list[str]:
    """Every word that is neither an option nor an option's value."""
    operands: list[str] = []
    i = start
    while i < len(words):
        word = words[i]
        if word in with_arg:
            i += 2
            continue
        if not word.startswith("-"):
            operands.append(word)
        i += 1
    return operands


def _jupyter(scanner: CommandScanner, command: _Command) -> list[Invocation]:
    words = command.words
    if len(words) < 2:
        return []
    sub = words[1]
    rest = replace(command, words=[f"jupyter-{sub}", *words[2:]])
    if sub == "nbconvert":
        return _nbconvert(scanner, rest)
    if sub == "execute":
        return [
            f
            for t in _operands(rest.words, 1, frozenset({"--kernel_name", "--output"}))
            for f in scanner._found("jupyter execute", t, command, "notebook")
        ]
    if sub == "run":
        return [
            f
            for t in _operands(rest.words, 1, frozenset({"--kernel", "--existing"}))
            for f in scanner._found("jupyter run", t, command, "python")
        ]
    return []


_PAPERMILL_PAIRS = frozenset({"-p", "--parameters", "-r", "--parameters_raw"})
_PAPERMILL_ARGS = frozenset(
    {
        "-f",
        "--parameters_file",
        "-y",
        "--parameters_yaml",
        "-b",
        "--parameters_base64",
        "-k",
        "--kernel",
        "-l",
        "--language",
        "--engine",
        "--cwd",
        "--log-level",
        "--start-timeout",
        "--start_timeout",
        "--execution-timeout",
        "--autosave-cell-every",
        "--stdout-file",
        "--stderr-file",
    }
)


def _papermill(scanner: CommandScanner, command: _Command) -> list[Invocation]:
    """`papermill [options] input.ipynb output.ipynb`: the input notebook is executed."""
    words = command.words
    i = 1
    while i < len(words):
        word = words[i]
        if word in _PAPERMILL_PAIRS:
            i += 3
        elif word in _PAPERMILL_ARGS:
            i += 2
        elif word.startswith("-"):
            i += 1
        else:
            return scanner._found("papermill", word, command, "notebook")
    return []


def _quarto(scanner: CommandScanner, command: _Command) -> list[Invocation]:
    words = command.words
    if len(words) < 3 or words[1] != "render":
        return []
    operands = _operands(
        words,
        2,
        frozenset(
            {
                "--to",
                "-t",
                "--output",
                "-o",
                "--output-dir",
                "--profile",
                "-P",
                "-M",
                "--metadata",
                "--execute-params",
                "--execute-dir",
                "--log",
                "--log-level",
                "--log-format",
            }
        ),
    )
    return scanner._found("quarto render", operands[0] if operands else None, command, "document")


def _jupytext(scanner: CommandScanner, command: _Command) -> list[Invocation]:
    """`jupytext [--to ipynb] [--execute] nb.py`: the files it converts (read if executed)."""
    words = command.words
    executed = "--execute" in words
    with_arg = frozenset(
        {
            "--to",
            "--from",
            "--format-options",
            "--opt",
            "-o",
            "--output",
            "--set-formats",
            "--update-metadata",
            "--pipe",
            "--check",
            "--run-path",
            "--set-kernel",
            "-k",
            "--pipe-fmt",
            "--check-fmt",
        }
    )
    found: list[Invocation] = []
    for token in _operands(words, 1, with_arg):
        for item in scanner._found("jupytext", token, command, "notebook"):
            found.append(item if executed else replace(item, language="data"))
    return found


def _julia(scanner: CommandScanner, command: _Command) -> list[Invocation]:
    words = command.words
    with_arg = frozenset(
        {
            "-t",
            "--threads",
            "-p",
            "--procs",
            "-L",
            "--load",
            "-J",
            "--sysimage",
            "-C",
            "--cpu-target",
            "-H",
            "--home",
            "--machine-file",
            "-e",
            "--eval",
            "-E",
            "--print",
        }
    )
    start, values = _skip_options(words, 1, with_arg)
    found: list[Invocation] = []
    for option in ("-L", "--load"):
        found.extend(scanner._found("julia", values.get(option), command, "other"))
    if not ({"-e", "--eval", "-E", "--print"} & set(values)) and start < len(words):
        found.extend(scanner._found("julia", words[start], command, "other"))
    return found


_RUNNERS: dict[str, Runner] = {
    "ipython": _python,
    "Rscript": _operand_runner("Rscript", "r", stop=("-e",)),
    "R": _r,
    "bash": _shell,
    "sh": _shell,
    "zsh": _shell,
    "dash": _shell,
    "ksh": _shell,
    "source": _source,
    ".": _source,
    "julia": _julia,
    "node": _operand_runner(
        "node",
        "other",
        with_arg=(
            "-r",
            "--require",
            "--import",
            "--loader",
            "--experimental-loader",
            "-C",
            "--conditions",
            "--input-type",
            "--title",
        ),
        stop=("-e", "--eval", "-p", "--print"),
    ),
    "perl": _operand_runner("perl", "other", with_arg=("-I", "-M"), stop=("-e", "-E")),
    "ruby": _operand_runner("ruby", "other", with_arg=("-I", "-r"), stop=("-e",)),
    "jupyter": _jupyter,
    "jupyter-nbconvert": _nbconvert,
    "jupyter-execute": lambda scanner, command: _jupyter(
        scanner, replace(command, words=["jupyter", "execute", *command.words[1:]])
    ),
    "papermill": _papermill,
    "quarto": _quarto,
    "jupytext": _jupytext,
}


def scan_cmd(
    cmd: str | list[str] | None, wdir: str, is_file: IsFile, search_roots: Sequence[str] = ()
) -> list[Invocation]:
    """The local files a stage's `cmd` runs from its repo-relative `wdir`."""
    return CommandScanner(is_file, search_roots).scan_cmd(cmd, wdir)
