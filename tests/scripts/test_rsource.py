"""dvcflow.scripts.rsource and .julia: what R and Julia code loads, read statically (pure)."""

from __future__ import annotations

import random
import re

import pytest

from dvcflow.scripts import rsource
from dvcflow.scripts.julia import included_paths
from dvcflow.scripts.notebooks import included_documents
from dvcflow.scripts.rsource import (
    RFiles,
    expression_files,
    loaded_files,
    rendered_files,
    sourced_files,
)

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


# -- the scan: comments stripped once, calls found where their keywords are ----------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('# source("utils.R")\n', []),  # in a comment
        # in a string: read as code, as the full scan did (calls are not parsed)
        ("x <- \"source('utils.R')\"\n", ["utils.R"]),
        ("x <- 'a # b'; source('utils.R')", ["utils.R"]),  # a `#` in a string is no comment
        ('x <- "no comment # source("utils.R")', ["utils.R"]),  # the `#` is in the string
        ('x <- "unterminated # source(utils.R)', []),  # the string runs to the end
        ('source("utils.R")', ["utils.R"]),  # at the file's end, no newline
        ('f()\nsource(\n  "R/helpers.R",\n  local = TRUE\n)\n', ["R/helpers.R"]),  # multi-line
        ('source  (\n"utils.R")', ["utils.R"]),  # space and newline before `(`
        ('base::sys.source("R/setup.R")', ["R/setup.R"]),
        ('sourcesource("utils.R")', []),
        (
            'source("utils.R") # source("R/setup.R")\nsource("R/helpers.R")',
            ["utils.R", "R/helpers.R"],
        ),
    ],
)
def test_source_calls_found_as_a_full_scan(text: str, expected: list[str]) -> None:
    assert [path for path, _ in sourced(text)] == expected


def test_loaded_files_strips_once_and_answers_as_each_reader() -> None:
    text = '# c\nsource("utils.R")\nrmarkdown::render("R/README.md") # source("R/setup.R")\n'
    sourced_paths, rendered = loaded_files(text, "", r_files())
    assert sourced_paths == list(sourced_files(text, "", r_files()))
    assert rendered == list(rendered_files(text, "", r_files())) == ["R/README.md"]


_TOKENS = [
    "source", "sys.", "base::", "list.files", "dir", "render", "quarto_", "knit", "knitr::",
    "rmarkdown::", "quarto::", "(", ")", " ", "\n", "#", '"', "'", "`", "\\", "x", ".", "$",
    "@", "_", ",", "=", "r",
]  # fmt: skip


def _old_strip(text: str) -> str:
    """The per-match scan the reader had before runs of code were matched whole."""
    quoted = [rsource._quoted(q) for q in "\"'`"]
    pattern = re.compile("|".join([*quoted, r"#[^\n]*"]))
    return pattern.sub(lambda m: "" if m.group().startswith("#") else m.group(), text)


def test_windowed_scan_equals_full_scan() -> None:
    """Random R-like text: `_calls` finds what `finditer` finds; stripping keeps what the
    per-match scan kept."""
    rng = random.Random(17)
    for _ in range(3000):
        text = "".join(rng.choice(_TOKENS) for _ in range(rng.randint(0, 40)))
        assert rsource.strip_comments(text) == _old_strip(text), text
        for pattern in rsource._KEYWORDS:
            found = [m.span() for m in rsource._calls(pattern, text)]
            assert found == [m.span() for m in pattern.finditer(text)], (pattern, text)
