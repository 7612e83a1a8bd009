"""pip requirements files, read as `pip install -r` reads them: lines, options, includes."""

from __future__ import annotations

import pytest

from dvcflow.requirements.discover import collect, file_kind
from dvcflow.requirements.requirements_txt import logical_lines, parse_lines
from tests.conftest import Repo
from tests.requirements.conftest import dedent, only


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
