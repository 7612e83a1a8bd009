"""dvcflow-check as a user runs it: exit codes, formats, selection, config, suppression."""

from __future__ import annotations

import json

import pytest

from dvcflow import __version__
from dvcflow.errors import DvcflowError
from dvcflow.rules import RULES

from .conftest import Repo

BAD_PIPELINE = """\
stages:
  train:
    cmd: python train.py
    outs_persist:
      - model.pkl
"""
GOOD_PIPELINE = """\
stages:
  train:
    cmd: python train.py
    outs:
      - model.pkl:
          persist: true
"""


@pytest.fixture
def bad(dvc_repo: Repo) -> Repo:
    dvc_repo.write("dvc.yaml", BAD_PIPELINE)
    dvc_repo.add("dvc.yaml")
    return dvc_repo


def test_finding_exits_1_with_location_and_fix(bad: Repo) -> None:
    code, out = bad.check("--select", "DVF105")
    assert code == 1
    assert "dvc.yaml:4:5: DVF105 " in out
    assert "outs_persist" in out
    assert "help: declare it under outs" in out


def test_fixing_the_file_clears_the_finding(bad: Repo) -> None:
    bad.write("dvc.yaml", GOOD_PIPELINE)
    bad.add("dvc.yaml")
    code, out = bad.check("--select", "DVF105")
    assert (code, out) == (0, "All checks passed.\n")


def test_runs_from_a_subfolder(bad: Repo) -> None:
    (bad.root / "src").mkdir()
    code, out = bad.check("--select", "DVF105", cwd=bad.root / "src")
    assert code == 1 and "dvc.yaml:4:5" in out


def test_precommit_mode_ignores_untouched_files_but_all_does_not(bad: Repo) -> None:
    bad.commit("legacy problem")
    bad.write("README.md", "hello\n")
    bad.add("README.md")
    assert bad.check("--select", "DVF105")[0] == 0
    assert bad.check("--all", "--select", "DVF105")[0] == 1


def test_json_output_has_exactly_the_diagnostic_fields(bad: Repo) -> None:
    code, out = bad.check("--select", "DVF105", "--output-format", "json")
    assert code == 1
    (item,) = json.loads(out)
    assert set(item) == {
        "path",
        "line",
        "column",
        "code",
        "name",
        "severity",
        "stage",
        "target",
        "message",
        "fix",
    }
    assert item["code"] == "DVF105" and item["line"] == 4 and item["column"] == 5
    assert item["stage"] == "train" and item["name"] == "invalid-pipeline"


def test_github_output(bad: Repo) -> None:
    _, out = bad.check("--select", "DVF105", "--output-format", "github")
    assert out.startswith("::error file=dvc.yaml,line=4,col=5,title=DVF105 invalid-pipeline::")


def test_sarif_output_is_sarif_2_1_0(bad: Repo) -> None:
    _, out = bad.check("--select", "DVF105", "--output-format", "sarif")
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {r.CODE for r in RULES}
    (result,) = run["results"]
    assert result["ruleId"] == "DVF105"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 4, "startColumn": 5}
    rules = run["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == "DVF105"


def test_select_and_ignore(bad: Repo) -> None:
    assert bad.check("--select", "DVF1", "--ignore", "DVF105")[0] == 0
    assert bad.check("--select", "DVF1,DVF3", "--select", "DVF105")[0] == 1


def test_unknown_code_is_a_usage_error(bad: Repo) -> None:
    code, out = bad.check("--select", "DVF999")
    assert code == 2 and "unknown rule code or prefix 'DVF999'" in out


def test_codes_and_prefixes_come_from_the_registry() -> None:
    """Every family the registry finds is a valid prefix (a new family needs no engine edit);
    anything naming no rule is refused."""
    from dvcflow.engine import validate_patterns
    from dvcflow.rules import CODES, prefixes

    validate_patterns([*prefixes(), *CODES, "all", "DVF", "dvf10"], "--select")
    for wrong in ("DVF9", "DVF1011", "X"):
        with pytest.raises(DvcflowError, match=f"'{wrong}'"):
            validate_patterns([wrong], "--select")


def test_bad_option_is_a_usage_error(bad: Repo) -> None:
    code, _ = bad.check("--output-format", "xml")
    assert code == 2


def test_explain_prints_the_rule_docstring(bad: Repo) -> None:
    code, out = bad.check("--explain", "DVF105")
    assert code == 0 and out.startswith("DVF105 invalid-pipeline:")
    assert "outs_persist" in out
    assert bad.check("--explain", "DVF000")[0] == 2


def test_version(bad: Repo) -> None:
    code, out = bad.check("--version")
    assert code == 0 and __version__ in out


def test_inline_suppression_on_the_stage_line(dvc_repo: Repo) -> None:
    dvc_repo.write(
        "dvc.yaml", BAD_PIPELINE.replace("  train:", "  train:  # dvcflow: ignore[DVF105]")
    )
    dvc_repo.add()
    assert dvc_repo.check("--select", "DVF105") == (0, "All checks passed.\n")
    dvc_repo.write(
        "dvc.yaml", BAD_PIPELINE.replace("  train:", "  train:  # dvcflow: ignore[DVF101]")
    )
    dvc_repo.add()
    assert dvc_repo.check("--select", "DVF105")[0] == 1


def test_config_select_and_ignore(bad: Repo) -> None:
    bad.write("pyproject.toml", '[tool.dvcflow]\nignore = ["DVF105"]\n')
    assert bad.check()[0] == 0
    # The command line --select replaces the configured selection; ignore still applies.
    assert bad.check("--select", "DVF105")[0] == 0


def test_unknown_config_key_is_an_error_naming_it(bad: Repo) -> None:
    bad.write("pyproject.toml", '[tool.dvcflow]\nselct = ["DVF1"]\n')
    code, out = bad.check()
    assert code == 2
    assert "pyproject.toml" in out and "unknown key tool.dvcflow.selct" in out


def test_wrong_option_type_is_an_error(bad: Repo) -> None:
    bad.write("pyproject.toml", '[tool.dvcflow.deps]\nimports = "all"\n')
    code, out = bad.check()
    assert code == 2 and "tool.dvcflow.deps.imports must be" in out


def test_malformed_pyproject_is_an_error_with_line(bad: Repo) -> None:
    bad.write("pyproject.toml", "[tool.dvcflow]\nselect = [\n")
    code, out = bad.check()
    assert code == 2 and "pyproject.toml:" in out and "invalid TOML" in out
    assert "Traceback" not in out


def test_not_a_git_repository(tmp_path: object) -> None:
    from pathlib import Path

    code, out = Repo(Path(str(tmp_path))).check()
    assert code == 2 and "not inside a Git work tree" in out


def test_no_color_unless_a_tty(bad: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\033[" in bad.check("--select", "DVF105")[1]
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in bad.check("--select", "DVF105")[1]


# A stage name and a dep path that would drive the terminal: ESC [31m (red), a carriage return,
# a C1 CSI and a right-to-left override, all legal in a double-quoted YAML string.
HOSTILE_PIPELINE = """\
stages:
  "tr\\e[31main\\u202e":
    cmd: echo hi
    deps: ["da\\rta\\x9b2J"]
"""
RAW_CONTROLS = ("\x1b", "\r", "\x9b", "\u202e")


def _hostile_output(repo: Repo, output_format: str) -> str:
    """DVF104's finding on a stage and a dep named with control characters, no raw one shown."""
    repo.write("dvc.yaml", HOSTILE_PIPELINE)
    repo.add()
    code, out = repo.check("--all", "--select", "DVF104", "--output-format", output_format)
    assert code == 1
    assert not any(char in out for char in RAW_CONTROLS), repr(out)
    return out


@pytest.mark.parametrize("output_format", ["text", "github"])
def test_control_characters_are_printed_escaped(dvc_repo: Repo, output_format: str) -> None:
    out = _hostile_output(dvc_repo, output_format)
    assert "stage 'tr\\x1b[31main\\u202e' depends on da\\rta\\x9b2J" in out
    if output_format == "github":
        assert out.count("\n") == 1  # one workflow command; the help line is %0A-encoded


@pytest.mark.parametrize("output_format", ["json", "sarif"])
def test_control_characters_are_json_escapes(dvc_repo: Repo, output_format: str) -> None:
    out = _hostile_output(dvc_repo, output_format)
    assert "\\u001b[31m" in out and "\\u009b" in out and "\\u202e" in out
    data = json.loads(out)
    results = data if output_format == "json" else data["runs"][0]["results"]
    message = results[0]["message"]
    text = message if output_format == "json" else message["text"]
    assert "tr\x1b[31main\u202e" in text and "da\rta\x9b2J" in text  # the data is unchanged


def test_error_lines_escape_control_characters(dvc_repo: Repo) -> None:
    code, out = dvc_repo.check("--select", "DV\x1b[31mF")
    assert code == 2 and "\x1b" not in out
    assert "unknown rule code or prefix 'DV\\x1b[31mF'" in out


def test_ordinary_unicode_is_printed_as_is(dvc_repo: Repo) -> None:
    pipeline = 'stages:\n  "modèle-训练":\n    cmd: echo\n    deps: [données.csv]\n'
    dvc_repo.write("dvc.yaml", pipeline)
    dvc_repo.add()
    code, out = dvc_repo.check("--all", "--select", "DVF104")
    assert code == 1 and "stage 'modèle-训练' depends on données.csv" in out
