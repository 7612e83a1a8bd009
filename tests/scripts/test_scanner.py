"""dvcflow.scripts.scanner: which local files a stage's `cmd` runs (pure; in-memory files)."""

from __future__ import annotations

import pytest

from dvcflow.scripts.invocation import Invocation
from dvcflow.scripts.scanner import CommandScanner, command_lines, scan_cmd

FILES = frozenset(
    {
        "train.py",
        "src/train.py",
        "src/prepare.py",
        "sub/s.py",
        "pkg/__init__.py",
        "pkg/mod.py",
        "src/app/__init__.py",
        "src/app/__main__.py",
        "src/app/cli.py",
        "lib/tool/__main__.py",
        "analysis.R",
        "run.sh",
        "scripts/run.sh",
        "scripts/inner.sh",
        "lib/env.sh",
        "bin/tool",
        "model.jl",
        "load.jl",
        "report.js",
        "nb.ipynb",
        "nb.py",
        "report.qmd",
        "data/raw.csv",
    }
)


def scripts(
    cmd: str | list[str], wdir: str = "", roots: tuple[str, ...] = ("", "src")
) -> list[str]:
    return [i.script for i in scan_cmd(cmd, wdir, FILES.__contains__, roots)]


def one(cmd: str, wdir: str = "") -> Invocation:
    found = scan_cmd(cmd, wdir, FILES.__contains__, ("", "src"))
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        ("python train.py", ["train.py"]),
        ("python3 src/train.py data/raw.csv model.pkl", ["src/train.py"]),
        ("python3.11 -u -O -W ignore -X dev src/train.py", ["src/train.py"]),
        ("python -uB -Wignore src/train.py", ["src/train.py"]),
        (".venv/bin/python train.py", ["train.py"]),
        ("python -m pkg.mod --epochs 3", ["pkg/mod.py"]),
        ("python -m app", ["src/app/__main__.py"]),
        ("python -mpkg.mod", ["pkg/mod.py"]),
        ("python -c 'import pkg' data/raw.csv", []),
        ("Rscript analysis.R data/raw.csv", ["analysis.R"]),
        ("Rscript --vanilla --default-packages=stats analysis.R", ["analysis.R"]),
        ("Rscript -e 'source(\"analysis.R\")'", ["analysis.R"]),
        ("Rscript -e \"rmarkdown::render('report.qmd')\"", ["report.qmd"]),
        ("Rscript -e 'library(x)' -e 'quarto::quarto_render(\"report.qmd\")'", ["report.qmd"]),
        ('R -e \'rmarkdown::render(input = "report.qmd", output_dir = "out")\'', ["report.qmd"]),
        ("Rscript -e 'print(1)'", []),
        ("R -f analysis.R", ["analysis.R"]),
        ("R --no-save --file=analysis.R", ["analysis.R"]),
        ("R CMD BATCH analysis.R out.Rout", ["analysis.R"]),
        ("R --vanilla < analysis.R", ["analysis.R"]),
        ("bash run.sh", ["run.sh"]),
        ("sh -eu scripts/run.sh", ["scripts/run.sh"]),
        ("zsh -o pipefail run.sh", ["run.sh"]),
        ("source lib/env.sh && python train.py", ["lib/env.sh", "train.py"]),
        (". lib/env.sh; python train.py", ["lib/env.sh", "train.py"]),
        ("./run.sh", ["run.sh"]),
        ("bin/tool --fast data/raw.csv", ["bin/tool"]),
        ("julia --threads 4 --project=. model.jl", ["model.jl"]),
        ("julia -L load.jl model.jl", ["load.jl", "model.jl"]),
        ("julia -e 'println(1)'", []),
        ("node report.js", ["report.js"]),
        ("node --require dotenv/config report.js", ["report.js"]),
        ("node -e 'console.log(1)'", []),
        ("jupyter nbconvert --to notebook --execute --inplace nb.ipynb", ["nb.ipynb"]),
        ("jupyter nbconvert --execute --to html --output out.html nb.ipynb", ["nb.ipynb"]),
        ("jupyter execute nb.ipynb", ["nb.ipynb"]),
        ("papermill nb.ipynb out.ipynb -p alpha 0.6 -k python3", ["nb.ipynb"]),
        ("papermill -p alpha 0.6 -f params.yaml nb.ipynb out.ipynb", ["nb.ipynb"]),
        ("quarto render report.qmd --to html", ["report.qmd"]),
        ("jupytext --to ipynb --execute nb.py", ["nb.py"]),
        ("python -m papermill nb.ipynb out.ipynb", ["nb.ipynb"]),
        ("python -m jupyter nbconvert --execute nb.ipynb", ["nb.ipynb"]),
    ],
)
def test_runners(cmd: str, expected: list[str]) -> None:
    assert scripts(cmd) == expected


@pytest.mark.parametrize(
    "cmd",
    [
        "env python train.py",
        "env -u HOME A=1 B=2 python train.py",
        "time python train.py",
        "time -p python train.py",
        "nice python train.py",
        "nice -n 10 python train.py",
        "xvfb-run python train.py",
        "xvfb-run -a -s '-screen 0 1024x768x24' python train.py",
        "uv run python train.py",
        "uv run train.py",
        "uv run --with pandas --python 3.11 python train.py",
        "poetry run python train.py",
        "pipenv run python train.py",
        "pdm run python train.py",
        "hatch run python train.py",
        "hatch run test:python train.py",
        "conda run -n ml python train.py",
        "conda run --no-capture-output --name ml python train.py",
        "mamba run -p /opt/env python train.py",
        "pixi run python train.py",
        "pixi run -e cuda python train.py",
        "A=1 B='x y' python train.py",
        "nohup nice -n 5 env A=1 time python train.py",
        "timeout 10m python train.py",
        "if python train.py; then echo ok; fi",
    ],
)
def test_wrappers(cmd: str) -> None:
    assert scripts(cmd) == ["train.py"]


def test_uv_run_module() -> None:
    invocation = one("uv run -m pkg.mod")
    assert (invocation.script, invocation.module) == ("pkg/mod.py", "pkg.mod")


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        ("python src/prepare.py && python src/train.py", ["src/prepare.py", "src/train.py"]),
        ("python src/prepare.py || python train.py", ["src/prepare.py", "train.py"]),
        ("python src/prepare.py; python train.py", ["src/prepare.py", "train.py"]),
        ("python src/prepare.py | python train.py", ["src/prepare.py", "train.py"]),
        ("python src/prepare.py\npython train.py", ["src/prepare.py", "train.py"]),
        (["python src/prepare.py", "python train.py"], ["src/prepare.py", "train.py"]),
        ("python train.py 2>&1 | tee log.txt", ["train.py"]),
        ("python train.py > out.txt 2> err.txt", ["train.py"]),
        ("python train.py # python src/train.py", ["train.py"]),
        ("python train.py &", ["train.py"]),
        ("python $(pwd)/train.py", ["train.py"]),
        ("python $PWD/train.py", ["train.py"]),
        ("python ${DIR}/train.py", []),
        ("python data/raw.csv.py", []),
        ("python missing.py", []),
        ("python /abs/train.py", []),
        ("python ../train.py", []),
        ("docker run -v $(pwd):/w image python /w/train.py", []),
        ("cargo run --release", []),
        ("dvc exp run", []),
        ("make train", []),
        ("bash -c 'cd sub && python s.py'", ["sub/s.py"]),
        ("python train.py && python train.py", ["train.py"]),
    ],
)
def test_command_lists(cmd: str | list[str], expected: list[str]) -> None:
    assert scripts(cmd) == expected


def test_cd_lasts_until_the_end_of_the_line_as_in_dvc() -> None:
    assert scripts("cd sub && python s.py") == ["sub/s.py"]
    assert scripts("(cd sub; python s.py) && python train.py") == ["sub/s.py", "train.py"]
    # DVC runs each line, and each list item, in its own shell: `cd` does not carry over.
    assert scripts("cd sub\npython s.py") == []
    assert scripts(["cd sub", "python train.py"]) == ["train.py"]
    assert scripts("cd $SOMEWHERE && python train.py") == []
    assert scripts("pushd sub && python s.py && popd && python train.py") == [
        "sub/s.py",
        "train.py",
    ]


def test_wdir_and_cwd() -> None:
    invocation = one("python s.py", wdir="sub")
    assert (invocation.script, invocation.cwd) == ("sub/s.py", "sub")
    assert scripts("python ../train.py", wdir="sub") == ["train.py"]
    assert one("uv run --directory sub python s.py").cwd == "sub"
    assert one("env -C sub python s.py").script == "sub/s.py"


def test_pythonpath_from_the_command() -> None:
    assert one("PYTHONPATH=src python train.py").pythonpath == ("src",)
    assert one("PYTHONPATH=.:src:$PYTHONPATH python train.py").pythonpath == ("", "src")
    assert one("export PYTHONPATH=src; python train.py").pythonpath == ("src",)
    assert one("env PYTHONPATH=$(pwd)/src python train.py").pythonpath == ("src",)
    assert one("cd sub && PYTHONPATH=.. python s.py").pythonpath == ("",)


def test_python_module_resolution() -> None:
    assert one("python -m pkg.mod").module_root == ""
    app = one("python -m app.cli")
    assert (app.script, app.module_root) == ("src/app/cli.py", "src")
    tool = one("PYTHONPATH=lib python -m tool")
    assert (tool.script, tool.module_root) == ("lib/tool/__main__.py", "lib")
    assert scripts("python -m tool") == []
    assert scripts("python -m pytest tests") == []
    assert scripts("python -m app", roots=()) == ["src/app/__main__.py"]  # cwd/src layout


def test_languages() -> None:
    assert one("python train.py").language == "python"
    assert one("Rscript analysis.R").language == "r"
    assert one("papermill nb.ipynb o.ipynb").language == "notebook"
    assert one("quarto render report.qmd").language == "document"
    assert one("./run.sh").language == "shell"
    assert one("jupyter nbconvert --to html nb.ipynb").language == "data"  # converted, not run
    assert one("jupytext --to ipynb nb.py").language == "data"


def test_shell_script_lines_share_one_shell() -> None:
    scanner = CommandScanner(FILES.__contains__)
    text = '#!/bin/bash\nset -e\ncd "$(dirname "$0")/.."\npython \\\n  train.py\n'
    found = scanner.scan_script(text, "", "scripts/run.sh")
    assert [i.script for i in found] == ["train.py"]
    text = "for f in *.py; do\n  python $f\ndone\ncd sub\npython s.py\n"
    assert [i.script for i in scanner.scan_script(text, "", "run.sh")] == ["sub/s.py"]


def test_command_lines_follow_dvc() -> None:
    assert command_lines("a\nb") == ["a", "b"]
    assert command_lines(["a && b", "c"]) == ["a && b", "c"]
    assert command_lines(None) == []


def test_unbalanced_quotes_do_not_crash() -> None:
    assert scripts("python train.py 'unterminated") == ["train.py"]
