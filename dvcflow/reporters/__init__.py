"""Output formats behind one interface: `report(diagnostics, output_format, stream)`.

One module per format (text, json_array, github, sarif, markdown, gitlab, junit), each with
`render(run: Run) -> str` and `UNENCODABLE` (how it writes a character the stream's encoding
lacks). A format module is imported only when it is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TextIO, cast

from dvcflow.diagnostics import Diagnostic
from dvcflow.reporters.escape import Unencodable, encodable, printable, use_color

if TYPE_CHECKING:
    from dvcflow.context import Context
    from dvcflow.reporters.dag import Dag

__all__ = ["FORMATS", "Run", "collect", "printable", "render", "report", "use_color"]

# format name -> module (in dvcflow.reporters)
_MODULES = {
    "text": "text",
    "json": "json_array",
    "github": "github",
    "sarif": "sarif",
    "markdown": "markdown",
    "gitlab": "gitlab",
    "junit": "junit",
}
FORMATS: tuple[str, ...] = tuple(_MODULES)
# Formats that show the pipeline DAG: the hook collects it (`collect`) before the run ends.
_NEEDS_DAG = frozenset({"markdown"})


class Run:
    """What a reporter is given: the findings and what the run knows beside them."""

    diagnostics: Sequence[Diagnostic]
    color: bool
    verbose: bool  # every finding listed, none grouped (text, markdown)
    dag: Dag | None  # the pipelines' stages and links (formats in _NEEDS_DAG)
    checked: Sequence[str]  # the codes of the rules that ran (junit: a case each)

    __slots__ = ("checked", "color", "dag", "diagnostics", "verbose")

    def __init__(
        self,
        diagnostics: Sequence[Diagnostic],
        color: bool = False,
        verbose: bool = False,
        dag: Dag | None = None,
        checked: Sequence[str] = (),
    ) -> None:
        self.diagnostics = diagnostics
        self.color = color
        self.verbose = verbose
        self.dag = dag
        self.checked = checked


class _Format(Protocol):
    UNENCODABLE: Unencodable

    def render(self, run: Run) -> str: ...


def _format(output_format: str) -> _Format:
    return cast(_Format, importlib.import_module(f"{__name__}.{_MODULES[output_format]}"))


def collect(ctx: Context, output_format: str) -> Dag | None:
    """What the format needs from the run's context (read before the context closes)."""
    if output_format not in _NEEDS_DAG:
        return None
    from dvcflow.reporters.dag import build_dag

    return build_dag(ctx)


def render(run: Run, output_format: str) -> str:
    return _format(output_format).render(run)


def report(
    diagnostics: Sequence[Diagnostic],
    output_format: str,
    stream: TextIO,
    *,
    verbose: bool = False,
    dag: Dag | None = None,
    checked: Sequence[str] = (),
) -> None:
    """Write the findings in `output_format`, encoded so that any stream encoding can take them."""
    module = _format(output_format)
    run = Run(diagnostics, use_color(stream), verbose, dag, checked)
    text = module.render(run)
    stream.write(encodable(text, getattr(stream, "encoding", None), module.UNENCODABLE))
    stream.flush()
