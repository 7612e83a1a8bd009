"""The pinned dvc version behind the version note: kept in the blob cache by what the
dependency files resolve to, a symlinked requirements file included."""

from __future__ import annotations

import os

from dvcflow.context import Context
from dvcflow.rules.pin import scope as pins
from dvcflow.rules.stale.analysis import pinned_dvc

from ...conftest import Repo


def _pinned(repo: Repo) -> tuple[list[str] | None, bool]:
    """(the pinned versions, whether the dependency files were read for them)."""
    ctx = Context.from_cwd(repo.root)
    try:
        return pinned_dvc(ctx), (pins.declarations, "staged") in ctx._memo
    finally:
        ctx.close()


def _linked_requirements(repo: Repo) -> None:
    repo.write("python/pyproject.toml", '[project]\nname = "x"\ndependencies = ["dvc==3.0.0"]\n')
    repo.path("python").mkdir(exist_ok=True)
    os.symlink("../requirements.txt", repo.path("python/requirements.txt"))


def test_a_symlinked_requirements_file_is_read_once(repo: Repo) -> None:
    _linked_requirements(repo)
    repo.write("requirements.txt", "dvc==3.0.0\n")
    repo.add()
    assert _pinned(repo) == (["3.0.0"], True)
    assert _pinned(repo) == (["3.0.0"], False)  # the blob cache answers


def test_the_target_of_a_symlink_keys_the_answer(repo: Repo) -> None:
    _linked_requirements(repo)
    repo.add()  # the link leads nowhere yet: it reads as absent
    assert _pinned(repo) == (["3.0.0"], True)
    assert _pinned(repo) == (["3.0.0"], False)
    repo.write("requirements.txt", "dvc==3.1.0\n")
    repo.add()
    assert _pinned(repo) == (["3.0.0", "3.1.0"], True)
    repo.write("requirements.txt", "dvc==3.0.0\n")
    repo.add()
    assert _pinned(repo) == (["3.0.0"], True)
    assert _pinned(repo) == (["3.0.0"], False)


def test_a_symlink_out_of_the_repository_is_not_remembered(repo: Repo) -> None:
    _linked_requirements(repo)
    os.remove(repo.path("python/requirements.txt"))
    os.symlink("../../elsewhere.txt", repo.path("python/requirements.txt"))
    repo.add()
    first, read = _pinned(repo)
    assert read
    assert _pinned(repo) == (first, True)
