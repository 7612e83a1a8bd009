"""Pins that disagree, rewriting a requirement, and when the DVF4 rules run (scope)."""

from __future__ import annotations

import pytest

from dvcflow.requirements.discover import Declarations
from dvcflow.requirements.locks import parse_toml_lock
from dvcflow.requirements.requirements_txt import parse_lines
from dvcflow.rules.pin.scope import conflicts, rewrite_requirement, status
from tests.conftest import Repo


def _decls(*items: tuple[str, str]) -> Declarations:
    """Declarations of several files: (path, requirements-style or lock text)."""
    result = Declarations()
    for path, text in items:
        parser = {"poetry.lock": parse_toml_lock}.get(path)
        parsed = parser(text, path) if parser else parse_lines(text, path)
        result.items.extend(parsed.declarations)
    return result


def test_conflicting_pins_report_the_older_one() -> None:
    decls = _decls(("requirements.txt", "dvc==3.50.0\n"), ("ci/requirements.txt", "dvc==3.48\n"))
    found = conflicts(status(decls, "dvc"))
    assert [(c.declaration.path, c.other.path, c.kind) for c in found] == [
        ("ci/requirements.txt", "requirements.txt", "pin")
    ]


def test_equal_versions_and_marker_split_pins_do_not_conflict() -> None:
    same = _decls(("a/requirements.txt", "dvc==3.50\n"), ("requirements.txt", "dvc==3.50.0\n"))
    assert conflicts(status(same, "dvc")) == []
    split = _decls(
        (
            "requirements.txt",
            'dvc==2.58.2; python_version < "3.8"\ndvc==3.50.0; python_version >= "3.8"\n',
        )
    )
    assert conflicts(status(split, "dvc")) == []


def test_stale_lock_and_excluding_range() -> None:
    lock = '[[package]]\nname = "dvc"\nversion = "3.48.0"\n'
    decls = _decls(
        ("requirements.txt", "dvc==3.50.0\n"),
        ("poetry.lock", lock),
        ("setup-reqs/requirements.txt", "dvc<3.49\n"),
    )
    found = {(c.declaration.path, c.kind) for c in conflicts(status(decls, "dvc"))}
    assert found == {("poetry.lock", "lock"), ("setup-reqs/requirements.txt", "range")}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("dvc>=3", "dvc==3.67.1"),
        (
            "dvc[s3] >= 3.0, <4 ; python_version >= '3.9'",
            "dvc[s3]==3.67.1 ; python_version >= '3.9'",
        ),
        ("Dvc_S3~=3.0;sys_platform=='linux'", "Dvc_S3==3.67.1;sys_platform=='linux'"),
        ("dvc (>=3)", "dvc==3.67.1"),
        ("dvc @ https://x/dvc.whl", None),
    ],
)
def test_rewrite_requirement_keeps_name_extras_and_marker(raw: str, expected: str | None) -> None:
    assert rewrite_requirement(raw, "3.67.1") == expected


def test_scope_first_commit_staged_file_and_all(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "dvc>=3\n")
    pin_repo.add()
    assert pin_repo.check("--select", "DVF401")[0] == 1  # first commit: always checked
    pin_repo.commit("unpinned")
    pin_repo.write("train.py", "print(1)\n")
    pin_repo.add("train.py")
    assert pin_repo.check("--select", "DVF401")[0] == 0  # no dependency file staged
    assert pin_repo.check("--all", "--select", "DVF401")[0] == 1
    pin_repo.write("requirements.txt", "dvc>=3\npandas\n")
    pin_repo.add("requirements.txt")
    assert pin_repo.check("--select", "DVF401")[0] == 1


def test_scope_includes_included_files_and_deletions(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "-r deps/base.txt\n")
    pin_repo.write("deps/base.txt", "dvc>=3\n")
    pin_repo.add()
    pin_repo.commit("base")
    pin_repo.write("deps/base.txt", "dvc>=3\nnumpy\n")
    pin_repo.add("deps/base.txt")
    assert pin_repo.check("--select", "DVF401")[0] == 1
    pin_repo.commit("numpy")
    pin_repo.git("rm", "-q", "requirements.txt")
    code, out = pin_repo.check("--select", "DVF401")
    assert code == 1 and "dvc is not declared" in out


def test_lock_matching_one_of_marker_split_pins_is_not_stale() -> None:
    lock = '[[package]]\nname = "dvc"\nversion = "3.50.0"\n'
    split = 'dvc==2.58.2; python_version < "3.8"\ndvc==3.50.0; python_version >= "3.8"\n'
    decls = _decls(("requirements.txt", split), ("poetry.lock", lock))
    assert conflicts(status(decls, "dvc")) == []


def test_lock_with_several_versions_is_not_compared() -> None:
    forked = (
        '[[package]]\nname = "dvc"\nversion = "2.58.2"\n\n'
        '[[package]]\nname = "dvc"\nversion = "3.50.0"\n'
    )
    decls = _decls(("requirements.txt", "dvc==3.50.0\n"), ("poetry.lock", forked))
    assert conflicts(status(decls, "dvc")) == []
