"""dvcflow.scripts.rsource and .julia: what R and Julia code loads, read statically (pure)."""

from __future__ import annotations

import pytest

from dvcflow.scripts.julia import included_paths
from dvcflow.scripts.notebooks import included_documents
from dvcflow.scripts.rsource import RFiles, expression_files, rendered_files, sourced_files

FILES = [
    "R/helpers.R",
    "R/recipes.R",
    "R/setup.R",
    "R/old/legacy.R",
    "R/README.md",
    "analysis/lib.R",
    "analysis/run.R",
    "analysis/sub/.here",
    "analysis/sub/local.R",
    "proj/proj.Rproj",
    "proj/R/u.R",
    "utils.R",
]


def r_files() -> RFiles:
    def under(folder: str) -> list[str]:
        return [f for f in FILES if not folder or f.startswith(f"{folder}/")]

    return RFiles(FILES.__contains__, under)


def sourced(text: str, cwd: str = "") -> list[tuple[str, str]]:
    return [(s.path, s.cwd) for s in sourced_files(text, cwd, r_files())]


@pytest.mark.parametrize(
    ("text", "cwd", "expected"),
    [
        ('source("utils.R")', "", ["utils.R"]),
        ("source(file = 'R/helpers.R', local = TRUE)", "", ["R/helpers.R"]),
        ('sys.source("R/helpers.R", envir = e)', "", ["R/helpers.R"]),
        ('base::source("R/helpers.R")', "", ["R/helpers.R"]),
        # R resolves against its working directory, not the script's folder
        ('source("lib.R")', "", []),
        ('source("lib.R")', "analysis", ["analysis/lib.R"]),
        ('source("../utils.R")', "analysis", ["utils.R"]),
        ('source(file.path("R", "helpers.R"))', "", ["R/helpers.R"]),
        ('source(here::here("R", "helpers.R"))', "analysis", ["R/helpers.R"]),
        ('source(here("R/helpers.R"))', "", ["R/helpers.R"]),
        ('source(here("local.R"))', "analysis/sub", ["analysis/sub/local.R"]),  # .here
        ('source(here("R", "u.R"))', "proj/R", ["proj/R/u.R"]),  # an .Rproj folder
        ('# source("utils.R")\nx <- "#"; source("R/setup.R") # comment', "", ["R/setup.R"]),
        ('source(paste0(dir, "utils.R"))\nsource(f)\nmy_source("utils.R")', "", []),
        ('resource("utils.R"); x$source("utils.R")', "", []),
        ('source("missing.R")', "", []),
    ],
)
def test_source_paths(text: str, cwd: str, expected: list[str]) -> None:
    assert [path for path, _ in sourced(text, cwd)] == expected


def test_chdir_runs_the_file_from_its_folder() -> None:
    assert sourced('source("analysis/run.R", chdir = TRUE)') == [("analysis/run.R", "analysis")]
    assert sourced('source("analysis/run.R")') == [("analysis/run.R", "")]


@pytest.mark.parametrize(
    "text",
    [
        'purrr::walk(list.files("R/", "\\\\.R$", full.names = TRUE), source)',
        'invisible(lapply(list.files(here::here("R"), pattern = "[.]R$"), source))',
        'for (f in list.files("R", pattern = "\\\\.R$", full.names = TRUE)) {\n  source(f)\n}',
        'sapply(dir("R", "\\\\.[Rr]$", full.names = TRUE), source, .GlobalEnv)',
    ],
)
def test_every_file_list_files_matches_is_sourced(text: str) -> None:
    assert sorted(path for path, _ in sourced(text)) == ["R/helpers.R", "R/recipes.R", "R/setup.R"]


def test_list_files_alone_or_recursive() -> None:
    assert sourced('files <- list.files("R")') == []  # listed, not sourced
    recursive = 'walk(list.files("R", "\\\\.R$", recursive = TRUE, full.names = TRUE), source)'
    assert "R/old/legacy.R" in [path for path, _ in sourced(recursive)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("rmarkdown::render('report.Rmd')", ["report.Rmd"]),
        ('rmarkdown::render(input = "a/b.Rmd", output_dir = "out")', ["a/b.Rmd"]),
        ('quarto::quarto_render("report.qmd")', ["report.qmd"]),
        ('knitr::knit("x.Rmd"); source("run.R")', ["x.Rmd", "run.R"]),
        ("rmarkdown::render(f)", []),
    ],
)
def test_rscript_expressions(expression: str, expected: list[str]) -> None:
    assert expression_files(expression) == expected


def test_julia_includes() -> None:
    text = 'include("utils.jl")\n# include("old.jl")\nBase.include("src/model.jl")\ninclude(f)\n'
    assert list(included_paths(text)) == ["utils.jl", "src/model.jl"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('rmarkdown::render("analysis/run.R")', ["analysis/run.R"]),
        ('here("R", "setup.R") %>%\n  quarto_render(execute_params = list(a = 1))', ["R/setup.R"]),
        ('file.path("R", "setup.R") |> quarto::quarto_render()', ["R/setup.R"]),
        ('quarto_render(input = here::here("utils.R"), quiet = TRUE)', ["utils.R"]),
        ("render(path)\nx %>% quarto_render()", []),
    ],
)
def test_documents_an_r_script_renders(text: str, expected: list[str]) -> None:
    assert list(rendered_files(text, "", r_files())) == expected


def test_quarto_includes() -> None:
    text = "{{< include _a.qmd >}}\n{{<include 'b c.qmd'>}}\n{{< include \"sub/_d.qmd\" >}}\n"
    assert included_documents(text) == ["_a.qmd", "sub/_d.qmd"]


def test_unbalanced_and_huge_sources_are_read_in_linear_time() -> None:
    """Bad input never hangs: calls and statements are read over a bounded length."""
    text = 'source("utils.R"\n' * 2_000 + "walk(list.files(\n" * 500 + "x %>% render(\n" * 500
    assert sourced(text) == []
    assert list(rendered_files(text, "", r_files())) == []
