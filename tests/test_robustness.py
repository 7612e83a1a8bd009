"""Adversarial input for every rule at once: a finding or one `dvcflow: error:` line, never a
traceback, never a hang, and nothing written without --fix.

Each test is a crash (or hang) found by running `dvcflow-check --all --select DVF,DVF203` (and the
pre-commit mode, and --fix) over crafted repositories; the module that owned it was fixed.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import DVC, Repo

ALL_RULES = ("--select", "DVF", "--select", "DVF203")  # DVF203 is off unless named
TOO_SLOW = 15.0  # seconds: far above any run here, far below a hang

PIPELINE = """\
stages:
  train:
    cmd: python src/train.py
    deps:
      - src/train.py
    params:
      - train.lr
    outs:
      - model.txt
"""


def _status(repo: Repo) -> str:
    return repo.git("status", "--porcelain", "--ignored")


def run_all(
    repo: Repo, *extra: str, pre_commit: bool = False, rules: tuple[str, ...] = ALL_RULES
) -> tuple[int, str]:
    """Run the rules (all of them by default); assert no traceback, no hang, one-line errors,
    nothing written without --fix."""
    before = _status(repo)
    started = time.monotonic()
    code, out = repo.check(*(() if pre_commit else ("--all",)), *rules, *extra)
    assert time.monotonic() - started < TOO_SLOW, "bad input must not make dvcflow hang"
    assert "Traceback" not in out and "internal error" not in out, out
    assert code in (0, 1, 2), out
    if code == 2:
        errors = [line for line in out.splitlines() if line.startswith("dvcflow: error:")]
        assert len(errors) == 1, out
    if "--fix" not in extra:
        assert _status(repo) == before, "dvcflow wrote to the repository without --fix"
    return code, out


def both_modes(repo: Repo) -> Iterator[tuple[int, str]]:
    yield run_all(repo)
    yield run_all(repo, pre_commit=True)


def _template(folder: Path) -> None:
    """`dvc init`, then a committed one-stage pipeline (no dvc.lock: no `dvc repro` needed)."""
    repo = Repo(folder)
    folder.mkdir()
    repo.git("init", "-q", "-b", "main")
    repo.dvc("init", "-q")
    repo.dvc("config", "core.autostage", "false")
    repo.write("params.yaml", "train:\n  lr: 0.1\nseed: 1\n")
    repo.write("src/train.py", "print('train')\n")
    repo.write("dvc.yaml", PIPELINE)
    repo.write("requirements.txt", "dvc==3.67.1\n")
    repo.add()
    repo.commit("pipeline")


@pytest.fixture
def project(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """A copy of the template, made once per worker (`dvc init` costs seconds; a copy does not)."""
    template = tmp_path_factory.getbasetemp() / "robustness-template"
    if not template.exists():
        _template(template)
    root = tmp_path / "repo"
    shutil.copytree(template, root, symlinks=True)
    return Repo(root)


# -- params files (dvcflow/params.py) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("p.json", '{"a": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply"),
        ("p.toml", "a = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
        ("p.json", '{"a": 1' + "0" * 5000 + "}", "unreadable value"),
        ("p.toml", "a = 1" + "0" * 5000 + "\n", "unreadable value"),
        ("p.yaml", "a: 2020-13-45\n", "unreadable value: month must be in 1..12"),
        ("p.yaml", "a: 1" + "0" * 5000 + "\n", "unreadable value"),
        ("p.py", "a = " + "-" * 100_000 + "1\n", "nested too deeply"),
    ],
)
def test_unreadable_params_file_is_a_finding(
    project: Repo, name: str, content: str, why: str
) -> None:
    project.write(name, content)
    project.write("dvc.yaml", PIPELINE.replace("- train.lr", f"- {name}:\n        - a"))
    project.add()
    for code, out in both_modes(project):
        assert code == 1
        assert f"DVF103 stage 'train' reads params from {name}, which DVC cannot parse" in out
        assert why in out


def test_recursive_yaml_alias_in_params(project: Repo) -> None:
    project.write("params.yaml", "train:\n  lr: 0.1\nloop: &a\n  b: *a\n")
    project.add()
    for code, out in both_modes(project):
        assert code == 1
        assert "params.yaml:4:1: DVF105" in out and "'params.yaml'" in out
        assert "a YAML alias refers to a mapping or list that contains it" in out


def test_params_file_staged_as_dangling_symlink(project: Repo) -> None:
    (project.root / "params.yaml").unlink()
    (project.root / "params.yaml").symlink_to("gone.yaml")
    project.add()
    for code, out in both_modes(project):
        assert code == 1
        assert "DVF103" in out and "gone.yaml does not exist (a dangling symlink?)" in out


# -- DVC's own status on input it does not expect (dvcflow/stale.py) ----------------------------


def test_params_symlink_loop_is_a_stale_finding(project: Repo) -> None:
    (project.root / "params.yaml").unlink()
    (project.root / "params.yaml").symlink_to("params.yaml")
    project.add()
    code, out = run_all(project)
    assert code == 1
    assert "DVF201 DVC cannot compute the status of the pipelines" in out
    assert "Too many levels of symbolic links" in out


def test_dvc_file_with_absolute_out_path(project: Repo) -> None:
    project.write("data.dvc", "outs:\n- md5: d41d8cd98f00b204e9800998ecf8427e\n  path: /etc/x\n")
    project.add()
    code, out = run_all(project)
    assert code == 1
    assert "DVC cannot compute the status of the pipelines: DVC failed with AssertionError" in out


# -- paths outside the repository (stagedeps, stale, consistency, DVF303) ----------------------


def test_absolute_wdir_does_not_hang(project: Repo) -> None:
    project.write("dvc.yaml", PIPELINE.replace("  train:\n", "  train:\n    wdir: /tmp\n"))
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "DVF104" in out and "/tmp/src/train.py" in out


def test_absolute_outs_and_deps_in_dvc_lock_do_not_hang(project: Repo) -> None:
    project.write(
        "dvc.yaml",
        "stages:\n"
        "  a:\n    cmd: echo\n    deps: [/etc/hostname]\n    outs: [/tmp/dvcflow-out]\n"
        "  b:\n    cmd: echo\n    deps: [/tmp/dvcflow-out]\n",
    )
    md5 = "md5: 0123456789abcdef0123456789abcdef"
    project.write(
        "dvc.lock",
        "schema: '2.0'\nstages:\n"
        f"  a:\n    cmd: echo\n    deps:\n    - path: /etc/hostname\n      {md5}\n"
        f"    outs:\n    - path: /tmp/dvcflow-out\n      {md5}\n"
        f"  b:\n    cmd: echo\n    deps:\n    - path: /tmp/dvcflow-out\n      {md5}\n",
    )
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "dvc.yaml" in out


# -- templating (dvcflow/templating.py) ---------------------------------------------------------


@pytest.mark.parametrize(
    "dvc_yaml",
    [
        pytest.param(
            "vars:\n  - &x {y: [*x]}\nstages:\n  t:\n    cmd: echo ${y}\n",
            id="recursive-alias-in-vars",
        ),
        pytest.param(  # ruamel's round-trip loader takes seconds on 900 nested lists
            "stages:\n  t:\n    cmd: echo\n    meta: " + "[" * 900 + "]" * 900 + "\n",
            id="deep-nesting",
            marks=pytest.mark.slow,
        ),
    ],
)
def test_unresolvable_dvc_yaml_is_dvf105(project: Repo, dvc_yaml: str) -> None:
    project.write("dvc.yaml", dvc_yaml)
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "DVF105" in out and "nested too deeply to resolve" in out


# -- notebooks a stage runs (dvcflow/imports.py) ------------------------------------------------


def test_malformed_notebooks(project: Repo) -> None:
    cmd = "papermill a.ipynb o.ipynb && papermill b.ipynb o.ipynb && papermill c.ipynb o.ipynb"
    project.write("dvc.yaml", f"stages:\n  nb:\n    cmd: {cmd}\n    deps: [a.ipynb]\n")
    project.write("a.ipynb", '{"cells": 5}')
    project.write("b.ipynb", '{"cells": [5, {"cell_type": "code", "source": ["import ", 5]}]}')
    project.write("c.ipynb", '{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "DVF101 stage 'nb' runs b.ipynb" in out


def test_path_parents_with_a_huge_index_does_not_hang(project: Repo) -> None:
    project.write(
        "src/train.py",
        "import sys\nfrom pathlib import Path\n"
        "sys.path.insert(0, str(Path(__file__).parents[1000000000000]))\nimport helper\n",
    )
    project.write("helper.py", "x = 1\n")
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "DVF102 stage 'train' imports helper.py" in out


# -- dependency declarations (reqmodel, pins, pinfix) and the config ----------------------------


def test_thousands_of_repeated_pins_are_read_in_linear_time(project: Repo) -> None:
    project.write("requirements.txt", "dvc==3.67.1\n" * 3000 + "dvc>=3\n" * 1000)
    project.add()
    code, out = run_all(project, rules=("--select", "DVF4"))
    assert code == 0, out


def test_version_with_thousands_of_digits(project: Repo) -> None:
    project.write("requirements.txt", "dvc==" + "9" * 5000 + "\ndvc>=3\n")
    project.add()
    code, _ = run_all(project)
    assert code in (0, 1)


def test_fix_never_writes_over_a_folder(project: Repo) -> None:
    (project.root / "requirements.txt").unlink()
    project.write("requirements.txt/README", "a folder, not a file\n")
    project.add()
    code, out = run_all(project, "--fix", rules=("--select", "DVF401"))
    assert code == 1 and "DVF401" in out
    assert (project.root / "requirements.txt").is_dir()
    assert project.read("requirements.txt/README") == "a folder, not a file\n"


@pytest.mark.parametrize(
    ("pyproject", "exit_code", "message"),
    [
        ("tool = 5\n", 0, "All checks passed"),
        ("[tool.dvcflow]\nmax-file-size-mb = inf\n", 2, "must be a positive number"),
        ("[tool.dvcflow]\nmax-file-size-mb = 1e308\n", 2, "must be a positive number"),
        ("a = " + "[" * 3000 + "]" * 3000 + "\n", 2, "pyproject.toml: cannot read"),
    ],
)
def test_odd_pyproject(project: Repo, pyproject: str, exit_code: int, message: str) -> None:
    project.write("pyproject.toml", pyproject)
    project.add()
    code, out = run_all(project, rules=("--select", "DVF105"))
    assert code == exit_code and message in out


# -- Git states (hooks/check.py) ----------------------------------------------------------------


def test_merge_conflict_in_progress_is_one_error(project: Repo) -> None:
    project.git("checkout", "-q", "-b", "other")
    project.write("params.yaml", "train:\n  lr: 0.3\nseed: 1\n")
    project.commit("other", "-a")
    project.git("checkout", "-q", "main")
    project.write("params.yaml", "train:\n  lr: 0.2\nseed: 1\n")
    project.commit("main", "-a")
    project.git("merge", "other", check=False)
    for code, out in both_modes(project):
        assert code == 2
        assert "dvcflow: error: params.yaml: unmerged: a merge conflict is in progress" in out


# -- the last resort (hooks/check.py) -----------------------------------------------------------


def _explode(*_: object) -> Iterator[object]:
    raise ValueError("boom\nsecond line")
    yield  # pragma: no cover - a generator, like every rule's check


def test_a_crashing_rule_is_one_line_naming_it(
    project: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in a rule (simulated: no real input crashes one once it is fixed) never shows a
    traceback: one line naming the rule, exit 2; DVCFLOW_DEBUG=1 adds the traceback."""
    from dvcflow.rules.deps import dvf104_dep_not_found

    monkeypatch.setattr(dvf104_dep_not_found, "check", _explode)
    monkeypatch.delenv("DVCFLOW_DEBUG", raising=False)
    code, out = project.check("--all", *ALL_RULES)
    assert code == 2 and "Traceback" not in out
    assert out.strip().splitlines() == [
        "dvcflow: internal error in DVF104: ValueError: boom (please report; "
        "DVCFLOW_DEBUG=1 shows the traceback)"
    ]
    monkeypatch.setenv("DVCFLOW_DEBUG", "1")
    code, out = project.check("--all", *ALL_RULES)
    assert code == 2 and "Traceback (most recent call last)" in out and "_explode" in out


def test_a_crashing_fix_is_one_line_naming_it(
    project: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dvcflow.rules.pin import dvf401_dvc_not_pinned

    project.write("requirements.txt", "dvc>=3\n")
    project.add()
    monkeypatch.setattr(dvf401_dvc_not_pinned, "fix", _explode)
    code, out = project.check("--all", "--fix", "--select", "DVF401")
    assert code == 2 and "Traceback" not in out
    assert "dvcflow: internal error in DVF401: ValueError: boom" in out
    assert project.read("requirements.txt") == "dvc>=3\n"


# -- values ruamel parses but Python cannot build, and engine edge cases ------------------------


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("dvc.yaml", "stages:\n  train:\n    cmd: echo\n    meta: {when: 2020-13-45}\n"),
        (
            "dvc.lock",
            "schema: '2.0'\nstages:\n  train:\n    cmd: echo\n    x: 1" + "0" * 5000 + "\n",
        ),
        ("data.dvc", "outs:\n- path: data\n  md5: abc\n  size: 2020-13-45\n"),
    ],
)
def test_yaml_value_python_cannot_build(project: Repo, path: str, content: str) -> None:
    project.write(path, content)
    project.add()
    code, out = project.check("--all", *ALL_RULES)
    assert code in (1, 2) and "internal error" not in out and path in out


@pytest.mark.parametrize("line", ["\\", "[z-a]", "**/[b-a]/x"])
def test_invalid_dvcignore_pattern(project: Repo, line: str) -> None:
    """pathspec refuses `\\`; `[z-a]` passes it and fails in `re` (DVC crashes on both)."""
    project.write(".dvcignore", f"# comment\n{line}\n")
    project.add()
    _, out = project.check("--all", *ALL_RULES)
    assert "internal error" not in out and ".dvcignore:2" in out and "DVF105" in out


def test_dvc_yaml_deleted_from_work_tree_but_staged(project: Repo) -> None:
    """The workspace view lists only files on disk (gitrepo.workspace_files)."""
    (project.root / "dvc.yaml").unlink()
    for code, _ in both_modes(project):
        assert code in (0, 1)


def test_dvc_yaml_broken_in_work_tree_only_is_not_silent(project: Repo) -> None:
    """DVF105 judges the staged dvc.yaml (fine here); DVF2 reads the work tree, as `dvc status`
    does, and says that it could not check staleness rather than passing silently."""
    project.write("dvc.yaml", PIPELINE.replace("cmd: python src/train.py", "cmd: [python"))
    assert "dvc.yaml' is invalid" in project.run(DVC, "status", check=False).stderr
    code, out = run_all(project, rules=("--select", "DVF2"))
    assert code == 1 and "dvc.yaml:4:" in out and "DVF201 staleness was not checked" in out
    assert "(unstaged changes)" in out and "git stash --keep-index" in out
    code, out = run_all(project, rules=("--select", "DVF105"))
    assert code == 0  # the commit's dvc.yaml is valid
    project.add()
    code, out = run_all(project, rules=("--select", "DVF1,DVF2"))
    assert "DVF105" in out and "staleness was not checked" not in out  # staged: DVF105's


def test_params_broken_in_work_tree_only_is_not_silent(project: Repo) -> None:
    """The same when the work tree's params file breaks a `${}` that the commit resolves."""
    project.write(
        "dvc.yaml", PIPELINE.replace("python src/train.py", "python src/train.py ${train.lr}")
    )
    project.add()
    assert run_all(project, rules=("--select", "DVF105"))[0] == 0
    project.write("params.yaml", "train:\n  epochs: 1\n")  # train.lr gone, unstaged
    assert "Could not find 'train.lr'" in project.run(DVC, "status", check=False).stderr
    code, out = run_all(project, rules=("--select", "DVF2"))
    assert code == 1 and "DVF201 staleness was not checked" in out and "train.lr" in out
    code, _ = run_all(project, rules=("--select", "DVF105"))
    assert code == 0  # the commit resolves


def test_params_and_script_deleted_from_work_tree_but_staged(project: Repo) -> None:
    os.remove(project.root / "params.yaml")
    Path(project.root / "src" / "train.py").unlink()
    code, out = run_all(project)
    assert code == 1 and "params.yaml" in out
    run_all(project, pre_commit=True)  # the commit touches nothing: no crash is all it owes


# -- files DVC refuses outright: `.dvcignore` lines and `.dvc` files (rules/dvf105) -------------


def _dvc_status_fails(repo: Repo) -> str:
    """Real `dvc status`: its error output if it fails, "" if it succeeds."""
    proc = repo.run(DVC, "status", check=False)
    return "" if proc.returncode == 0 else proc.stdout + proc.stderr


@pytest.mark.slow
def test_dvcignore_lines_dvc_refuses(project: Repo) -> None:
    """A line that is only `\\` or `!`, or `foo\\ ` (DVC strips the space, leaving `foo\\`):
    pathspec refuses to compile it and every `dvc` command stops on it."""
    project.write("sub/.dvcignore", "# comment\n\\\n!\nfoo\\ \n  *.tmp\n")
    project.add()
    assert "Invalid git pattern" in _dvc_status_fails(project)
    code, out = run_all(project, rules=("--select", "DVF105"))
    assert code == 1
    assert "sub/.dvcignore:2:1: DVF105 DVC would refuse this file: invalid pattern `\\`" in out
    assert "sub/.dvcignore:3:1: DVF105" in out and "a `!` with no pattern" in out
    assert "sub/.dvcignore:4:1: DVF105" in out and "DVC strips the line's trailing spaces" in out
    assert "help: write `foo[ ]` to match a name ending in a space" in out
    assert "'Invalid git pattern'" in out and ":5:" not in out  # `  *.tmp` is a valid pattern
    code, out = run_all(project, rules=("--select", "DVF105"), pre_commit=True)
    assert code == 1 and out.count("DVF105") == 3  # the commit touches the .dvcignore
    project.commit("ignore")
    project.write("README.md", "unrelated\n")
    project.add()
    assert run_all(project, rules=("--select", "DVF105"), pre_commit=True)[0] == 0

    project.write("sub/.dvcignore", "# comment\nfoo[ ]\n  *.tmp\n")
    project.add()
    assert _dvc_status_fails(project) == ""
    assert run_all(project, rules=("--select", "DVF105"))[0] == 0


def test_dvcignore_lines_are_stripped_like_dvc(project: Repo) -> None:
    """DVC strips each line: `  model.txt` ignores model.txt (gitignore would not)."""
    project.write("model.txt", "trained\n")
    project.write(".dvcignore", "  dvc.yaml  \n")
    project.add()
    code, out = run_all(project, rules=("--select", "DVF105"))
    assert code == 0, out
    from dvcflow.context import Context

    ctx = Context.from_cwd(project.root, all_files=True)
    try:
        assert ctx.pipelines("staged") == []  # the .dvcignore hides dvc.yaml from DVC
    finally:
        ctx.close()


# Each case: a `.dvc` file's text (`{out}` stands for its output's name), and whether real DVC
# accepts it. The verdicts were taken from `dvc status` 3.67.1; the test asks DVC again.
DVC_FILES: list[tuple[str, bool]] = [
    ("outs:\n- path: {out}\n  md5: abc\n  size: 2020-13-45\n", False),  # DVC crashes
    ("outs:\n- path: {out}\n  md5: abc\n  size: '12'\n", False),
    ("outs:\n- md5: abcdef\n", False),  # KeyError: 'path'
    ("outs:\n- path: {out}\n  bogus: 1\n", False),
    ("outs: {out}\n", False),
    ("outs:\n- {out}\n", False),
    ("foo: 1\nouts:\n- path: {out}\n", False),
    ("- {out}\n", False),
    ("outs:\n- path: {out}\n  md5: ab\n", False),
    ("outs:\n- path: {out}\n  md5: 123456\n", False),  # 'int' has no attribute 'endswith'
    ("outs:\n- path: {out}\n  md5: true\n", False),
    ("deps:\n- path: x\n  md5: 123456\nouts:\n- path: {out}\n", False),
    ("outs:\n- path: 5\n", False),
    ("outs:\n- path: {out}\n  cache: 'no'\n", False),
    ("frozen: 1\nouts:\n- path: {out}\n", False),
    ("wdir: 5\nouts:\n- path: {out}\n", False),
    ("outs:\n- path: {out}\n  md5: abc\n  files:\n  - md5: abc\n", False),
    ("outs:\n- path: {out}\n  nfiles: 1.5\n", False),
    ("outs:\n- path: {out}\n  labels: [1]\n", False),
    ("outs:\n- path: {out}\n  cloud: {{a: {{}}, b: {{}}}}\n", False),
    ("outs:\n- path: {out}\n  desc: null\n", False),
    ("deps:\n- path: x\n  repo: {{rev: a}}\nouts:\n- path: {out}\n", False),
    ("outs:\n- path: {out}\n  md5: abc\nouts: []\n", False),  # duplicate key
    ("outs:\n- path: {out}\n  size: true\n", True),  # voluptuous: a bool is an int
    ("outs:\n- path: {out}\n  md5: ''\n", True),
    ("outs:\n- path: {out}\n  md5: ABCDEF\n  hash: sha1\n", True),
    ("outs:\n- path: {out}\n  md5:\n  size: -1\n  files: []\n", True),
    ("outs:\n- path: {out}\n  etag: 123456\n  checksum: 123456\n", True),
    ("md5: 123456\nwdir: null\nouts:\n- path: {out}\n- path: {out}2\n", True),
    ("outs: []\n", True),
    ("md5: abc\n", True),  # no outs at all: DVC accepts it
    ("", True),
    (
        "deps:\n- path: x\n  md5: '123456'\n  size: 3\n"
        "outs:\n- path: {out}\n  md5: d41d8cd98f00b204e9800998ecf8427e\n  size: 0\n"
        "  hash: md5\n  cache: false\n  persist: true\n  labels: [a]\n  meta: {{x: 1}}\n",
        True,
    ),
]

_VERDICTS = """\
import sys
from dvc.repo import Repo

repo = Repo(".")
for path in sys.argv[1:]:
    try:
        repo.status(targets=[path])
    except Exception as exc:
        print(path, type(exc).__name__, exc)
"""


def test_dvc_files_dvc_refuses_are_dvf105_and_only_those(project: Repo) -> None:
    """dvcflow reports a `.dvc` file if and only if DVC refuses it (each case asked of DVC's own
    `Repo.status(targets=[file])`, the code behind `dvc status <file>`)."""
    paths = []
    for index, (text, _) in enumerate(DVC_FILES):
        project.write(f"case{index}.dvc", text.format(out=f"case{index}"))
        paths.append(f"case{index}.dvc")
    project.add()
    refused_by_dvc = {
        line.split(" ", 1)[0]
        for line in project.run(sys.executable, "-c", _VERDICTS, *paths).stdout.splitlines()
    }
    code, out = run_all(project, "--output-format", "json", rules=("--select", "DVF105"))
    reported = {d["path"] for d in json.loads(out)}
    assert reported == refused_by_dvc
    assert refused_by_dvc == {p for p, (_, ok) in zip(paths, DVC_FILES, strict=True) if not ok}
    assert code == 1


def test_dvc_file_dvc_refuses(project: Repo) -> None:
    project.write("data", "hi\n")
    project.write("data.dvc", "outs:\n- path: data\n  md5: abc\n  size: 2020-13-45\n")
    project.write("sub/.dvcignore", "ignored.dvc\n")
    project.write("sub/ignored.dvc", "outs:\n- path: x\n  size: 2020-13-45\n")  # DVC skips it
    project.add()
    for code, out in both_modes(project):
        assert code == 1
        assert "data.dvc:4:9: DVF105 DVC would refuse this file: unreadable value: month " in out
        assert "ignored.dvc" not in out

    project.write("data.dvc", "outs:\n- path: data\n  md5: abc\n  size: '3'\n")
    project.add()
    code, out = run_all(project, rules=("--select", "DVF105"))
    assert code == 1
    assert (
        "data.dvc:4:3: DVF105 DVC would refuse this file: outs[0].size: expected an integer, "
        "found string"
    ) in out
    assert "help: correct the value shown, or re-create the file: " in out
    assert "`rm data.dvc && dvc add data && git add data.dvc`" in out

    project.commit("legacy")
    project.write("README.md", "unrelated\n")
    project.add()
    assert run_all(project, rules=("--select", "DVF105"), pre_commit=True)[0] == 0
    assert run_all(project, rules=("--select", "DVF105"))[0] == 1

    project.write("data.dvc", "outs:\n- path: data\n  md5: abc\n  size: 3\n")
    project.add()
    for _, out in both_modes(project):
        assert "DVF105" not in out


# -- inline suppression at scale (dvcflow/engine.py) --------------------------------------------


def test_thousands_of_findings_in_one_file_are_suppressed_line_by_line(project: Repo) -> None:
    """5,000 findings in one dvc.yaml (each an unknown top-level key): each is matched against
    its own line's `# dvcflow: ignore[...]` comment (the file is read once per run, not once
    per finding)."""
    lines = []
    for index in range(5000):
        comment = {0: "  # dvcflow: ignore[DVF105]", 1: "  # dvcflow: ignore[DVF101]", 2: ""}
        lines.append(f"key{index}: 1{comment[index % 3]}")
    project.write("dvc.yaml", "\n".join(lines) + "\n")
    project.add()
    code, out = run_all(project, "--output-format", "json", rules=("--select", "DVF105"))
    assert code == 1
    reported = {d["line"] for d in json.loads(out)}
    assert reported == {index + 1 for index in range(5000) if index % 3 != 0}
    project.write("dvc.yaml", "# dvcflow: ignore\n" + "\n".join(lines) + "\n")
    project.add()
    code, out = run_all(project, "--output-format", "json", rules=("--select", "DVF105"))
    assert len(json.loads(out)) == 3333  # a comment on another line suppresses nothing here
