"""Julia read statically: the files a script loads with `include("x.jl")`.

Julia resolves an `include` path against the folder of the file that calls it. Only literal
paths count; `using`/`import` of packages are not followed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dvcflow.scripts.rsource import strip_comments

_INCLUDE = re.compile(r"""(?<![\w.$@])(?:Base\.)?include\(\s*"(?P<path>[^"\n$]+)"\s*\)""")


def included_paths(text: str) -> Iterator[str]:
    """The literal paths a Julia source passes to `include()`, relative to its own folder."""
    for match in _INCLUDE.finditer(strip_comments(text)):
        yield match["path"]
