"""Snapshot.parsed: a file's content is parsed once per run, whichever views hold it."""

from __future__ import annotations

import pytest

from dvcflow.dvc.yamlio import YamlError, load_yaml
from dvcflow.git.repo import GitRepo
from dvcflow.git.snapshot import StagedSnapshot, WorkspaceSnapshot

from ..conftest import Repo


def test_views_holding_the_same_text_share_one_parse(repo: Repo) -> None:
    repo.write("a.yaml", "x: 1\n")
    repo.write("b.yaml", "x: 1\n")  # another file with the same text: the same parse
    repo.add()
    git = GitRepo.discover(repo.root)
    staged, workspace = StagedSnapshot(git), WorkspaceSnapshot(git)
    document = staged.parsed("a.yaml", load_yaml)
    assert workspace.parsed("a.yaml", load_yaml) is document
    assert staged.parsed("b.yaml", load_yaml) is document
    assert document.data == {"x": 1}


def test_different_text_or_parser_is_parsed_again(repo: Repo) -> None:
    repo.write("a.yaml", "x: 1\n")
    repo.add()
    repo.write("a.yaml", "x: 2\n")  # the work tree differs from the index
    git = GitRepo.discover(repo.root)
    staged, workspace = StagedSnapshot(git), WorkspaceSnapshot(git)
    assert staged.parsed("a.yaml", load_yaml).data == {"x": 1}
    assert workspace.parsed("a.yaml", load_yaml).data == {"x": 2}
    assert staged.parsed("a.yaml", str.upper) == "X: 1\n"
    assert staged.parsed("a.yaml", str.upper, kind="other") == "X: 1\n"
    assert staged.parsed("a.yaml", len, kind="other") == "X: 1\n"  # the kind names the parse


def test_a_failed_parse_is_raised_in_every_view(repo: Repo) -> None:
    repo.write("bad.yaml", "a: [\n")
    repo.add()
    git = GitRepo.discover(repo.root)
    for snapshot in (StagedSnapshot(git), WorkspaceSnapshot(git)):
        with pytest.raises(YamlError):
            snapshot.parsed("bad.yaml", load_yaml)
