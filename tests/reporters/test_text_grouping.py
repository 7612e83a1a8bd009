"""Issue 18 item 5: text output groups repeated findings of one code and cause (the first few
and a count); --verbose lists every one; json lists every one always."""

from __future__ import annotations

import json

import pytest

from dvcflow.diagnostics import RuleId
from dvcflow.reporters import Run, render

from ..conftest import Repo

ORPHANS = 7
LOCK_ENTRY = """\
  old-{n}:
    cmd: python old.py {n}
"""


@pytest.fixture
def orphans(dvc_repo: Repo) -> Repo:
    """A dvc.lock recording seven stages dvc.yaml no longer defines (one finding each)."""
    dvc_repo.write("dvc.yaml", "stages:\n  train:\n    cmd: python train.py\n")
    lock = "schema: '2.0'\nstages:\n" + "".join(LOCK_ENTRY.format(n=n) for n in range(ORPHANS))
    dvc_repo.write("dvc.lock", lock)
    dvc_repo.add()
    return dvc_repo


def test_repeated_findings_show_the_first_three_and_a_count(orphans: Repo) -> None:
    code, out = orphans.check("--all", "--select", "DVF304")
    assert code in (0, 1)
    lines = out.splitlines()
    assert sum(line.startswith("dvc.lock:") for line in lines) == 3
    assert (
        f"  ... and {ORPHANS - 3} more DVF304 findings like these (--verbose lists them all)"
        in (lines)
    )
    assert sum(line.startswith("  help: ") for line in lines) == 3
    assert lines[-2].startswith(f"Found {ORPHANS} findings")  # then the "Judged ..." line


def test_verbose_lists_every_finding(orphans: Repo) -> None:
    _, out = orphans.check("--all", "--select", "DVF304", "--verbose")
    assert sum(line.startswith("dvc.lock:") for line in out.splitlines()) == ORPHANS
    assert "more DVF304" not in out
    assert "old-6" in out


def test_json_always_lists_every_finding(orphans: Repo) -> None:
    _, out = orphans.check("--all", "--select", "DVF304", "--output-format", "json")
    assert len(json.loads(out)) == ORPHANS


RULE = RuleId("DVF999", "example")


def test_a_shared_fix_is_printed_once_after_the_group() -> None:
    found = [
        RULE.at(f"data/{n}.csv", 0, 0, f"data/{n}.csv is missing", fix="dvc pull") for n in range(5)
    ]
    out = render(Run(found), "text")
    assert out.count("help: dvc pull") == 1
    assert out.splitlines()[3:5] == [
        "  ... and 2 more DVF999 findings like these (--verbose lists them all)",
        "  help: dvc pull",
    ]


def test_different_causes_and_small_groups_stay_apart() -> None:
    found = [
        RULE.at("a.py", 1, 1, "stage 'a' runs a.py", fix="add a.py"),
        RULE.at("b.py", 1, 1, "stage 'b' runs b.py", fix="add b.py"),
        RULE.at("c.py", 1, 1, "stage 'c' imports c.py", fix="add c.py"),
    ]
    out = render(Run(found), "text")
    assert "more DVF999" not in out
    assert out.count("help: ") == 3


def test_a_group_sits_where_its_first_finding_sorts() -> None:
    other = RuleId("DVF001", "first")
    found = sorted(
        [RULE.at(f"z{n}.txt", 1, 1, f"z{n}.txt is odd") for n in range(4)]
        + [other.at("a.txt", 1, 1, "a.txt is odd"), other.at("zz.txt", 1, 1, "zz.txt is odd")]
    )
    lines = render(Run(found), "text").splitlines()
    assert [line.split(":")[0] for line in lines[:5]] == [
        "a.txt",
        "z0.txt",
        "z1.txt",
        "z2.txt",
        "  ... and 1 more DVF999 findings like these (--verbose lists them all)",
    ]
    assert lines[5].startswith("zz.txt")


def test_a_fix_already_printed_for_another_finding_is_named_not_repeated() -> None:
    """One `dvc repro` fixes a stale stage and the lock findings of the same cause: its help
    line stands once, so the `help:` lines run in order are each fix once."""
    stale, lock = RuleId("DVF201", "stale"), RuleId("DVF303", "lock")
    repro = "dvc repro train && git add dvc.lock model.json"
    found = sorted(
        [
            stale.at("dvc.yaml", 2, 3, "stage 'train' is stale", fix=repro),
            lock.at("dvc.yaml", 9, 7, "dep src/train.py is not what dvc.lock records", fix=repro),
            lock.at("dvc.yaml", 12, 7, "output model.json is missing", fix="dvc checkout"),
        ]
    )
    lines = render(Run(found), "text").splitlines()
    assert [line for line in lines if "help:" in line] == [
        f"  help: {repro}",
        "  help: dvc checkout",
    ]
    assert lines[3] == "  (fix: the same as for the finding at dvc.yaml:2:3 above)"
