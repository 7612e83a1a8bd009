"""More dvc.yaml templating cases: errors, foreach/matrix corners, vars files."""

from __future__ import annotations

from .templating_cases import PARAMS, Fixture, fx

MORE: dict[str, Fixture] = {
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
