"""DVF401 dvc-not-pinned through `dvcflow-check` on real Git repositories."""

from __future__ import annotations

import pytest

from tests.conftest import Repo
from tests.requirements.conftest import DVC
from tests.rules.pin.conftest import codes

FORMATS = [
    ("requirements.txt", "pandas\ndvc>=3\n", "pandas\ndvc=={v}\n", 2),
    ("requirements/prod.txt", "dvc[s3]>=3\n", "dvc[s3]=={v}\n", 1),
    (
        "pyproject.toml",
        '[project]\nname = "x"\ndependencies = ["dvc>=3"]\n',
        '[project]\nname = "x"\ndependencies = ["dvc=={v}"]\n',
        3,
    ),
    (
        "pyproject.toml",
        '[dependency-groups]\ndev = ["dvc>=3"]\n',
        '[dependency-groups]\ndev = ["dvc=={v}"]\n',
        2,
    ),
    (
        "pyproject.toml",
        '[tool.poetry.group.dev.dependencies]\ndvc = "^3.0"\n',
        '[tool.poetry.group.dev.dependencies]\ndvc = "{v}"\n',
        2,
    ),
    (
        "pyproject.toml",
        '[tool.poetry.dependencies]\ndvc = {{version = "^3.0", extras = ["s3"]}}\n',
        '[tool.poetry.dependencies]\ndvc = {{version = "{v}", extras = ["s3"]}}\n',
        2,
    ),
    (
        "pyproject.toml",
        '[tool.uv]\ndev-dependencies = ["dvc>=3"]\n',
        '[tool.uv]\ndev-dependencies = ["dvc=={v}"]\n',
        2,
    ),
    (
        "setup.cfg",
        "[options]\ninstall_requires =\n    dvc>=3\n",
        "[options]\ninstall_requires =\n    dvc=={v}\n",
        3,
    ),
    (
        "environment.yml",
        "dependencies:\n  - python=3.11\n  - dvc>=3\n",
        "dependencies:\n  - python=3.11\n  - dvc={v}\n",
        3,
    ),
    (
        "environment.yml",
        "dependencies:\n  - pip:\n    - dvc>=3\n",
        "dependencies:\n  - pip:\n    - dvc=={v}\n",
        3,
    ),
    ("Pipfile", '[packages]\ndvc = ">=3"\n', '[packages]\ndvc = "=={v}"\n', 2),
]


@pytest.mark.parametrize(("path", "ranged", "pinned", "line"), FORMATS)
def test_every_format_ranged_fires_and_pinned_passes(
    pin_repo: Repo, path: str, ranged: str, pinned: str, line: int
) -> None:
    pin_repo.write(path, ranged.format(v=DVC))
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 1, out
    [finding] = codes(out, "DVF401")
    assert finding.startswith(f"{path}:{line}:") and "which does not pin an exact version" in out
    if "; the fix: " in out:  # a format --fix edits: the help line runs it
        assert DVC in out.split("the fix:", 1)[1]
        assert "help: dvcflow-check --all --fix-only --stage-fixes" in out
    else:
        assert DVC in out.split("help:", 1)[1]
    pin_repo.write(path, pinned.format(v=DVC))
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF4") == (0, "All checks passed.\n")


def test_pinned_dvc_is_clean(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"pandas>=2\ndvc[s3]=={DVC}\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 0, out
    assert "All checks passed" in out


def test_ranged_dvc_fires_at_the_loosest_declaration(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "pandas\ndvc[s3]~=3.0\n")
    pin_repo.write("requirements-dev.txt", "-r requirements.txt\ndvc>=3\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1
    [line] = codes(out, "DVF401")
    assert line.startswith("requirements-dev.txt:2:1: DVF401 dvc is declared as `dvc>=3`")
    assert "nor does requirements.txt:2" in line
    assert f"the fix: change line 2 to `dvc=={DVC}` (the installed version)" in out


def test_missing_dvc_is_reported_at_the_main_requirements_file(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "pandas\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1
    assert "requirements.txt: DVF401 dvc is not declared in any dependency file" in out
    assert f"the fix: add `dvc=={DVC}` to requirements.txt (the installed version)" in out


def test_repositories_without_dvc_are_not_checked(repo: Repo) -> None:
    repo.write("requirements.txt", "pandas\n")
    repo.add()
    assert repo.check("--all", "--select", "DVF4")[0] == 0  # a missing dvc is not an error
    repo.write(
        "pyproject.toml", '[project]\nname = "lib"\ndependencies = ["dvc>=3", "dvc-s3>=3"]\n'
    )
    repo.add()
    assert repo.check("--all", "--select", "DVF4")[0] == 0  # a library keeps its ranges
    repo.write("dvc.yaml", "stages: {}\n")
    repo.add()
    code, out = repo.check("--all", "--select", "DVF4")
    assert code == 1 and len(codes(out, "DVF401")) == 1 and len(codes(out, "DVF403")) == 1


def test_dvc_files_without_a_dvc_project_are_not_dvc_use(repo: Repo) -> None:
    """As owid/etl: thousands of `.dvc` files read by its own tools, no `.dvc/` folder, no dvc
    dependency. DVC reads none of them (`dvc status`: not inside a DVC repository)."""
    repo.write("pyproject.toml", '[project]\nname = "etl"\ndependencies = ["pandas"]\n')
    repo.write(
        "snapshots/a.csv.dvc", "outs:\n- md5: 0cc175b9c0f1b6a831c399e269772661\n  path: a.csv\n"
    )
    repo.add()
    assert repo.check("--all", "--select", "DVF4") == (0, "All checks passed.\n")
    repo.write(".dvc/config", "")
    repo.add()
    code, out = repo.check("--all", "--select", "DVF4")
    assert code == 1 and len(codes(out, "DVF401")) == 1


@pytest.mark.slow  # `dvc init` alone takes seconds on a loaded machine
def test_dvc_init_repository_with_poetry_range(dvc_repo: Repo) -> None:
    dvc_repo.write(
        "pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.10"\ndvc = "^3.50"\n'
    )
    dvc_repo.add()
    code, out = dvc_repo.check("--select", "DVF401")
    assert code == 1
    assert 'pyproject.toml:3:1: DVF401 dvc is declared as `dvc = "^3.50"`' in out
    assert f'the fix: change line 3 to `dvc = "{DVC}"`' in out
    before = dvc_repo.path("pyproject.toml").read_bytes()
    dvc_repo.check("--select", "DVF401", "--fix")
    assert dvc_repo.path("pyproject.toml").read_bytes() == before  # Poetry: printed, not edited


def test_lock_file_entry_counts_as_pinned(pin_repo: Repo) -> None:
    pin_repo.write("pyproject.toml", '[tool.poetry.dependencies]\ndvc = "^3.50"\n')
    pin_repo.write("poetry.lock", f'[[package]]\nname = "dvc"\nversion = "{DVC}"\n')
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF4")[0] == 0


def test_conda_environment_pin_counts(pin_repo: Repo) -> None:
    pin_repo.write("environment.yml", f"dependencies:\n  - dvc={DVC}\n  - pip\n")
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF4") == (0, "All checks passed.\n")


def test_conflicting_pins_are_an_error(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"dvc=={DVC}\n")
    pin_repo.write("pyproject.toml", '[project]\nname = "x"\ndependencies = ["dvc==3.50.0"]\n')
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 1
    assert (
        f"pyproject.toml:3:17: DVF401 dvc is pinned to 3.50.0 here but to {DVC} in "
        "requirements.txt:1"
    ) in out
    assert f'help: pin one version everywhere: change line 3 to `"dvc=={DVC}"`' in out
    assert "DVF402" not in out  # a conflict is DVF401's to report


def test_stale_lock_file_names_the_command(pin_repo: Repo) -> None:
    pin_repo.write("app/pyproject.toml", f'[tool.poetry.dependencies]\ndvc = "{DVC}"\n')
    pin_repo.write("app/poetry.lock", '[[package]]\nname = "dvc"\nversion = "3.50.0"\n')
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1
    assert "app/poetry.lock:3:1: DVF401 poetry.lock locks dvc 3.50.0" in out
    assert "help: regenerate the lock file: `cd app && poetry lock`" in out


def test_suppression_comment_on_the_line(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "dvc>=3  # dvcflow: ignore[DVF401]\n")
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF401")[0] == 0


def test_explain_prints_the_rule_documentation(repo: Repo) -> None:
    for code in ("DVF401", "DVF402", "DVF403"):
        status_code, out = repo.check("--explain", code)
        assert status_code == 0 and out.startswith(code)


def test_bad_toml_naming_dvc_is_a_warning_with_its_line(pin_repo: Repo) -> None:
    """A file that cannot be read but names dvc may hold the pin: a warning at the TOML error,
    and no claim that dvc is missing."""
    pin_repo.write("sub/pyproject.toml", '[project]\nname = "x"\ndependencies = [\n"dvc",,\n]\n')
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 0
    assert "sub/pyproject.toml:4:" in out and "is not valid TOML" in out
    assert "whether it pins dvc cannot be checked" in out and "1 warning" in out
    assert "Traceback" not in out
    assert "not declared" not in out  # the unreadable file may hold the pin


def test_bad_toml_not_naming_dvc_is_none_of_dvf4s_business(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"dvc=={DVC}\n")
    pin_repo.write("tools/pyproject.toml", "[tool.black\nline-length = 100\n")
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF4") == (0, "All checks passed.\n")


def test_bad_requirement_lines_and_binary_file(pin_repo: Repo) -> None:
    """An unreadable line that names no checked package is no finding; one naming dvc and a
    binary file (which may) are warnings naming their place."""
    pin_repo.write("requirements.txt", f"dvc=={DVC}\nthis is not ! a requirement\ndvc-s3 >= 3 !!\n")
    pin_repo.write("requirements-gpu.txt", b"\x00\x01binary")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 0, out
    assert "not ! a requirement" not in out
    assert "requirements.txt:3:1: DVF401 invalid requirement `dvc-s3 >= 3 !!`" in out
    assert "requirements-gpu.txt: DVF401 requirements-gpu.txt cannot be read" in out
    assert "(0 errors, 2 warnings)" in out
    assert "Traceback" not in out


def test_missing_include_and_cycle_are_warnings(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"dvc=={DVC}\n-r dev.txt\n-c constraints/pins.txt\n")
    pin_repo.write("dev.txt", "-r requirements.txt\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 0
    assert "dev.txt:1:1: DVF401 `-r requirements.txt` includes a file that includes this one" in out
    assert "requirements.txt:3:1: DVF401 `-c constraints/pins.txt` names constraints/" in out
    assert "(0 errors, 2 warnings)" in out


def test_computed_setup_py_does_not_claim_dvc_is_missing(pin_repo: Repo) -> None:
    pin_repo.write("setup.py", "from setuptools import setup\nsetup(install_requires=get())\n")
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF401")[0] == 0
    pin_repo.write("setup.py", "from setuptools import setup\nsetup(install_requires=['dvc>3'])\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1 and f"""the fix: change line 2 to `"dvc=={DVC}"`""" in out


def test_subdir_project_is_judged_by_its_own_files(repo: Repo) -> None:
    """A `dvc init --subdir` project's pin lives in its folder, not in an unrelated root package."""
    repo.write("pyproject.toml", '[project]\nname = "tool"\ndependencies = ["dvc==3.50.0"]\n')
    sub = repo.root / "ml"
    sub.mkdir()
    repo.dvc("init", "-q", "--subdir", cwd=sub)
    repo.write("ml/requirements.txt", "dvc>=3.0\n")
    repo.add()
    code, out = repo.check("--all", "--select", "DVF401")
    assert code == 1 and "ml/requirements.txt:1:1: DVF401" in out
    repo.write("ml/requirements.txt", "pandas\n")
    repo.add()
    code, out = repo.check("--all", "--select", "DVF401")
    assert code == 1 and "ml/requirements.txt" in out and "dvc==" in out
