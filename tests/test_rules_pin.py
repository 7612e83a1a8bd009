"""DVF401-DVF403: the DVC version (and plugins, and configured packages) are pinned.

Most cases are pure functions over file text (the parsers of every format); the rest run
`dvcflow-check` on real Git repositories: findings, scope, `--fix` round-trips.
"""

from __future__ import annotations

import importlib.metadata
import json
import textwrap

import pytest

from dvcflow.requirements.discover import Declarations, collect, file_kind
from dvcflow.requirements.formats import (
    parse_conda_lock,
    parse_environment_yml,
    parse_pipfile,
    parse_pipfile_lock,
    parse_pyproject,
    parse_setup_cfg,
    parse_setup_py,
    parse_toml_lock,
)
from dvcflow.requirements.model import (
    Declaration,
    parse_conda_spec,
    pep440_constraint,
    poetry_constraint,
)
from dvcflow.requirements.pipfile import logical_lines, parse_lines
from dvcflow.requirements.tomltext import append_array_string, replace_array_string
from dvcflow.rules.pin.scope import conflicts, rewrite_requirement, status

from .conftest import Repo

DVC = importlib.metadata.version("dvc")
DVC_DATA = importlib.metadata.version("dvc-data")


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def only(decls: list[Declaration], package: str) -> Declaration:
    found = [d for d in decls if d.package == package]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def pin_repo(repo: Repo) -> Repo:
    """A Git repository with a DVC project folder (what `dvc init` creates, without DVC's start)."""
    repo.write(".dvc/config", "")
    repo.write(".dvc/.gitignore", "/config.local\n/tmp\n/cache\n")
    return repo


def codes(out: str, code: str) -> list[str]:
    return [line for line in out.splitlines() if f" {code} " in line]


# -- requirements files ------------------------------------------------------------------------


def test_logical_lines_join_continuations_and_strip_comments() -> None:
    text = (
        "# header\ndvc==3.50.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n\nurl#frag  # c\n"
    )
    assert list(logical_lines(text)) == [
        (2, "dvc==3.50.0     --hash=sha256:aa     --hash=sha256:bb"),
        (6, "url#frag"),
    ]


@pytest.mark.parametrize(
    ("line", "pinned", "version"),
    [
        ("dvc==3.50.0", True, "3.50.0"),
        ("dvc===3.50.0", True, "3.50.0"),
        ("dvc[s3,gs]==3.50.0", True, "3.50.0"),
        ("dvc == 3.50.0 ; python_version >= '3.9'", True, "3.50.0"),
        ("dvc>=3.0,==3.50.0", True, "3.50.0"),
        ("dvc==3.*", False, None),
        ("dvc~=3.50", False, None),
        ("dvc>=3.0,<4", False, None),
        ("dvc", False, None),
        ("dvc @ git+https://github.com/iterative/dvc@3.50.0", False, None),
    ],
)
def test_requirement_exactness(line: str, pinned: bool, version: str | None) -> None:
    decl = only(parse_lines(line + "\n", "requirements.txt").declarations, "dvc")
    assert (decl.pinned, decl.version) == (pinned, version)


def test_requirements_file_every_line_kind() -> None:
    text = dedent("""
        # pip-compile output
        dvc[s3]==3.50.0 \\
            --hash=sha256:0123 \\
            --hash=sha256:4567
            # via -r requirements.in
        Dvc_S3>=3.0 ; python_version >= "3.8"  # a comment
        -r base.txt
        --constraint=constraints.txt
        -e git+https://github.com/iterative/dvc-gs@main#egg=dvc-gs
        --index-url https://pypi.example/simple
        https://files.example/dvc_azure-3.1.0-py3-none-any.whl
        ./local/package
        dvc-ssh==${DVC_SSH_VERSION}
    """)
    parsed = parse_lines(text, "requirements.txt")
    dvc = only(parsed.declarations, "dvc")
    assert (dvc.line, dvc.extras, dvc.pinned, dvc.raw) == (2, ("s3",), True, "dvc[s3]==3.50.0")
    s3 = only(parsed.declarations, "dvc-s3")
    assert (s3.line, s3.name, s3.pinned) == (6, "Dvc_S3", False)
    assert s3.marker == 'python_version >= "3.8"'
    assert only(parsed.declarations, "dvc-gs").url is not None
    azure = only(parsed.declarations, "dvc-azure")
    assert (azure.pinned, azure.version) == (True, "3.1.0")
    assert not only(parsed.declarations, "dvc-ssh").pinned
    assert [(i.line, i.target, i.constraint) for i in parsed.includes] == [
        (7, "base.txt", False),
        (8, "constraints.txt", True),
    ]
    assert parsed.problems == []


def test_requirements_bad_lines_are_problems_with_their_line() -> None:
    parsed = parse_lines("dvc==3.50.0\nnot a requirement!\n--no-such-option\n-r\n", "r.txt")
    assert [(p.line, p.message.split(" ")[0]) for p in parsed.problems] == [
        (2, "invalid"),
        (3, "pip"),
        (4, "`-r`"),
    ]
    assert only(parsed.declarations, "dvc").pinned


def test_includes_cycles_and_missing_files(repo: Repo) -> None:
    repo.write("requirements.txt", "-r requirements/base.txt\n")
    repo.write("requirements/base.txt", "dvc==3.50.0\n-r ../requirements.txt\n-c nowhere.txt\n")
    repo.write("setup.cfg", "[options]\ninstall_requires = file: deps/extra.txt\n")
    repo.write("deps/extra.txt", "dvc-s3>=3\n")
    repo.add()
    from dvcflow.context import Context

    ctx = Context.from_cwd(repo.root)
    try:
        decls = collect(ctx.staged)
    finally:
        ctx.close()
    assert only(decls.items, "dvc").path == "requirements/base.txt"
    assert only(decls.items, "dvc-s3").path == "deps/extra.txt"
    problems = {(p.path, p.line): p.message for p in decls.problems}
    assert (
        "requirements.txt -> requirements/base.txt -> requirements.txt"
        in problems[("requirements/base.txt", 2)]
    )
    assert (
        "requirements/nowhere.txt, which does not exist" in problems[("requirements/base.txt", 3)]
    )
    assert decls.files == [
        "deps/extra.txt",
        "requirements.txt",
        "requirements/base.txt",
        "setup.cfg",
    ]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("requirements.txt", "requirements"),
        ("sub/requirements-dev.txt", "requirements"),
        ("requirements/prod.txt", "requirements"),
        ("requirements.in", "requirements"),
        ("constraints.txt", "requirements"),
        ("pyproject.toml", "pyproject"),
        ("a/setup.cfg", "setup.cfg"),
        ("Pipfile", "pipfile"),
        ("Pipfile.lock", "pipfile-lock"),
        ("poetry.lock", "toml-lock"),
        ("uv.lock", "toml-lock"),
        ("pdm.lock", "toml-lock"),
        ("pylock.toml", "toml-lock"),
        ("pylock.gpu.toml", "toml-lock"),
        ("test-requirements.txt", "requirements"),
        ("requirements-dev.lock", "requirements"),
        ("environment.yml", "environment"),
        ("envs/environment-gpu.yaml", "environment"),
        ("conda-lock.yml", "conda-lock"),
        ("README.txt", None),
        ("node_modules/x/requirements.txt", None),
        ("dvc.yaml", None),
    ],
)
def test_file_kinds(path: str, kind: str | None) -> None:
    assert file_kind(path) == kind


# -- constraint syntaxes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pinned", "allows_3_55"),
    [
        ("3.50.0", True, False),
        ("==3.50.0", True, False),
        ("=3.50.0", True, False),
        ("^3.50", False, True),
        ("^0.3.1", False, False),
        ("~3.50", False, False),
        ("*", False, True),
        (">=3.0,<4.0", False, True),
        (">=3.0 <3.51", False, False),
        ("3.50.*", False, False),
    ],
)
def test_poetry_constraints(text: str, pinned: bool, allows_3_55: bool) -> None:
    constraint = poetry_constraint(text)
    assert constraint.pinned is pinned
    assert constraint.allowed is not None
    assert constraint.allowed.contains("3.55.0") is allows_3_55


@pytest.mark.parametrize(
    ("spec", "pinned", "version"),
    [
        ("dvc=3.50.0", True, "3.50.0"),
        ("dvc==3.50.0", True, "3.50.0"),
        ("dvc 3.50.0", True, "3.50.0"),
        ("dvc 3.50.0 pyhd8ed1ab_0", True, "3.50.0"),
        ("conda-forge::dvc=3.50.0=pyhd8ed1ab_0", True, "3.50.0"),
        ("dvc=3.50", False, None),
        ("dvc 3.50.*", False, None),
        ("dvc>=3.50,<4", False, None),
        ("dvc", False, None),
    ],
)
def test_conda_specs(spec: str, pinned: bool, version: str | None) -> None:
    parsed = parse_conda_spec(spec)
    assert parsed is not None
    name, constraint = parsed
    assert (name, constraint.pinned, constraint.version) == ("dvc", pinned, version)


def test_looseness_orders_any_before_lower_bound_before_bounded() -> None:
    loose = [pep440_constraint(s).looseness for s in ("", ">=3", "~=3.5", "==3.5.0")]
    assert loose == sorted(loose) and len(set(loose)) == 4


# -- pyproject.toml ----------------------------------------------------------------------------

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


# -- setup.cfg, environment.yml, Pipfile ---------------------------------------------------------


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


# -- lock files --------------------------------------------------------------------------------


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


# -- conflicts and rewriting -------------------------------------------------------------------


def _decls(*items: tuple[str, str]) -> Declarations:
    """Declarations of several files: (path, requirements-style or lock text)."""
    result = Declarations()
    for path, text in items:
        parser = {"poetry.lock": parse_toml_lock}.get(path)
        parsed = parser(text, path) if parser else parse_lines(text, path)
        result.items.extend(parsed.declarations)
    return result


def test_conflicting_pins_report_the_older_one() -> None:
    decls = _decls(("requirements.txt", "dvc==3.50.0\n"), ("ci/requirements.txt", "dvc==3.48\n"))
    found = conflicts(status(decls, "dvc"))
    assert [(c.declaration.path, c.other.path, c.kind) for c in found] == [
        ("ci/requirements.txt", "requirements.txt", "pin")
    ]


def test_equal_versions_and_marker_split_pins_do_not_conflict() -> None:
    same = _decls(("a/requirements.txt", "dvc==3.50\n"), ("requirements.txt", "dvc==3.50.0\n"))
    assert conflicts(status(same, "dvc")) == []
    split = _decls(
        (
            "requirements.txt",
            'dvc==2.58.2; python_version < "3.8"\ndvc==3.50.0; python_version >= "3.8"\n',
        )
    )
    assert conflicts(status(split, "dvc")) == []


def test_stale_lock_and_excluding_range() -> None:
    lock = '[[package]]\nname = "dvc"\nversion = "3.48.0"\n'
    decls = _decls(
        ("requirements.txt", "dvc==3.50.0\n"),
        ("poetry.lock", lock),
        ("setup-reqs/requirements.txt", "dvc<3.49\n"),
    )
    found = {(c.declaration.path, c.kind) for c in conflicts(status(decls, "dvc"))}
    assert found == {("poetry.lock", "lock"), ("setup-reqs/requirements.txt", "range")}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("dvc>=3", "dvc==3.67.1"),
        (
            "dvc[s3] >= 3.0, <4 ; python_version >= '3.9'",
            "dvc[s3]==3.67.1 ; python_version >= '3.9'",
        ),
        ("Dvc_S3~=3.0;sys_platform=='linux'", "Dvc_S3==3.67.1;sys_platform=='linux'"),
        ("dvc (>=3)", "dvc==3.67.1"),
        ("dvc @ https://x/dvc.whl", None),
    ],
)
def test_rewrite_requirement_keeps_name_extras_and_marker(raw: str, expected: str | None) -> None:
    assert rewrite_requirement(raw, "3.67.1") == expected


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


# -- through dvcflow-check ----------------------------------------------------------------------

FORMATS = [
    ("requirements.txt", "pandas\ndvc>=3\n", "pandas\ndvc=={v}\n", 2),
    ("requirements/prod.txt", "dvc[s3]>=3\n", "dvc[s3]=={v}\n", 1),
    (
        "pyproject.toml",
        '[project]\nname = "x"\ndependencies = ["dvc>=3"]\n',
        '[project]\nname = "x"\ndependencies = ["dvc=={v}"]\n',
        3,
    ),
    (
        "pyproject.toml",
        '[dependency-groups]\ndev = ["dvc>=3"]\n',
        '[dependency-groups]\ndev = ["dvc=={v}"]\n',
        2,
    ),
    (
        "pyproject.toml",
        '[tool.poetry.group.dev.dependencies]\ndvc = "^3.0"\n',
        '[tool.poetry.group.dev.dependencies]\ndvc = "{v}"\n',
        2,
    ),
    (
        "pyproject.toml",
        '[tool.poetry.dependencies]\ndvc = {{version = "^3.0", extras = ["s3"]}}\n',
        '[tool.poetry.dependencies]\ndvc = {{version = "{v}", extras = ["s3"]}}\n',
        2,
    ),
    (
        "pyproject.toml",
        '[tool.uv]\ndev-dependencies = ["dvc>=3"]\n',
        '[tool.uv]\ndev-dependencies = ["dvc=={v}"]\n',
        2,
    ),
    (
        "setup.cfg",
        "[options]\ninstall_requires =\n    dvc>=3\n",
        "[options]\ninstall_requires =\n    dvc=={v}\n",
        3,
    ),
    (
        "environment.yml",
        "dependencies:\n  - python=3.11\n  - dvc>=3\n",
        "dependencies:\n  - python=3.11\n  - dvc={v}\n",
        3,
    ),
    (
        "environment.yml",
        "dependencies:\n  - pip:\n    - dvc>=3\n",
        "dependencies:\n  - pip:\n    - dvc=={v}\n",
        3,
    ),
    ("Pipfile", '[packages]\ndvc = ">=3"\n', '[packages]\ndvc = "=={v}"\n', 2),
]


@pytest.mark.parametrize(("path", "ranged", "pinned", "line"), FORMATS)
def test_every_format_ranged_fires_and_pinned_passes(
    pin_repo: Repo, path: str, ranged: str, pinned: str, line: int
) -> None:
    pin_repo.write(path, ranged.format(v=DVC))
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 1, out
    [finding] = codes(out, "DVF401")
    assert finding.startswith(f"{path}:{line}:") and "which does not pin an exact version" in out
    assert DVC in out.split("help:", 1)[1]
    pin_repo.write(path, pinned.format(v=DVC))
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF4") == (0, "All checks passed.\n")


def test_pinned_dvc_is_clean(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"pandas>=2\ndvc[s3]=={DVC}\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 0, out
    assert "All checks passed" in out


def test_ranged_dvc_fires_at_the_loosest_declaration(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "pandas\ndvc[s3]~=3.0\n")
    pin_repo.write("requirements-dev.txt", "-r requirements.txt\ndvc>=3\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1
    [line] = codes(out, "DVF401")
    assert line.startswith("requirements-dev.txt:2:1: DVF401 dvc is declared as `dvc>=3`")
    assert "nor does requirements.txt:2" in line
    assert f"help: change line 2 to `dvc=={DVC}` (the installed version)" in out


def test_missing_dvc_is_reported_at_the_main_requirements_file(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "pandas\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1
    assert "requirements.txt: DVF401 dvc is not declared in any dependency file" in out
    assert f"help: add `dvc=={DVC}` to requirements.txt (the installed version)" in out


def test_repositories_without_dvc_are_not_checked(repo: Repo) -> None:
    repo.write("requirements.txt", "pandas\n")
    repo.add()
    assert repo.check("--all", "--select", "DVF4")[0] == 0  # a missing dvc is not an error
    repo.write(
        "pyproject.toml", '[project]\nname = "lib"\ndependencies = ["dvc>=3", "dvc-s3>=3"]\n'
    )
    repo.add()
    assert repo.check("--all", "--select", "DVF4")[0] == 0  # a library keeps its ranges
    repo.write("dvc.yaml", "stages: {}\n")
    repo.add()
    code, out = repo.check("--all", "--select", "DVF4")
    assert code == 1 and len(codes(out, "DVF401")) == 1 and len(codes(out, "DVF403")) == 1


@pytest.mark.slow  # `dvc init` alone takes seconds on a loaded machine
def test_dvc_init_repository_with_poetry_range(dvc_repo: Repo) -> None:
    dvc_repo.write(
        "pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.10"\ndvc = "^3.50"\n'
    )
    dvc_repo.add()
    code, out = dvc_repo.check("--select", "DVF401")
    assert code == 1
    assert 'pyproject.toml:3:1: DVF401 dvc is declared as `dvc = "^3.50"`' in out
    assert f'help: change line 3 to `dvc = "{DVC}"`' in out
    before = dvc_repo.path("pyproject.toml").read_bytes()
    dvc_repo.check("--select", "DVF401", "--fix")
    assert dvc_repo.path("pyproject.toml").read_bytes() == before  # Poetry: printed, not edited


def test_lock_file_entry_counts_as_pinned(pin_repo: Repo) -> None:
    pin_repo.write("pyproject.toml", '[tool.poetry.dependencies]\ndvc = "^3.50"\n')
    pin_repo.write("poetry.lock", f'[[package]]\nname = "dvc"\nversion = "{DVC}"\n')
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF4")[0] == 0


def test_conda_environment_pin_counts(pin_repo: Repo) -> None:
    pin_repo.write("environment.yml", f"dependencies:\n  - dvc={DVC}\n  - pip\n")
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF4") == (0, "All checks passed.\n")


def test_conflicting_pins_are_an_error(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"dvc=={DVC}\n")
    pin_repo.write("pyproject.toml", '[project]\nname = "x"\ndependencies = ["dvc==3.50.0"]\n')
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 1
    assert (
        f"pyproject.toml:3:17: DVF401 dvc is pinned to 3.50.0 here but to {DVC} in "
        "requirements.txt:1"
    ) in out
    assert f'help: pin one version everywhere: change line 3 to `"dvc=={DVC}"`' in out
    assert "DVF402" not in out  # a conflict is DVF401's to report


def test_stale_lock_file_names_the_command(pin_repo: Repo) -> None:
    pin_repo.write("app/pyproject.toml", f'[tool.poetry.dependencies]\ndvc = "{DVC}"\n')
    pin_repo.write("app/poetry.lock", '[[package]]\nname = "dvc"\nversion = "3.50.0"\n')
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1
    assert "app/poetry.lock:3:1: DVF401 poetry.lock locks dvc 3.50.0" in out
    assert "help: regenerate the lock file: `cd app && poetry lock`" in out


def test_pin_mismatch_warns_without_failing(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "dvc==3.50.0\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 0
    assert (
        f"requirements.txt:1:1: DVF402 dvc is pinned to 3.50.0 but {DVC} is installed "
        "where this check runs"
    ) in out
    assert f"help: `pip install dvc==3.50.0`, or pin `dvc=={DVC}`" in out


def test_plugins_must_be_pinned(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"dvc=={DVC}\ndvc-s3>=3.0\ndvc_gs==3.0.1\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF403")
    assert code == 1
    [line] = codes(out, "DVF403")
    assert line.startswith("requirements.txt:2:1: DVF403 DVC plugin dvc-s3 is declared as")
    assert "(`pip show dvc-s3` prints it)" in out  # not installed here: no version to offer


def test_plugin_pinned_by_a_lock_file(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"dvc=={DVC}\n")
    pin_repo.write("pyproject.toml", '[project]\nname = "x"\ndependencies = ["dvc-s3>=3"]\n')
    pin_repo.write("uv.lock", '[[package]]\nname = "dvc-s3"\nversion = "3.2.0"\n')
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF403")[0] == 0


def test_configured_packages_are_checked_too(pin_repo: Repo) -> None:
    pin_repo.write(
        "pyproject.toml",
        dedent("""
        [project]
        name = "x"
        dependencies = ["mlflow>=2"]

        [tool.dvcflow.pin]
        packages = ["mlflow", "scikit-learn", "not-installed-here"]
    """),
    )
    pin_repo.write("requirements.txt", f"dvc=={DVC}\nnot-installed-here==1.0\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1
    assert "pyproject.toml:3:17: DVF401 mlflow is declared as `mlflow>=2`" in out
    assert "requirements.txt: DVF401 scikit-learn is not declared in any dependency file" in out
    assert len(codes(out, "DVF401")) == 2
    assert "DVF402" not in pin_repo.check("--all", "--select", "DVF402")[1]  # nothing installed


def test_suppression_comment_on_the_line(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "dvc>=3  # dvcflow: ignore[DVF401]\n")
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF401")[0] == 0


def test_explain_prints_the_rule_documentation(repo: Repo) -> None:
    for code in ("DVF401", "DVF402", "DVF403"):
        status_code, out = repo.check("--explain", code)
        assert status_code == 0 and out.startswith(code)


# -- malformed files ---------------------------------------------------------------------------


def test_bad_toml_is_a_finding_with_its_line(pin_repo: Repo) -> None:
    pin_repo.write("sub/pyproject.toml", '[project]\nname = "x"\ndependencies = [\n"dvc",,\n]\n')
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 1
    assert "sub/pyproject.toml:4:" in out and "is not valid TOML" in out
    assert "Traceback" not in out
    assert "not declared" not in out  # the unreadable file may hold the pin


def test_bad_requirement_line_and_binary_file(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"dvc=={DVC}\nthis is not ! a requirement\n")
    pin_repo.write("requirements-gpu.txt", b"\x00\x01binary")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 1
    assert "requirements.txt:2:1: DVF401 invalid requirement `this is not ! a requirement`" in out
    assert "requirements-gpu.txt: DVF401 requirements-gpu.txt cannot be read" in out
    assert "Traceback" not in out


def test_missing_include_and_cycle_through_the_cli(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", f"dvc=={DVC}\n-r dev.txt\n-c constraints/pins.txt\n")
    pin_repo.write("dev.txt", "-r requirements.txt\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1
    assert "dev.txt:1:1: DVF401 `-r requirements.txt` includes a file that includes this one" in out
    assert "requirements.txt:3:1: DVF401 `-c constraints/pins.txt` names constraints/" in out


# -- scope -------------------------------------------------------------------------------------


def test_scope_first_commit_staged_file_and_all(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "dvc>=3\n")
    pin_repo.add()
    assert pin_repo.check("--select", "DVF401")[0] == 1  # first commit: always checked
    pin_repo.commit("unpinned")
    pin_repo.write("train.py", "print(1)\n")
    pin_repo.add("train.py")
    assert pin_repo.check("--select", "DVF401")[0] == 0  # no dependency file staged
    assert pin_repo.check("--all", "--select", "DVF401")[0] == 1
    pin_repo.write("requirements.txt", "dvc>=3\npandas\n")
    pin_repo.add("requirements.txt")
    assert pin_repo.check("--select", "DVF401")[0] == 1


def test_scope_includes_included_files_and_deletions(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "-r deps/base.txt\n")
    pin_repo.write("deps/base.txt", "dvc>=3\n")
    pin_repo.add()
    pin_repo.commit("base")
    pin_repo.write("deps/base.txt", "dvc>=3\nnumpy\n")
    pin_repo.add("deps/base.txt")
    assert pin_repo.check("--select", "DVF401")[0] == 1
    pin_repo.commit("numpy")
    pin_repo.git("rm", "-q", "requirements.txt")
    code, out = pin_repo.check("--select", "DVF401")
    assert code == 1 and "dvc is not declared" in out


# -- --fix -------------------------------------------------------------------------------------


def _fix_twice(repo: Repo, *select: str) -> tuple[str, str]:
    """Run --fix, stage, run --fix again (which must change nothing); return both outputs."""
    _, first = repo.check("--all", "--select", ",".join(select), "--fix")
    assert "dvcflow: fixed" in first
    repo.add()
    _, second = repo.check("--all", "--select", ",".join(select), "--fix")
    assert "dvcflow: fixed" not in second
    return first, second


def test_fix_rewrites_only_the_range(pin_repo: Repo) -> None:
    original = (
        "# pinned for the team\r\n"
        "pandas>=2  # data\r\n"
        "dvc[s3] >= 3.0 ; python_version >= '3.9'  # keep this comment\r\n"
        "\r\n"
        "numpy==1.26.4 \\\r\n"
        "    --hash=sha256:abcd\r\n"
        "dvc-data>=3.0\r\n"
        "scipy"
    )
    pin_repo.write("requirements.txt", original.encode())
    pin_repo.add()
    _, first = pin_repo.check("--all", "--select", "DVF4", "--fix")
    assert "fixed requirements.txt" in first
    fixed = pin_repo.path("requirements.txt").read_bytes().decode()
    assert fixed == (
        original.replace("dvc[s3] >= 3.0 ;", f"dvc[s3]=={DVC} ;").replace(
            "dvc-data>=3.0", f"dvc-data=={DVC_DATA}"
        )
    )
    pin_repo.add()
    code, second = pin_repo.check("--all", "--select", "DVF4", "--fix")
    assert code == 0 and "fixed" not in second
    assert pin_repo.path("requirements.txt").read_bytes().decode() == fixed


def test_fix_pins_a_pep621_array_item(pin_repo: Repo) -> None:
    original = dedent("""
        [project]
        name = "demo"
        dependencies = [
            "pandas>=2",  # data
            "dvc>=3.0",
        ]

        [tool.ruff]
        line-length = 100
    """)
    pin_repo.write("pyproject.toml", original)
    pin_repo.add()
    _fix_twice(pin_repo, "DVF401")
    assert pin_repo.read("pyproject.toml") == original.replace('"dvc>=3.0"', f'"dvc=={DVC}"')
    assert pin_repo.check("--all", "--select", "DVF401")[0] == 0


def test_fix_appends_the_missing_pin(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "pandas\nnumpy", dedent=False)  # no final newline
    pin_repo.add()
    _, second = _fix_twice(pin_repo, "DVF401")
    assert pin_repo.read("requirements.txt") == f"pandas\nnumpy\ndvc=={DVC}\n"
    assert "fixed" not in second


def test_fix_appends_to_pep621_dependencies(pin_repo: Repo) -> None:
    original = '[project]\nname = "demo"\ndependencies = [\n    "pandas",\n]\n'
    pin_repo.write("pyproject.toml", original)
    pin_repo.add()
    _fix_twice(pin_repo, "DVF401")
    assert pin_repo.read("pyproject.toml") == original.replace(
        '"pandas",\n', f'"pandas",\n    "dvc=={DVC}",\n'
    )


def test_fix_creates_requirements_txt_when_nothing_declares_dependencies(pin_repo: Repo) -> None:
    pin_repo.write("dvc.yaml", "stages: {}\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1 and f"help: create requirements.txt with `dvc=={DVC}`" in out
    pin_repo.check("--all", "--select", "DVF401", "--fix")
    assert pin_repo.read("requirements.txt") == f"dvc=={DVC}\n"
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF401")[0] == 0


def test_fix_leaves_a_range_that_excludes_the_installed_version(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "dvc>=3.0,<3.1\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401", "--fix")
    assert code == 1
    assert f"the installed {DVC} is outside" in out
    assert pin_repo.read("requirements.txt") == "dvc>=3.0,<3.1\n"


def test_lock_matching_one_of_marker_split_pins_is_not_stale() -> None:
    lock = '[[package]]\nname = "dvc"\nversion = "3.50.0"\n'
    split = 'dvc==2.58.2; python_version < "3.8"\ndvc==3.50.0; python_version >= "3.8"\n'
    decls = _decls(("requirements.txt", split), ("poetry.lock", lock))
    assert conflicts(status(decls, "dvc")) == []


def test_lock_with_several_versions_is_not_compared() -> None:
    forked = (
        '[[package]]\nname = "dvc"\nversion = "2.58.2"\n\n'
        '[[package]]\nname = "dvc"\nversion = "3.50.0"\n'
    )
    decls = _decls(("requirements.txt", "dvc==3.50.0\n"), ("poetry.lock", forked))
    assert conflicts(status(decls, "dvc")) == []


# -- setup.py ----------------------------------------------------------------------------------


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


def test_computed_setup_py_does_not_claim_dvc_is_missing(pin_repo: Repo) -> None:
    pin_repo.write("setup.py", "from setuptools import setup\nsetup(install_requires=get())\n")
    pin_repo.add()
    assert pin_repo.check("--all", "--select", "DVF401")[0] == 0
    pin_repo.write("setup.py", "from setuptools import setup\nsetup(install_requires=['dvc>3'])\n")
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1 and f"""help: change line 2 to `"dvc=={DVC}"`""" in out


def test_subdir_project_is_judged_by_its_own_files(repo: Repo) -> None:
    """A `dvc init --subdir` project's pin lives in its folder, not in an unrelated root package."""
    repo.write("pyproject.toml", '[project]\nname = "tool"\ndependencies = ["dvc==3.50.0"]\n')
    sub = repo.root / "ml"
    sub.mkdir()
    repo.dvc("init", "-q", "--subdir", cwd=sub)
    repo.write("ml/requirements.txt", "dvc>=3.0\n")
    repo.add()
    code, out = repo.check("--all", "--select", "DVF401")
    assert code == 1 and "ml/requirements.txt:1:1: DVF401" in out
    repo.write("ml/requirements.txt", "pandas\n")
    repo.add()
    code, out = repo.check("--all", "--select", "DVF401")
    assert code == 1 and "ml/requirements.txt" in out and "dvc==" in out
