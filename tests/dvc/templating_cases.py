"""dvc.yaml templating cases, each resolved by DVC and by dvcflow (see templating_more.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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
BASIC: dict[str, Fixture] = {
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
}
