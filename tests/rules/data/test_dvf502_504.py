"""DVF502-504: DVC outputs, large data and remote credentials committed to Git, with real
`dvc add` / `dvc repro` outputs, a Git LFS pattern and each DVC config form."""

from __future__ import annotations

import json

import pytest

from ...conftest import Repo
from .conftest import run_fixes

SECRET = "S3cr3t-do-not-print"


def _data(repo: Repo, *argv: str) -> tuple[int, str]:
    return repo.check("--select", "DVF5", *argv)


def test_added_output_committed_to_git(dvc_repo: Repo) -> None:
    repo = dvc_repo
    repo.write("data/train.csv", "a,b\n")
    repo.write("data/images/a.txt", "a\n")
    repo.dvc("add", "-q", "data/train.csv", "data/images")
    repo.git("add", "-f", "data/train.csv", "data/images/a.txt")
    repo.add("data/train.csv.dvc", "data/images.dvc", "data/.gitignore")
    code, out = _data(repo)
    assert code == 1
    assert "data/train.csv: DVF502 data/train.csv is a DVC output (data/train.csv.dvc)" in out
    assert "data/images/a.txt: DVF502 data/images is tracked by DVC (data/images.dvc)" in out
    assert "help: git rm -r -q --cached data/train.csv\n" in out  # .gitignore has /train.csv
    run_fixes(repo, out)
    assert _data(repo)[0] == 0
    assert repo.path("data/train.csv").exists()  # the work tree keeps it


def test_repro_output_and_the_gitignore_line(dvc_repo: Repo) -> None:
    repo = dvc_repo
    repo.write(
        "dvc.yaml",
        """\
        stages:
          make:
            cmd: mkdir -p out && echo 1 > out/model.bin && echo 0.9 > metrics.txt
            outs: [out/model.bin]
            metrics:
              - metrics.txt:
                  cache: false
    """,
    )
    repo.dvc("repro", "-q")
    repo.path("out/.gitignore").unlink()  # as if edited away by hand
    repo.git("add", "-f", "dvc.yaml", "dvc.lock", "out/model.bin", "metrics.txt")
    code, out = _data(repo)
    assert code == 1 and out.count("DVF502") == 1, out  # metrics.txt (cache: false) is for Git
    assert "help: git rm -r -q --cached out/model.bin && echo /model.bin >> out/.gitignore" in out
    run_fixes(repo, out)
    assert _data(repo)[0] == 0
    assert repo.git("check-ignore", "out/model.bin").strip() == "out/model.bin"


def test_legacy_output_is_not_reported_before_all(dvc_repo: Repo) -> None:
    repo = dvc_repo
    repo.write("data.csv", "a\n")
    repo.dvc("add", "-q", "data.csv")
    repo.git("add", "-f", "data.csv", "data.csv.dvc", ".gitignore")
    repo.commit("legacy")
    repo.write("README.md", "x\n")
    repo.add("README.md")
    assert _data(repo)[0] == 0  # the commit does not touch it
    assert _data(repo, "--all")[0] == 1


def test_large_file(dvc_repo: Repo) -> None:
    repo = dvc_repo
    repo.write("data/raw.bin", b"\0" * 600 * 1024)
    repo.write("data/small.bin", b"\0" * 100)
    repo.add("data")
    code, out = _data(repo)
    assert code == 1 and out.count("DVF503") == 1
    assert "data/raw.bin: DVF503 data/raw.bin (600 KB) is added to Git" in out
    run_fixes(repo, out)
    assert _data(repo)[0] == 0
    assert repo.path("data/raw.bin.dvc").exists()
    assert "data/raw.bin.dvc" in repo.git("diff", "--cached", "--name-only")


def test_large_file_threshold_and_lfs(dvc_repo: Repo) -> None:
    repo = dvc_repo
    repo.write("pyproject.toml", "[tool.dvcflow.data]\nlarge-file-kb = 1000\n")
    repo.write("models/a.onnx", b"\1" * 600 * 1024)
    repo.write("models/b.bin", b"\1" * 1200 * 1024)
    repo.write(".gitattributes", "*.bin filter=lfs diff=lfs merge=lfs -text\n")
    repo.add()
    assert _data(repo)[0] == 0  # a.onnx under the limit, b.bin under the LFS pattern
    repo.write(".gitattributes", "")
    repo.add(".gitattributes")
    code, out = _data(repo)
    assert code == 1 and "models/b.bin" in out and "models/a.onnx" not in out


def test_dvf503_is_off_by_config(dvc_repo: Repo) -> None:
    repo = dvc_repo
    repo.write("pyproject.toml", '[tool.dvcflow]\nignore = ["DVF503"]\n')
    repo.write("big.bin", b"\0" * 700 * 1024)
    repo.add()
    assert _data(repo)[0] == 0


QUOTED = "['remote \"storage\"']\n"
CONFIG_FORMS = {
    "quoted section": f"{QUOTED}    url = s3://b/p\n    secret_access_key = {SECRET}\n",
    "bare section": f'[remote "storage"]\n    url = s3://b/p\n    access_key_id = {SECRET}\n',
    "quoted value": f"{QUOTED}    url = s3://b/p\n    session_token = '{SECRET}'\n",
    "url": f"{QUOTED}    url = https://bob:{SECRET}@example.com/dvc\n",
    "password": f"{QUOTED}    url = ssh://example.com/dvc\n    password = {SECRET}\n",
    "webdav token": f"{QUOTED}    url = webdavs://example.com/d\n    token = {SECRET}\n",
}
FIXED = ("quoted section", "url")  # the printed fix is run for these (3 dvc commands each)


def _stage_config(repo: Repo, form: str) -> None:
    config = repo.path(".dvc/config")
    config.write_text(config.read_text() + CONFIG_FORMS[form])
    repo.add(".dvc/config")


@pytest.mark.parametrize("form", sorted(CONFIG_FORMS))
def test_secret_in_committed_config(dvc_repo: Repo, form: str) -> None:
    repo = dvc_repo
    _stage_config(repo, form)
    code, out = _data(repo)
    assert code == 1 and SECRET not in out
    assert ".dvc/config:" in out and "DVF504 remote 'storage' has" in out
    assert "help: dvc remote modify --local storage" in out
    if form not in FIXED:
        return
    run_fixes(repo, out)
    assert _data(repo)[0] == 0
    assert SECRET in repo.read(".dvc/config.local")
    assert SECRET not in repo.git("show", ":.dvc/config")


def test_secret_in_json_output(dvc_repo: Repo) -> None:
    _stage_config(dvc_repo, "url")
    code, out = _data(dvc_repo, "--output-format", "json")
    assert code == 1 and SECRET not in out
    (finding,) = json.loads(out)
    assert finding["code"] == "DVF504" and finding["path"] == ".dvc/config"


def test_credentials_file_and_local_config_committed(dvc_repo: Repo) -> None:
    repo = dvc_repo
    config = repo.path(".dvc/config")
    config.write_text(
        config.read_text()
        + "['remote \"gcs\"']\n    url = gs://b/p\n    credentialpath = ../sa.json\n"
    )
    repo.write("sa.json", json.dumps({"private_key": SECRET}))
    repo.dvc("remote", "modify", "--local", "gcs", "projectname", "p")
    repo.git("add", "-f", ".dvc/config", "sa.json", ".dvc/config.local")
    code, out = _data(repo, "--output-format", "github")
    assert code == 1 and SECRET not in out and out.count("DVF504") == 2
    code, out = _data(repo)
    assert "sa.json: DVF504 sa.json holds credentials (remote 'gcs'" in out
    assert ".dvc/config.local: DVF504" in out
    run_fixes(repo, out)
    assert _data(repo)[0] == 0
    assert "/sa.json" in repo.read(".gitignore")


def test_explain_and_sarif(dvc_repo: Repo) -> None:
    for code in ("DVF501", "DVF502", "DVF503", "DVF504"):
        status, out = dvc_repo.check("--explain", code)
        assert status == 0 and "Fix:" in out
    dvc_repo.write("big.bin", b"\0" * 700 * 1024)
    dvc_repo.add()
    status, out = _data(dvc_repo, "--output-format", "sarif")
    assert status == 1 and json.loads(out)["runs"][0]["results"][0]["ruleId"] == "DVF503"
