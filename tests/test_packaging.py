"""dvcflow installs and runs the way users install it: pip, pip -e, pre-commit, a real commit."""

from __future__ import annotations

import shutil
import subprocess
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import PRE_COMMIT, Repo

ROOT = Path(__file__).resolve().parent.parent
BAD = "stages:\n  train:\n    cmd: python train.py\n    outs_persist:\n      - model.pkl\n"
GOOD = (
    "stages:\n  train:\n    cmd: python train.py\n    outs:\n"
    "      - model.pkl:\n          persist: true\n"
)

pytestmark = pytest.mark.slow


def _source_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [p for p in out.split("\0") if p and (ROOT / p).is_file()]


@pytest.fixture(scope="session")
def source_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """This checkout's current files (committed or not) as a Git repository pre-commit can use."""
    dest = tmp_path_factory.mktemp("dvcflow-src")
    for rel in _source_files():
        if rel.startswith(("examples/", "bench/")):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, target)
    env_args = ["-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=dest, check=True)
    subprocess.run(["git", "add", "-A"], cwd=dest, check=True)
    subprocess.run(["git", *env_args, "commit", "-q", "-m", "src"], cwd=dest, check=True)
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=dest, capture_output=True, text=True, check=True
    ).stdout.strip()
    yield dest, sha


def _venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(path)
    return path / "bin"


def _bad_repo(repo: Repo) -> None:
    repo.dvc("init", "-q")
    repo.write("dvc.yaml", BAD)
    repo.add()


@pytest.mark.parametrize("editable", [False, True], ids=["pip-install", "pip-install-e"])
def test_pip_install_provides_rules_and_hooks(
    editable: bool, source_repo: tuple[Path, str], tmp_path: Path, dvc_repo: Repo
) -> None:
    src, _ = source_repo
    bin_dir = _venv(tmp_path / "venv")
    args = ["-e", str(src)] if editable else [str(src)]
    subprocess.run([str(bin_dir / "pip"), "install", "-q", *args], check=True)
    probe = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import dvcflow.rules, dvcflow.hooks.check, sys; "
            "print(dvcflow.rules.__file__); print(sorted(r.CODE for r in dvcflow.rules.RULES)); "
            "print('dvc' in sys.modules, 'mlflow' in sys.modules)",
        ],
        cwd=tmp_path,  # not this checkout, whose dvcflow/ would shadow the installed package
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "DVF105" in probe[1]
    assert probe[2] == "False False", "importing dvcflow must not import dvc or mlflow"
    dvc_repo.write("dvc.yaml", BAD)
    dvc_repo.add()
    proc = subprocess.run(
        [str(bin_dir / "dvcflow-check"), "--all"],
        cwd=dvc_repo.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "DVF105" in proc.stdout


def test_pre_commit_try_repo(source_repo: tuple[Path, str], repo: Repo) -> None:
    src, sha = source_repo
    _bad_repo(repo)
    proc = repo.run(PRE_COMMIT, "try-repo", str(src), "dvcflow-check", "--ref", sha, check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "DVF105" in proc.stdout and "outs_persist" in proc.stdout


def test_real_commit_is_blocked_then_allowed(source_repo: tuple[Path, str], repo: Repo) -> None:
    src, sha = source_repo
    repo.write(
        ".pre-commit-config.yaml",
        f"repos:\n  - repo: {src}\n    rev: {sha}\n    hooks:\n      - id: dvcflow-check\n",
    )
    repo.run(PRE_COMMIT, "install")
    _bad_repo(repo)
    blocked = repo.run("git", "commit", "--no-gpg-sign", "-m", "bad pipeline", check=False)
    assert blocked.returncode != 0
    assert "DVF105" in blocked.stdout + blocked.stderr
    assert not repo.git("rev-parse", "--verify", "-q", "HEAD", check=False).strip()
    # The fix, as a user makes it: a valid stage that declares its script, reproduced for
    # real so dvc.lock records it, and DVC pinned.
    repo.write("train.py", "open('model.pkl', 'w').write('weights')\n")
    repo.write("requirements.txt", "dvc==3.67.1\n")
    repo.write(
        "dvc.yaml",
        GOOD.replace(
            "cmd: python train.py\n", "cmd: python train.py\n    deps:\n      - train.py\n"
        ),
    )
    repo.dvc("repro", "-q")
    repo.add()
    allowed = repo.run("git", "commit", "--no-gpg-sign", "-m", "good pipeline", check=False)
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert repo.git("log", "--format=%s").strip() == "good pipeline"
