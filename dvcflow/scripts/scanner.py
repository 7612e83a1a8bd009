"""The local files a stage's `cmd` runs, read statically from the command text (never run).

Each line is split into simple commands (dvcflow.scripts.shell); `VAR=value` prefixes and
wrappers (`env`, `time`, `nice`, `xvfb-run`, `uv run`, `poetry run`, `pipenv run`, `pdm run`,
`hatch run`, `conda run -n X`, `pixi run`, ...: dvcflow.scripts.wrappers) are peeled off; then
the runner (`python`, `Rscript`, `bash`, `papermill`, `quarto render`, `./file`, ...:
dvcflow.scripts.runners) names the file it runs. Only paths that are files in the snapshot
count: a data argument or a third-party CLI yields nothing.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence

from dvcflow.scripts.invocation import Invocation, IsFile, Language, language_of
from dvcflow.scripts.runners import runner_for
from dvcflow.scripts.shell import (
    ASSIGNMENT,
    REPO,
    SKIPPED_COMPOUNDS,
    Command,
    Shell,
    join,
    logical_lines,
    normalize,
    preprocess,
    simple_commands,
    strip_keywords,
)
from dvcflow.scripts.wrappers import WRAPPERS


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
            found.extend(self.scan_line(line, Shell(cwd=wdir)))
        return _unique(found)

    def scan_script(self, text: str, cwd: str | None, script: str) -> list[Invocation]:
        """The local files a shell script runs; its lines share one shell (cd, export)."""
        shell = Shell(cwd=cwd)
        found: list[Invocation] = []
        for line in logical_lines(text):
            found.extend(self.scan_line(line, shell, script_dir=posixpath.dirname(script)))
        return _unique(found)

    def scan_line(self, line: str, shell: Shell, script_dir: str | None = None) -> list[Invocation]:
        found: list[Invocation] = []
        for command in simple_commands(preprocess(line, script_dir), shell):
            found.extend(self._command(command, shell))
        return found

    # -- one simple command ----------------------------------------------------------------
    def _command(self, command: Command, shell: Shell) -> list[Invocation]:
        words = strip_keywords(command.words)
        while words and ASSIGNMENT.match(words[0]):
            name, value = words[0].split("=", 1)
            command.env[name] = value
            words = words[1:]
        if not words or words[0] in SKIPPED_COMPOUNDS:
            return []
        if self._builtin(words, shell):
            return []
        command.words = words
        return self.dispatch(command)

    def _builtin(self, words: list[str], shell: Shell) -> bool:
        """`cd`, `pushd`, `popd`, `export` change the shell for the commands after them."""
        name, args = words[0], words[1:]
        if name == "cd":
            operands = [a for a in args if not a.startswith("-") or a == "-"]
            shell.cwd = join(shell.cwd, operands[0]) if operands else None
        elif name == "pushd":
            shell.dirs.append(shell.cwd)
            operands = [a for a in args if not a.startswith("-")]
            shell.cwd = join(shell.cwd, operands[0]) if operands else None
        elif name == "popd":
            shell.cwd = shell.dirs.pop() if shell.dirs else None
        elif name == "export":
            for arg in args:
                if ASSIGNMENT.match(arg):
                    key, value = arg.split("=", 1)
                    shell.env[key] = value
        else:
            return False
        return True

    def dispatch(self, command: Command) -> list[Invocation]:
        words = command.words
        name = posixpath.basename(words[0])
        wrapper = WRAPPERS.get(name)
        if wrapper is not None:
            inner = wrapper(command)
            return self._command(inner, Shell(inner.cwd, dict(inner.env))) if inner else []
        runner = runner_for(name)
        if runner is not None:
            return runner(self, command)
        if "/" in words[0]:
            return self.found("./file", words[0], command, "other")
        return []

    # -- helpers for runners ---------------------------------------------------------------
    def resolve(self, token: str, cwd: str | None) -> str | None:
        """A repo-relative path for a literal path token, if it is a file in the snapshot."""
        if any(c in token for c in "*?["):
            return None
        path = join(cwd, token)
        return path if path is not None and self.is_file(path) else None

    def found(
        self, runner: str, token: str | None, command: Command, default: Language
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

    def pythonpath(self, command: Command) -> tuple[str, ...]:
        value = command.env.get("PYTHONPATH", "")
        folders: list[str] = []
        for entry in value.split(":"):
            if entry.startswith(REPO):
                folders.append(normalize(entry[len(REPO) :]))
            elif entry and "$" not in entry and not entry.startswith(("/", "~")):
                joined = join(command.cwd, entry)
                if joined is not None:
                    folders.append(joined)
        return tuple(dict.fromkeys(folders))

    def find_module(self, module: str, command: Command) -> tuple[str, str] | None:
        """`python -m a.b`: (file, root) for a/b.py or a/b/__main__.py on the search path."""
        if command.cwd is None or not re.fullmatch(r"[A-Za-z_][\w.]*", module):
            return None
        rel = module.replace(".", "/")
        roots = [
            command.cwd,
            *self.pythonpath(command),
            join(command.cwd, "src") or "",
            *self.search_roots,
        ]
        for root in dict.fromkeys(roots):
            for candidate in (f"{rel}.py", f"{rel}/__main__.py"):
                path = normalize(posixpath.join(root, candidate))
                if self.is_file(path):
                    return path, root
        return None


def _unique(found: list[Invocation]) -> list[Invocation]:
    seen: dict[str, Invocation] = {}
    for invocation in found:
        seen.setdefault(invocation.script, invocation)
    return list(seen.values())


def scan_cmd(
    cmd: str | list[str] | None, wdir: str, is_file: IsFile, search_roots: Sequence[str] = ()
) -> list[Invocation]:
    """The local files a stage's `cmd` runs from its repo-relative `wdir`."""
    return CommandScanner(is_file, search_roots).scan_cmd(cmd, wdir)
