"""pyproject.toml is parsed once per run: dvcflow's config and the dependency rules share it."""

from __future__ import annotations

from typing import Any

from dvcflow.context import Context
from dvcflow.requirements.discover import collect
from dvcflow.requirements.result import toml_loads

from ..conftest import Repo

PYPROJECT = """\
[project]
name = "demo"
dependencies = ["dvc==3.50.0"]

[tool.dvcflow]
max-file-size-mb = 5
"""


def _not_again(text: str) -> dict[str, Any]:
    raise AssertionError("parsed a second time")


def test_config_and_declarations_share_one_parse(repo: Repo) -> None:
    repo.write("pyproject.toml", PYPROJECT)
    repo.add()
    ctx = Context.from_cwd(repo.root)
    assert ctx.config.max_file_size_mb == 5
    text = ctx.staged.read_text("pyproject.toml")
    data = ctx.staged.parsed_text(text, _not_again, kind=toml_loads)  # the config's parse
    assert data["project"]["dependencies"] == ["dvc==3.50.0"]
    decls = collect(ctx.staged)
    assert [(d.package, d.version) for d in decls.of("dvc")] == [("dvc", "3.50.0")]
