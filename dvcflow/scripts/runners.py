"""Runners: the programs that run a local file (`python`, `Rscript`, `bash`, `papermill`...).

A runner reads a simple command's words and names the file it runs through the scanner, which
resolves the path in the snapshot (a data argument or third-party CLI yields nothing).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable

from dvcflow.scripts.invocation import Invocation, Language, Scanner
from dvcflow.scripts.shell import Command, Shell, operands, skip_options

_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)*)?[tmw]?(\.exe)?$")

Runner = Callable[[Scanner, Command], list[Invocation]]


def _first_operand(
    words: list[str], with_arg: Iterable[str], stop: Iterable[str] = ()
) -> str | None:
    """The first word after the options, or None if an option means there is no file."""
    options, stops = frozenset(with_arg), frozenset(stop)
    start, values = skip_options(words, 1, options | stops)
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


def _python(scanner: Scanner, command: Command) -> list[Invocation]:
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
    return scanner.found("python", token, command, "python")


def _python_module(
    scanner: Scanner, command: Command, module: str, rest: list[str]
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
        return scanner.dispatch(command.replace(words=[tool, *rest]))
    return []


def _operand_runner(
    runner: str, language: Language, with_arg: Iterable[str] = (), stop: Iterable[str] = ()
) -> Runner:
    """Interpreters whose first operand is the file they run (bash, Rscript, node, ...)."""

    def run(scanner: Scanner, command: Command) -> list[Invocation]:
        words = command.words
        token = _first_operand(words, with_arg, stop)
        if token is None and any(w in frozenset(stop) for w in words[1:]):
            return []
        return scanner.found(
            runner, token if token is not None else command.stdin, command, language
        )

    return run


_SHELL_ARGS = ("-o", "+o", "-O", "+O", "--rcfile", "--init-file")


def _shell(scanner: Scanner, command: Command) -> list[Invocation]:
    """`bash [-eux] file` runs the file; `bash -c '...'` runs the string, read recursively."""
    words = command.words
    start, _ = skip_options(words, 1, frozenset(_SHELL_ARGS), plus=True)
    flags = "".join(w[1:] for w in words[1:start] if w.startswith("-") and not w.startswith("--"))
    if "c" in flags:
        if start >= len(words):
            return []
        shell = Shell(command.cwd, dict(command.env))
        return scanner.scan_line(words[start], shell)
    if "s" in flags:
        return scanner.found("bash", command.stdin, command, "shell")
    token = words[start] if start < len(words) else command.stdin
    return scanner.found(posixpath.basename(words[0]), token, command, "shell")


def _source(scanner: Scanner, command: Command) -> list[Invocation]:
    token = command.words[1] if len(command.words) > 1 else None
    return scanner.found("source", token, command, "shell")


def _r(scanner: Scanner, command: Command) -> list[Invocation]:
    """`R -f file`, `R --file=file`, `R CMD BATCH file`, `R --vanilla < file`."""
    words = command.words
    if len(words) > 2 and words[1] == "CMD" and words[2] == "BATCH":
        start, _ = skip_options(words, 3, frozenset())
        return scanner.found(
            "R CMD BATCH", words[start] if start < len(words) else None, command, "r"
        )
    _, values = skip_options(words, 1, frozenset({"-f", "--file", "-e"}))
    token = values.get("-f") or values.get("--file")
    if token is None and "-e" in values:
        return _r_expressions(scanner, command, "R -e")
    return scanner.found("R", token if token is not None else command.stdin, command, "r")


_RSCRIPT_FILE = _operand_runner("Rscript", "r", stop=("-e",))


def _rscript(scanner: Scanner, command: Command) -> list[Invocation]:
    """`Rscript [options] file`, or `Rscript -e 'rmarkdown::render("x.Rmd")'`."""
    if "-e" in command.words[1:]:
        return _r_expressions(scanner, command, "Rscript -e")
    return _RSCRIPT_FILE(scanner, command)


def _r_expressions(scanner: Scanner, command: Command, runner: str) -> list[Invocation]:
    """The documents `-e` expressions render and the R files they source."""
    from dvcflow.scripts.rsource import expression_files  # (R's reader: only for R commands)

    words = command.words
    found: list[Invocation] = []
    for at, word in enumerate(words[:-1]):
        if word == "-e":
            for path in expression_files(words[at + 1]):
                found.extend(scanner.found(runner, path, command, "r"))
    return found


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


def _nbconvert(scanner: Scanner, command: Command) -> list[Invocation]:
    """`jupyter nbconvert [--execute] nb.ipynb...`: executed notebooks are read for imports."""
    words = command.words
    executed = any(
        w == "--execute" or w.startswith("--ExecutePreprocessor.enabled=T") for w in words
    )
    found: list[Invocation] = []
    for token in operands(words, 1, _NBCONVERT_ARGS):
        found.extend(
            scanner.found("jupyter nbconvert", token, command, "notebook" if executed else "data")
        )
    if not executed:
        found = [f._replace(language="data") for f in found]
    return found


def _jupyter(scanner: Scanner, command: Command) -> list[Invocation]:
    words = command.words
    if len(words) < 2:
        return []
    sub = words[1]
    rest = command.replace(words=[f"jupyter-{sub}", *words[2:]])
    if sub == "nbconvert":
        return _nbconvert(scanner, rest)
    if sub == "execute":
        return [
            f
            for t in operands(rest.words, 1, frozenset({"--kernel_name", "--output"}))
            for f in scanner.found("jupyter execute", t, command, "notebook")
        ]
    if sub == "run":
        return [
            f
            for t in operands(rest.words, 1, frozenset({"--kernel", "--existing"}))
            for f in scanner.found("jupyter run", t, command, "python")
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


def _papermill(scanner: Scanner, command: Command) -> list[Invocation]:
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
            return scanner.found("papermill", word, command, "notebook")
    return []


def _quarto(scanner: Scanner, command: Command) -> list[Invocation]:
    words = command.words
    if len(words) < 3 or words[1] != "render":
        return []
    files = operands(
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
    return scanner.found("quarto render", files[0] if files else None, command, "document")


def _jupytext(scanner: Scanner, command: Command) -> list[Invocation]:
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
    for token in operands(words, 1, with_arg):
        for item in scanner.found("jupytext", token, command, "notebook"):
            found.append(item if executed else item._replace(language="data"))
    return found


def _julia(scanner: Scanner, command: Command) -> list[Invocation]:
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
    start, values = skip_options(words, 1, with_arg)
    found: list[Invocation] = []
    for option in ("-L", "--load"):
        found.extend(scanner.found("julia", values.get(option), command, "other"))
    if not ({"-e", "--eval", "-E", "--print"} & set(values)) and start < len(words):
        found.extend(scanner.found("julia", words[start], command, "other"))
    return found


_RUNNERS: dict[str, Runner] = {
    "ipython": _python,
    "Rscript": _rscript,
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
        scanner, command.replace(words=["jupyter", "execute", *command.words[1:]])
    ),
    "papermill": _papermill,
    "quarto": _quarto,
    "jupytext": _jupytext,
}


def runner_for(name: str) -> Runner | None:
    """The runner of a program name (`python3.11`, `Rscript`, ...), if it runs a local file."""
    return _RUNNERS.get(name) or (_python if _PYTHON.match(name) else None)
