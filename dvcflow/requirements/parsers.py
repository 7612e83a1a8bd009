"""The parser of each dependency-file kind (see `dvcflow.requirements.discover.file_kind`)."""

from __future__ import annotations

from collections.abc import Callable

from dvcflow.requirements.conda import parse_environment_yml
from dvcflow.requirements.locks import parse_conda_lock, parse_pipfile_lock, parse_toml_lock
from dvcflow.requirements.pixi import parse_pixi_lock, parse_pixi_toml
from dvcflow.requirements.pyproject import parse_pipfile, parse_pyproject
from dvcflow.requirements.result import FileResult, Parser, TomlLoads
from dvcflow.requirements.setuptools import parse_setup_cfg, parse_setup_py

PARSERS: dict[str, Parser] = {
    "pyproject": parse_pyproject,
    "pipfile": parse_pipfile,
    "setup.cfg": parse_setup_cfg,
    "setup.py": parse_setup_py,
    "environment": parse_environment_yml,
    "toml-lock": parse_toml_lock,
    "pipfile-lock": parse_pipfile_lock,
    "conda-lock": parse_conda_lock,
    "pixi": parse_pixi_toml,
    "pixi-lock": parse_pixi_lock,
}

# The TOML parsers that take a `loads` (the run's shared parses: Snapshot.parsed_text).
TOML_PARSERS: dict[str, Callable[[str, str, TomlLoads], FileResult]] = {
    "pyproject": parse_pyproject,
    "toml-lock": parse_toml_lock,
}
