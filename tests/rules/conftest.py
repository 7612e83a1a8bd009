"""Shared by the rule tests: the README's pre-commit install, run for real on a repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ..conftest import Repo
from ..test_packaging import source_repo

__all__ = ["README", "install_readme_hooks", "readme_install_snippet", "source_repo"]

README = Path(__file__).resolve().parents[2] / "README.md"
_SNIPPET = re.compile(
    r"<!-- pre-commit-install:begin -->\s*```sh\n(?P<script>.*?)```"
    r"\s*<!-- pre-commit-install:end -->",
    re.S,
)


def readme_install_snippet() -> str:
    """The shell lines README.md gives for installing the pre-commit hook."""
    match = _SNIPPET.search(README.read_text(encoding="utf-8"))
    assert match, "README.md lost its pre-commit-install snippet"
    return match["script"]


def install_readme_hooks(repo: Repo, dvcflow_clone: Path) -> None:
    """Run the README's install lines verbatim in `repo`, with `DVCFLOW` set to a clone of
    dvcflow (the first line, which sets it to a placeholder, is the user's to edit)."""
    lines = readme_install_snippet().splitlines()
    assert lines[0].startswith("DVCFLOW="), lines[0]
    script = "\n".join([f"DVCFLOW={dvcflow_clone}", *lines[1:]]) + "\n"
    proc = subprocess.run(
        ["bash", "-euc", script],
        cwd=repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
