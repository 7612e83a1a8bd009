"""Version constraints in every syntax: PEP 440, Poetry, conda."""

from __future__ import annotations

import pytest

from dvcflow.requirements.model import (
    parse_conda_spec,
    pep440_constraint,
    poetry_constraint,
)


@pytest.mark.parametrize(
    ("text", "pinned", "allows_3_55"),
    [
        ("3.50.0", True, False),
        ("==3.50.0", True, False),
        ("=3.50.0", True, False),
        ("^3.50", False, True),
        ("^0.3.1", False, False),
        ("~3.50", False, False),
        ("*", False, True),
        (">=3.0,<4.0", False, True),
        (">=3.0 <3.51", False, False),
        ("3.50.*", False, False),
    ],
)
def test_poetry_constraints(text: str, pinned: bool, allows_3_55: bool) -> None:
    constraint = poetry_constraint(text)
    assert constraint.pinned is pinned
    assert constraint.allowed is not None
    assert constraint.allowed.contains("3.55.0") is allows_3_55


@pytest.mark.parametrize(
    ("spec", "pinned", "version"),
    [
        ("dvc=3.50.0", True, "3.50.0"),
        ("dvc==3.50.0", True, "3.50.0"),
        ("dvc 3.50.0", True, "3.50.0"),
        ("dvc 3.50.0 pyhd8ed1ab_0", True, "3.50.0"),
        ("conda-forge::dvc=3.50.0=pyhd8ed1ab_0", True, "3.50.0"),
        ("dvc=3.50", False, None),
        ("dvc 3.50.*", False, None),
        ("dvc>=3.50,<4", False, None),
        ("dvc", False, None),
    ],
)
def test_conda_specs(spec: str, pinned: bool, version: str | None) -> None:
    parsed = parse_conda_spec(spec)
    assert parsed is not None
    name, constraint = parsed
    assert (name, constraint.pinned, constraint.version) == ("dvc", pinned, version)


def test_looseness_orders_any_before_lower_bound_before_bounded() -> None:
    loose = [pep440_constraint(s).looseness for s in ("", ">=3", "~=3.5", "==3.5.0")]
    assert loose == sorted(loose) and len(set(loose)) == 4
