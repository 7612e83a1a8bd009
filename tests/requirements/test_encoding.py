"""Requirements files decoded as pip decodes them: pip's own `auto_decode` is the oracle."""

from __future__ import annotations

import codecs

import pytest
from pip._internal.utils.encoding import auto_decode

from dvcflow.git.snapshot import UnreadableFile
from dvcflow.requirements.encoding import decode_like_pip

TEXT = "# pins\r\npandas>=2\r\ndvc==3.56.0\r\n"

# (bytes, what they are): every one pip reads without the locale.
READABLE = [
    (codecs.BOM_UTF8 + TEXT.encode(), "UTF-8 with a mark"),
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "UTF-16 LE"),
    (codecs.BOM_UTF16_LE * 2 + TEXT.encode("utf-16-le"), "UTF-16 LE, the mark twice"),
    (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "UTF-16 BE"),
    (codecs.BOM_UTF16_BE * 2 + TEXT.encode("utf-16-be"), "UTF-16 BE, the mark twice"),
    (codecs.BOM_UTF8 * 2 + TEXT.encode(), "UTF-8, the mark twice"),
    (codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"), "UTF-32 BE"),
    (b"# -*- coding: latin-1 -*-\n# caf\xe9\ndvc==3.56.0\n", "a PEP 263 coding line"),
]


@pytest.mark.parametrize(("data", "what"), READABLE, ids=[w for _, w in READABLE])
def test_the_text_is_what_pip_reads(data: bytes, what: str) -> None:
    decoded = decode_like_pip(data, "requirements.txt")
    assert decoded is not None
    assert decoded.text == auto_decode(data), what  # a second UTF-8/BE mark stays, as in pip
    assert decoded.faithful
    edited = decoded.text.replace("pandas>=2", "pandas==2.2.3")
    written = decoded.encode(edited)
    assert written is not None and auto_decode(written) == edited
    assert written[: len(decoded.prefix)] == data[: len(decoded.prefix)]  # the marks are kept


def test_plain_utf8_is_left_to_the_snapshot() -> None:
    assert decode_like_pip(TEXT.encode(), "requirements.txt") is None


def test_utf32_le_is_misread_by_pip_and_said_so() -> None:
    data = codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le")
    assert "\0" in auto_decode(data)  # pip takes its mark for UTF-16's
    with pytest.raises(UnreadableFile, match="UTF-32 LE text, which pip reads as UTF-16"):
        decode_like_pip(data, "requirements.txt")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"# coding: nosuch\ndvc\n", "names `nosuch`, which is not a text encoding"),
        (b"# coding: hex\ndvc\n", "names `hex`, which is not a text encoding"),
        (b"# coding: ascii\ndvc\xff\n", r"not valid ascii.*\(byte 0xff\)"),
        (codecs.BOM_UTF16_LE + b"\x00\xd8", "binary file, expected text"),
    ],
)
def test_what_pip_cannot_decode_is_one_line(data: bytes, message: str) -> None:
    with pytest.raises(UnreadableFile, match=message):
        decode_like_pip(data, "requirements.txt")
