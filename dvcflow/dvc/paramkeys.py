"""Whether a params key exists, decided the way DVC decides it.

DVC reads a stage's tracked params with `dpath.get(config, key, separator=".")`
(dvc/dependency/param.py, `read_param_file(..., flatten=True)`) and reports every key it could
not get as missing. dpath splits the key on dots (a leading dot is dropped) and matches each
segment against the children of the node reached so far: a string key by equality, an integer
key (or a list index) when the segment reads as that integer (`int()`), so `layers.0`,
`layers.-1` and `layers.01` all select list items. A key containing glob characters
(`*`, `?`, `[`) is a pattern, which this module leaves to DVC.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

_GLOB_CHARS = frozenset("*?[")


def is_wildcard(key: str) -> bool:
    return any(char in _GLOB_CHARS for char in key)


def has_param(data: Any, key: str) -> bool:
    """Whether `dpath.get(data, key, separator=".")` would find exactly something."""
    if not key:
        return True
    nodes = [data]
    for segment in key.lstrip(".").split("."):
        nodes = [child for node in nodes for child in _children(node, segment)]
        if not nodes:
            return False
    return True


def _as_int(segment: str) -> int | None:
    try:
        return int(segment)
    except ValueError:
        return None


def _children(node: Any, segment: str) -> Iterator[Any]:
    number = _as_int(segment)
    if isinstance(node, dict):
        for key, value in node.items():
            if _key_matches(key, segment, number):
                yield value
    elif isinstance(node, (list, tuple)) and _in_range(number, len(node)):
        assert number is not None
        yield node[number]


def _in_range(number: int | None, length: int) -> bool:
    return number is not None and -length <= number < length


def _key_matches(key: Any, segment: str, number: int | None) -> bool:
    if isinstance(key, str):
        return key == segment
    if isinstance(key, int):  # bool included, as in dpath
        return key == number if number is not None else str(key) == segment
    return False


def leaf_keys(data: Any, prefix: str = "", depth: int = 0) -> Iterator[str]:
    """Every dotted key in params data (for "did you mean" suggestions)."""
    if depth > 20 or not isinstance(data, dict):
        return
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        yield dotted
        yield from leaf_keys(value, f"{dotted}.", depth + 1)


def suggestion(data: Any, key: str) -> str | None:
    """The closest existing key to a missing one, if one is close."""
    matches = difflib.get_close_matches(key, list(leaf_keys(data)), n=1, cutoff=0.75)
    return matches[0] if matches else None
