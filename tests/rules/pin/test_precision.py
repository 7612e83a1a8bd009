"""DVF4 errs only on what it knows: lines from real-world layouts that are none of its business.

Each case is a layout seen in public repositories: a cookiecutter template beside (or instead
of) the project, uv / pip-tools `.in` files, setup.cfg with interpolation and inline comments.
The wrong case fires, the right one does not, and nothing unreadable that names no checked
package blocks a commit.
"""

from __future__ import annotations

from tests.conftest import Repo
from tests.requirements.conftest import DVC, PIXI_TOML

TEMPLATE = "{{cookiecutter.repo_name}}"


def test_cookiecutter_template_files_are_not_declarations(pin_repo: Repo) -> None:
    """The template's own files use `{{ }}` markers: neither errors nor pins of this repo."""
    pin_repo.write("requirements.txt", f"dvc=={DVC}\n")
    pin_repo.write(f"{TEMPLATE}/requirements.txt", "dvc>={{ cookiecutter.dvc_version }}\n{{ x }}\n")
    pin_repo.write(
        f"{TEMPLATE}/setup.py",
        'from setuptools import setup\nsetup(name="{{ cookiecutter.repo_name }}",\n'
        '      install_requires=["dvc>={{cookiecutter.dvc_version}}"])\n',
    )
    pin_repo.write(f"{TEMPLATE}/dvc.yaml", "stages: {}\n")
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF4") == (0, "All checks passed.\n")


def test_a_template_repository_is_not_a_dvc_project(repo: Repo) -> None:
    """A cookiecutter repository whose DVC project lives only in the template: no DVF4 finding
    for the template repository itself."""
    repo.write(f"{TEMPLATE}/.dvc/config", "")
    repo.write(f"{TEMPLATE}/dvc.yaml", "stages: {}\n")
    repo.write(f"{TEMPLATE}/requirements.txt", "dvc\n")
    repo.write("requirements.txt", "cookiecutter\n")
    repo.add()
    assert repo.check("--all", "--select", "DVF4") == (0, "All checks passed.\n")


def test_a_templated_requirements_file_hides_the_pin_it_will_hold(pin_repo: Repo) -> None:
    """Jinja markers in a file's text: what it declares is not known, so dvc is not "missing"."""
    pin_repo.write("requirements.txt", "dvc=={{ dvc_version }}\n")
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF4") == (0, "All checks passed.\n")


def test_uv_editable_name_at_path_is_a_declaration(pin_repo: Repo) -> None:
    pin_repo.write(
        "requirements.in",
        f"--editable mypkg @ ./src/mypkg\n-e other @ file:./lib\ndvc=={DVC}\n",
    )
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF4") == (0, "All checks passed.\n")


def test_uv_in_file_with_a_ranged_dvc_still_fires(pin_repo: Repo) -> None:
    pin_repo.write("requirements.in", "-e mypkg @ ./src/mypkg\ndvc>=3.0\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 1
    assert "requirements.in:2:1: DVF401 dvc is declared as `dvc>=3.0`" in out
    assert (
        f"change line 2 to `dvc=={DVC}`" in out
        and "help: dvcflow-check --all --fix-only --stage-fixes" in out
    )


def test_setup_cfg_interpolation_and_inline_comments(pin_repo: Repo) -> None:
    """setuptools' ConfigParser interpolates `%(name)s`; an inline comment is not a marker."""
    pin_repo.write(
        "setup.cfg",
        "[DEFAULT]\n"
        f"dvc_version = {DVC}\n"
        "[metadata]\nname = proj\n"
        "[options]\ninstall_requires =\n"
        "    dvc==%(dvc_version)s\n"
        "    numpy>=1.20  # arrays\n"
        "    pandas ; python_version >= '3.8'\n"
        "    %(undefined)s-extra\n",
    )
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF4") == (0, "All checks passed.\n")


def test_setup_cfg_range_with_a_comment_fires_at_its_line(pin_repo: Repo) -> None:
    pin_repo.write("setup.cfg", "[options]\ninstall_requires =\n    dvc>=3.0 ; we need 3.x\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 1
    assert "setup.cfg:3:5: DVF401 dvc is declared as `dvc>=3.0`" in out


def test_fix_then_the_printed_git_add_leaves_nothing_to_report(pin_repo: Repo) -> None:
    """`--fix` edits the work tree; the help line's `git add` puts it in the commit."""
    pin_repo.write("requirements.txt", "pandas\ndvc>=3.0\n")
    pin_repo.add()
    pin_repo.commit("unpinned")
    pin_repo.write("requirements.txt", "pandas\ndvc>=3.0\nnumpy\n")
    pin_repo.add()
    code, out = pin_repo.check("--select", "DVF4")
    assert code == 1 and "help: dvcflow-check --fix-only --stage-fixes" in out
    pin_repo.check("--fix", "--select", "DVF4")
    assert pin_repo.check("--select", "DVF4")[0] == 1  # fixed in the work tree, not staged yet
    pin_repo.git("add", "requirements.txt")
    assert pin_repo.check("--select", "DVF4") == (0, "All checks passed.\n")
    assert pin_repo.read("requirements.txt") == f"pandas\ndvc=={DVC}\nnumpy\n"


def test_the_printed_fix_pins_and_stages_but_holds_a_file_with_unstaged_edits(
    pin_repo: Repo,
) -> None:
    """The help line (`--fix-only --stage-fixes`) writes the pin and stages it; a file that
    also has unstaged edits is fixed but not staged (`git add` would sweep them in), exit 1."""
    pin_repo.write("requirements.txt", "pandas\ndvc>=3.0\n")
    pin_repo.add()
    code, out = pin_repo.check("--select", "DVF4")
    fix = out.split("help: ", 1)[1].splitlines()[0]
    assert code == 1 and fix == "dvcflow-check --fix-only --stage-fixes"
    assert pin_repo.check("--fix-only", "--stage-fixes", "--select", "DVF4")[0] == 0
    assert pin_repo.git("diff", "--name-only") == ""  # staged, nothing left in the work tree
    assert pin_repo.check("--select", "DVF4") == (0, "All checks passed.\n")
    assert pin_repo.check("--fix-only", "--stage-fixes") == (0, "dvcflow: nothing to fix\n")

    pin_repo.write("requirements.txt", "pandas\ndvc>=3.0\n")
    pin_repo.add()
    pin_repo.write("requirements.txt", "pandas\ndvc>=3.0\nnumpy  # not for this commit\n")
    code, _ = pin_repo.check("--fix-only", "--stage-fixes", "--select", "DVF4")
    assert code == 1
    assert pin_repo.read("requirements.txt").startswith(f"pandas\ndvc=={DVC}\n")
    staged = pin_repo.git("show", ":requirements.txt")
    assert staged == "pandas\ndvc>=3.0\n", staged


def test_pixi_project_ranged_fires_and_the_lock_pins(pin_repo: Repo) -> None:
    """A pixi project declares dvc with a range: DVF401 at pixi.toml; its pixi.lock pins it."""
    pin_repo.write("pixi.toml", PIXI_TOML)
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1
    assert 'pixi.toml:10:1: DVF401 dvc is declared as `dvc = "~=3.30"`' in out
    assert (
        f'change line 10 to `dvc = "=={DVC}"`' in out
        and "help: dvcflow-check --all --fix-only --stage-fixes" in out
    )
    pin_repo.write(
        "pixi.lock",
        "version: 6\npackages:\n"
        f"- conda: https://conda.anaconda.org/conda-forge/noarch/dvc-{DVC}-pyhd8ed1ab_0.conda\n",
    )
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF401") == (0, "All checks passed.\n")
