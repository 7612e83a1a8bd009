"""Requirements files decoded the way pip decodes them (`pip._internal.utils.encoding.auto_decode`).

pip reads a requirements file (and each `-r`/`-c` include) as bytes and picks the encoding
itself: a UTF-8/16/32 byte-order mark first, in pip's order (the native-order UTF-16 mark
`ff fe` is tried before UTF-32's `ff fe 00 00`, so pip misreads UTF-32 LE); then a PEP 263
`# -*- coding: x -*-` comment on one of the first two lines; then the locale, read here as
UTF-8 (the usual locale: the snapshot's strict reading, with its messages). pip removes the
first mark; the `utf-16` codec it then uses drops a second `ff fe` itself (the field case:
the mark twice), while a second UTF-8 or UTF-16 BE mark stays in line 1 and pip refuses that
line ("Invalid requirement"), as the parser does.
Other formats (TOML, YAML, INI) keep their own rules: this is only for what pip reads.
"""

from __future__ import annotations

import codecs
import re
import sys

from dvcflow.git.snapshot import Snapshot, UnreadableFile, normalize

# pip's BOMS, in pip's order (codecs.BOM_UTF16/32 are the machine's native order, as in pip).
BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF32, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
)
_ORDERED = {
    "utf-16": ((codecs.BOM_UTF16_LE, "le"), (codecs.BOM_UTF16_BE, "be")),
    "utf-32": ((codecs.BOM_UTF32_LE, "le"), (codecs.BOM_UTF32_BE, "be")),
}
_CODING = re.compile(rb"coding[:=]\s*([-\w.]+)")


class PipText:
    """A requirements file's text as pip sees it, and how to write an edit of it back."""

    text: str
    codec: str  # encodes `text` (explicit byte order for UTF-16/32)
    prefix: bytes  # the byte-order marks before it, kept as they were
    faithful: bool  # prefix + text in codec gives the file's bytes back exactly

    __slots__ = ("codec", "faithful", "prefix", "text")

    def __init__(
        self, text: str, codec: str = "utf-8", prefix: bytes = b"", faithful: bool = True
    ) -> None:
        self.text = text
        self.codec = codec
        self.prefix = prefix
        self.faithful = faithful

    def encode(self, text: str) -> bytes | None:
        """`text` (an edit of this file) in this file's encoding, marks kept; None when that
        would not give the file's other bytes back or pip would not read it as `text`."""
        if not self.faithful:
            return None
        try:
            data = self.prefix + text.encode(self.codec)
        except UnicodeEncodeError:
            return None
        try:
            decoded = decode_like_pip(data)
        except UnreadableFile:
            return None
        back = _utf8(data) if decoded is None else decoded.text
        return data if back == text else None


def read_requirements(snapshot: Snapshot, path: str) -> PipText:
    """The file decoded as pip decodes it; UnreadableFile (a one-line reason) when pip could
    not read it either, FileNotFoundError when absent. Read once per snapshot."""
    path = normalize(path)
    return snapshot.memo(("pip-text", path), lambda: _read(snapshot, path))


def _read(snapshot: Snapshot, path: str) -> PipText:
    data = snapshot.read_bytes(path)
    decoded = decode_like_pip(data, path)
    if decoded is None:  # the locale: UTF-8, read (and refused) as every text file is
        return PipText(snapshot.read_text(path))
    return decoded


def decode_like_pip(data: bytes, path: str = "") -> PipText | None:
    """What a byte-order mark or a coding line makes of `data`, as pip's auto_decode; None
    when neither is there (then pip uses the locale: UTF-8). UnreadableFile when pip fails."""
    chosen = _bom(data) or _coding_line(data, path)
    if chosen is None:
        return None
    encoding, skip, bom = chosen
    try:
        text = data[skip:].decode(encoding)
    except LookupError:  # a codec that is not a text encoding (`coding: hex`)
        raise _unknown(encoding, data, path) from None
    except UnicodeDecodeError as exc:
        if bom:  # pip fails too: today's message
            raise UnreadableFile("binary file, expected text", path) from None
        line = data[: exc.start].count(b"\n") + 1
        raise UnreadableFile(
            f"not valid {encoding}, the encoding its coding line names "
            f"(byte 0x{data[exc.start]:02x})",
            path,
            line,
        ) from None
    if "\0" in text:
        raise UnreadableFile(_nul_reason(data), path, text[: text.index("\0")].count("\n") + 1)
    return _writable(data, skip, encoding, text)


def _writable(data: bytes, skip: int, encoding: str, text: str) -> PipText:
    """How to write the text back. The `utf-16`/`utf-32` codecs pip names after a native mark
    also drop a second mark (and take its byte order), else read the native order."""
    codec = codecs.lookup(encoding).name
    prefix = data[:skip]
    if codec in _ORDERED:
        rest = data[skip:]
        order = sys.byteorder[0] + "e"  # "le" or "be"
        for mark, marked_order in _ORDERED[codec]:
            if rest.startswith(mark):
                prefix, order = prefix + mark, marked_order
                break
        codec = f"{codec}-{order}"
    try:
        faithful = prefix + text.encode(codec) == data
    except UnicodeEncodeError:
        faithful = False
    return PipText(text, codec, prefix, faithful)


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _bom(data: bytes) -> tuple[str, int, bool] | None:
    for mark, encoding in BOMS:
        if data.startswith(mark):
            return encoding, len(mark), True
    return None


def _coding_line(data: bytes, path: str) -> tuple[str, int, bool] | None:
    """PEP 263 as pip applies it: a `#` line among the first two naming `coding: x`."""
    for line in data.split(b"\n")[:2]:
        found = _CODING.search(line) if line[:1] == b"#" else None
        if found is None:
            continue
        name = found[1].decode("ascii")
        try:
            codecs.lookup(name)
        except LookupError:
            raise _unknown(name, data, path) from None
        return name, 0, False
    return None


def _unknown(name: str, data: bytes, path: str) -> UnreadableFile:
    line = next((n for n, text in enumerate(data.split(b"\n")[:2], 1) if b"coding" in text), 1)
    return UnreadableFile(
        f"its coding line names `{name}`, which is not a text encoding Python knows "
        "(pip stops with LookupError)",
        path,
        line,
    )


def _nul_reason(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF32_LE) and codecs.BOM_UTF16 == codecs.BOM_UTF16_LE:
        return (
            "UTF-32 LE text, which pip reads as UTF-16 (the two byte-order marks start alike) "
            "and cannot parse"
        )
    return "binary file, expected text"
