"""Pipelines DVC cannot load are DVF105 findings with a file, line and column, never a hang
or an internal error: huge foreach/matrix expansions, bad `.dvc` values, broken vars files."""

from __future__ import annotations

import json

from dvcflow.dvc.templating.model import MAX_GENERATED_STAGES

from ..conftest import Repo


def _check(repo: Repo) -> tuple[int, str]:
    repo.add()
    return repo.check("--all", "--select", "DVF105")


def test_a_matrix_past_the_limit_is_counted_not_expanded(dvc_repo: Repo) -> None:
    axes = "".join(f"      a{i}: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n" for i in range(9))
    dvc_repo.write(
        "dvc.yaml",
        "stages:\n  ok:\n    cmd: echo ok\n  grid:\n    matrix:\n" + axes + "    cmd: echo\n",
        dedent=False,
    )
    code, out = _check(dvc_repo)
    assert code == 1
    assert "dvc.yaml:5:5: DVF105" in out
    assert "would generate 1,000,000,000 stages" in out
    assert f"more than the {MAX_GENERATED_STAGES:,}" in out
    assert "help: correct line 5 of dvc.yaml (`matrix:`)" in out


def test_a_foreach_past_the_limit(dvc_repo: Repo) -> None:
    items = list(range(MAX_GENERATED_STAGES + 1))
    dvc_repo.write("params.yaml", f"items: {json.dumps(items)}\n", dedent=False)
    dvc_repo.write(
        "dvc.yaml",
        """\
        stages:
          each:
            foreach: ${items}
            do:
              cmd: echo ${item}
        """,
    )
    code, out = _check(dvc_repo)
    assert code == 1
    assert "dvc.yaml:3:5: DVF105" in out
    assert f"would generate {MAX_GENERATED_STAGES + 1:,} stages" in out


def test_a_dvc_file_with_outs_not_a_list(dvc_repo: Repo) -> None:
    dvc_repo.write("data.dvc", "outs: 5\n")
    code, out = _check(dvc_repo)
    assert code == 1
    assert "data.dvc:1:1: DVF105" in out
    assert "outs: expected a list of outputs, found int" in out
    assert "internal error" not in out


def test_invalid_yaml_in_a_params_file_names_its_line_and_column(dvc_repo: Repo) -> None:
    dvc_repo.write("params.yaml", "lr: 0.1\nbad: [1, 2\nx: 1\n")
    dvc_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: echo ${lr}\n    params: [lr]\n")
    code, out = _check(dvc_repo)
    assert code == 1
    assert "params.yaml:3:2: DVF105" in out, out
    assert "unable to read: 'params.yaml', YAML syntax error" in out
    assert "(line 3, column 2)" in out
    assert "help: correct line 3 of params.yaml (`x: 1`)" in out


def test_invalid_json_vars_file_names_its_line_and_column(dvc_repo: Repo) -> None:
    dvc_repo.write("conf.json", '{\n  "lr": 0.1,\n  "x": }\n')
    dvc_repo.write("dvc.yaml", "vars:\n  - conf.json\nstages:\n  train:\n    cmd: echo ${lr}\n")
    code, out = _check(dvc_repo)
    assert code == 1
    assert "conf.json:3:8: DVF105" in out, out
    assert 'help: correct line 3 of conf.json (`"x": }`)' in out


def test_a_params_file_nested_900_levels_is_a_finding(dvc_repo: Repo) -> None:
    dvc_repo.write("params.yaml", "lr: 1\ndeep: " + "[" * 900 + "]" * 900 + "\n", dedent=False)
    dvc_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: echo ${lr}\n    params: [lr]\n")
    code, out = _check(dvc_repo)
    assert code == 1
    assert "DVF105" in out and "nested too deeply" in out
    assert "Traceback" not in out


def test_a_schema_problem_shows_the_line_its_help_names(dvc_repo: Repo) -> None:
    dvc_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: echo\n    outz: [a]\n")
    code, out = _check(dvc_repo)
    assert code == 1
    assert "dvc.yaml:4:5: DVF105" in out
    assert "help: correct line 4 of dvc.yaml (`outz: [a]`)" in out
