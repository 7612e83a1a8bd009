"""DVF102 on real Git repositories: the import chain and the `imports` option."""

from __future__ import annotations

import pytest

from ...conftest import Repo
from .conftest import findings, ml_repo


def test_dvf102_names_the_import_chain(repo: Repo) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - src/train.py\n",
    )
    found = findings(repo, "--all", "--select", "DVF102")
    chains = {f["target"]: f["message"] for f in found}
    assert set(chains) == {"src/models/net.py", "src/models/layers.py", "src/utils.py"}
    assert (
        "imports src/utils.py (src/train.py -> src/models/net.py -> src/utils.py)"
        in (chains["src/utils.py"])
    )
    fix = "dvcflow-check --all --fix-only --stage-fixes && dvc repro "
    assert all(f["fix"].startswith(fix) for f in found)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("direct", ["src/models/net.py"]), ("off", []), ("transitive", None)],
)
def test_dvf102_imports_option(repo: Repo, mode: str, expected: list[str] | None) -> None:
    ml_repo(
        repo,
        "stages:\n  train:\n    cmd: python src/train.py\n    deps:\n    - src/train.py\n",
    )
    repo.write("pyproject.toml", f'[tool.dvcflow.deps]\nimports = "{mode}"\n')
    targets = sorted(f["target"] for f in findings(repo, "--all", "--select", "DVF102"))
    assert targets == (
        expected
        if expected is not None
        else sorted(["src/models/net.py", "src/models/layers.py", "src/utils.py"])
    )
