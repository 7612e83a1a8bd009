"""DVC's repo lock probe: absent costs nothing, held is reported, released is not."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from dvcflow.dvc.status.locks import busy_reason


def _project(tmp_path: Path, config: str = "") -> Path:
    (tmp_path / ".dvc" / "tmp").mkdir(parents=True)
    (tmp_path / ".dvc" / "config").write_text(config, encoding="utf-8")
    return tmp_path


def test_no_lock_file_is_not_busy(tmp_path: Path) -> None:
    assert busy_reason(str(_project(tmp_path, "[core]\n    hardlink_lock = true\n"))) is None


def test_a_held_lock_is_reported_and_a_released_one_is_not(tmp_path: Path) -> None:
    lock = _project(tmp_path) / ".dvc" / "tmp" / "lock"
    lock.write_text("", encoding="utf-8")
    assert busy_reason(str(tmp_path)) is None
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert busy_reason(str(tmp_path)) == "another DVC process holds .dvc/tmp/lock"
    finally:
        os.close(fd)
    assert busy_reason(str(tmp_path)) is None


def test_with_hardlink_lock_the_file_existing_is_the_lock(tmp_path: Path) -> None:
    project = _project(tmp_path, "[core]\n    hardlink_lock = true\n")
    (project / ".dvc" / "tmp" / "lock").write_text("", encoding="utf-8")
    assert busy_reason(str(project)) == "another DVC process holds .dvc/tmp/lock"
