"""dvcflow.dvc.templating against DVC itself: every fixture is resolved by both and compared."""

from __future__ import annotations

import os
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dvcflow.dvc.templating import ResolvedStage, TemplateError, parse_expression, resolve, to_str
from dvcflow.dvc.yamlio import load_yaml


@dataclass(frozen=True)
class Fixture:
    files: dict[str, str]
    dvcfile: str = "dvc.yaml"
    parsing: dict[str, str] = field(default_factory=dict)  # DVC's `parsing` config section
    errors: bool = False  # DVC reports at least one error
    same_message: bool = True  # our message equals DVC's (one line, no colours)


def fx(dvc_yaml: str, dvcfile: str = "dvc.yaml", **kwargs: Any) -> Fixture:
    """A fixture: the dvc.yaml text, then `other_file="text"` (`__` in names is `/`)."""
    files = {dvcfile: dvc_yaml}
    options = {k: kwargs.pop(k) for k in ("parsing", "errors", "same_message") if k in kwargs}
    files.update({name.replace("__", "/").replace("_DOT_", "."): t for name, t in kwargs.items()})
    return Fixture(files=files, dvcfile=dvcfile, **options)


PARAMS = """
    train:
      lr: 0.001
      epochs: 10
      use_gpu: true
      dropout: null
      optimizer: adam
    layers: [64, 128, 256]
    data_dir: data
    regions: [us, eu]
    flags: [true, false]
    models:
      small: {size: 1}
      large: {size: 3}
    n: 3
"""

FIXTURES: dict[str, Fixture] = {
    "plain": fx(
        """
        stages:
          prepare:
            cmd: python prepare.py --out data/prepared
            deps: [prepare.py, data/raw]
            outs: [data/prepared, {model.pkl: {cache: false}}]
            params: [seed, {other.yaml: [a, b]}]
            metrics: [{metrics.json: {cache: false}}]
            plots: [{plots/loss.csv: {x: step, y: loss}}]
            frozen: true
            always_changed: false
            desc: Prepare the data
            meta: {owner: me}
        """
    ),
    "default_params": fx(
        """
        stages:
          train:
            cmd: python train.py --lr ${train.lr} --epochs ${train.epochs} --width ${layers[1]}
            deps: [train.py, "${data_dir}/prepared"]
            outs: ["${data_dir}/model-${train.optimizer}.pkl"]
            params: [train.lr, train.epochs]
            meta:
              lr: ${train.lr}
              gpu: ${train.use_gpu}
              dropout: ${train.dropout}
              layers: ${layers[0]}
        """,
        params_DOT_yaml=PARAMS,
    ),
    "vars_files": fx(
        """
        vars:
          - config.yaml
          - other.json:train_cfg,test_cfg
          - inline: {value: 7}
            name: inline-name
        stages:
          train:
            cmd: run ${model.name} ${train_cfg.batch} ${test_cfg.split} ${inline.value} ${name}
        """,
        config_DOT_yaml="model: {name: resnet}\n",
        other_DOT_json='{"train_cfg": {"batch": 32}, "test_cfg": {"split": 0.2}, "unused": 1}',
    ),
    "vars_partial_then_rest": fx(
        """
        vars:
          - config.yaml:a
          - config.yaml:b
          - config.yaml
        stages:
          s:
            cmd: echo ${a} ${b}
        """,
        config_DOT_yaml="a: 1\nb: 2\n",
        errors=True,
    ),
    "vars_same_file_twice": fx(
        """
        vars: [params.yaml, ./params.yaml]
        stages:
          s:
            cmd: echo ${n}
        """,
        params_DOT_yaml=PARAMS,
    ),
    "vars_toml_py": fx(
        """
        vars: [cfg.toml, cfg.py]
        stages:
          s:
            cmd: echo ${tool.name} ${tool.sizes[1]} ${LR} ${Train.epochs} ${Train.lr}
        """,
        cfg_DOT_toml='[tool]\nname = "x"\nsizes = [1, 2]\n',
        cfg_DOT_py="LR = 0.5\nclass Train:\n    epochs = 3\n    def __init__(self):\n"
        "        self.lr = 0.1\n",
    ),
    "nested_merge": fx(
        """
        vars:
          - a.yaml
          - b.yaml
          - model: {depth: 3}
        stages:
          s:
            cmd: echo ${model.width} ${model.height} ${model.depth}
        """,
        a_DOT_yaml="model: {width: 1}\n",
        b_DOT_yaml="model: {height: 2}\n",
    ),
    "stage_vars_wdir": fx(
        """
        stages:
          train:
            wdir: ${data_dir}
            vars: [stage.yaml, {local: 5}]
            cmd: python train.py ${epochs} ${local} ${n}
            deps: [../train.py]
            outs: ["out-${epochs}"]
        """,
        params_DOT_yaml=PARAMS,
        data__stage_DOT_yaml="epochs: 42\n",
    ),
    "stage_vars_not_shared": fx(
        """
        stages:
          a:
            vars: [{x: 1}]
            cmd: echo ${x}
          b:
            vars: [{x: 2}]
            cmd: echo ${x}
        """
    ),
    "wdir_interpolated": fx(
        """
        vars: [{dirs: {work: sub/dir}}]
        stages:
          s:
            wdir: ${dirs.work}
            cmd: make
            outs: [out]
        """
    ),
    "foreach_list": fx(
        """
        stages:
          build:
            foreach: [us, eu, 1, 2.5, true, null, "x y"]
            do:
              cmd: echo ${item}
              outs: ["out-${item}"]
        """
    ),
    "foreach_duplicates": fx(
        """
        stages:
          build:
            foreach: [a, a, "1", 1, true, "true"]
            do:
              cmd: echo ${item}
        """
    ),
    "foreach_list_of_dicts": fx(
        """
        stages:
          train:
            foreach:
              - {name: a, lr: 0.1, layers: [1, 2]}
              - {name: b, lr: 1e-05, layers: [3, 4]}
            do:
              cmd: train --name ${item.name} --lr ${item.lr} --first ${item.layers[0]}
              outs: ["models/${item.name}.pkl"]
              meta: {lr: "${item.lr}"}
        """
    ),
    "foreach_dict": fx(
        """
        stages:
          region:
            foreach:
              us: {tz: est, n: 1}
              eu: {tz: cet, n: 2}
            do:
              cmd: echo ${key} ${item.tz} ${item.n}
              outs: ["${key}.csv"]
        """
    ),
    "foreach_interpolated": fx(
        """
        stages:
          per_region:
            foreach: ${regions}
            do:
              cmd: echo ${item}
          per_model:
            foreach: ${models}
            do:
              cmd: echo ${key} ${item.size}
          per_flag:
            foreach: ${flags}
            do:
              cmd: echo ${item}
          per_layer:
            foreach: ["${layers[0]}", "${train.use_gpu}", "lit-${n}"]
            do:
              cmd: echo ${item}
        """,
        params_DOT_yaml=PARAMS,
    ),
    "foreach_stage_vars": fx(
        """
        stages:
          s:
            foreach: [a, b]
            do:
              vars: [{suffix: "-x"}, "${item}.yaml"]
              cmd: echo ${item}${suffix}
        """,
        errors=True,
    ),
    "foreach_do_vars": fx(
        """
        stages:
          s:
            foreach: [a, b]
            do:
              vars: [{suffix: "-x"}, shared.yaml]
              cmd: echo ${item}${suffix} ${shared}
        """,
        shared_DOT_yaml="shared: 1\n",
    ),
    "foreach_wdir_and_vars": fx(
        """
        stages:
          per_dir:
            foreach: [a, b]
            do:
              wdir: ${item}
              vars: [local.yaml]
              cmd: echo ${v} ${item}
              deps: [local.yaml]
        """,
        a__local_DOT_yaml="v: from-a\n",
        b__local_DOT_yaml="v: from-b\n",
    ),
    "foreach_dict_odd_keys": fx(
        """
        stages:
          s:
            foreach: {1: one, false: f, 2.5: x, null: n}
            do:
              cmd: echo ${key} ${item}
        """
    ),
    "foreach_item_dict_in_cmd": fx(
        """
        stages:
          s:
            foreach:
              - {name: a, lr: 0.1, fast: true, tags: [x, y]}
            do:
              cmd: python train.py ${item}
        """
    ),
    "foreach_global_item": fx(
        """
        vars: [{item: global, key: gk}]
        stages:
          s:
            foreach: [a, b]
            do:
              cmd: echo ${item} ${key}
          t:
            cmd: echo ${item} ${key}
        """
    ),
    "matrix_two_axes": fx(
        """
        stages:
          grid:
            matrix:
              model: [cnn, rnn]
              lr: [0.1, 1]
            cmd: train ${item.model} ${item.lr} ${key}
            outs: ["out/${item.model}-${item.lr}"]
        """
    ),
    "matrix_three_axes": fx(
        """
        stages:
          grid:
            matrix:
              data: [{path: a.csv, n: 1}, {path: b.csv, n: 2}]
              region: ${regions}
              flag: [true, false, null]
            cmd: run ${item.data.path} ${item.region} ${item.flag} ${key}
            deps: ["${item.data.path}"]
        """,
        params_DOT_yaml=PARAMS,
    ),
    "matrix_interpolated_scalars": fx(
        """
        stages:
          m:
            matrix:
              f: ${flags}
              x: ["${n}", "${train.use_gpu}", lit]
              s: ab
            cmd: echo ${item.f} ${item.x} ${item.s} ${key}
        """,
        params_DOT_yaml=PARAMS,
    ),
    "matrix_with_vars_wdir": fx(
        """
        stages:
          m:
            matrix:
              a: [x, y]
            wdir: sub
            vars: [local.yaml]
            cmd: echo ${item.a} ${v}
        """,
        sub__local_DOT_yaml="v: 9\n",
    ),
    "err_empty_generated_name": fx(
        """
        stages:
          m:
            matrix: {}
            cmd: echo ${key}
          e:
            matrix:
              a: []
            cmd: echo never
          f:
            foreach: ["", x]
            do:
              cmd: echo ${item}
        """,
        errors=True,
        same_message=False,
    ),
    "cmd_dict": fx(
        """
        vars:
          - args:
              lr: 0.001
              sci: 1e-10
              name: my model
              quote: it's
              gpu: true
              cpu: false
              nothing: null
              layers: [1, 2, "a b", true, null]
              empty: []
              nested: {depth: 2, deeper: {x: 1}, blank: {}}
        stages:
          s:
            cmd: python train.py ${args}
          exact:
            cmd: ${args}
        """
    ),
    "cmd_dict_config": fx(
        """
        vars:
          - args: {gpu: true, cpu: false, layers: [1, 2]}
        stages:
          s:
            cmd: python train.py ${args}
        """,
        parsing={"bool": "boolean_optional", "list": "append"},
    ),
    "cmd_list": fx(
        """
        stages:
          s:
            cmd:
              - python a.py ${train.lr}
              - ${train.epochs}
              - python b.py ${train}
              - ${train}
        """,
        params_DOT_yaml=PARAMS,
    ),
    "scalars_in_strings": fx(
        """
        vars:
          - flag: true
            off: false
            none: null
            f: 1.0
            sci: 1.0e-05
            big: 12345678901234567890
            neg: -3
            text: "a b"
        stages:
          s:
            cmd: echo ${flag} ${off} ${none} ${f} ${sci} ${big} ${neg} ${text}
            outs: ["out-${flag}-${none}-${f}"]
            meta: ["${flag}", "${none}", "${f}", "${neg}", "x${flag}"]
        """
    ),
    "escapes": fx(
        """
        vars: [{x: 1}]
        stages:
          s:
            cmd: echo \\${x} ${x} \\${not_a_var} $HOME ${x}\\${x}
            desc: \\${literal}
            meta: {'\\${k}': v}
        """
    ),
    "whitespace_and_indexes": fx(
        """
        stages:
          s:
            cmd: echo ${ train.lr } ${layers[ 2 ]} ${layers[-1]} ${ n} ${train .epochs}
        """,
        params_DOT_yaml=PARAMS,
    ),
    "interpolated_mapping_keys": fx(
        """
        vars: [{pfile: conf.yaml, out: result}]
        stages:
          s:
            cmd: echo
            params: [{"${pfile}": [a]}]
            outs: [{"${out}.csv": {cache: false}}]
        """
    ),
    "subfolder": fx(
        """
        vars: [local.yaml]
        stages:
          s:
            cmd: echo ${x} ${y}
            wdir: ..
            deps: [sub/in]
          t:
            wdir: inner
            vars: [../more.yaml, deep.yaml]
            cmd: echo ${z} ${w}
        """,
        dvcfile="sub/dvc.yaml",
        sub__params_DOT_yaml="x: from-sub\n",
        sub__local_DOT_yaml="y: local\n",
        sub__more_DOT_yaml="z: more\n",
        sub__inner__deep_DOT_yaml="w: deep\n",
        params_DOT_yaml="ignored: true\n",
    ),
    "no_default_params": fx(
        """
        stages:
          s:
            cmd: echo plain
        """
    ),
    # ---------------------------------------------------------------- errors, in DVC and here
    "err_unknown_variable": fx(
        """
        stages:
          ok:
            cmd: echo fine
          bad:
            cmd: echo ${nope}
          also_ok:
            cmd: echo ${n}
        """,
        params_DOT_yaml=PARAMS,
        errors=True,
    ),
    "err_unknown_nested": fx(
        """
        stages:
          a:
            cmd: echo ${train.nope}
          b:
            cmd: echo ${layers[9]}
          c:
            cmd: echo ${n.x}
          d:
            outs: ["${layers.x}"]
            cmd: echo
        """,
        params_DOT_yaml=PARAMS,
        errors=True,
    ),
    "err_foreach_scalar": fx(
        """
        stages:
          a:
            foreach: ${n}
            do:
              cmd: echo ${item}
          b:
            foreach: plain-string
            do:
              cmd: echo ${item}
          c:
            foreach: ${undefined}
            do:
              cmd: echo ${item}
          d:
            foreach: "list: ${layers}"
            do:
              cmd: echo
          ok:
            foreach: [1]
            do:
              cmd: echo ${item}
        """,
        params_DOT_yaml=PARAMS,
        errors=True,
    ),
    "err_foreach_some_members": fx(
        """
        stages:
          train:
            foreach:
              - {name: a, lr: 1}
              - {name: b}
              - {name: c, lr: 3}
            do:
              cmd: train ${item.name} ${item.lr}
          key_in_list:
            foreach: [x]
            do:
              cmd: echo ${key}
          raw_expression_in_message:
            foreach: [{tags: []}]
            do:
              cmd: echo ${ item.tags[0] }
        """,
        errors=True,
    ),
    "err_foreach_template_syntax": fx(
        """
        stages:
          s:
            foreach: [a, b]
            do:
              cmd: echo ${item..x}
          empty:
            foreach: []
            do:
              cmd: echo ${item..x}
        """,
        errors=True,
    ),
    "err_conflicting_vars": fx(
        """
        vars: [other.yaml]
        stages:
          s:
            cmd: echo ${n}
        """,
        params_DOT_yaml=PARAMS,
        other_DOT_yaml="train: {lr: 5}\n",
        errors=True,
    ),
    "err_conflicting_inline_vars": fx(
        """
        vars: [{a: 1}, {a: 2}]
        stages:
          s:
            cmd: echo ${a}
        """,
        errors=True,
    ),
    "err_stage_vars_conflict": fx(
        """
        stages:
          scalar_over_dict:
            vars: [{train: 1}]
            cmd: echo
          leaf:
            vars: [{n: 4}]
            cmd: echo
          file:
            vars: [more.yaml]
            cmd: echo
          fine:
            vars: [{train: {extra: 1}}]
            cmd: echo ${train.extra} ${train.lr}
        """,
        params_DOT_yaml=PARAMS,
        more_DOT_yaml="train: {epochs: 1}\n",
        errors=True,
    ),
    "err_partial_after_default": fx(
        """
        vars: ["params.yaml:train"]
        stages:
          s:
            cmd: echo
        """,
        params_DOT_yaml=PARAMS,
        errors=True,
    ),
    "err_stage_partial_after_full": fx(
        """
        vars: [conf.yaml]
        stages:
          s:
            vars: ["conf.yaml:a"]
            cmd: echo
          t:
            cmd: echo ${a}
        """,
        conf_DOT_yaml="a: 1\n",
        errors=True,
    ),
    "err_missing_vars_file": fx(
        """
        vars: [missing.yaml]
        stages:
          s:
            cmd: echo
        """,
        errors=True,
    ),
    "err_missing_key_in_file": fx(
        """
        vars: ["conf.yaml:a,nope"]
        stages:
          s:
            cmd: echo
        """,
        conf_DOT_yaml="a: 1\n",
        errors=True,
    ),
    "err_vars_not_a_dict": fx(
        """
        vars: [list.yaml]
        stages:
          s:
            cmd: echo
        """,
        list_DOT_yaml="- 1\n- 2\n",
        errors=True,
        same_message=False,
    ),
    "err_vars_interpolated": fx(
        """
        vars: ["${x}.yaml"]
        stages:
          s:
            cmd: echo
        """,
        errors=True,
    ),
    "err_stage_vars_interpolated": fx(
        """
        stages:
          s:
            vars: [{a: "${n}"}]
            cmd: echo
          t:
            cmd: echo ok
        """,
        params_DOT_yaml=PARAMS,
        errors=True,
    ),
    "err_stage_vars_missing_file": fx(
        """
        stages:
          s:
            vars: [nope.yaml]
            cmd: echo
          t:
            cmd: echo ok
        """,
        errors=True,
    ),
    "err_syntax": fx(
        """
        stages:
          a:
            cmd: echo ${a..b}
          b:
            cmd: echo ${}
          c:
            cmd: echo ${a[0}
          d:
            outs: ["${x[0]bcd}"]
            cmd: echo
          e:
            cmd: echo ${.x}
        """,
        errors=True,
    ),
    "err_non_primitive": fx(
        """
        stages:
          list_in_outs:
            cmd: echo
            outs: ["${layers}"]
          list_in_cmd:
            cmd: echo ${layers}
          dict_in_deps:
            cmd: echo
            deps: ["x-${train}"]
          exact_list_cmd:
            cmd: ${layers}
          nested_iterable:
            cmd: echo ${bad}
          dict_in_wdir:
            wdir: ${train}
            cmd: echo
        """,
        params_DOT_yaml=PARAMS + "    bad: {a: [[1]]}\n",
        errors=True,
    ),
    "err_reserved_key": fx(
        """
        stages:
          s:
            foreach: [a]
            do:
              vars: [{item: 1}]
              cmd: echo
          d:
            foreach: {k: v}
            do:
              vars: [res.yaml]
              cmd: echo
          m:
            matrix: {a: [1]}
            vars: [{key: 1, item: 2}]
            cmd: echo
        """,
        res_DOT_yaml="item: 1\nkey: 2\n",
        errors=True,
    ),
    "err_wdir_unknown": fx(
        """
        stages:
          s:
            wdir: ${nope}
            cmd: echo
          t:
            wdir: sub
            vars: [{v: 1}]
            cmd: echo ${v}
        """,
        errors=True,
    ),
    "err_matrix_unknown": fx(
        """
        stages:
          m:
            matrix:
              a: ${nope}
            cmd: echo
          ok:
            matrix:
              a: [1]
            cmd: echo ${item.a}
          bad_member:
            matrix:
              a: [1, 2]
            cmd: echo ${item.b}
        """,
        errors=True,
    ),
    "err_date_in_params": fx(
        """
        stages:
          s:
            cmd: echo no templating at all
        """,
        params_DOT_yaml="when: 2020-01-01\n",
        errors=True,
        same_message=False,
    ),
}


# ----------------------------------------------------------------------------- helpers

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def one_line(message: str) -> str:
    """DVC's multi-line, coloured message as one line (the caret line dropped)."""
    lines = [ln for ln in _ANSI.sub("", message).splitlines() if ln.strip() != "^"]
    return " ".join(lines)


@dataclass
class Outcome:
    stages: list[tuple[str, str, dict[str, Any]]]
    errors: list[tuple[str | None, str]]
    top_imports: list[str]


@pytest.fixture(autouse=True)
def _dvc_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    home = tmp_path_factory.getbasetemp() / "templating-home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    monkeypatch.setenv("DVC_GLOBAL_CONFIG_DIR", str(home / "global"))
    monkeypatch.setenv("DVC_SYSTEM_CONFIG_DIR", str(home / "system"))


def make_repo(root: Path, fixture: Fixture) -> None:
    from dvc.repo import Repo

    Repo.init(str(root), no_scm=True).close()
    for rel, text in fixture.files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    if fixture.parsing:
        entries = "".join(f"    {k} = {v}\n" for k, v in fixture.parsing.items())
        with open(root / ".dvc" / "config", "a", encoding="utf-8") as config:
            config.write(f"[parsing]\n{entries}")


def dvc_outcome(root: Path, dvcfile: str) -> Outcome:
    """DVC's own resolution, definition by definition, member by member."""
    from dvc.dvcfile import load_file
    from dvc.parsing import DataResolver, ForeachDefinition, MatrixDefinition
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        contents = load_file(repo, str(root / dvcfile)).contents
        try:
            resolver = DataResolver(repo, str((root / dvcfile).parent), contents)
        except Exception as exc:
            return Outcome([], [(None, one_line(str(exc)))], [])
        outcome = Outcome([], [], list(resolver.context.imports))
        for group, definition in resolver.definitions.items():
            try:
                generated = isinstance(definition, (ForeachDefinition, MatrixDefinition))
                names = definition.get_generated_names() if generated else [group]
            except Exception as exc:
                outcome.errors.append((group, one_line(str(exc))))
                continue
            for name in names:
                try:
                    outcome.stages.append((name, group, resolver.resolve_one(name)[name]))
                except Exception as exc:
                    outcome.errors.append((group, one_line(str(exc))))
    return outcome


def our_outcome(root: Path, fixture: Fixture) -> tuple[list[ResolvedStage], list[TemplateError]]:
    def read_text(rel: str) -> str:
        return (root / rel).read_text(encoding="utf-8")

    document = load_yaml((root / fixture.dvcfile).read_text(encoding="utf-8")).data
    return resolve(document, fixture.dvcfile, read_text, parsing_config=fixture.parsing)


def dedupe(errors: list[tuple[str | None, str]]) -> list[tuple[str | None, str]]:
    return list(dict.fromkeys(errors))


Resolved = tuple[Fixture, Path, Outcome, list[ResolvedStage], list[TemplateError]]


def resolve_both(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Resolved:
    """The fixture in a fresh DVC repository, resolved by DVC and by dvcflow."""
    fixture = FIXTURES[name]
    root = tmp_path / "repo"
    root.mkdir()
    make_repo(root, fixture)
    monkeypatch.chdir(root)  # DVC names files relative to the working directory
    theirs = dvc_outcome(root, fixture.dvcfile)
    stages, errors = our_outcome(root, fixture)
    return fixture, root, theirs, stages, errors


ALL = sorted(FIXTURES)
RESOLVABLE = [name for name in ALL if not FIXTURES[name].errors]


# ----------------------------------------------------------------------------- fidelity


@pytest.mark.parametrize("name", ALL)
def test_same_stages_and_errors_as_dvc(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture, _, theirs, stages, errors = resolve_both(name, tmp_path, monkeypatch)
    assert [(s.name, s.definition, s.body) for s in stages] == theirs.stages
    for stage in stages:
        assert list(stage.vars_files[: len(theirs.top_imports)]) == theirs.top_imports
    assert bool(theirs.errors) == fixture.errors, theirs.errors
    ours = dedupe([(e.definition, e.message) for e in errors])
    expected = dedupe(theirs.errors)
    if fixture.same_message:
        assert ours == expected
    else:
        assert [d for d, _ in ours] == [d for d, _ in expected]


@pytest.mark.parametrize("name", RESOLVABLE)
def test_same_stage_objects_as_dvc(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What dvc's index builds from the resolved data: names, cmd, paths, params, wdir."""
    _, root, _, stages, _ = resolve_both(name, tmp_path, monkeypatch)
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        theirs = {s.name: s for s in repo.index.stages}
    assert list(theirs) == [s.name for s in stages]
    for stage in stages:
        dvc_stage = theirs[stage.name]
        assert dvc_stage.cmd == stage.body["cmd"]
        assert dvc_stage.addressing.endswith(stage.name)
        assert _dvc_paths(dvc_stage) == _our_paths(stage.body)
        stage_dir = os.path.dirname(dvc_stage.path)
        wdir = os.path.relpath(dvc_stage.wdir, stage_dir).replace(os.sep, "/")
        assert wdir == (stage.body.get("wdir") or ".")


def _dvc_paths(stage: Any) -> dict[str, Any]:
    from dvc.dependency import ParamsDependency

    deps = [d.def_path for d in stage.deps if not isinstance(d, ParamsDependency)]
    params = sorted(
        (d.def_path, tuple(d.params)) for d in stage.deps if isinstance(d, ParamsDependency)
    )
    outs = sorted((o.def_path, bool(o.metric), bool(o.plot)) for o in stage.outs)
    return {"deps": deps, "params": params, "outs": outs}


def _our_paths(body: dict[str, Any]) -> dict[str, Any]:
    def names(entries: list[Any] | None) -> list[str]:
        return [e if isinstance(e, str) else next(iter(e)) for e in entries or []]

    grouped: dict[str, list[str]] = {}
    for entry in body.get("params") or []:
        if isinstance(entry, str):
            grouped.setdefault("params.yaml", []).append(entry)
        else:
            for path, keys in entry.items():
                grouped.setdefault(path, []).extend(keys)
    outs = [(p, False, False) for p in names(body.get("outs"))]
    outs += [(p, True, False) for p in names(body.get("metrics"))]
    outs += [(p, False, True) for p in names(body.get("plots"))]
    return {
        "deps": names(body.get("deps")),
        "params": sorted((path, tuple(keys)) for path, keys in grouped.items()),
        "outs": sorted(outs),
    }


# ----------------------------------------------------------------------------- unit tests


def _resolve_text(
    dvc_yaml: str, files: dict[str, str] | None = None, dvcfile: str = "dvc.yaml"
) -> tuple[list[ResolvedStage], list[TemplateError]]:
    texts = {k: textwrap.dedent(v) for k, v in (files or {}).items()}

    def read_text(rel: str) -> str:
        if rel not in texts:
            raise FileNotFoundError(rel)
        return texts[rel]

    return resolve(load_yaml(textwrap.dedent(dvc_yaml)).data, dvcfile, read_text)


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

    from dvcflow.dvc import templating

    try:
        expected: str = parse_expr(expr)
    except ParseError as exc:
        with pytest.raises(templating._ParseError) as ours:
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
