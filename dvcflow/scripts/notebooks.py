"""Notebooks and documents: the code cells of a `.ipynb`, the R and Python chunks of a Quarto
(`.qmd`) or R Markdown (`.Rmd`) document, and the Python those cells hold."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from dvcflow.scripts.python import ParsedPython, parse_python

_CHUNK = re.compile(
    r"^(?P<fence>`{3,})\s*\{(?P<lang>[A-Za-z0-9_]+)[^}\n]*\}[^\n]*\n(?P<body>.*?)^(?P=fence)\s*$",
    re.MULTILINE | re.DOTALL,
)
_INCLUDE = re.compile(r"\{\{<\s*include\s+(?P<q>[\"']?)(?P<path>[^\s\"'>]+)(?P=q)\s*>\}\}")
_RUN_MAGIC = re.compile(r"^\s*%run\s+(?:-\w+\s+)*(?P<path>[^\s;#]+)")


def parse_cells(cells: Sequence[str]) -> ParsedPython:
    """Notebook or document code cells: IPython magics dropped, `%run` kept, cells parsed alone."""
    parsed = ParsedPython()
    for cell in cells:
        code: list[str] = []
        lines = cell.splitlines()
        if lines and lines[0].lstrip().startswith("%%"):
            if not re.match(r"\s*%%(time|timeit|capture|prun)\b", lines[0]):
                continue
            lines = lines[1:]
        for line in lines:
            run = _RUN_MAGIC.match(line)
            if run:
                parsed.runs.append(run["path"])
            stripped = line.lstrip()
            code.append("" if stripped.startswith(("%", "!", "?")) else line)
        one = parse_python("\n".join(code))
        parsed.imports.extend(one.imports)
        parsed.sys_path.extend(one.sys_path)
        parsed.names.update(one.names)
    return parsed


def notebook_code(text: str) -> tuple[list[str], str]:
    """The code cells of a .ipynb file and its kernel language ("python" or "r")."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
        return [], "python"
    if not isinstance(data, dict):
        return [], "python"
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    assert isinstance(metadata, dict)
    kernel = metadata.get("kernelspec") or {}
    info = metadata.get("language_info") or {}
    language = str(
        (kernel.get("language") if isinstance(kernel, dict) else None)
        or (info.get("name") if isinstance(info, dict) else None)
        or "python"
    )
    cells: list[str] = []
    found = data.get("cells")
    for cell in found if isinstance(found, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(line for line in source if isinstance(line, str))
            cells.append(str(source))
    return cells, "r" if language.lower() == "r" else "python"


def document_chunks(text: str) -> tuple[list[str], list[str]]:
    """Python and R code chunks of a Quarto or R Markdown document."""
    python: list[str] = []
    r_code: list[str] = []
    for match in _CHUNK.finditer(text):
        lang = match["lang"].lower()
        if lang == "python":
            python.append(match["body"])
        elif lang == "r":
            r_code.append(match["body"])
    return python, r_code


def included_documents(text: str) -> list[str]:
    """Quarto `{{< include file >}}` shortcodes, paths relative to the including document."""
    return [match["path"] for match in _INCLUDE.finditer(text)]
