"""The DVF4 tests' repository: a Git repository holding a DVC project folder."""

from __future__ import annotations

import pytest

from tests.conftest import Repo


@pytest.fixture
def pin_repo(repo: Repo) -> Repo:
    """A Git repository with a DVC project folder (what `dvc init` creates, without DVC's start)."""
    repo.write(".dvc/config", "")
    repo.write(".dvc/.gitignore", "/config.local\n/tmp\n/cache\n")
    return repo


def codes(out: str, code: str) -> list[str]:
    """The finding lines of `code` (not the indented help lines that name it)."""
    return [line for line in out.splitlines() if f" {code} " in line and not line[:1].isspace()]
