"""R scripts read statically: the files a script loads with `source()` / `sys.source()`."""

from __future__ import annotations

import re
from collections.abc import Iterator

_R_SOURCE = re.compile(
    r"""\b(?:sys\.)?source\(\s*(?:file\s*=\s*)?(?P<q>["'])(?P<path>[^"'\n]+)(?P=q)"""
)


def sourced_paths(text: str) -> Iterator[str]:
    """The literal paths an R source passes to `source()` / `sys.source()`, in order."""
    for match in _R_SOURCE.finditer(text):
        yield match["path"]
