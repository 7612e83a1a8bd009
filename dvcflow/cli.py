"""Running a hook's click command so that it returns its exit status instead of raising it."""

from __future__ import annotations

from collections.abc import Sequence

import click


def run_command(
    command: click.Command,
    argv: Sequence[str] | None,
    prog: str,
    *,
    usage: int,
    aborted: int,
    default: int,
) -> int:
    """`command` on `argv` (sys.argv when None): its int result, else `default`; `usage` for a
    usage error (shown), `aborted` for Ctrl-C before the command took over."""
    try:
        result = command.main(
            args=list(argv) if argv is not None else None, prog_name=prog, standalone_mode=False
        )
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return usage
    except click.Abort:
        return aborted
    return result if isinstance(result, int) else default
