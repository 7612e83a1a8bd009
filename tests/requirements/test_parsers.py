"""The parsers of pyproject.toml, setup.cfg, setup.py, Pipfile, conda files and lock files."""

from __future__ import annotations

import json

from dvcflow.requirements.conda import parse_environment_yml
from dvcflow.requirements.locks import parse_conda_lock, parse_pipfile_lock, parse_toml_lock
from dvcflow.requirements.pyproject import parse_pipfile, parse_pyproject
from dvcflow.requirements.setuptools import parse_setup_cfg, parse_setup_py
from dvcflow.requirements.tomltext import append_array_string, replace_array_string
from tests.requirements.conftest import dedent, only

PYPROJECT = dedent("""
    [project]
    name = "demo"
    dependencies = [
        "dvc[s3]>=3.0",  # the range
        'pandas',
    ]

    [project.optional-dependencies]
    gs = ["dvc-gs==3.0.1"]

    [dependency-groups]
    test = ["pytest", {include-group = "lint"}]
    lint = ["dvc-azure~=3.1"]

    [tool.uv]
    dev-dependencies = ["dvc-ssh"]

    [tool.pdm.dev-dependencies]
    docs = ["dvc-webdav>=3"]

    [tool.poetry.dependencies]
    python = "^3.10"
    dvc = "3.50.0"
    dvc-hdfs = { version = "^3.0", extras = ["pyarrow"] }
    dvc-oss = [
        { version = "3.0.0", python = "<3.12" },
        { version = "3.1.0", python = ">=3.12" },
    ]

    [tool.poetry.group.dev.dependencies]
    dvc-webhdfs = "^3.50"
""")


def test_pyproject_every_section() -> None:
    result = parse_pyproject(PYPROJECT, "pyproject.toml")
    assert result.problems == []
    decls = result.declarations
    pep621 = next(d for d in decls if d.package == "dvc" and d.source == "pep621")
    assert (pep621.line, pep621.column, pep621.extras, pep621.pinned) == (4, 5, ("s3",), False)
    assert pep621.key == ("project", "dependencies", 0)
    assert only(decls, "dvc-gs").section == "[project.optional-dependencies].gs"
    assert only(decls, "dvc-gs").pinned
    assert (only(decls, "dvc-azure").source, only(decls, "dvc-azure").line) == ("pep735", 13)
    assert (only(decls, "dvc-ssh").source, only(decls, "dvc-ssh").line) == ("uv", 16)
    assert only(decls, "dvc-webdav").source == "pdm"
    poetry = next(d for d in decls if d.package == "dvc" and d.source == "poetry")
    assert (poetry.line, poetry.pinned, poetry.version) == (23, True, "3.50.0")
    hdfs = only(decls, "dvc-hdfs")
    assert (hdfs.extras, hdfs.pinned, hdfs.line) == (("pyarrow",), False, 24)
    oss = [d for d in decls if d.package == "dvc-oss"]
    assert [(d.version, d.marker) for d in oss] == [
        ("3.0.0", "python <3.12"),
        ("3.1.0", "python >=3.12"),
    ]
    webhdfs = only(decls, "dvc-webhdfs")
    assert (webhdfs.section, webhdfs.pinned) == ("[tool.poetry.group.dev.dependencies]", False)
    assert not any(d.package == "python" for d in decls)


def test_pyproject_bad_toml_and_bad_requirement() -> None:
    bad = parse_pyproject('[project]\ndependencies = ["dvc==3.50.0"\n', "pyproject.toml")
    assert bad.declarations == []
    assert [(p.line, p.whole_file) for p in bad.problems] == [(2, True)]
    assert "not valid TOML" in bad.problems[0].message
    text = '[project]\ndependencies = [\n  "dvc==3.50.0",\n  "pandas >=>= 2",\n]\n'
    result = parse_pyproject(text, "pyproject.toml")
    assert [(p.line, p.whole_file) for p in result.problems] == [(4, False)]
    assert "invalid requirement `pandas >=>= 2`" in result.problems[0].message
    assert only(result.declarations, "dvc").pinned


def test_setup_cfg() -> None:
    text = dedent("""
        [metadata]
        name = demo

        [options]
        install_requires =
            pandas
            # a comment
            dvc[s3]>=3.0
        python_requires = >=3.9

        [options.extras_require]
        gs = dvc-gs==3.0.1
    """)
    decls = parse_setup_cfg(text, "setup.cfg").declarations
    dvc = only(decls, "dvc")
    assert (dvc.line, dvc.column, dvc.pinned, dvc.section) == (
        8,
        5,
        False,
        "[options] install_requires",
    )
    gs = only(decls, "dvc-gs")
    assert (gs.line, gs.pinned) == (12, True)


def test_setup_cfg_malformed() -> None:
    result = parse_setup_cfg("[options]\ninstall_requires = dvc\n[options]\n", "setup.cfg")
    assert [(p.line, p.whole_file) for p in result.problems] == [(3, True)]


def test_environment_yml_conda_and_pip() -> None:
    text = dedent("""
        name: demo
        channels: [conda-forge]
        dependencies:
          - python=3.11
          - conda-forge::dvc=3.50.0
          - dvc-s3>=3
          - pip
          - pip:
              - dvc-gs==3.0.1
              - -r requirements-extra.txt
    """)
    result = parse_environment_yml(text, "environment.yml")
    assert result.problems == []
    dvc = only(result.declarations, "dvc")
    assert (dvc.line, dvc.column, dvc.pinned, dvc.source) == (5, 5, True, "conda")
    assert not only(result.declarations, "dvc-s3").pinned
    gs = only(result.declarations, "dvc-gs")
    assert (gs.line, gs.pinned, gs.source) == (9, True, "requirements")
    assert [(i.line, i.target) for i in result.includes] == [(10, "requirements-extra.txt")]


def test_environment_yml_malformed() -> None:
    result = parse_environment_yml("dependencies:\n  - dvc\n - bad: [\n", "environment.yml")
    assert result.problems and result.problems[0].whole_file and result.problems[0].line == 3


def test_pipfile() -> None:
    text = dedent("""
        [[source]]
        url = "https://pypi.org/simple"
        name = "pypi"

        [packages]
        dvc = "==3.50.0"
        dvc-s3 = "*"
        dvc-gs = {version = ">=3", extras = ["x"]}

        [dev-packages]
        dvc-azure = "bad specifier"
    """)
    result = parse_pipfile(text, "Pipfile")
    assert (only(result.declarations, "dvc").line, only(result.declarations, "dvc").pinned) == (
        6,
        True,
    )
    assert not only(result.declarations, "dvc-s3").pinned
    assert only(result.declarations, "dvc-gs").extras == ("x",)
    assert [(p.line, "not a version specifier" in p.message) for p in result.problems] == [
        (11, True)
    ]


def test_toml_locks() -> None:
    poetry = (
        '[[package]]\nname = "pandas"\nversion = "2.2.0"\n\n[[package]]\nname = "dvc"\n'
        'version = "3.50.0"\ndescription = "x"\n'
    )
    dvc = only(parse_toml_lock(poetry, "poetry.lock").declarations, "dvc")
    assert (dvc.line, dvc.pinned, dvc.version, dvc.is_lock) == (7, True, "3.50.0", True)
    uv = dedent("""
        version = 1
        [[package]]
        name = "demo"
        source = { editable = "." }
        [[package]]
        name = "dvc-s3"
        version = "3.2.0"
        source = { registry = "https://pypi.org/simple" }
    """)
    decls = parse_toml_lock(uv, "uv.lock").declarations
    assert [(d.package, d.line) for d in decls] == [("dvc-s3", 7)]
    pylock = 'lock-version = "1.0"\n[[packages]]\nname = "dvc"\nversion = "3.50.0"\n'
    assert [(d.package, d.line) for d in parse_toml_lock(pylock, "pylock.toml").declarations] == [
        ("dvc", 4)
    ]
    bad = parse_toml_lock("[[package]\n", "pdm.lock")
    assert bad.problems[0].whole_file and bad.problems[0].line == 1


def test_pipfile_lock_and_conda_lock() -> None:
    pipfile_lock = json.dumps(
        {
            "_meta": {"hash": {}},
            "default": {"dvc": {"version": "==3.50.0", "hashes": []}},
            "develop": {"dvc-gs": {"git": "https://x"}},
        },
        indent=4,
    )
    decls = parse_pipfile_lock(pipfile_lock, "Pipfile.lock").declarations
    assert [(d.package, d.version, d.line) for d in decls] == [("dvc", "3.50.0", 6)]
    bad = parse_pipfile_lock('{"default": {\n  "dvc": }\n', "Pipfile.lock")
    assert (bad.problems[0].line, bad.problems[0].whole_file) == (2, True)
    conda_lock = dedent("""
        version: 1
        package:
          - name: dvc
            version: 3.50.0
            manager: conda
            platform: linux-64
    """)
    dvc = only(parse_conda_lock(conda_lock, "conda-lock.yml").declarations, "dvc")
    assert (dvc.line, dvc.version, dvc.is_lock) == (4, "3.50.0", True)


def test_toml_array_edits_keep_every_other_byte() -> None:
    text = "[project]\ndependencies = [\n    \"pandas\",  # data\n    'dvc>=3',\n]\n"
    replaced = replace_array_string(text, ("project", "dependencies"), 1, 4, "dvc==3.67.1")
    assert replaced == text.replace("'dvc>=3'", "'dvc==3.67.1'")
    appended = append_array_string(text, ("project", "dependencies"), 2, "mlflow==2.0")
    assert appended == text.replace("'dvc>=3',\n", "'dvc>=3',\n    'mlflow==2.0',\n")
    no_comma = '[project]\ndependencies = [\n  "pandas"  # data\n]\n'
    assert append_array_string(no_comma, ("project", "dependencies"), 2, "dvc==1") == (
        '[project]\ndependencies = [\n  "pandas",  # data\n  "dvc==1"\n]\n'
    )
    one_line = '[project]\ndependencies = ["pandas"]\n'
    assert append_array_string(one_line, ("project", "dependencies"), 2, "dvc==1") == (
        '[project]\ndependencies = ["pandas", "dvc==1"]\n'
    )
    empty = "[project]\r\ndependencies = []\r\n"
    assert append_array_string(empty, ("project", "dependencies"), 2, "dvc==1") == (
        '[project]\r\ndependencies = ["dvc==1"]\r\n'
    )
    escaped = '[project]\ndependencies = ["dvc>=3; python_version > \\"3.8\\""]\n'
    assert replace_array_string(escaped, ("project", "dependencies"), 0, 2, "dvc==1") is not None


def test_setup_py_literals_names_and_computed_lists() -> None:
    text = dedent("""
        from setuptools import setup

        EXTRAS = {"s3": ["dvc-s3>=3"]}
        REQUIRES = [
            "pandas",
            "dvc[s3]==3.50.0",
        ]

        setup(name="demo", install_requires=REQUIRES, extras_require=EXTRAS)
    """)
    result = parse_setup_py(text, "setup.py")
    dvc = only(result.declarations, "dvc")
    assert (dvc.line, dvc.column, dvc.pinned, dvc.source) == (6, 5, True, "setup.py")
    assert only(result.declarations, "dvc-s3").section == "extras_require[s3]"
    assert not result.opaque
    computed = parse_setup_py(
        "import setuptools\nsetuptools.setup(install_requires=open('r.txt').read().split())\n",
        "setup.py",
    )
    assert computed.opaque and computed.declarations == []
    broken = parse_setup_py("setup(\n", "setup.py")
    assert broken.problems[0].whole_file and "not valid Python" in broken.problems[0].message
