"""Resolve a templating case with DVC and with dvcflow, in a fresh DVC repository."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dvcflow.dvc.params import parse_params
from dvcflow.dvc.templating import ResolvedStage, TemplateError, resolve
from dvcflow.dvc.yamlio import load_yaml

from .templating_cases import BASIC, Fixture
from .templating_more import MORE

FIXTURES = {**BASIC, **MORE}

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def one_line(message: str) -> str:
    """DVC's multi-line, coloured message as one line (the caret line dropped)."""
    lines = [ln for ln in _ANSI.sub("", message).splitlines() if ln.strip() != "^"]
    return " ".join(lines)


@dataclass
class Outcome:
    stages: list[tuple[str, str, dict[str, Any]]]
    errors: list[tuple[str | None, str]]
    top_imports: list[str]


def make_repo(root: Path, fixture: Fixture) -> None:
    from dvc.repo import Repo

    Repo.init(str(root), no_scm=True).close()
    for rel, text in fixture.files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    if fixture.parsing:
        entries = "".join(f"    {k} = {v}\n" for k, v in fixture.parsing.items())
        with open(root / ".dvc" / "config", "a", encoding="utf-8") as config:
            config.write(f"[parsing]\n{entries}")


def dvc_outcome(root: Path, dvcfile: str) -> Outcome:
    """DVC's own resolution, definition by definition, member by member."""
    from dvc.dvcfile import load_file
    from dvc.parsing import DataResolver, ForeachDefinition, MatrixDefinition
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        contents = load_file(repo, str(root / dvcfile)).contents
        try:
            resolver = DataResolver(repo, str((root / dvcfile).parent), contents)
        except Exception as exc:
            return Outcome([], [(None, one_line(str(exc)))], [])
        outcome = Outcome([], [], list(resolver.context.imports))
        for group, definition in resolver.definitions.items():
            try:
                generated = isinstance(definition, (ForeachDefinition, MatrixDefinition))
                names = definition.get_generated_names() if generated else [group]
            except Exception as exc:
                outcome.errors.append((group, one_line(str(exc))))
                continue
            for name in names:
                try:
                    outcome.stages.append((name, group, resolver.resolve_one(name)[name]))
                except Exception as exc:
                    outcome.errors.append((group, one_line(str(exc))))
    return outcome


def our_outcome(root: Path, fixture: Fixture) -> tuple[list[ResolvedStage], list[TemplateError]]:
    def read_params(rel: str) -> dict[str, Any]:
        return parse_params((root / rel).read_text(encoding="utf-8"), rel)

    document = load_yaml((root / fixture.dvcfile).read_text(encoding="utf-8")).data
    return resolve(document, fixture.dvcfile, read_params, parsing_config=fixture.parsing)


def dedupe(errors: list[tuple[str | None, str]]) -> list[tuple[str | None, str]]:
    return list(dict.fromkeys(errors))


Resolved = tuple[Fixture, Path, Outcome, list[ResolvedStage], list[TemplateError]]


def resolve_both(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Resolved:
    """The fixture in a fresh DVC repository, resolved by DVC and by dvcflow."""
    fixture = FIXTURES[name]
    root = tmp_path / "repo"
    root.mkdir()
    make_repo(root, fixture)
    monkeypatch.chdir(root)  # DVC names files relative to the working directory
    theirs = dvc_outcome(root, fixture.dvcfile)
    stages, errors = our_outcome(root, fixture)
    return fixture, root, theirs, stages, errors


ALL = sorted(FIXTURES)
RESOLVABLE = [name for name in ALL if not FIXTURES[name].errors]
