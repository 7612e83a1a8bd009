"""DVF5's test helpers: DVC projects with real remotes (a local folder, S3 served by moto,
WebDAV served by WsgiDAV), both servers real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ...conftest import BIN, Repo, _free_port

PYPROJECT_TIMEOUT = "[tool.dvcflow.data]\nremote-timeout = {seconds}\n"


@pytest.fixture(autouse=True)
def _bin_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """This venv's `dvc` first on PATH, so printed fixes run verbatim in a shell."""
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def run_fixes(repo: Repo, output: str) -> None:
    """Run every printed `help:` line, verbatim, in order, in a shell at the repository root."""
    for line in output.splitlines():
        if line.startswith("  help: "):
            repo.run("bash", "-c", line.removeprefix("  help: "))


def objects(remote_dir: Path) -> list[Path]:
    """Every object file in a local (or served-from-disk) DVC remote."""
    return sorted(p for p in remote_dir.rglob("*") if p.is_file())


def object_path(remote_dir: Path, oid: str) -> Path:
    return remote_dir / "files" / "md5" / oid[:2] / oid[2:]


def lock_oid(repo: Repo, dvc_file: str) -> str:
    from ruamel.yaml import YAML

    data: Any = YAML(typ="safe").load(repo.read(dvc_file))
    return str(data["outs"][0]["md5"])


def pushed(repo: Repo, *argv: str) -> tuple[int, str]:
    return repo.check("--select", "DVF501", *argv)


def init_data(repo: Repo, url: str, **options: str) -> None:
    """`dvc init`, a default remote `storage`, and a committed file and folder (not pushed)."""
    repo.dvc("init", "-q")
    config = repo.path(".dvc/config")  # what `dvc remote add -d` and `dvc remote modify` write
    lines = ["[core]", "    remote = storage", "    autostage = false", "['remote \"storage\"']"]
    lines += [f"    {key} = {value}" for key, value in {"url": url, **options}.items()]
    config.write_text(config.read_text() + "\n".join(lines) + "\n")
    repo.write("data/images/a.txt", "a\n")
    repo.write("data/images/b.txt", "b\n")
    repo.write("data/table.csv", "x,y\n1,2\n")
    repo.dvc("add", "-q", "data/images", "data/table.csv")
    repo.add()
    repo.commit("data")


@pytest.fixture
def local_remote(repo: Repo, tmp_path: Path) -> Path:
    """`repo` with data committed, not pushed, to a local directory remote."""
    remote = tmp_path / "dvc-remote"
    init_data(repo, str(remote))
    return remote


# -- S3 via moto's server ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(key, raising=False)


def new_bucket(endpoint: str, name: str) -> None:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)


def s3_keys(endpoint: str, bucket: str) -> list[str]:
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def s3_delete(endpoint: str, bucket: str, key: str) -> None:
    import boto3

    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1").delete_object(
        Bucket=bucket, Key=key
    )


# -- WebDAV via WsgiDAV -----------------------------------------------------------------------


class DavServer:
    """WsgiDAV serving a folder, anonymous, on 127.0.0.1 (cheroot, WsgiDAV's own server)."""

    def __init__(self, folder: Path) -> None:
        from cheroot import wsgi
        from wsgidav.wsgidav_app import WsgiDAVApp

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        app = WsgiDAVApp(
            {
                "provider_mapping": {"/": str(folder)},
                "simple_dc": {"user_mapping": {"*": True}},
                "verbose": 0,
                "logging": {"enable": False},
                "lock_storage": True,
            }
        )
        self.port = _free_port()
        self.server = wsgi.Server(("127.0.0.1", self.port), app, numthreads=4)
        self.server.prepare()
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"webdav://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture(scope="session")
def dav_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DavServer]:
    server = DavServer(tmp_path_factory.mktemp("dav"))
    yield server
    server.stop()


def clear(folder: Path) -> None:
    for child in folder.iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()
