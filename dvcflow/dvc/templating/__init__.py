"""dvc.yaml templating (`vars`, `${...}`, `foreach`/`do`, `matrix`) resolved as DVC resolves it.

A dvc-free re-implementation of `dvc/parsing/{__init__,context,interpolate}.py` (DVC 3.x):
the same lookup rules, the same names for generated stages, the same string conversions and,
where practical, the same error wording. DVC is the specification; comments name the DVC
function each piece mirrors. Unlike DVC, which stops at the first error, every stage (and every
generated stage) resolves on its own, so one bad stage does not hide the others.
"""

from __future__ import annotations

from dvcflow.dvc.templating.interpolate import parse_expression, to_str
from dvcflow.dvc.templating.model import ResolvedStage, TemplateError
from dvcflow.dvc.templating.resolver import resolve

__all__ = ["ResolvedStage", "TemplateError", "parse_expression", "resolve", "to_str"]
