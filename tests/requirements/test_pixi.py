"""pixi manifests (pixi.toml, `[tool.pixi]`) and pixi.lock, as pixi declares and pins packages."""

from __future__ import annotations

from dvcflow.requirements.pixi import parse_pixi_lock, parse_pixi_toml
from dvcflow.requirements.pyproject import parse_pyproject
from tests.requirements.conftest import PIXI_TOML, dedent, only


def test_pixi_toml_every_table() -> None:
    result = parse_pixi_toml(PIXI_TOML, "pixi.toml")
    assert result.problems == []
    dvc = only(result.declarations, "dvc")
    assert (dvc.line, dvc.pinned, dvc.section) == (10, False, "[feature.data.dependencies]")
    s3 = only(result.declarations, "dvc-s3")
    assert (s3.line, s3.pinned, s3.version) == (11, True, "3.2.0")
    assert only(result.declarations, "libsqlite").pinned is False  # conda's `=3.48` is 3.48.*
    mlflow = only(result.declarations, "mlflow")
    assert (mlflow.pinned, mlflow.section) == (True, "[pypi-dependencies]")
    assert only(result.declarations, "books").url == "."


def test_tool_pixi_in_pyproject() -> None:
    text = '[project]\nname = "x"\n\n[tool.pixi.dependencies]\ndvc = "==3.60.0"\n'
    dvc = only(parse_pyproject(text, "pyproject.toml").declarations, "dvc")
    assert (dvc.line, dvc.pinned, dvc.section) == (5, True, "[tool.pixi.dependencies]")


def test_pixi_lock_pins_conda_archives_and_pypi_entries() -> None:
    text = dedent("""
        version: 6
        environments:
          default:
            packages:
              linux-64:
              - conda: https://conda.anaconda.org/conda-forge/noarch/dvc-3.60.0-pyhd8ed1ab_0.conda
        packages:
        - conda: https://conda.anaconda.org/conda-forge/noarch/dvc-s3-3.2.0-pyhd8ed1ab_1.conda
          sha256: abc
        - conda: https://conda.anaconda.org/conda-forge/noarch/dvc-3.60.0-pyhd8ed1ab_0.conda
          sha256: def
        - pypi: https://files.example/mlflow-2.19.0-py3-none-any.whl
          name: mlflow
          version: 2.19.0
    """)
    result = parse_pixi_lock(text, "pixi.lock")
    dvc = only(result.declarations, "dvc")
    assert (dvc.line, dvc.version, dvc.is_lock) == (10, "3.60.0", True)
    assert only(result.declarations, "dvc-s3").version == "3.2.0"
    assert only(result.declarations, "mlflow").line == 12


def test_broken_pixi_lock_is_a_problem_with_its_line() -> None:
    result = parse_pixi_lock("packages:\n- conda: [\n", "pixi.lock")
    assert [(p.line, p.whole_file) for p in result.problems] == [(3, True)]
