"""DVF402 dvc-pin-mismatch: the pin is not the installed version."""

from __future__ import annotations

from tests.conftest import Repo
from tests.requirements.conftest import DVC


def test_pin_mismatch_warns_without_failing(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "dvc==3.50.0\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 0
    assert (
        f"requirements.txt:1:1: DVF402 dvc is pinned to 3.50.0 but {DVC} is installed "
        "where this check runs"
    ) in out
    assert f"help: `pip install dvc==3.50.0`, or pin `dvc=={DVC}`" in out
