"""Templating units: expression syntax, to_str, errors that do not stop other stages."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from dvcflow.dvc.params import parse_params
from dvcflow.dvc.templating import ResolvedStage, TemplateError, parse_expression, resolve, to_str
from dvcflow.dvc.yamlio import load_yaml

from .templating_cases import fx
from .templating_helpers import make_repo, one_line, our_outcome


def _resolve_text(
    dvc_yaml: str, files: dict[str, str] | None = None, dvcfile: str = "dvc.yaml"
) -> tuple[list[ResolvedStage], list[TemplateError]]:
    texts = {k: textwrap.dedent(v) for k, v in (files or {}).items()}

    def read_params(rel: str) -> dict[str, Any]:
        if rel not in texts:
            raise FileNotFoundError(rel)
        return parse_params(texts[rel], rel)

    return resolve(load_yaml(textwrap.dedent(dvc_yaml)).data, dvcfile, read_params)


EXPRESSIONS = [
    "a", "a.b", "a[0]", "a[0][1].c", " a ", " a . b ", "a [ 0 ]", "a. b", "", "  ", "a..b",
    "a[", "a]", "a.b]", "[0]", "a[]", "a.", ".a", "a[b.c]", "a[ ]", "a\tb", " a[0] ", "a-b",
    "a[0]bcd", "a[0] bcd", "a.b[", "a[0", "[", "a[0]]", "a[0] .", "a[0]  [", "a[x]y z", "]",
    ".", 'a[0]"x', "a'b[0]c", "a[0]\\x", "a[0]\r", "a[0] [1] .c", "ä[0]ößü", "a[0]\t",
    "a[0]" + "x" * 20,
]  # fmt: skip


@pytest.mark.parametrize("expr", EXPRESSIONS)
def test_expression_syntax_as_dvc(expr: str) -> None:
    from dvc.parsing.interpolate import ParseError, parse_expr

    import dvcflow.dvc.templating.interpolate as templating_interpolate

    try:
        expected: str = parse_expr(expr)
    except ParseError as exc:
        with pytest.raises(templating_interpolate.ParseError) as ours:
            parse_expression(expr)
        assert ours.value.message == one_line(str(exc))
    else:
        assert parse_expression(expr) == expected


@pytest.mark.parametrize(
    "value",
    [
        True, False, None, 1, 1.0, 1e-05, "s", [1, "a b"], {},
        {"a": {"b": {"c": 1}, "d": []}, "e": [True, None, 1.5], "f": "it's", "g": False},
    ],
)  # fmt: skip
@pytest.mark.parametrize("config", [None, {"bool": "boolean_optional"}, {"list": "append"}])
def test_to_str_as_dvc(value: Any, config: dict[str, str] | None) -> None:
    from dvc.parsing.interpolate import to_str as dvc_to_str

    assert to_str(value, config) == dvc_to_str(value, config=config)


def test_at_in_a_plain_stage_name_is_an_error_as_in_dvc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dvc.repo import Repo
    from dvc.stage.exceptions import StageNotFound

    fixture = fx("stages:\n  ok:\n    cmd: echo\n  a@b:\n    cmd: echo\n")
    make_repo(tmp_path, fixture)
    monkeypatch.chdir(tmp_path)
    with Repo(str(tmp_path)) as repo, pytest.raises(StageNotFound) as exc:
        list(repo.index.stages)
    stages, errors = our_outcome(tmp_path, fixture)
    assert [s.name for s in stages] == ["ok"]
    assert [(e.definition, e.keypath) for e in errors] == [("a@b", ("stages", "a@b"))]
    assert errors[0].message.startswith(str(exc.value))


def test_structural_errors_do_not_stop_other_stages() -> None:
    stages, errors = _resolve_text(
        """
        stages:
          no_do:
            foreach: [a]
          no_foreach:
            do: {cmd: echo}
          both:
            matrix: {a: [1]}
            foreach: [a]
            do: {cmd: echo}
          not_a_dict: echo
          "":
            cmd: echo
          axis:
            matrix: {a: 1}
            cmd: echo
          fine:
            cmd: echo ok
        """
    )
    assert [s.name for s in stages] == ["fine"]
    assert [e.definition for e in errors] == [
        "no_do", "no_foreach", "both", "not_a_dict", "", "axis",
    ]  # fmt: skip
    assert "required key not provided: 'do'" in errors[0].message
    assert errors[1].keypath == ("stages", "no_foreach", "do")
    assert errors[5].keypath == ("stages", "axis", "matrix", "a")


def test_keypaths_point_at_the_offending_node() -> None:
    _, errors = _resolve_text(
        """
        stages:
          s:
            cmd: echo
            outs: [ok, "${nope}"]
          f:
            foreach: [a]
            do:
              deps: [x, {y: "${item.z}"}]
              cmd: echo
          w:
            wdir: ${nope}
            cmd: echo
        """
    )
    assert [e.keypath for e in errors] == [
        ("stages", "s", "outs", 1),
        ("stages", "f", "do", "deps", 1, "y"),
        ("stages", "w", "wdir"),
    ]
    assert errors[1].message == (
        "failed to parse 'stages.f@a.deps' in 'dvc.yaml': Could not find 'item.z'"
    )


def test_bad_top_level_vars_fail_the_whole_file() -> None:
    stages, errors = _resolve_text(
        """
        vars: [ok.yaml, {x: 1}, missing.yaml]
        stages:
          s:
            cmd: echo
        """,
        {"ok.yaml": "y: 1\n"},
    )
    assert stages == []
    assert [(e.message, e.definition, e.keypath) for e in errors] == [
        ("failed to parse 'vars' in 'dvc.yaml': 'missing.yaml' does not exist", None, ("vars", 2))
    ]


def test_unparsable_vars_file_names_its_line() -> None:
    stages, errors = _resolve_text(
        "stages:\n  s:\n    cmd: echo\n", {"params.yaml": "a: [1\nb: 2\n"}
    )
    assert stages == []
    assert errors[0].message.startswith("failed to parse 'vars' in 'dvc.yaml': unable to read:")
    assert "params.yaml" in errors[0].message and "(line " in errors[0].message


def test_vars_files_are_reported_per_stage() -> None:
    stages, errors = _resolve_text(
        """
        vars: [common.yaml]
        stages:
          a:
            cmd: echo ${c}
          b:
            wdir: inner
            vars: [b.yaml]
            cmd: echo ${c} ${b}
        """,
        {
            "sub/params.yaml": "p: 1\n",
            "sub/common.yaml": "c: 1\n",
            "sub/inner/b.yaml": "b: 2\n",
        },
        dvcfile="sub/dvc.yaml",
    )
    assert errors == []
    assert [s.vars_files for s in stages] == [
        ("sub/params.yaml", "sub/common.yaml"),
        ("sub/params.yaml", "sub/common.yaml", "sub/inner/b.yaml"),
    ]
    assert stages[1].body == {"wdir": "inner", "cmd": "echo 1 2"}


def test_module_does_not_import_dvc() -> None:
    import subprocess
    import sys

    code = "import sys, dvcflow.dvc.templating; print('dvc' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
