"""DVC's `[parsing]` config changes how dicts are rendered in cmd; dvcflow follows it."""

from __future__ import annotations

from dvcflow.context import Context

from ..conftest import Repo


def test_parsing_config_is_honoured(dvc_repo: Repo) -> None:
    dvc_repo.dvc("config", "parsing.bool", "boolean_optional")
    dvc_repo.write("params.yaml", "opts:\n  verbose: false\n")
    dvc_repo.write("dvc.yaml", "stages:\n  t:\n    cmd: python t.py ${opts}\n")
    dvc_repo.add()
    from dvc.repo import Repo as DvcRepo

    with DvcRepo(str(dvc_repo.root)) as dvc:
        (expected,) = [s.cmd for s in dvc.index.stages]
    (stage,) = Context.from_cwd(dvc_repo.root, all_files=True).stages()
    assert stage.cmd == expected == "python t.py --no-verbose"
