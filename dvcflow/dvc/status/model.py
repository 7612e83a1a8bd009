"""DVC's status format, and the signal that the fast path hands a question over to DVC."""

from __future__ import annotations

from typing import Any

StatusEntry = str | dict[str, Any]
RawStatus = dict[str, list[StatusEntry]]  # DVC's `Repo.status()` result, by stage address


class Unsupported(Exception):
    """Something the fast path does not model; DVC itself must answer."""
