"""DVF304 orphan-lock-entry: dvc.lock entries of stages dvc.yaml no longer defines."""

from __future__ import annotations

from .conftest import Repo, assert_agrees, findings, set_line


def test_orphan_lock_entry(project: Repo) -> None:
    set_line(project, "dvc.yaml", "  prepare:", "  featurize:")
    project.add("dvc.yaml")
    found = {f["code"]: f for f in findings(project)}
    orphan = found["DVF304"]
    assert (orphan["severity"], orphan["path"], orphan["line"], orphan["target"]) == (
        "warning",
        "dvc.lock",
        3,
        "prepare",
    )
    assert orphan["stage"] == "prepare"  # as DVC would name it
    assert orphan["message"] == "dvc.lock records stage 'prepare', which dvc.yaml no longer defines"
    assert found["DVF302"]["stage"] == "featurize"
    assert assert_agrees(project) == {"featurize"}
