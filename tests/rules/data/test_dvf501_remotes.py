"""DVF501 against real servers: S3 (moto's server) and WebDAV (WsgiDAV), through DVC's own
remote plugins (dvc-s3, dvc-webdav). Each remote: nothing missing, one file missing, one
directory entry missing, missing from the local cache too, and the remote down."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from ...conftest import Repo, _free_port
from .conftest import (
    DavServer,
    init_data,
    lock_oid,
    new_bucket,
    pushed,
    run_fixes,
    s3_delete,
    s3_keys,
)

pytestmark = pytest.mark.slow


@dataclass
class Remote:
    url: str
    options: dict[str, str]
    keys: Callable[[], list[str]]  # object keys, relative to the remote's root
    delete: Callable[[str], None]


@pytest.fixture(params=["s3", "webdav"])
def remote(request: pytest.FixtureRequest) -> Remote:
    name = f"t{uuid.uuid4().hex[:12]}"
    if request.param == "s3":
        request.getfixturevalue("s3_env")
        endpoint: str = request.getfixturevalue("s3_server")
        new_bucket(endpoint, name)
        return Remote(
            f"s3://{name}/store",
            {"endpointurl": endpoint},
            lambda: [k.removeprefix("store/") for k in s3_keys(endpoint, name)],
            lambda key: s3_delete(endpoint, name, f"store/{key}"),
        )
    server: DavServer = request.getfixturevalue("dav_server")
    folder = server.folder / name
    folder.mkdir()
    return Remote(
        f"{server.url}{name}",
        {},
        lambda: sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()),
        lambda key: (folder / key).unlink(),
    )


def _forget(repo: Repo) -> None:
    """Drop what earlier runs saw on the remote (as after `dvc gc --cloud`)."""
    shutil.rmtree(repo.path(".git/dvcflow"), ignore_errors=True)


def _key(oid: str) -> str:
    return f"files/md5/{oid[:2]}/{oid[2:]}"


def test_remote(repo: Repo, remote: Remote) -> None:
    init_data(repo, remote.url, **remote.options)
    code, out = pushed(repo)  # nothing pushed yet
    assert code == 1 and out.count("DVF501") == 2, out
    assert "its manifest and 2 of its 2 files are missing" in out
    run_fixes(repo, out)
    assert pushed(repo)[0] == 0  # nothing missing
    assert _key(lock_oid(repo, "data/table.csv.dvc")) in remote.keys()  # noqa: SIM118 (a callable, not a dict)

    remote.delete(_key(lock_oid(repo, "data/table.csv.dvc")))  # one file missing
    _forget(repo)
    code, out = pushed(repo)
    assert code == 1 and out.count("DVF501") == 1 and "data/table.csv (commit" in out
    run_fixes(repo, out)
    assert pushed(repo)[0] == 0

    repo.write("data/images/c.txt", "c\n")  # one directory entry missing
    repo.dvc("add", "-q", "data/images")
    repo.add("data/images.dvc")
    repo.commit("one more image")
    code, out = pushed(repo)
    assert code == 1 and "1 of its 3 files are missing (c.txt)" in out
    run_fixes(repo, out)
    assert pushed(repo)[0] == 0

    repo.write("data/table.csv", "x,y\n7,8\n")  # missing from the local cache too
    repo.dvc("add", "-q", "data/table.csv")
    repo.add("data/table.csv.dvc")
    repo.commit("new table")
    shutil.rmtree(repo.path(".dvc/cache"))
    code, out = pushed(repo)
    assert code == 1 and "not in the local cache either" in out and "help:" not in out


@pytest.mark.parametrize("kind", ["s3", "webdav"])
def test_remote_down(repo: Repo, kind: str) -> None:
    """A remote nobody answers at: one finding naming it and the error, within the timeout."""
    port = _free_port()  # nothing listens there
    url = f"webdav://127.0.0.1:{port}/dav" if kind == "webdav" else "s3://bucket/store"
    options = {"endpointurl": f"http://127.0.0.1:{port}"} if kind == "s3" else {}
    repo.write("pyproject.toml", "[tool.dvcflow.data]\nremote-timeout = 20\n")
    init_data(repo, url, **options)
    code, out = pushed(repo)
    assert code == 1 and out.count("DVF501") == 1, out
    assert ".dvc/config: DVF501 cannot check DVC remote 'storage'" in out
    assert "SKIP=dvcflow-pushed git push" in out
    repo.write(
        "pyproject.toml", '[tool.dvcflow.data]\nremote-timeout = 20\nunreachable = "warning"\n'
    )
    code, out = pushed(repo)
    assert code == 0 and "cannot check DVC remote 'storage'" in out


def test_remote_that_never_answers(repo: Repo) -> None:
    """A server that accepts the connection and never replies: the timeout ends the wait."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # connections complete in the backlog; nothing is ever read or sent
        port = silent.getsockname()[1]
        repo.write("pyproject.toml", "[tool.dvcflow.data]\nremote-timeout = 3\n")
        init_data(repo, f"webdav://127.0.0.1:{port}/dav")
        code, out = pushed(repo)
    assert code == 1 and "cannot check DVC remote 'storage'" in out, out
    assert "no answer within 3 s" in out
