"""DVF403 plugin-not-pinned, and packages configured with `[tool.dvcflow.pin]`."""

from __future__ import annotations

from tests.conftest import Repo
from tests.requirements.conftest import DVC, dedent
from tests.rules.pin.conftest import codes


def test_plugins_must_be_pinned(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"dvc=={DVC}\ndvc-s3>=3.0\ndvc_gs==3.0.1\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF403")
    assert code == 1
    [line] = codes(out, "DVF403")
    assert line.startswith("requirements.txt:2:1: DVF403 DVC plugin dvc-s3 is declared as")
    # the installed version where the tests install dvc-s3, else how to find one
    assert "(the installed version)" in out or "(`pip show dvc-s3` prints it)" in out


def test_plugin_pinned_by_a_lock_file(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"dvc=={DVC}\n")
    pin_repo.write("pyproject.toml", '[project]\nname = "x"\ndependencies = ["dvc-s3>=3"]\n')
    pin_repo.write("uv.lock", '[[package]]\nname = "dvc-s3"\nversion = "3.2.0"\n')
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF403")[0] == 0


def test_configured_packages_are_checked_too(pin_repo: Repo) -> None:
    pin_repo.write(
        "pyproject.toml",
        dedent("""
        [project]
        name = "x"
        dependencies = ["mlflow>=2"]

        [tool.dvcflow.pin]
        packages = ["mlflow", "scikit-learn", "not-installed-here"]
    """),
    )
    pin_repo.write("requirements.txt", f"dvc=={DVC}\nnot-installed-here==1.0\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1
    assert "pyproject.toml:3:17: DVF401 mlflow is declared as `mlflow>=2`" in out
    assert "requirements.txt: DVF401 scikit-learn is not declared in any dependency file" in out
    assert len(codes(out, "DVF401")) == 2
    assert "DVF402" not in pin_repo.check("--all", "--select", "DVF402")[1]  # nothing installed
