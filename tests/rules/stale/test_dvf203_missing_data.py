"""DVF203 missing-data, and what DVF2 says when DVC must answer, is missing, refuses or is busy."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from dvcflow.dvc.status import dvc_status, is_busy

from .conftest import BIN, PIPELINE, Repo, both_engines, findings, run_fix, set_text

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # from inside DVC

# A stage that holds DVC's lock until the test releases it (no sleep to race against).
HOLD = """\
import pathlib
import time

pathlib.Path("started").touch()
end = time.time() + 240  # a safety net only
while not pathlib.Path("release").exists() and time.time() < end:
    time.sleep(0.05)
"""


# ------------------------------------------------------------------------------------ clones
@pytest.mark.slow
def test_fresh_clone_without_data_is_green_and_dvf203_warns(demo: Repo, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    demo.run("git", "clone", "-q", str(demo.root), str(clone))
    repo = Repo(clone)
    code, out = repo.check("--all")
    assert code == 0, out
    assert findings(repo) == []
    warned = {f["stage"]: f for f in findings(repo, "DVF203")}
    assert set(warned) == {"prepare", "train", "evaluate", "data/raw.csv.dvc"}
    assert "model.txt not in cache" in warned["train"]["message"]
    assert warned["train"]["fix"] == "dvc pull --with-deps train"
    assert all(f["severity"] == "warning" for f in warned.values())
    raw = both_engines(repo)[""]
    assert raw["prepare"] == [
        {"changed deps": {"data/raw.csv": "deleted"}},
        {"changed outs": {"data/prepared": "not in cache"}},
    ]
    # A clone with the params changed is still stale: missing data hides nothing.
    set_text(repo, "params.yaml", "lr: 0.1", "lr: 0.5")
    (finding,) = findings(repo)
    assert finding["stage"] == "train" and "train.lr modified" in finding["message"]


# ------------------------------------------------------------------------------------ errors
NO_DVC = (
    "import sys\nsys.modules['dvc'] = None\n"
    "from dvcflow.hooks.check import run\nsys.exit(run(['--all', '--select', 'DVF2']))\n"
)


def test_without_dvc_the_fast_path_still_judges(demo: Repo) -> None:
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", NO_DVC], cwd=demo.root, capture_output=True, text=True
        )

    assert run().returncode == 0
    set_text(demo, "params.yaml", "lr: 0.1", "lr: 0.01")
    stale = run()
    assert stale.returncode == 1 and "DVF201 stage 'train' is stale" in stale.stdout


def test_what_dvc_refuses_is_one_finding(demo: Repo) -> None:
    demo.write("extra.json", '{"alpha": 1}')
    set_text(
        demo,
        "dvc.yaml",
        "      - train\n",
        "      - train\n      - extra.json:\n          - alpha\n",
    )
    run_fix(demo, "dvc repro -q train")
    assert findings(demo, "DVF2") == []
    demo.write("extra.json", "{broken")  # dvc.yaml loads, but DVC cannot read the params
    (finding,) = findings(demo, "DVF2")
    assert finding["path"] == "dvc.yaml"
    assert "DVC cannot compute the status of the pipelines" in finding["message"]
    assert "extra.json" in finding["message"]
    assert finding["fix"] == "dvc status"


def test_an_invalid_dvc_yaml_is_left_to_dvf105_once_staged(demo: Repo) -> None:
    demo.write(
        "dvc.yaml",
        PIPELINE.replace(
            "    outs:\n      - model.txt\n", "    outs_persist:\n      - model.txt\n"
        ),
        dedent=False,
    )
    (unchecked,) = findings(demo, "DVF2")  # the work tree's file: DVF2 cannot judge it
    assert unchecked["code"] == "DVF201" and unchecked["line"] == 18
    assert "staleness was not checked" in unchecked["message"]
    assert [f["code"] for f in findings(demo, "DVF105")] == []  # DVF105 judges the commit...
    demo.add("dvc.yaml")
    assert [f["code"] for f in findings(demo, "DVF105")] == ["DVF105"]  # ...once it is staged
    assert findings(demo, "DVF2") == []  # and then it is DVF105's alone


@pytest.mark.slow
def test_running_dvc_repro_is_reported_as_busy(demo: Repo) -> None:
    set_text(
        demo,
        "dvc.yaml",
        "cmd: python src/evaluate.py",
        "cmd: python src/hold.py && python src/evaluate.py",
    )
    demo.write("src/hold.py", HOLD, dedent=False)
    proc = subprocess.Popen(
        [str(BIN / "dvc"), "repro", "-q", "evaluate"],
        cwd=demo.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 30
        while not demo.path("started").exists():
            assert time.time() < deadline and proc.poll() is None
            time.sleep(0.05)
        assert is_busy(str(demo.root))
        (finding,) = findings(demo)
        assert proc.poll() is None  # no waiting for the lock: the repro is still holding it
        assert finding["code"] == "DVF201" and "DVC is busy" in finding["message"]
        from dvcflow.dvc.status import DvcBusy

        with pytest.raises(DvcBusy):  # DVC's own lock, as the DVC path takes it
            dvc_status(str(demo.root))
    finally:
        demo.write("release", "")
        proc.wait(timeout=300)  # a safety net: the stage ends as soon as it sees `release`
    assert not is_busy(str(demo.root))
