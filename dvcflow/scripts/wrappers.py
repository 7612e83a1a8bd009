"""Wrappers: commands that run another command (`env`, `time`, `nice`, `uv run`, `conda run`...).

Each wrapper peels its own words and options off a simple command and returns the command it
runs (with the folder or environment it sets), or None when it runs nothing statically known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from dvcflow.scripts.shell import ASSIGNMENT, Command, join, rest, skip_options

Wrapper = Callable[[Command], "Command | None"]


def _simple_wrapper(with_arg: Iterable[str], operands: int = 0) -> Wrapper:
    options = frozenset(with_arg)

    def unwrap(command: Command) -> Command | None:
        start, _ = skip_options(command.words, 1, options)
        return rest(command, start + operands)

    return unwrap


def _env(command: Command) -> Command | None:
    start, values = skip_options(
        command.words, 1, frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"})
    )
    if "-S" in values or "--split-string" in values:
        return None
    cwd = command.cwd
    chdir = values.get("-C") or values.get("--chdir")
    if chdir is not None:
        cwd = join(cwd, chdir)
    env = dict(command.env)
    words = command.words
    while start < len(words) and ASSIGNMENT.match(words[start]):
        key, value = words[start].split("=", 1)
        env[key] = value
        start += 1
    return rest(command, start).replace(env=env, cwd=cwd)


def _subcommand_wrapper(
    subcommand: str,
    global_args: Iterable[str],
    run_args: Iterable[str],
    chdir: Iterable[str] = (),
) -> Wrapper:
    """`tool [global options] run [run options] command...` (uv, poetry, pdm, conda, pixi)."""
    global_options, run_options = frozenset(global_args), frozenset(run_args)
    chdir_options = frozenset(chdir)

    def unwrap(command: Command) -> Command | None:
        words = command.words
        start, global_values = skip_options(words, 1, global_options)
        if start >= len(words) or words[start] != subcommand:
            return None
        start, run_values = skip_options(words, start + 1, run_options)
        cwd = command.cwd
        for key, value in (*global_values.items(), *run_values.items()):
            if key in chdir_options:
                cwd = join(cwd, value)
        return rest(command, start).replace(cwd=cwd)

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


def _uv(command: Command) -> Command | None:
    """`uv run x.py` runs a Python file; `uv run -m mod` / `--module mod` runs a module."""
    inner = _uv_unwrap(command)
    if inner is None:
        return None
    run_at = command.words.index("run")
    options = command.words[run_at + 1 : len(command.words) - len(inner.words)]
    words = inner.words
    if any(o in ("-m", "--module") for o in options) and words:
        return inner.replace(words=["python", "-m", *words])
    if words and (words[0].endswith(".py") or any(o in ("-s", "--script") for o in options)):
        return inner.replace(words=["python", *words])
    return inner


def _hatch(command: Command) -> Command | None:
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

WRAPPERS: dict[str, Wrapper] = {
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
