"""`dvcflow-check --fix` for the DVF4 rules: byte-preserving pins and appended pins."""

from __future__ import annotations

from tests.conftest import Repo
from tests.requirements.conftest import DVC, DVC_DATA, dedent


def _fix_twice(repo: Repo, *select: str) -> tuple[str, str]:
    """Run --fix, stage, run --fix again (which must change nothing); return both outputs."""
    _, first = repo.check("--all", "--select", ",".join(select), "--fix")
    assert "dvcflow: fixed" in first
    repo.add()
    _, second = repo.check("--all", "--select", ",".join(select), "--fix")
    assert "dvcflow: fixed" not in second
    return first, second


def test_fix_rewrites_only_the_range(pin_repo: Repo) -> None:
    original = (
        "# pinned for the team\r\n"
        "pandas>=2  # data\r\n"
        "dvc[s3] >= 3.0 ; python_version >= '3.9'  # keep this comment\r\n"
        "\r\n"
        "numpy==1.26.4 \\\r\n"
        "    --hash=sha256:abcd\r\n"
        "dvc-data>=3.0\r\n"
        "scipy"
    )
    pin_repo.write("requirements.txt", original.encode())
    pin_repo.add()
    _, first = pin_repo.check("--all", "--select", "DVF4", "--fix")
    assert "fixed requirements.txt" in first
    fixed = pin_repo.path("requirements.txt").read_bytes().decode()
    assert fixed == (
        original.replace("dvc[s3] >= 3.0 ;", f"dvc[s3]=={DVC} ;").replace(
            "dvc-data>=3.0", f"dvc-data=={DVC_DATA}"
        )
    )
    pin_repo.add()
    code, second = pin_repo.check("--all", "--select", "DVF4", "--fix")
    assert code == 0 and "fixed" not in second
    assert pin_repo.path("requirements.txt").read_bytes().decode() == fixed


def test_fix_pins_a_pep621_array_item(pin_repo: Repo) -> None:
    original = dedent("""
        [project]
        name = "demo"
        dependencies = [
            "pandas>=2",  # data
            "dvc>=3.0",
        ]

        [tool.ruff]
        line-length = 100
    """)
    pin_repo.write("pyproject.toml", original)
    pin_repo.add()
    _fix_twice(pin_repo, "DVF401")
    assert pin_repo.read("pyproject.toml") == original.replace('"dvc>=3.0"', f'"dvc=={DVC}"')
    assert pin_repo.check("--all", "--select", "DVF401")[0] == 0


def test_fix_appends_the_missing_pin(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "pandas\nnumpy", dedent=False)  # no final newline
    pin_repo.add()
    _, second = _fix_twice(pin_repo, "DVF401")
    assert pin_repo.read("requirements.txt") == f"pandas\nnumpy\ndvc=={DVC}\n"
    assert "fixed" not in second


def test_fix_appends_to_pep621_dependencies(pin_repo: Repo) -> None:
    original = '[project]\nname = "demo"\ndependencies = [\n    "pandas",\n]\n'
    pin_repo.write("pyproject.toml", original)
    pin_repo.add()
    _fix_twice(pin_repo, "DVF401")
    assert pin_repo.read("pyproject.toml") == original.replace(
        '"pandas",\n', f'"pandas",\n    "dvc=={DVC}",\n'
    )


def test_fix_creates_requirements_txt_when_nothing_declares_dependencies(pin_repo: Repo) -> None:
    pin_repo.write("dvc.yaml", "stages: {}\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1 and f"the fix: create requirements.txt with `dvc=={DVC}`" in out
    pin_repo.check("--all", "--select", "DVF401", "--fix")
    assert pin_repo.read("requirements.txt") == f"dvc=={DVC}\n"
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF401")[0] == 0


def test_fix_leaves_a_range_that_excludes_the_installed_version(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "dvc>=3.0,<3.1\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401", "--fix")
    assert code == 1
    assert f"the installed {DVC} is outside" in out
    assert pin_repo.read("requirements.txt") == "dvc>=3.0,<3.1\n"
