"""dvc/parsing/__init__.py: DataResolver, ForeachDefinition and MatrixDefinition."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import product
from math import prod
from typing import Any

from dvcflow.dvc.templating.context import ContextError, CtxDict, CtxList, Leaf
from dvcflow.dvc.templating.definitions import EntryResolver
from dvcflow.dvc.templating.interpolate import ParseError, ResolveOpts, resolve_data, to_str
from dvcflow.dvc.templating.model import (
    DO_KWD,
    FOREACH_KWD,
    ITEM,
    JOIN,
    KEY,
    MATRIX_KWD,
    MAX_GENERATED_STAGES,
    STAGES_KWD,
    VARS_KWD,
    Keypath,
    ReadParams,
    ResolvedStage,
    ResolveFailure,
    TemplateError,
    key_name,
    key_part,
)

_EMPTY_KEY = (
    "failed to resolve stage '{}' in '{}': a generated stage needs a non-empty name"
    " after '@' (DVC cannot load it)"
)
_TOO_MANY = (
    "failed to resolve '{}' in '{}': {} would generate {:,} stages, more than the {:,}"
    " dvcflow resolves (DVC takes hours, or runs out of memory, loading so many); split it"
)


def resolve(
    document: Mapping[str, Any],
    dvcfile: str,
    read_params: ReadParams,
    *,
    parsing_config: Mapping[str, Any] | None = None,
) -> tuple[list[ResolvedStage], list[TemplateError]]:
    """Resolve every stage of a parsed dvc.yaml as DVC would, in DVC's order.

    `dvcfile` is the repo-relative posix path of the file; `read_params` reads the params file
    at a repo-relative posix path (FileNotFoundError when missing, ParamsError when DVC cannot
    parse it). `parsing_config` is DVC's `parsing` config
    section (`bool`, `list`); DVC's defaults apply without it. A bad top-level `vars` (or
    default params.yaml) fails the whole file, as in DVC: `([], [error])`.
    """
    if not isinstance(document, Mapping):
        return [], []
    try:
        return _resolve(document, dvcfile, read_params, parsing_config)
    except RecursionError:  # DVC recurses the same way, and fails with the same error
        message = (
            "nested too deeply to resolve (or a YAML alias inside the mapping or list it names)"
        )
        return [], [TemplateError(message, None, ())]


def _resolve(
    document: Mapping[str, Any],
    dvcfile: str,
    read_params: ReadParams,
    parsing_config: Mapping[str, Any] | None,
) -> tuple[list[ResolvedStage], list[TemplateError]]:
    resolver = _Resolver(dvcfile, read_params, dict(parsing_config or {}))
    try:
        resolver.load_top_vars(document.get(VARS_KWD, []))
    except ResolveFailure as exc:
        return [], [TemplateError(exc.message, None, exc.keypath, exc.origin)]
    stages_data = document.get(STAGES_KWD) or {}
    if not isinstance(stages_data, Mapping):
        return [], []  # a schema problem, reported by the schema rule
    stages: list[ResolvedStage] = []
    errors: list[TemplateError] = []
    for name, definition in stages_data.items():
        resolved, failures = resolver.resolve_definition(name, definition)
        stages.extend(resolved)
        errors.extend(
            TemplateError(f.message, key_name(name), f.keypath, f.origin) for f in failures
        )
    return stages, errors


def is_map_or_seq(value: Any) -> bool:
    """parsing.is_map_or_seq, for plain data and nodes."""
    return isinstance(value, (Mapping, list, tuple, CtxDict, CtxList))


def name_str(value: Any) -> str:
    """to_str as ForeachDefinition/MatrixDefinition call it when naming generated stages.

    A value that came out of the context is a Node, which singledispatch does not know:
    it gets plain str() ("True"), where a literal in dvc.yaml gets to_str ("true").
    """
    if isinstance(value, Leaf):
        return str(value.value)
    return to_str(value)


class _Resolver(EntryResolver):
    """dvc.parsing.DataResolver's definitions: plain, foreach and matrix."""

    # ---- definitions (make_definition)

    def resolve_definition(
        self, name: Any, definition: Any
    ) -> tuple[list[ResolvedStage], list[ResolveFailure]]:
        """One entry under `stages:`: its stage(s) and the failures, never raising."""
        base: Keypath = (STAGES_KWD, key_part(name))
        try:
            self._check_definition(name, definition, base)
        except ResolveFailure as exc:
            return [], [exc]
        assert isinstance(name, str) and isinstance(definition, Mapping)
        if MATRIX_KWD in definition:
            return self._resolve_matrix(name, definition, base)
        if FOREACH_KWD in definition:
            return self._resolve_foreach(name, definition, base)
        try:
            stage = self._resolve_stage(self.context, name, name, definition, False, base)
        except ResolveFailure as exc:
            return [], [exc]
        return [stage], []

    def _check_definition(self, name: Any, definition: Any, base: Keypath) -> None:
        """What DVC's schema and loader refuse before any templating can happen."""
        where = f"'{STAGES_KWD}.{name}'"
        if not isinstance(name, str):
            got = type(name).__name__
            raise ResolveFailure(f"stage name must be a string, got {got}: {name!r}", base)
        if not name:  # StageNameUnspecified
            raise ResolveFailure(
                f"Stage name not provided. Please specify the name as: `{self.relpath}:stage_name`",
                base,
            )
        if not isinstance(definition, Mapping):
            got = type(definition).__name__
            raise ResolveFailure(
                f"failed to parse {where} in '{self.relpath}': expected a dictionary, got {got}",
                base,
            )
        keys = set(definition)
        if MATRIX_KWD in keys and keys & {FOREACH_KWD, DO_KWD}:
            raise ResolveFailure(
                f"failed to parse {where} in '{self.relpath}': "
                "'matrix' cannot be combined with 'foreach'/'do'",
                base,
            )
        if MATRIX_KWD in keys or FOREACH_KWD in keys:
            return
        if DO_KWD in keys:
            raise ResolveFailure(
                f"failed to parse {where} in '{self.relpath}': "
                f"required key not provided: '{FOREACH_KWD}' ('do' needs a 'foreach')",
                (*base, DO_KWD),
            )
        if JOIN in name:  # DataResolver.resolve_one -> EntryNotFound -> StageNotFound
            raise ResolveFailure(
                f"Stage '{name}' not found inside '{self.relpath}' file"
                f" ('{JOIN}' is reserved for names generated by foreach/matrix)",
                base,
            )

    # ---- foreach (ForeachDefinition)

    def _resolve_foreach(
        self, name: str, definition: Mapping[str, Any], base: Keypath
    ) -> tuple[list[ResolvedStage], list[ResolveFailure]]:
        if DO_KWD not in definition:
            return [], [
                ResolveFailure(
                    f"failed to parse '{STAGES_KWD}.{name}' in '{self.relpath}': "
                    f"required key not provided: '{DO_KWD}' ('foreach' needs a 'do' template)",
                    base,
                )
            ]
        template = definition[DO_KWD]
        if not isinstance(template, Mapping):
            return [], [
                ResolveFailure(
                    f"failed to parse '{STAGES_KWD}.{name}.{DO_KWD}' in '{self.relpath}': "
                    f"expected a dictionary, got {type(template).__name__}",
                    (*base, DO_KWD),
                )
            ]
        try:
            iterable = self._foreach_iterable(name, definition[FOREACH_KWD], base)
        except ResolveFailure as exc:
            return [], [exc]
        if len(iterable[1]) > MAX_GENERATED_STAGES:
            return [], [self._too_many(name, FOREACH_KWD, len(iterable[1]), base)]
        generated = [
            (key, self._foreach_vars(iterable, key, value)) for key, value in iterable[1].items()
        ]
        return self._generate(name, template, generated, (*base, DO_KWD))

    def _foreach_iterable(self, name: str, data: Any, base: Keypath) -> tuple[bool, dict[str, Any]]:
        """ForeachDefinition.resolved_iterable + normalized_iterable: (is_mapping, key->item)."""
        where = (*base, FOREACH_KWD)
        try:
            iterable = resolve_data(self.context, data, ResolveOpts(unwrap=False), where)
        except (ContextError, ParseError) as exc:
            raise self._fail(exc, f"'{STAGES_KWD}.{name}.{FOREACH_KWD}'", where) from exc
        if isinstance(iterable, CtxDict):
            return True, dict(iterable.children.items())
        if isinstance(iterable, Mapping):
            return True, {name_str(k): v for k, v in iterable.items()}
        items = iterable.items if isinstance(iterable, CtxList) else iterable
        if not isinstance(items, (list, tuple)):
            node = iterable.value if isinstance(iterable, Leaf) else iterable
            raise ResolveFailure(
                f"failed to resolve '{STAGES_KWD}.{name}.{FOREACH_KWD}' in '{self.relpath}': "
                f"expected list/dictionary, got {type(node).__name__}",
                where,
            )
        if any(is_map_or_seq(v) for v in items):
            return False, {str(i): v for i, v in enumerate(items)}
        return False, {name_str(v): v for v in items}

    @staticmethod
    def _foreach_vars(
        iterable: tuple[bool, dict[str, Any]], key: str, value: Any
    ) -> dict[str, Any]:
        """ForeachDefinition._each_iter: `item`, and `key` when iterating a dictionary."""
        return {ITEM: value, KEY: key} if iterable[0] else {ITEM: value}

    # ---- matrix (MatrixDefinition)

    def _resolve_matrix(
        self, name: str, definition: Mapping[str, Any], base: Keypath
    ) -> tuple[list[ResolvedStage], list[ResolveFailure]]:
        template = {k: v for k, v in definition.items() if k != MATRIX_KWD}
        try:
            combinations = self._matrix_combinations(name, definition[MATRIX_KWD], base)
        except ResolveFailure as exc:
            return [], [exc]
        generated = [(key, {KEY: key, ITEM: d}) for key, d in combinations.items()]
        return self._generate(name, template, generated, base)

    def _matrix_combinations(self, name: str, data: Any, base: Keypath) -> dict[str, Any]:
        """MatrixDefinition.resolved_iterable + normalized_iterable: `a-1` -> {axis: value}."""
        where = (*base, MATRIX_KWD)
        what = f"'{STAGES_KWD}.{name}.{MATRIX_KWD}'"
        try:
            iterable = resolve_data(self.context, data, ResolveOpts(unwrap=False), where)
        except (ContextError, ParseError) as exc:
            raise self._fail(exc, what, where) from exc
        if not isinstance(iterable, Mapping):
            raise ResolveFailure(
                f"failed to resolve {what} in '{self.relpath}': "
                f"expected a dictionary, got {type(iterable).__name__}",
                where,
            )
        axes = {k: self._matrix_axis(name, k, v, where) for k, v in iterable.items()}
        count = prod(len(values) for values in axes.values())  # counted before expanding
        if count > MAX_GENERATED_STAGES:
            raise self._too_many(name, MATRIX_KWD, count, base)
        combinations: dict[str, Any] = {}
        for combination in product(*(list(enumerate(v)) for v in axes.values())):
            d: dict[Any, Any] = {}
            fragments: list[str] = []
            for k, (i, v) in zip(axes.keys(), combination, strict=True):
                d[k] = v
                fragments.append(f"{k}{i}" if is_map_or_seq(v) else name_str(v))
            combinations["-".join(fragments)] = d
        return combinations

    def _too_many(self, name: str, keyword: str, count: int, base: Keypath) -> ResolveFailure:
        what = f"{STAGES_KWD}.{name}.{keyword}"
        message = _TOO_MANY.format(what, self.relpath, f"'{keyword}'", count, MAX_GENERATED_STAGES)
        return ResolveFailure(message, (*base, keyword))

    def _matrix_axis(self, name: str, axis: Any, value: Any, where: Keypath) -> list[Any]:
        """What enumerate() yields for one axis (a string axis yields its characters)."""
        if isinstance(value, CtxList):
            return value.items[:]
        if isinstance(value, CtxDict):
            return list(value.children)
        if isinstance(value, (str, list, tuple, Mapping)):
            return list(value)
        node = value.value if isinstance(value, Leaf) else value
        raise ResolveFailure(
            f"failed to resolve '{STAGES_KWD}.{name}.{MATRIX_KWD}' in '{self.relpath}': "
            f"'{type(node).__name__}' object is not iterable (axis '{axis}')",
            (*where, key_part(axis)),
        )

    # ---- generated stages (shared by foreach and matrix)

    def _generate(
        self,
        name: str,
        template: Mapping[str, Any],
        generated: list[tuple[str, dict[str, Any]]],
        base: Keypath,
    ) -> tuple[list[ResolvedStage], list[ResolveFailure]]:
        """_each_iter for every member: the template is syntax-checked once, before the first."""
        if not generated:
            return [], []
        try:
            self._check_syntax(template, name, base)
        except ResolveFailure as exc:
            return [], [exc]
        stages: list[ResolvedStage] = []
        failures: list[ResolveFailure] = []
        for key, to_set in generated:
            stage_name = f"{name}{JOIN}{key}"
            if not key:  # DataResolver.resolve_one: `assert key` fails for "name@"
                message = _EMPTY_KEY.format(stage_name, self.relpath)
                failures.append(ResolveFailure(message, (STAGES_KWD, name)))
                continue
            try:
                ctx = self.context.with_temporarily(to_set)
                stages.append(self._resolve_stage(ctx, stage_name, name, template, True, base))
            except ContextError as exc:
                failures.append(self._fail(exc, f"stage '{stage_name}'", base))
            except ResolveFailure as exc:
                failures.append(exc)
        return stages, failures
