"""Features the fast path models the way DVC does, each checked against real `dvc status`.

Every test builds a real repository (real git, real `dvc repro`/`dvc import`/`dvc freeze`),
compares the fast path's status with `dvc status --json` before and after an edit, and checks
that no stage was handed over to DVC.
"""

from __future__ import annotations

import hashlib

import pytest

from ...conftest import Repo
from .conftest import init_project, report, same_as_dvc

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

WRITE_OUT = "python -c \"open('out.txt', 'w').write('done')\""


def _stage(repo: Repo, body: str, *, folder: str = "") -> None:
    repo.write(f"{folder}/dvc.yaml" if folder else "dvc.yaml", body)
    repo.dvc("repro", "-q", cwd=repo.root / folder)
    repo.add()
    repo.commit("repro")


def test_params_in_toml_json_and_python(dvc_repo: Repo) -> None:
    dvc_repo.write("params.toml", "[train]\nlr = 0.1\nlayers = [1, 2]\n")
    dvc_repo.write("params.json", '{"prep": {"split": 0.2}, "seed": 7}')
    dvc_repo.write("params.py", "LR = 0.5\n\n\nclass Config:\n    batch = 32\n")
    _stage(
        dvc_repo,
        f"""\
        stages:
          train:
            cmd: {WRITE_OUT}
            params:
              - params.toml:
                  - train.lr
                  - train.layers
              - params.json:
                  - prep.split
                  - seed
              - params.py:
                  - LR
                  - Config.batch
            outs:
              - out.txt
        """,
    )
    assert same_as_dvc(dvc_repo) == {}
    dvc_repo.write("params.toml", "[train]\nlr = 0.2\nlayers = [1, 2]\n")
    dvc_repo.write("params.json", '{"prep": {"split": 0.2}, "seed": 8}')
    dvc_repo.write("params.py", "LR = 0.5\n\n\nclass Config:\n    batch = 64\n")
    status = same_as_dvc(dvc_repo)
    deps = status["train"][0]["changed deps"]
    assert deps == {
        "params.toml": {"train.lr": "modified"},
        "params.json": {"seed": "modified"},
        "params.py": {"Config.batch": "modified"},
    }


def test_negated_dvcignore_patterns(dvc_repo: Repo) -> None:
    dvc_repo.write(".dvcignore", "*.tmp\n!keep.tmp\nlogs/\n!logs/kept.txt\n")
    for name in ("a.csv", "skip.tmp", "keep.tmp", "logs/kept.txt", "logs/other.txt"):
        dvc_repo.write(f"data/{name}", f"{name}\n")
    _stage(
        dvc_repo,
        f"""\
        stages:
          use:
            cmd: {WRITE_OUT}
            deps:
              - data
            outs:
              - out.txt
        """,
    )
    assert same_as_dvc(dvc_repo) == {}
    dvc_repo.write("data/skip.tmp", "ignored: no change\n")
    dvc_repo.write("data/logs/kept.txt", "inside an ignored folder: still ignored\n")
    assert same_as_dvc(dvc_repo) == {}
    dvc_repo.write("data/keep.tmp", "re-included: a change\n")
    assert same_as_dvc(dvc_repo) == {"use": [{"changed deps": {"data": "modified"}}]}


def test_a_dep_dvcignore_ignores_cache_shared_and_feature_config(dvc_repo: Repo) -> None:
    dvc_repo.dvc("config", "cache.shared", "group")
    dvc_repo.dvc("config", "feature.machine", "true")
    dvc_repo.write(".dvcignore", "*.log\n")
    dvc_repo.write("run.log", "first\n")
    _stage(
        dvc_repo,
        f"""\
        stages:
          use:
            cmd: {WRITE_OUT}
            deps:
              - run.log
            outs:
              - out.txt
        """,
    )
    assert same_as_dvc(dvc_repo) == {}
    dvc_repo.write("run.log", "second\n")
    assert same_as_dvc(dvc_repo) == {"use": [{"changed deps": {"run.log": "modified"}}]}


def test_sub_folder_project_with_a_dep_outside_it(repo: Repo) -> None:
    repo.write("shared/util.py", "X = 1\n")
    init_project(repo, "proj")
    _stage(
        repo,
        f"""\
        stages:
          use:
            cmd: {WRITE_OUT}
            deps:
              - ../shared/util.py
            outs:
              - out.txt
        """,
        folder="proj",
    )
    assert same_as_dvc(repo, "proj") == {}
    repo.write("shared/util.py", "X = 2\n")
    status = same_as_dvc(repo, "proj")
    ((shown, state),) = status["use"][0]["changed deps"].items()
    assert state == "modified" and shown.endswith("/shared/util.py")


def test_frozen_stage(dvc_repo: Repo) -> None:
    dvc_repo.write("in.txt", "a\n")
    _stage(
        dvc_repo,
        f"""\
        stages:
          use:
            cmd: {WRITE_OUT}
            deps:
              - in.txt
            outs:
              - out.txt
        """,
    )
    dvc_repo.dvc("freeze", "use")
    assert same_as_dvc(dvc_repo) == {}
    dvc_repo.write("in.txt", "b\n")  # a frozen stage's deps are not looked at
    assert same_as_dvc(dvc_repo) == {}
    dvc_repo.write("out.txt", "edited\n")  # its outputs are
    assert same_as_dvc(dvc_repo) == {"use": [{"changed outs": {"out.txt": "modified"}}]}


@pytest.mark.slow
def test_import_url_of_a_local_file(
    dvc_repo: Repo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    source = tmp_path_factory.mktemp("source") / "remote.csv"
    source.write_text("1,2\n")
    dvc_repo.dvc("import-url", "-q", str(source), "data.csv")
    dvc_repo.add()
    dvc_repo.commit("import-url")
    assert same_as_dvc(dvc_repo) == {}
    (fast,) = report(dvc_repo).not_checked.items()
    assert fast[0] == "data.csv.dvc" and str(source) in fast[1]
    source.write_text("3,4\n")  # the source: `dvc update`'s business, not a status change
    assert same_as_dvc(dvc_repo) == {}
    dvc_repo.write("data.csv", "edited in place\n")
    assert same_as_dvc(dvc_repo) == {"data.csv.dvc": [{"changed outs": {"data.csv": "modified"}}]}


@pytest.mark.slow
def test_import_from_another_local_repository(
    dvc_repo: Repo, tmp_path_factory: pytest.TempPathFactory
) -> None:
    upstream = Repo(tmp_path_factory.mktemp("upstream"))
    upstream.git("init", "-q", "-b", "main")
    upstream.dvc("init", "-q")
    upstream.write("data.csv", "a,b\n")
    upstream.dvc("add", "-q", "data.csv")
    upstream.add()
    upstream.commit("data")
    dvc_repo.dvc("import", "-q", str(upstream.root), "data.csv", "-o", "imported.csv")
    dvc_repo.add()
    dvc_repo.commit("import")
    assert same_as_dvc(dvc_repo) == {}
    assert "imported.csv.dvc" in report(dvc_repo).not_checked
    dvc_repo.write("imported.csv", "edited\n")
    assert same_as_dvc(dvc_repo) == {
        "imported.csv.dvc": [{"changed outs": {"imported.csv": "modified"}}]
    }


def test_a_url_dep_is_not_fetched_and_the_rest_of_the_stage_is_judged(dvc_repo: Repo) -> None:
    """DVC would ask the server for the URL's ETag: a commit hook does not (the network may be
    slow or absent); the rest of the stage is judged and the URL is reported as not checked."""
    dvc_repo.write("in.txt", "a\n")
    _stage(
        dvc_repo,
        f"""\
        stages:
          use:
            cmd: {WRITE_OUT}
            deps:
              - in.txt
            outs:
              - out.txt
        """,
    )
    url = "https://example.invalid/data.csv"
    pipeline = dvc_repo.read("dvc.yaml").replace("- in.txt\n", f"- in.txt\n      - {url}\n")
    dvc_repo.write("dvc.yaml", pipeline, dedent=False)
    lock = dvc_repo.read("dvc.lock")
    entry = f"    - path: {url}\n      etag: abc\n      size: 3\n    outs:"
    dvc_repo.write("dvc.lock", lock.replace("    outs:", entry, 1), dedent=False)
    found = report(dvc_repo, "fast")
    assert found.raw[""] == {} and not found.handed_over
    assert url in found.not_checked["use"]
    dvc_repo.write("in.txt", "b\n")
    assert report(dvc_repo, "fast").raw[""] == {"use": [{"changed deps": {"in.txt": "modified"}}]}


def test_dvc_files_git_ignores_are_skipped_as_dvc_skips_them(dvc_repo: Repo) -> None:
    """DVC's index does not load a `.dvc` file in a folder Git ignores, tracked or not."""
    dvc_repo.write("raw/x.csv", "1\n")
    dvc_repo.dvc("add", "-q", "raw/x.csv")
    dvc_repo.git("add", "raw/x.csv.dvc", "raw/.gitignore")
    dvc_repo.write(".gitignore", "raw/\n")
    dvc_repo.add(".gitignore")
    dvc_repo.commit("data in an ignored folder")
    dvc_repo.write("raw/x.csv", "2\n")
    assert same_as_dvc(dvc_repo) == {}


def _version_aware(repo: Repo, name: str, files: dict[str, str]) -> None:
    """Rewrite `<name>.dvc` as `dvc push` to a version-aware remote leaves it: per-file
    `files` entries with the remote's `cloud` versions instead of the folder's `.dir` md5."""
    entries = "".join(
        f"  - relpath: {rel}\n    md5: {hashlib.md5(text.encode()).hexdigest()}\n"
        f"    size: {len(text)}\n    cloud:\n      store:\n        etag: 0a1b{i}\n"
        f"        version_id: '{i}'\n"
        for i, (rel, text) in enumerate(sorted(files.items()))
    )
    repo.write(f"{name}.dvc", f"outs:\n- hash: md5\n  path: {name}\n  files:\n{entries}")


def test_outputs_of_a_version_aware_remote(dvc_repo: Repo) -> None:
    """As 18kimn/asmr: `files` lists and `cloud` versions in `.dvc` files (a GCS bucket with
    object versioning). The folder's hash is the one DVC computes from the list."""
    files = {"a.csv": "1\n", "sub/b.csv": "2\n"}
    for rel, text in files.items():
        dvc_repo.write(f"d/{rel}", text)
    dvc_repo.write("f.txt", "f\n")
    dvc_repo.dvc("add", "-q", "d", "f.txt")
    _version_aware(dvc_repo, "d", files)
    text = dvc_repo.read("f.txt.dvc")
    dvc_repo.write(
        "f.txt.dvc",
        text + "  cloud:\n    store:\n      etag: 0c1d7\n      version_id: '7'\n",
        dedent=False,
    )
    dvc_repo.add()
    dvc_repo.commit("version-aware outputs")
    assert same_as_dvc(dvc_repo) == {}
    dvc_repo.write("d/sub/b.csv", "3\n")
    dvc_repo.write("f.txt", "g\n")
    assert same_as_dvc(dvc_repo) == {
        "d.dvc": [{"changed outs": {"d": "modified"}}],
        "f.txt.dvc": [{"changed outs": {"f.txt": "modified"}}],
    }
    _version_aware(dvc_repo, "d", {**files, "sub/b.csv": "3\n"})  # listed, never cached
    assert same_as_dvc(dvc_repo)["d.dvc"] == [{"changed outs": {"d": "not in cache"}}]


def test_stage_outputs_of_a_version_aware_remote(dvc_repo: Repo) -> None:
    """dvc.lock entries of a pipeline pushed to a version-aware remote (18kimn/asmr)."""
    from ruamel.yaml import YAML

    _stage(
        dvc_repo,
        """\
        stages:
          make:
            cmd: python -c "import os; os.makedirs('d', exist_ok=True); open('d/a', 'w').write('1')"
            outs:
              - d
        """,
    )
    yaml = YAML()
    lock = yaml.load(dvc_repo.read("dvc.lock"))
    out = lock["stages"]["make"]["outs"][0]
    del out["md5"], out["size"], out["nfiles"]
    out["files"] = [
        {
            "relpath": "a",
            "md5": hashlib.md5(b"1").hexdigest(),
            "size": 1,
            "cloud": {"store": {"etag": "0a1b2", "version_id": "3"}},
        }
    ]
    with open(dvc_repo.path("dvc.lock"), "w", encoding="utf-8") as handle:
        yaml.dump(lock, handle)
    dvc_repo.add()
    dvc_repo.commit("version-aware lock")
    assert same_as_dvc(dvc_repo) == {}
    dvc_repo.write("d/a", "2")
    assert same_as_dvc(dvc_repo) == {"make": [{"changed outs": {"d": "modified"}}]}
