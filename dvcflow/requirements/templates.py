"""Project templates (cookiecutter, copier, Jinja): files a generator fills in, not dependencies.

A template's `{{cookiecutter.repo_name}}/requirements.txt` or a `requirements.txt` holding
`dvc=={{ cookiecutter.dvc_version }}` says what a *generated* project will declare; until it is
generated it declares nothing, and its lines are no requirement syntax at all.
"""

from __future__ import annotations

import re

# `{{ name }}`, `{%- if x %}`, `{# comment #}` on one line.
_TEMPLATE_MARK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")


def is_template(text: str) -> bool:
    """Whether a path or a file's text holds Jinja-style template markers."""
    return "{" in text and _TEMPLATE_MARK.search(text) is not None
