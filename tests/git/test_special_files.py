"""Paths that are not regular files (issue 16 item 4): FIFOs, devices, sockets, symlink loops,
dangling links and names over the OS limit are refused by the views with a sentence naming
them, never read, hashed or handed to DVC; a run ends with a finding or one error line."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from dvcflow.git.repo import GitRepo
from dvcflow.git.snapshot import StagedSnapshot, UnreadableFile, WorkspaceSnapshot

from ..conftest import PIPELINE, Repo, both_modes, run_all

LONG = "x" * 300  # one path component over every common file system's 255-byte limit


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _socket(path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays


def _loop(path: Path) -> None:
    path.symlink_to(path.name)


def _link(target: str) -> Callable[[Path], None]:
    return lambda path: path.symlink_to(target)


ODD_FILES = [
    pytest.param(_fifo, "is a FIFO (named pipe), not a regular file", id="fifo"),
    pytest.param(_socket, "is a socket, not a regular file", id="socket"),
    pytest.param(
        _link("/dev/zero"),
        "is a symlink to /dev/zero, a character device, not a regular file",
        id="dev-zero",
    ),
    pytest.param(
        _link("/dev/urandom"),
        "is a symlink to /dev/urandom, a character device, not a regular file",
        id="dev-urandom",
    ),
    pytest.param(_loop, "is a symlink loop", id="loop"),
    pytest.param(_link("gone.csv"), "is a dangling symlink (its target gone.csv", id="dangling"),
    pytest.param(_link(LONG), "a name too long for the file system", id="too-long"),
]


def _read_in_thread(read: Callable[[], object]) -> BaseException | None:
    """Call `read` where a hang cannot stop the test run: the error it raised (None if none)."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            read()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=60)  # a safety net: a refused file returns at once
    assert not thread.is_alive(), "reading the file hung"
    return outcome[0]


@pytest.mark.parametrize(("make", "why"), ODD_FILES)
def test_workspace_view_refuses_odd_files(
    repo: Repo, make: Callable[[Path], None], why: str
) -> None:
    make(repo.path("odd"))
    view = WorkspaceSnapshot(GitRepo.discover(repo.root))
    assert not view.is_file("odd")
    for read in (lambda: view.read_text("odd"), lambda: list(view.stream("odd"))):
        error = _read_in_thread(read)
        assert isinstance(error, UnreadableFile) and error.path == "odd"
        assert why in error.message
    (refused,) = view.refusals(["odd", "missing.csv"])
    assert refused[0] == "odd" and why in refused[1]


def test_refusals_below_a_folder(repo: Repo) -> None:
    repo.write("data/a.csv", "1\n")
    repo.path("data/sub").mkdir()
    os.mkfifo(repo.path("data/sub/pipe"))
    view = WorkspaceSnapshot(GitRepo.discover(repo.root))
    assert view.refusals(["data"]) == []  # the folder itself is fine
    assert view.refusals(["data"], below=True) == [
        ("data/sub/pipe", "is a FIFO (named pipe), not a regular file")
    ]


def test_staged_view_names_loops_and_dangling_links(repo: Repo) -> None:
    repo.path("loop.yaml").symlink_to("loop.yaml")
    repo.path("dangling.lock").symlink_to("nowhere.lock")
    repo.add()
    view = StagedSnapshot(GitRepo.discover(repo.root))
    with pytest.raises(UnreadableFile, match="is a symlink loop"):
        view.read_text("loop.yaml")
    with pytest.raises(UnreadableFile, match=r"dangling symlink \(to nowhere.lock, which the"):
        view.read_text("dangling.lock")


# -- whole runs --------------------------------------------------------------------------------


def test_staged_dvc_yaml_linked_to_itself(project: Repo) -> None:
    project.path("dvc.yaml").unlink()
    project.path("dvc.yaml").symlink_to("dvc.yaml")
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "dvc.yaml: DVF105" in out and "is a symlink loop" in out


def test_staged_dvc_lock_dangling(project: Repo) -> None:
    project.path("dvc.lock").symlink_to("nowhere.lock")
    project.add()
    for code, out in both_modes(project):
        assert code == 1 and "dvc.lock: DVF105" in out
        assert "is a dangling symlink (to nowhere.lock" in out


def test_dvc_yaml_a_fifo_in_the_work_tree(project: Repo) -> None:
    project.path("dvc.yaml").unlink()
    os.mkfifo(project.path("dvc.yaml"))
    code, out = run_all(project, rules=("--select", "DVF2"))
    assert code == 1 and "dvc.yaml: DVF201" in out and "is a FIFO (named pipe)" in out


def test_dvc_lock_dangling_in_the_work_tree(project: Repo) -> None:
    project.path("dvc.lock").symlink_to("nowhere.lock")
    code, out = run_all(project, rules=("--select", "DVF2"))
    assert code == 1 and "dvc.lock: DVF201 dvc.lock is a dangling symlink" in out


@pytest.fixture
def with_data(project: Repo) -> Repo:
    """The project with a data file and a data folder as deps, committed."""
    project.write("data.csv", "a,b\n")
    project.write("images/1.txt", "1\n")
    project.write(
        "dvc.yaml",
        PIPELINE.replace("- src/train.py\n", "- src/train.py\n      - data.csv\n      - images\n"),
    )
    project.add()
    project.commit("data deps")
    return project


@pytest.mark.parametrize(("make", "why"), ODD_FILES)
def test_odd_dep_is_never_hashed_nor_handed_to_dvc(
    with_data: Repo, make: Callable[[Path], None], why: str
) -> None:
    with_data.path("data.csv").unlink()
    make(with_data.path("data.csv"))
    code, out = run_all(with_data, rules=("--select", "DVF2"))
    assert code == 1 and "data.csv: DVF201 data.csv " in out and why in out
    assert "staleness was not checked" in out


def test_odd_params_file_is_never_read(with_data: Repo) -> None:
    with_data.path("params.yaml").unlink()
    os.mkfifo(with_data.path("params.yaml"))
    code, out = run_all(with_data, rules=("--select", "DVF2"))
    assert code == 1 and "params.yaml: DVF201 params.yaml is a FIFO (named pipe)" in out


def test_fifo_inside_a_dep_folder_is_not_handed_to_dvc(with_data: Repo) -> None:
    os.mkfifo(with_data.path("images/2.txt"))
    code, out = run_all(with_data, rules=("--select", "DVF2"))
    assert code == 1 and "images/2.txt: DVF201 images/2.txt is a FIFO (named pipe)" in out


def test_dep_name_over_the_os_limit(with_data: Repo) -> None:
    with_data.write("dvc.yaml", with_data.read("dvc.yaml").replace("data.csv", f"{LONG}/a.csv"))
    with_data.add()
    for code, out in both_modes(with_data):
        assert code == 1 and "a name too long for the file system" in out
