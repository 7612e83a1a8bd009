"""dvcflow.requirements.dists: installed versions read from metadata folders."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

from dvcflow.requirements.dists import installed_version


def test_every_installed_distribution_agrees_with_importlib_metadata() -> None:
    names = {d.metadata["Name"] for d in importlib.metadata.distributions()}
    assert {"dvc", "mlflow", "pytest"} <= names
    for name in sorted(names):
        assert installed_version(name) == importlib.metadata.version(name), name


def test_name_normalisation_and_absence() -> None:
    assert installed_version("ruamel_yaml") == importlib.metadata.version("ruamel.yaml")
    assert installed_version("DVC-Data") == importlib.metadata.version("dvc-data")
    assert installed_version("no-such-package-dvcflow") is None


def test_egg_info_without_a_version_in_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    egg = tmp_path / "my_tool.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: my-tool\nVersion: 1.2.3\n\nbody\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    assert installed_version("my-tool") == "1.2.3"
    assert installed_version("my-tool") == importlib.metadata.version("my-tool")
