"""DVF4 on requirements files pip decodes from a byte-order mark (UTF-16, UTF-32, UTF-8).

As in 092914rkumar/mlops-mini-project, whose requirements.txt is UTF-16 LE with the mark twice.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable

import pytest

from tests.conftest import Repo
from tests.requirements.conftest import DVC
from tests.rules.pin.conftest import codes

Encode = Callable[[str], bytes]
ENCODINGS: dict[str, Encode] = {
    "utf-16-le twice marked": lambda t: codecs.BOM_UTF16_LE * 2 + t.encode("utf-16-le"),
    "utf-16-be": lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"),
    "utf-8 marked": lambda t: codecs.BOM_UTF8 + t.encode(),
    "utf-32-be": lambda t: codecs.BOM_UTF32_BE + t.encode("utf-32-be"),
}


def _requirements(dvc: str) -> str:
    return f"# pinned\r\npandas==2.2.3\r\n{dvc}\r\nnumpy==1.26.4\r\n"


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_the_pin_inside_is_read(pin_repo: Repo, encoding: str) -> None:
    pin_repo.write("requirements.txt", ENCODINGS[encoding](_requirements(f"dvc=={DVC}")))
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 0, out
    assert "cannot be read" not in out and "binary" not in out


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_a_range_inside_is_found_at_its_line_and_fixed_in_the_same_encoding(
    pin_repo: Repo, encoding: str
) -> None:
    encode = ENCODINGS[encoding]
    pin_repo.write("requirements.txt", encode(_requirements("dvc>=3")))
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    found = codes(out, "DVF401")
    assert code == 1 and len(found) == 1, out
    assert found[0].startswith("requirements.txt:3:1: DVF401 dvc is declared as `dvc>=3`")
    _, fixed = pin_repo.check("--all", "--select", "DVF401", "--fix-only", "--stage-fixes")
    assert "fixed requirements.txt" in fixed, fixed
    assert pin_repo.path("requirements.txt").read_bytes() == encode(_requirements(f"dvc=={DVC}"))
    assert pin_repo.check("--all", "--select", "DVF4")[0] == 0


def test_utf32_le_which_pip_misreads_is_named(pin_repo: Repo) -> None:
    data = codecs.BOM_UTF32_LE + _requirements(f"dvc=={DVC}").encode("utf-32-le")
    pin_repo.write("requirements.txt", data)
    pin_repo.add()
    _, out = pin_repo.check("--all", "--select", "DVF4")  # a warning: the pin may be inside
    read = "requirements.txt:1:1: DVF401 requirements.txt cannot be read: UTF-32 LE text"
    assert f"{read}, which pip reads as UTF-16" in out


def test_a_second_utf8_mark_breaks_line_one_as_in_pip(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", codecs.BOM_UTF8 * 2 + f"dvc=={DVC}\n".encode())
    pin_repo.add()
    _, out = pin_repo.check("--all", "--select", "DVF4")
    assert "requirements.txt:1:1: DVF401 invalid requirement `\\ufeffdvc==" in out
    assert "a second byte-order mark, which pip keeps" in out


def test_a_bad_line_elsewhere_in_a_utf16_file_hides_no_pin(pin_repo: Repo) -> None:
    text = _requirements(f"dvc=={DVC}") + "not a requirement at all\r\n"
    pin_repo.write("requirements.txt", ENCODINGS["utf-16-be"](text))
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF4")
    assert code == 0 and "DVF4" not in out, out


def test_an_included_utf16_file_is_read_too(pin_repo: Repo) -> None:
    pin_repo.write("requirements.txt", "pandas==2.2.3\n-r deps/base.txt\n")
    pin_repo.write("deps/base.txt", ENCODINGS["utf-16-le twice marked"](_requirements("dvc~=3.0")))
    pin_repo.add()
    code, out = pin_repo.check("--all", "--select", "DVF401")
    assert code == 1 and "deps/base.txt:3:1: DVF401 dvc is declared as `dvc~=3.0`" in out, out


def test_a_utf16_file_that_includes_brings_the_included_file_into_scope(pin_repo: Repo) -> None:
    """Whether a commit concerns the pins reads a UTF-16 includer as pip does: its `-r` counts."""
    includer = "-r deps/base.txt\r\npandas==2.2.3\r\n"
    pin_repo.write("requirements.txt", ENCODINGS["utf-16-le twice marked"](includer))
    pin_repo.write("deps/base.txt", "dvc>=3\n")
    pin_repo.write("train.py", "print(1)\n")
    pin_repo.add()
    pin_repo.commit("base")
    pin_repo.write("train.py", "print(2)\n")
    pin_repo.add("train.py")
    assert pin_repo.check("--select", "DVF401")[0] == 0  # the commit touches no pin
    pin_repo.write("deps/base.txt", "dvc>=3\nnumpy\n")
    pin_repo.add("deps/base.txt")
    code, out = pin_repo.check("--select", "DVF401")
    assert code == 1 and "deps/base.txt:1:1: DVF401" in out, out


def test_a_dangling_requirements_link_leaves_a_script_commit_out_of_scope(pin_repo: Repo) -> None:
    """As ccao-data/model-res-avm's python/requirements.txt -> ../requirements.txt (untracked)."""
    pin_repo.write("python/requirements.txt", "")
    (pin_repo.root / "python/requirements.txt").unlink()
    (pin_repo.root / "python/requirements.txt").symlink_to("../requirements.txt")
    pin_repo.write("requirements.txt", "dvc>=3\n")
    pin_repo.write("train.py", "print(1)\n")
    pin_repo.add("python/requirements.txt", "train.py")
    pin_repo.commit("link")
    pin_repo.write("train.py", "print(2)\n")
    pin_repo.add("train.py")
    assert pin_repo.check("--select", "DVF4")[0] == 0
